"""The SQL schema is built by numbered migrations, recorded in ``_mastra_migrations`` (STYLE #12)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pytest
from inline_snapshot import snapshot

from mastra_lab.storage import DuckDBStore, SQLiteStore, Storage
from mastra_lab.storage._migrations import MIGRATIONS, Migrator, m006_span_events, migrate

FINAL_COLUMNS = snapshot(
    {
        "mastra_messages": [
            "id",
            "thread_id",
            "resource_id",
            "role",
            "type",
            "content",
            "metadata",
            "created_at",
            "seq",
        ],
        "mastra_record_tables": ["name", "created_at"],
        "mastra_records": ["tbl", "id", "data", "metadata", "created_at", "updated_at", "seq"],
        "mastra_resources": ["id", "working_memory", "metadata", "created_at", "updated_at"],
        "mastra_sequences": ["name", "last"],
        "mastra_spans": [
            "span_id",
            "trace_id",
            "parent_span_id",
            "name",
            "type",
            "status",
            "attributes",
            "input",
            "output",
            "error",
            "start_time",
            "end_time",
            "seq",
            "events",
        ],
        "mastra_threads": ["id", "resource_id", "title", "metadata", "created_at", "updated_at", "seq"],
        "mastra_workflow_snapshots": [
            "workflow",
            "run_id",
            "status",
            "snapshot",
            "created_at",
            "updated_at",
            "seq",
        ],
    }
)


def _connect(backend: type[Storage], path: Path) -> Any:
    return (
        duckdb.connect(str(path)) if backend is DuckDBStore else sqlite3.connect(path, isolation_level=None)
    )


def _columns(conn: Any) -> dict[str, list[str]]:
    tables = (
        [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        ]
        if isinstance(conn, sqlite3.Connection)
        else [
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1"
            ).fetchall()
        ]
    )
    return {
        t: [r[1] for r in conn.execute(f"PRAGMA table_info('{t}')").fetchall()]
        for t in tables
        if t.startswith("mastra_")
    }


def test_migration_names_are_numbered_in_order() -> None:
    names = [fn.__name__ for fn in MIGRATIONS]
    assert names == sorted(names)
    assert [n[:4] for n in names] == [f"m{i:03d}" for i in range(1, len(names) + 1)]


def test_a_blank_database_migrates_to_the_final_schema(file_backend: type[Storage], tmp_path: Path) -> None:
    path = tmp_path / "blank.db"
    file_backend(path).close()  # type: ignore[call-arg]
    conn = _connect(file_backend, path)
    try:
        assert _columns(conn) == FINAL_COLUMNS
        applied = [r[0] for r in conn.execute("SELECT name FROM _mastra_migrations ORDER BY name").fetchall()]
        assert applied == [fn.__name__ for fn in MIGRATIONS]
    finally:
        conn.close()


def test_reopening_applies_nothing_twice(file_backend: type[Storage], tmp_path: Path) -> None:
    path = tmp_path / "twice.db"
    with file_backend(path) as store:  # type: ignore[call-arg]
        store.create("notes", {"a": 1}, id="n1")
    with file_backend(path) as store:  # type: ignore[call-arg]
        assert store.get("notes", "n1").data == {"a": 1}  # type: ignore[union-attr]


def test_a_database_at_the_oldest_schema_catches_up_and_keeps_its_data(
    file_backend: type[Storage], tmp_path: Path
) -> None:
    path = tmp_path / "old.db"
    conn = _connect(file_backend, path)
    store_cls: Any = file_backend
    db = Migrator(conn, store_cls.dialect, store_cls.column_types)
    ts = "2024-01-01T00:00:00.000000+00:00"
    assert migrate(db, ts, upto=MIGRATIONS[0].__name__) == ["m001_records"]
    conn.execute("INSERT INTO mastra_record_tables VALUES ('notes', ?)", (ts,))
    conn.execute("INSERT INTO mastra_records VALUES ('notes', 'old', '{\"v\":1}', '{}', ?, ?, 1)", (ts, ts))
    conn.execute(
        "CREATE VIEW notes AS SELECT id, data, metadata, created_at, updated_at FROM mastra_records "
        "WHERE tbl = 'notes'"
    )
    assert sorted(_columns(conn)) == ["mastra_record_tables", "mastra_records"]
    conn.close()

    with file_backend(path) as store:  # type: ignore[call-arg]
        assert store.get("notes", "old").data == {"v": 1}  # type: ignore[union-attr]
        new_id = store.create("notes", {"v": 2})
        assert [r.id for r in store.list("notes")] == ["old", new_id]
        assert store.list_threads() == []
    conn = _connect(file_backend, path)
    try:
        assert _columns(conn) == FINAL_COLUMNS
        # the counter was seeded from the stored rows, so the new record numbers on after the old one
        assert conn.execute("SELECT id, seq FROM mastra_records ORDER BY seq").fetchall() == [
            ("old", 1),
            (new_id, 2),
        ]
        assert conn.execute("SELECT last FROM mastra_sequences WHERE name = 'mastra_records'").fetchall() == [
            (2,)
        ]
    finally:
        conn.close()


def test_a_failing_migration_rolls_back_and_is_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def m999_broken(db: Migrator) -> None:
        db.execute("CREATE TABLE mastra_half (a {int})")
        raise RuntimeError("boom")

    monkeypatch.setattr("mastra_lab.storage._migrations.MIGRATIONS", [*MIGRATIONS, m999_broken])
    path = tmp_path / "broken.sqlite"
    with pytest.raises(RuntimeError, match="boom"):
        SQLiteStore(path)
    conn = sqlite3.connect(path)
    try:
        assert "mastra_half" not in _columns(conn)
        assert "m999_broken" not in [r[0] for r in conn.execute("SELECT name FROM _mastra_migrations")]
    finally:
        conn.close()


def test_spans_stored_before_span_events_read_back_with_no_events(
    file_backend: type[Storage], tmp_path: Path
) -> None:
    path = tmp_path / "spans.db"
    conn = _connect(file_backend, path)
    store_cls: Any = file_backend
    db = Migrator(conn, store_cls.dialect, store_cls.column_types)
    ts = "2024-01-01T00:00:00.000000+00:00"
    before = [fn.__name__ for fn in MIGRATIONS[: MIGRATIONS.index(m006_span_events)]]
    assert migrate(db, ts, upto=before[-1]) == before
    conn.execute(
        "INSERT INTO mastra_spans VALUES ('s1', 't1', NULL, 'invoke_agent a', 'agent', 'ok', "
        "'{\"k\":1}', '\"hi\"', 'null', NULL, ?, ?, 1)",
        (ts, "2024-01-01T00:00:01.000000+00:00"),
    )
    conn.execute("UPDATE mastra_sequences SET last = 1 WHERE name = 'mastra_spans'")
    conn.close()

    with file_backend(path) as store:  # type: ignore[call-arg]
        (span,) = store.get_trace("t1")
        assert (span["span_id"], span["attributes"], span["input"], span["events"]) == (
            "s1",
            {"k": 1},
            "hi",
            [],
        )
        frame = store.query_spans()
        assert frame[["span_id", "type", "duration_ms"]].values.tolist() == [["s1", "agent_run", 1000.0]]
        assert frame["events"].tolist() == [[]]
        store.save_spans([{**span, "span_id": "s2", "events": [{"name": "log", "time": span["start"]}]}])
        assert [s["events"] for s in store.get_trace("t1")] == [[], [{"name": "log", "time": span["start"]}]]
    conn = _connect(file_backend, path)
    try:
        assert _columns(conn) == FINAL_COLUMNS
        assert "mastra_spans_start" in _indexes(conn)
    finally:
        conn.close()


def _indexes(conn: Any) -> list[str]:
    sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if isinstance(conn, sqlite3.Connection)
        else "SELECT index_name FROM duckdb_indexes()"
    )
    return [r[0] for r in conn.execute(sql).fetchall()]
