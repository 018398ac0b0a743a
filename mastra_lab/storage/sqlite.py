"""``SQLiteStore``: storage in a SQLite file, for when DuckDB's single-writer file lock is in the way.

SQLite lets several processes share a file, ships with Python, and is what many tools already read. The
file runs in WAL mode. By default it also runs with ``synchronous=FULL``: every commit is fsynced, so a
write that has returned survives a process crash *and* a power loss or OS crash. ``synchronous="normal"``
skips that fsync (SQLite then syncs only at checkpoints): a returned write still survives the process
being killed, but a power loss can roll back the last commits (the file stays consistent). Timestamps are
stored as fixed-width ISO-8601 UTC text, so they sort correctly as strings.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from mastra_lab.errors import StorageError
from mastra_lab.storage._sql import SQLStore

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SQLiteStore", "map_sqlite_errors"]

# sql() may read; every other action code the authorizer sees is denied.
_ALLOWED_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE})
# Pragmas that only report. The first set may take an argument (a table/index name); the second only reads
# when called without one (``PRAGMA user_version`` reads, ``PRAGMA user_version = 5`` writes).
_QUERY_PRAGMAS = frozenset(
    ("table_info", "table_xinfo", "index_list", "index_info", "index_xinfo", "foreign_key_list", "table_list")
)
_READ_PRAGMAS_TEXT = """
journal_mode user_version page_count page_size database_list compile_options collation_list function_list
pragma_list schema_version freelist_count encoding integrity_check quick_check synchronous
"""
_READ_PRAGMAS = frozenset(_READ_PRAGMAS_TEXT.split())
# Besides the store's tables, sql() may read the schema table (table-valued pragmas read it) and the
# row-producing virtual tables.
_ALWAYS_READABLE = frozenset({"sqlite_master", "sqlite_schema", "json_each", "json_tree"})
_REFUSED_FUNCTIONS = frozenset({"load_extension"})
_ACTIONS_TEXT = """
ALTER_TABLE ANALYZE CREATE_INDEX CREATE_TABLE CREATE_TEMP_INDEX CREATE_TEMP_TABLE CREATE_TEMP_TRIGGER
CREATE_TEMP_VIEW CREATE_TRIGGER CREATE_VIEW CREATE_VTABLE DELETE DETACH DROP_INDEX DROP_TABLE DROP_TEMP_INDEX
DROP_TEMP_TABLE DROP_TEMP_TRIGGER DROP_TEMP_VIEW DROP_TRIGGER DROP_VIEW DROP_VTABLE INSERT REINDEX SAVEPOINT
TRANSACTION UPDATE
"""
_ACTION_NAMES = {getattr(sqlite3, f"SQLITE_{n}"): n.replace("_", " ") for n in _ACTIONS_TEXT.split()}
_DENIED = ("not authorized", "authorization denied")
Synchronous = Literal["full", "normal"]
_SYNCHRONOUS = {"full": "FULL", "normal": "NORMAL"}
_ATTACH_FIX = "sql() reads only this store's tables, never another database"
_WRITE_FIX = "sql() is read-only: use create()/update()/delete() and the other Storage methods to change data"


class _ReadOnlyAuthorizer:
    """``sql()``'s SQLite authorizer: reads of the store's tables only; remembers the first refusal.

    SQLite asks it about every table, column, function and pragma while *preparing* the statement, so a
    refusal stops the query before it runs.
    """

    def __init__(self, tables: Iterable[str]) -> None:
        self.tables = {t.lower() for t in tables}
        self.refused: tuple[str, str] | None = None

    def __call__(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, view: str | None
    ) -> int:
        verdict = self._verdict(action, (arg1 or "").lower(), arg2, (view or "").lower())
        if verdict is None:
            return sqlite3.SQLITE_OK
        self.refused = self.refused or verdict
        return sqlite3.SQLITE_DENY

    def _verdict(self, action: int, arg1: str, arg2: str | None, view: str) -> tuple[str, str] | None:
        """``None`` to allow, else (what was refused, how to fix it)."""
        if action == sqlite3.SQLITE_READ:
            if arg1 in self.tables or view in self.tables or arg1 in _ALWAYS_READABLE:
                return None
            if arg1.startswith("pragma_") and self._pragma_reads(arg1.removeprefix("pragma_"), None):
                return None
            shown = ", ".join(sorted(self.tables)) or "none yet"
            return f"table {arg1!r}", f"sql() reads only this store's tables ({shown})"
        if action == sqlite3.SQLITE_FUNCTION:
            name = (arg2 or "").lower()
            return (
                (f"function {name}()", "sql() never loads extensions") if name in _REFUSED_FUNCTIONS else None
            )
        if action == sqlite3.SQLITE_ATTACH:  # VACUUM attaches an unnamed scratch database
            return ("ATTACH", _ATTACH_FIX) if arg1 else ("VACUUM", _WRITE_FIX)
        if action in _ALLOWED_ACTIONS:
            return None
        if action == sqlite3.SQLITE_UPDATE and arg1 in ("sqlite_master", "sqlite_temp_master"):
            # reported while table-valued pragmas read the schema; SQLite itself refuses real writes to it
            return None
        if action == sqlite3.SQLITE_PRAGMA:
            if self._pragma_reads(arg1, arg2):
                return None
            return f"PRAGMA {arg1}" + ("" if arg2 is None else f" = {arg2}"), _WRITE_FIX
        if action == sqlite3.SQLITE_INSERT and arg1 in ("sqlite_master", "sqlite_temp_master"):
            return "CREATE (a new table, view, index or trigger)", _WRITE_FIX
        return _ACTION_NAMES.get(action, f"action {action}"), _WRITE_FIX

    @staticmethod
    def _pragma_reads(name: str, arg: str | None) -> bool:
        return name in _QUERY_PRAGMAS or (arg is None and name in _READ_PRAGMAS)


@contextmanager
def map_sqlite_errors(path: str = ":memory:") -> Iterator[None]:
    """Turn :mod:`sqlite3` exceptions into :class:`StorageError` (the one place that does so)."""
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if any(d in text for d in _DENIED):
            raise StorageError(
                f"sql() is read-only: the statement tried to write or change the database ({text}); use "
                "create()/update()/delete() and the other Storage methods to change data",
                code="STORAGE_SQL_READ_ONLY",
            ) from exc
        if "locked" in text or "busy" in text:
            raise StorageError(
                f"SQLite file {path!r} stayed locked by another connection ({text}); "
                "retry, or make the other process commit sooner",
                code="STORAGE_LOCKED",
                category="system",
                details={"path": path},
            ) from exc
        raise StorageError(
            f"SQLite error: {text}",
            code="STORAGE_BACKEND",
            category="system",
            details={"backend": "sqlite", "type": type(exc).__name__},
        ) from exc


class SQLiteStore(SQLStore):
    """Storage in a SQLite database file (or ``":memory:"``).

    Args:
        path: Database file (created on first use) or ``":memory:"``.
        id_factory: Makes record ids when ``create`` gets none (default: uuid4 hex).
        synchronous: ``"full"`` (the default) fsyncs every commit, so a returned write survives a power
            loss; ``"normal"`` is faster and survives a crash of the process but not of the machine.

    Example:
        ```python
        from mastra_lab.storage import SQLiteStore

        with SQLiteStore(":memory:") as store:
            store.create("notes", {"title": "hello"})
            assert store.count("notes") == 1
        ```
    """

    backend_name: ClassVar[str] = "sqlite"
    dialect: ClassVar[str] = "sqlite"
    column_types: ClassVar[dict[str, str]] = {"text": "TEXT", "json": "TEXT", "ts": "TEXT", "int": "INTEGER"}
    begin_sql: ClassVar[str] = "BEGIN IMMEDIATE"

    def __init__(
        self,
        path: str | Path,
        *,
        id_factory: Callable[[], str] | None = None,
        synchronous: Synchronous = "full",
    ) -> None:
        if not isinstance(synchronous, str) or synchronous not in _SYNCHRONOUS:
            raise StorageError(
                f"synchronous must be 'full' or 'normal', got {synchronous!r}; use 'full' (the default) "
                "unless losing the last commits on a power loss is acceptable",
                code="STORAGE_BAD_ARGUMENT",
                details={"synchronous": repr(synchronous)},
            )
        super().__init__(id_factory=id_factory)
        self.path = str(path)
        self.synchronous: Synchronous = synchronous
        with map_sqlite_errors(self.path):
            # isolation_level=None: we issue BEGIN/COMMIT ourselves; one connection, guarded by self._lock.
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            if self.path != ":memory:":
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={_SYNCHRONOUS[synchronous]}")
        self._setup()

    def __repr__(self) -> str:
        sync = "" if self.synchronous == "full" else f", synchronous={self.synchronous!r}"
        return f"SQLiteStore(path={self.path!r}{sync})" + (" closed" if self.closed else "")

    def _map_errors(self) -> Any:
        return map_sqlite_errors(self.path)

    def _close(self) -> None:
        self._conn.close()

    def _ts_in(self, value: datetime) -> Any:
        return value.isoformat(timespec="microseconds")

    def _ts_out(self, value: Any) -> datetime:
        return datetime.fromisoformat(value)

    def _json_eq(self, column: str) -> str:
        return f"({column} -> ?) = json(?)"

    def _in_list(self, column: str) -> str:
        return f"{column} IN (SELECT value FROM json_each(?))"

    def _list_param(self, values: Sequence[str]) -> Any:
        return json.dumps(list(values))

    def _frame(self, sql: str, params: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._q(sql, params), columns=list(columns))

    def _catalog(self) -> list[str]:
        rows = self._q(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'"
        )
        return [r[0] for r in rows]

    def _insert_many(self, table: str, columns: dict[str, list[Any]], n: int, tail: str) -> None:
        names = list(columns)
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) {tail}"
        self._conn.executemany(sql, zip(*columns.values(), strict=True))

    def _sql(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] | None, allow_files: bool
    ) -> pd.DataFrame:
        import pandas as pd

        # allow_files changes nothing here: SQLite has no SQL functions that read files, and ATTACH stays
        # refused either way.
        tables = sorted(self._tables())
        authorizer = _ReadOnlyAuthorizer(tables)
        self._conn.set_authorizer(authorizer)
        try:
            cursor = self._conn.execute(query, params or ())
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchall()
        except sqlite3.DatabaseError as exc:
            error = _sql_error(query, exc, authorizer.refused, tables)
            if error is None:
                raise  # SQLite's own complaint (syntax, unknown table): map_sqlite_errors words it
            raise error from exc
        finally:
            self._conn.set_authorizer(None)
        if not columns:
            raise StorageError(
                f"sql() is read-only and returns rows; {query!r:.80} returned none",
                code="STORAGE_SQL_READ_ONLY",
            )
        return pd.DataFrame(rows, columns=columns)


def _sql_error(
    query: str, exc: Exception, refused: tuple[str, str] | None, tables: list[str]
) -> StorageError | None:
    """The error for a failed ``sql()``: the authorizer's refusal if there was one, else SQLite's own.

    SQLite rejects an unknown table and a write to a view while preparing, before the authorizer is asked,
    so those two are worded here as the DuckDB backends word them: the known tables, or read-only.
    """
    if refused is not None:
        what, fix = refused
        code = "STORAGE_SQL_READ_ONLY" if fix is _WRITE_FIX else "STORAGE_SQL_REFUSED"
        return StorageError(
            f"sql() refused {what} in {query!r:.80}; {fix}", code=code, details={"refused": what}
        )
    if isinstance(exc, sqlite3.ProgrammingError) and "one statement" in str(exc):
        return StorageError(
            f"sql() runs exactly one statement ({query!r:.80}); split them into separate calls",
            code="STORAGE_BAD_SQL",
        )
    text = str(exc)
    if text.startswith("no such table: "):
        shown = ", ".join(tables) or "none yet"
        return StorageError(
            f"sql() found no table {text.removeprefix('no such table: ')!r} in {query!r:.80}; sql() reads "
            f"only this store's tables ({shown})",
            code="STORAGE_SQL_REFUSED",
            details={"refused": text},
        )
    if text.startswith("cannot modify ") and text.endswith("because it is a view"):
        return StorageError(
            f"sql() refused a write in {query!r:.80} ({text}); {_WRITE_FIX}", code="STORAGE_SQL_READ_ONLY"
        )
    return None
