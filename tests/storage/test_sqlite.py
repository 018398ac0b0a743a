"""SQLite specifics: the read-only authorizer of ``sql()``, WAL mode, in-memory databases, bulk span SQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mastra_lab.errors import StorageError
from mastra_lab.storage import SQLiteStore
from mastra_lab.storage.sqlite import map_sqlite_errors


def test_file_store_uses_wal_and_can_be_read_by_plain_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    with SQLiteStore(path) as store:
        store.create("notes", {"title": "hi"}, id="n1")
        assert store.sql("PRAGMA journal_mode")["journal_mode"].tolist() == ["wal"]
        assert "data" in store.sql("PRAGMA table_info('mastra_records')")["name"].tolist()
        assert "seq" in store.sql("SELECT name FROM pragma_table_info('mastra_records')")["name"].tolist()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT id, data ->> '$.title' FROM notes").fetchall() == [("n1", "hi")]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "query",
    [
        "PRAGMA journal_mode = DELETE",
        "SELECT 1; SELECT 2",
        "VACUUM",
        "REINDEX",
        "ANALYZE",
        "CREATE TEMP TABLE t AS SELECT 1",
        "SAVEPOINT s",
    ],
)
def test_authorizer_refuses_more_than_plain_writes(query: str) -> None:
    with SQLiteStore(":memory:") as store:
        with pytest.raises(StorageError, match=r"read-only|one statement"):
            store.sql(query)
        store.create("notes", {"a": 1})  # the connection is left writable for the store itself
        assert store.count("notes") == 1


def test_in_memory_sqlite_store_works_and_reprs_its_path() -> None:
    with SQLiteStore(":memory:") as store:
        assert store.backend_name == "sqlite"
        assert repr(store) == "SQLiteStore(path=':memory:')"
        store.create("notes", {})
        assert store.sql("SELECT count(*) AS n FROM notes")["n"].tolist() == [1]


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (sqlite3.OperationalError("database is locked"), "STORAGE_LOCKED"),
        (sqlite3.DatabaseError("not authorized"), "STORAGE_SQL_READ_ONLY"),
        (sqlite3.IntegrityError("UNIQUE constraint failed"), "STORAGE_BACKEND"),
        (sqlite3.OperationalError("no such table: x"), "STORAGE_BACKEND"),
    ],
)
def test_every_sqlite_error_becomes_a_storage_error(exc: Exception, code: str) -> None:
    with pytest.raises(StorageError) as info, map_sqlite_errors("x.sqlite"):
        raise exc
    assert info.value.code == code
    assert info.value.__cause__ is exc


def test_a_file_store_syncs_every_commit_to_disk_by_default(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "full.sqlite") as store:
        assert store.sql("PRAGMA synchronous")["synchronous"].tolist() == [2]  # FULL: fsync at each commit
        assert repr(store) == f"SQLiteStore(path={str(tmp_path / 'full.sqlite')!r})"


def test_synchronous_normal_is_an_explicit_opt_out(tmp_path: Path) -> None:
    path = tmp_path / "normal.sqlite"
    with SQLiteStore(path, synchronous="normal") as store:
        assert store.sql("PRAGMA synchronous")["synchronous"].tolist() == [1]
        assert repr(store) == f"SQLiteStore(path={str(path)!r}, synchronous='normal')"
        store.create("notes", {"a": 1}, id="n1")
    with SQLiteStore(path) as store:  # the setting belongs to the connection, not the file
        assert store.sql("PRAGMA synchronous")["synchronous"].tolist() == [2]
        assert store.count("notes") == 1


@pytest.mark.parametrize("bad", ["off", "fast", "", 1, None, "full "])
def test_a_bad_synchronous_value_is_refused_before_the_file_is_created(tmp_path: Path, bad: object) -> None:
    path = tmp_path / "never.sqlite"
    with pytest.raises(StorageError, match=r"synchronous.*'full'.*'normal'") as info:
        SQLiteStore(path, synchronous=bad)  # type: ignore[arg-type]
    assert repr(bad) in info.value.message
    assert info.value.code == "STORAGE_BAD_ARGUMENT"
    assert not path.exists()


def test_query_spans_and_prune_spans_each_run_one_statement_whatever_the_number_of_traces(
    tmp_path: Path,
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    spans = [
        {
            "trace_id": f"t{i // 3}",
            "span_id": f"s{i}",
            "name": "n",
            "type": "custom",
            "start": start,
            "end": start,
        }
        for i in range(300)
    ]
    with SQLiteStore(tmp_path / "spans.sqlite") as store:
        store.save_spans(spans)
        statements: list[str] = []
        store._conn.set_trace_callback(statements.append)
        assert len(store.query_spans(types=["custom"], trace_ids=[f"t{i}" for i in range(50)])) == 150
        assert store.prune_spans(start + timedelta(days=1), max_rows=10) == 300
        store._conn.set_trace_callback(None)
    assert [s.split()[0] for s in statements] == ["SELECT", "DELETE"]
