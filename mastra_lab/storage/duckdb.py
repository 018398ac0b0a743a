"""``DuckDBStore``: the default storage backend — one embedded DuckDB file (or ``:memory:``).

DuckDB is columnar and vectorised, so message batches go in as one DataFrame scan (``INSERT … SELECT``)
rather than row by row, and notebook users can run analytical SQL over the same file (checked by
``_duckdb_sql``, which ``InMemoryStore`` shares). ``mastra_lab.storage`` loads this module lazily, so
importing the package never imports :mod:`duckdb`. The store exposes its connection and lock so that a
``DuckDBVector`` can share the file; the connection never auto-installs or auto-loads extensions.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

try:
    import duckdb
except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
    raise ImportError('DuckDBStore needs duckdb: pip install "mastra-lab"') from exc

from mastra_lab.errors import StorageError
from mastra_lab.storage._duckdb_sql import ENGINE_CONFIG, check_query, map_duckdb_errors
from mastra_lab.storage._sql import SQLStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DuckDBStore"]

_SMALL_BATCH = 32


def _batch(columns: dict[str, list[Any]]) -> Any:
    """Columns as something DuckDB scans without copying: an Arrow table if pyarrow is there, else pandas."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow ships with the dev extra and with pandas>=3 in practice
        import pandas as pd

        return pd.DataFrame(columns)
    return pa.table(columns)


def _lock_holder(exc: StorageError) -> str:
    """Who holds the lock, as DuckDB's message says: ``another process (PID 123)``, or without the PID."""
    found = re.search(r"\(PID (\d+)\)", str(exc.__cause__ or exc))
    return f"another process (PID {found.group(1)})" if found else "another process"


def _ts_out(value: datetime) -> datetime:
    return value if value.tzinfo is UTC else value.astimezone(UTC)


