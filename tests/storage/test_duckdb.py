"""DuckDB specifics: file locks held by other processes, read-only opening, sharing the connection."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest
from lock_holder import holding

from mastra_lab.errors import StorageError
from mastra_lab.storage import DuckDBStore
from mastra_lab.storage._duckdb_sql import map_duckdb_errors


def test_a_file_locked_by_another_process_says_so_and_suggests_read_only(tmp_path: Path) -> None:
    path = tmp_path / "locked.duckdb"
    with holding(path):
        with pytest.raises(StorageError, match=r"locked by another process.*read_only=True") as info:
            DuckDBStore(path)
        assert info.value.code == "STORAGE_LOCKED"
        assert str(path) in info.value.message
    with DuckDBStore(path) as store:  # the lock is gone with the process
        assert store.tables()


def test_read_only_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    with DuckDBStore(path) as store:
        store.create("notes", {"a": 1}, id="n1")
    with DuckDBStore(path, read_only=True) as ro:
        assert ro.get("notes", "n1").data == {"a": 1}  # type: ignore[union-attr]
        with pytest.raises(StorageError, match=r"read-only.*read_only=False") as info:
            ro.create("notes", {"a": 2})
        assert info.value.code == "STORAGE_READ_ONLY"
        assert ro.count("notes") == 1


def test_read_only_on_a_missing_file_explains_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"no such database yet.*read_only=False"):
        DuckDBStore(tmp_path / "missing.duckdb", read_only=True)


def test_connection_and_lock_are_shared_for_other_components() -> None:
    with DuckDBStore() as store:
        assert isinstance(store.lock, type(threading.RLock()))
        with store.lock:
            store.connection.execute("CREATE TABLE vectors_demo (id VARCHAR)")
            assert store.connection.execute("SELECT count(*) FROM mastra_threads").fetchone() == (0,)
        assert "vectors_demo" in store.tables()  # tables() shows what sql() can read, shared ones included
        assert store.sql("SELECT count(*) AS n FROM vectors_demo")["n"].tolist() == [0]
        assert store.backend_name == "duckdb"
        assert repr(store) == "DuckDBStore(path=':memory:')"


def test_sql_errors_are_storage_errors_with_the_reason() -> None:
    with DuckDBStore() as store:
        with pytest.raises(StorageError, match=r"DuckDB error: .*no_such_column"):
            store.sql("SELECT no_such_column FROM mastra_threads")
        with pytest.raises(StorageError, match="syntax error"):
            store.sql("SELEC 1")


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (duckdb.IOException('Could not set lock on file "x": Conflicting lock is held'), "STORAGE_LOCKED"),
        (duckdb.InvalidInputException("Cannot execute statement in read-only mode"), "STORAGE_READ_ONLY"),
        (duckdb.ConstraintException("Duplicate key"), "STORAGE_BACKEND"),
        (duckdb.CatalogException("Table x does not exist"), "STORAGE_BACKEND"),
        (duckdb.IOException("disk full"), "STORAGE_BACKEND"),
    ],
)
def test_every_duckdb_error_becomes_a_storage_error(exc: Exception, code: str) -> None:
    with pytest.raises(StorageError) as info, map_duckdb_errors("x.duckdb"):
        raise exc
    assert info.value.code == code
    assert info.value.__cause__ is exc


@pytest.mark.parametrize(
    "query",
    [
        "SUMMARIZE mastra_threads",
        "DESCRIBE mastra_messages",
        "FROM mastra_threads",
        "SELECT 1 AS n UNION ALL SELECT 2",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
        "WITH x AS (SELECT 1 AS n) SELECT * FROM x",
    ],
)
def test_sql_allows_every_kind_of_read(query: str) -> None:
    with DuckDBStore() as store:
        assert store.sql(query) is not None


def test_the_connection_never_installs_or_loads_extensions_by_itself(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "ext.duckdb") as store, store.lock:
        settings = dict(
            store.connection.execute(
                "SELECT name, value FROM duckdb_settings() "
                "WHERE name IN ('autoinstall_known_extensions', 'autoload_known_extensions')"
            ).fetchall()
        )
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}


def test_another_connection_to_the_same_file_can_still_open_it(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    with DuckDBStore(path) as store:
        store.create("notes", {"a": 1}, id="n1")
        other = duckdb.connect(str(path))  # e.g. a DuckDBVector or the user's own connection
        try:
            assert other.execute("SELECT id FROM notes").fetchall() == [("n1",)]
        finally:
            other.close()


def test_open_reads_a_copy_while_another_process_holds_the_write_lock(tmp_path: Path) -> None:
    from lock_holder import holding

    path = tmp_path / "app.duckdb"
    with DuckDBStore(path) as store:
        store.create("notes", {"by": "me"})
    with holding(path) as pid:
        with pytest.raises(StorageError) as info:
            DuckDBStore.open(path)  # if_locked="error" by default
        assert info.value.code == "STORAGE_LOCKED"
        copy = DuckDBStore.open(path, if_locked="read_only")
        assert (copy.read_only, copy.copied_from) == (True, str(path))
        assert copy.note is not None
        assert f"another process (PID {pid}) holds the write lock" in copy.note
        assert "read-only copy" in copy.note
        # the holder's committed write is in its write-ahead log, which the copy replays
        assert sorted(r.data["by"] for r in copy.list("notes")) == ["holder", "me"]
        with pytest.raises(StorageError) as refused:
            copy.create("notes", {"by": "notebook"})
        assert refused.value.code == "STORAGE_READ_ONLY"
        folder = Path(copy.path).parent
        assert folder != tmp_path and folder.exists()
        copy.close()
        assert not folder.exists()  # the copy is deleted with the store
    with DuckDBStore(path, read_only=True) as after:
        assert after.count("notes") == 2  # the original was never touched by the copy


def test_open_shares_a_file_another_process_only_reads(tmp_path: Path) -> None:
    from lock_holder import holding

    path = tmp_path / "shared.duckdb"
    with DuckDBStore(path) as store:
        store.create("notes", {"by": "me"})
    with holding(path, read_only=True), DuckDBStore.open(path, if_locked="read_only") as store:
        assert (store.read_only, store.copied_from) == (True, None)
        assert store.note is not None and "open read-only here" in store.note
        assert store.path == str(path)
        assert store.count("notes") == 1


def test_open_without_a_lock_is_the_plain_constructor(tmp_path: Path) -> None:
    with DuckDBStore.open(tmp_path / "free.duckdb", if_locked="read_only") as store:
        assert (store.read_only, store.copied_from, store.note) == (False, None, None)
        store.create("notes", {"a": 1})


def test_open_rejects_an_unknown_if_locked(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match=r"if_locked must be 'error' or 'read_only', got 'copy'"):
        DuckDBStore.open(tmp_path / "x.duckdb", if_locked="copy")  # type: ignore[arg-type]