class DuckDBStore(SQLStore):
    """Storage in a DuckDB database file (or ``":memory:"``); the default backend.

    Args:
        path: Database file (created on first use) or ``":memory:"``.
        read_only: Open an existing file without writing; several processes may then read it at once.
        id_factory: Makes record ids when ``create`` gets none (default: uuid4 hex).

    Example:
        ```python
        from mastra_lab.storage import DuckDBStore

        with DuckDBStore() as store:
            store.create("notes", {"title": "hello"})
            print(store.sql("SELECT data->>'title' AS title FROM notes"))
        ```
    """

    backend_name: ClassVar[str] = "duckdb"
    dialect: ClassVar[str] = "duckdb"
    column_types: ClassVar[dict[str, str]] = {
        "text": "VARCHAR",
        "json": "JSON",
        "ts": "TIMESTAMPTZ",
        "int": "BIGINT",
    }
    begin_sql: ClassVar[str] = "BEGIN TRANSACTION"

    def __init__(
        self,
        path: str | Path = ":memory:",
        read_only: bool = False,
        *,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        super().__init__(id_factory=id_factory)
        self.path = str(path)
        self.read_only = bool(read_only)
        self.copied_from: str | None = None
        """The locked file this store reads a copy of (see :meth:`open`), else ``None``."""
        self.note: str | None = None
        """Why the store is read-only although writing was asked for (see :meth:`open`), else ``None``."""
        self._copy_dir: str | None = None
        if self.read_only and (self.path == ":memory:" or not Path(self.path).exists()):
            raise StorageError(
                f"cannot open {self.path!r} read-only: there is no such database yet; create it once with "
                "read_only=False",
                code="STORAGE_NOT_FOUND",
                details={"path": self.path},
            )
        with map_duckdb_errors(self.path):
            self._conn = duckdb.connect(self.path, read_only=self.read_only)
            self._conn.execute("SET TimeZone = 'UTC'")
            # SET rather than connect(config=...): a config that differs from another connection's would
            # stop a DuckDBVector (or the user's own duckdb.connect) from opening the same file here
            for name, value in ENGINE_CONFIG.items():
                self._conn.execute(f"SET {name} = {value}")
        self._setup(read_only=self.read_only)

    @classmethod
    def open(
        cls,
        path: str | Path,
        read_only: bool = False,
        *,
        if_locked: Literal["error", "read_only"] = "error",
    ) -> DuckDBStore:
        """Open a DuckDB file; with ``if_locked="read_only"``, still read it while another process writes it.

        While one process has a DuckDB file open for writing, DuckDB lets no other process open it at all,
        not even read-only, so a notebook could not look at the database a running app is filling. With
        ``if_locked="read_only"`` a locked file is opened read-only if the other process only reads it, and
        otherwise this store reads a private copy of the file and its write-ahead log taken now (deleted on
        :meth:`close`): it sees what that process had committed, not its later writes. :attr:`note` says
        which happened and why, and :attr:`copied_from` names the original of a copy.

        Args:
            path: The database file.
            read_only: Open without writing, as in :class:`DuckDBStore`.
            if_locked: ``"error"`` (the default) raises ``STORAGE_LOCKED``; ``"read_only"`` falls back as
                described above.
        """
        if if_locked not in ("error", "read_only"):
            raise StorageError(
                f"if_locked must be 'error' or 'read_only', got {if_locked!r}", code="STORAGE_BAD_ARGUMENT"
            )
        try:
            return cls(path, read_only=read_only)
        except StorageError as exc:
            if if_locked == "error" or exc.code != "STORAGE_LOCKED":
                raise
            holder = _lock_holder(exc)
        if not read_only:
            try:
                store = cls(path, read_only=True)
            except StorageError as exc:
                if exc.code != "STORAGE_LOCKED":
                    raise
            else:
                store.note = (
                    f"{str(path)!r} is open in {holder}, so it is open read-only here: writes are refused"
                )
                return store
        return cls._open_copy(Path(path), holder)

    @classmethod
    def _open_copy(cls, path: Path, holder: str) -> DuckDBStore:
        """A read-only store over a copy of ``path`` and its write-ahead log, in a fresh temporary folder."""
        folder = tempfile.mkdtemp(prefix="mastra-duckdb-copy-")
        try:
            copy = Path(folder) / path.name
            shutil.copyfile(path, copy)
            wal = path.with_name(path.name + ".wal")
            if wal.exists():
                shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
            store = cls(copy, read_only=True)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        store._copy_dir = folder
        store.copied_from = str(path)
        taken = datetime.now(UTC).strftime("%H:%M:%S UTC")
        store.note = (
            f"{holder} holds the write lock on {str(path)!r}, so this is a read-only copy taken at {taken}: "
            "it does not see that process's later writes; open the file again for a fresh copy"
        )
        return store

    def __repr__(self) -> str:
        mode = " read_only" if self.read_only else ""
        return f"DuckDBStore(path={self.path!r}){mode}" + (" closed" if self.closed else "")

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection; use it only while holding :attr:`lock`."""
        return self._conn  # type: ignore[no-any-return]

    @property
    def lock(self) -> threading.RLock:
        """The re-entrant lock every store operation holds; share it when using :attr:`connection`."""
        return self._lock

    def _map_errors(self) -> Any:
        return map_duckdb_errors(self.path)

    def _close(self) -> None:
        self._conn.close()
        if self._copy_dir is not None:
            shutil.rmtree(self._copy_dir, ignore_errors=True)

    def _ts_in(self, value: datetime) -> Any:
        return value

    def _ts_out(self, value: Any) -> datetime:
        return _ts_out(value)

    def _json_eq(self, column: str) -> str:
        # both sides re-serialised by DuckDB's JSON writer, so number formatting cannot differ
        return f"CAST(json_extract({column}, ?) AS VARCHAR) = CAST(json(?) AS VARCHAR)"

    def _in_list(self, column: str) -> str:
        return f"list_contains(?, {column})"

    def _list_param(self, values: Sequence[str]) -> Any:
        return list(values)

    def _frame(self, sql: str, params: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
        frame = self._conn.execute(sql, params).df()
        frame.columns = list(columns)
        return frame

    def _catalog(self) -> list[str]:
        rows = self._q("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
        return [r[0] for r in rows]

    def _ts_column(self, values: list[Any]) -> list[Any]:
        return values  # DuckDB takes aware datetimes as they are

    def _insert_columns(
        self, table: str, columns: dict[str, list[Any]], times: Sequence[str], tail: str
    ) -> None:
        n = len(next(iter(columns.values())))
        if n <= _SMALL_BATCH:  # one multi-row VALUES statement beats a DataFrame scan for a few rows
            if self._tx_depth:  # inside a caller's transaction a failed try would abort it: upsert directly
                super()._insert_columns(table, columns, times, tail)
                return
            try:  # as below: a plain INSERT costs a fraction of an upsert, and new ids are the common case
                super()._insert_columns(table, dict(columns), times, "")
            except duckdb.ConstraintException:
                super()._insert_columns(table, columns, times, tail)
            return
        names = ", ".join(columns)
        # registered outside the transaction: (un)registering inside an aborted one would fail
        self._conn.register("_mastra_batch", _batch({**columns, "_ord": list(range(n))}))
        try:
            try:  # plain INSERT is the fast path; new ids are the common case
                self._insert_batch(table, names, n, "")
            except duckdb.ConstraintException:  # some ids exist: all of it rolled back; upsert instead
                self._insert_batch(table, names, n, tail)
        finally:
            self._conn.unregister("_mastra_batch")

    def _insert_batch(self, table: str, names: str, n: int, tail: str) -> None:
        with self._tx():
            start = self._seq(table, n)
            self._conn.execute(
                f"INSERT INTO {table} ({names}, seq) SELECT {names}, _ord + ? FROM _mastra_batch {tail}",
                [start],
            )

    def _insert_many(self, table: str, columns: dict[str, list[Any]], n: int, tail: str) -> None:
        marks = "(" + ", ".join("?" * len(columns)) + ")"
        values = [x for row in zip(*columns.values(), strict=True) for x in row]
        self._conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([marks] * n)} {tail}", values
        )

    def _sql(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] | None, allow_files: bool
    ) -> pd.DataFrame:
        check_query(query, self._tables(), allow_files=allow_files)
        cursor = self._conn.cursor()  # its own transaction: rolled back, so even side effects vanish
        try:
            cursor.execute("BEGIN TRANSACTION")
            return cursor.execute(query, params).df()
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()
