"""``PostgresStore``: storage in a PostgreSQL schema, shared by every process and machine that reaches it.

DuckDB lets one process write a file; PostgreSQL lets many processes write one database at once, so this is
the backend for several app processes, notebook users or Ray workers sharing threads, memories and workflow
runs. It is the same SQL as the embedded backends (:class:`~mastra_lab.storage._sql.SQLStore`) with what
PostgreSQL does differently:

- **Connections.** A pool (``pool_size``); each thread holds one pooled connection for the length of a store
  operation, so threads of one process run side by side instead of queueing on one connection.
- **Ordering across processes.** Insertion order (``seq``) comes from a counter row that the writing
  transaction updates, so it is row-locked until commit: writers of a table take numbers one after another,
  and every process sees the same total order of a thread's messages.
- **Atomic read-modify-writes** (``modify_snapshot``, ``modify_resource``, ``modify_thread``) hold a
  transaction-scoped advisory lock of the schema, so two processes claiming the same suspended run are
  serialised: the second sees the first's write and is refused.
- **Migrations** run under a session advisory lock, so processes opening a new schema at once apply each
  migration exactly once.
- **JSON** columns are ``json``, not ``jsonb``: ``json`` keeps the text as written (key order, ``1.0``,
  ``-0.0``, huge numbers), exactly as the other backends return it; ``data::jsonb`` gives jsonb operators.
- **Bulk writes** go through ``COPY`` straight into the table; only when some ids already exist does the
  batch fall back to an upsert.
- **sql()** runs in a ``READ ONLY`` transaction with a statement timeout, after :mod:`._pg_sql` has checked
  the text and the server's plan.

The DSN is kept as a secret: reprs, errors and logs name ``user@host:port/db`` only. A store pickles as the
recipe to reopen it (DSN, schema, pool size, timeouts), never as its connections, so a worker process can be
handed one.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mastra_lab._secret import Secret
from mastra_lab.errors import StorageError
from mastra_lab.storage import _migrations, _pg_sql, _rows
from mastra_lab.storage import _validate as v
from mastra_lab.storage._pg import PgTarget, connect_error, open_pool
from mastra_lab.storage._sql import _INTERNAL_TABLES, _REC, SQLStore
from mastra_lab.storage.records import Record, utcnow
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    import pandas as pd
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = ["PostgresStore"]

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SMALL_BATCH = 32
_log = get_logger("mastra_lab.storage")


@functools.lru_cache(maxsize=512)
def _psycopg_sql(sql: str) -> str:
    """The shared SQL in psycopg's style: ``?`` (only ever a placeholder there) as ``%s``, ``%`` doubled."""
    return sql.replace("%", "%%").replace("?", "%s")


def _lock_key(schema: str, purpose: str) -> str:
    return f"mastra_lab:{purpose}:{schema}"


class _PooledLock:
    """The store's lock: re-entrant per thread, holding one pooled connection while a thread is inside.

    :class:`~mastra_lab.storage.base.Storage` runs every public method under ``self._lock``. For the embedded
    backends that lock guards their one connection; here each thread takes its own connection from the
    pool on entering and gives it back on leaving the outermost level, so threads do not wait for one
    another (beyond the pool's size) and a transaction never spans two connections.
    """

    def __init__(self) -> None:
        self.local = threading.local()
        self.pool: ConnectionPool | None = None
        self.describe = ""

    def __enter__(self) -> None:
        depth = getattr(self.local, "depth", 0)
        if depth == 0:
            self.local.conn = None
            self.local.tx_depth = 0
            if self.pool is not None and not self.pool.closed:
                try:
                    self.local.conn = self.pool.getconn()
                except Exception as exc:  # psycopg_pool.PoolTimeout, or the server went away
                    raise StorageError(
                        f"no PostgreSQL connection to {self.describe} became free in time "
                        f"({type(exc).__name__}); raise pool_size, or check that the server is reachable",
                        code="STORAGE_POOL_TIMEOUT",
                        category="system",
                    ) from None
        self.local.depth = depth + 1

    def __exit__(self, *exc: object) -> None:
        self.local.depth -= 1
        if self.local.depth == 0 and self.local.conn is not None:
            conn, self.local.conn = self.local.conn, None
            if self.pool is not None and not self.pool.closed:
                self.pool.putconn(conn)
            else:
                conn.close()


class PostgresStore(SQLStore):
    """Storage in one schema of a PostgreSQL database, shared by any number of processes.

    Args:
        dsn: ``postgresql://user:password@host:5432/db`` (or libpq ``key=value`` form). The password is
            never shown: reprs and errors name ``user@host:port/db``.
        schema: Schema holding the store's tables; created if missing. Several stores can share one database
            under different schemas.
        pool_size: Most connections this store opens; one per thread using the store at the same time.
        connect_timeout: Seconds to wait for the server before a clear error naming host and port.
        statement_timeout: Seconds a :meth:`sql` query may run before it is cancelled.
        id_factory: Makes record ids when ``create`` gets none (default: uuid4 hex).

    Example:
        ```py
        from mastra_lab.storage import PostgresStore

        with PostgresStore("postgresql://app:secret@db.internal:5432/app", schema="mastra") as store:
            store.create("notes", {"title": "hello"})
            print(store.sql("SELECT data->>'title' AS title FROM notes"))
        ```

        A server that is not there is one error naming it, before anything else happens; never the
        password:

        ```python
        from mastra_lab.errors import StorageError
        from mastra_lab.storage import PostgresStore

        try:
            PostgresStore("postgresql://app:secret@127.0.0.1:1/app", connect_timeout=1)
        except StorageError as exc:
            print(exc.code, "secret" in str(exc))  # STORAGE_CONNECT_FAILED False
            print(exc.message)  # cannot connect to PostgreSQL at 127.0.0.1:1 (database 'app'): ...
        ```
    """

    backend_name: ClassVar[str] = "postgres"
    dialect: ClassVar[str] = "postgres"
    column_types: ClassVar[dict[str, str]] = {
        "text": "TEXT",
        "json": "JSON",
        "ts": "TIMESTAMPTZ",
        "int": "BIGINT",
    }

    _lock: Any

    def __init__(
        self,
        dsn: str,
        schema: str = "public",
        pool_size: int = 4,
        *,
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        target = PgTarget(dsn, StorageError)
        if not isinstance(schema, str) or not _SCHEMA_RE.match(schema):
            raise StorageError(
                f"schema must be a lowercase identifier (letters, digits, underscores; at most 63), got "
                f"{schema!r:.80}; e.g. schema='mastra'",
                code="STORAGE_BAD_ARGUMENT",
                details={"schema": repr(schema)[:80]},
            )
        for name, value, low in (
            ("pool_size", pool_size, 1),
            ("connect_timeout", connect_timeout, 0),
            ("statement_timeout", statement_timeout, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not value >= low:
                raise StorageError(
                    f"{name} must be a number >= {low}, got {value!r:.40}",
                    code="STORAGE_BAD_ARGUMENT",
                    details={name: repr(value)[:40]},
                )
        if not isinstance(pool_size, int):
            raise StorageError(
                f"pool_size must be an int, got {pool_size!r:.40}", code="STORAGE_BAD_ARGUMENT"
            )
        super().__init__(id_factory=id_factory)
        self._target = target
        self.schema = schema
        self.pool_size = pool_size
        self.connect_timeout = float(connect_timeout)
        self.statement_timeout = float(statement_timeout)
        self._id_factory_given = id_factory
        self._lock = _PooledLock()
        self._lock.describe = str(target)
        self._lock.pool = open_pool(
            target,
            StorageError,
            min_size=1,
            max_size=pool_size,
            connect_timeout=self.connect_timeout,
            configure=self._configure,
        )
        try:
            self._setup()
        except BaseException:
            self._lock.pool.close()
            raise

    # -- identity -----------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"PostgresStore({str(self._target)!r}, schema={self.schema!r})" + (
            " closed" if self.closed else ""
        )

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the recipe (DSN, schema, sizes, timeouts); the receiving process opens its own pool."""
        return (
            _reopen,
            (
                self._target.dsn.reveal(),
                self.schema,
                self.pool_size,
                self.connect_timeout,
                self.statement_timeout,
                self._id_factory_given,
            ),
        )

    @property
    def target(self) -> str:
        """Where the store lives, as ``user@host:port/db`` (no password)."""
        return str(self._target)

    @property
    def dsn(self) -> Secret:
        """The DSN the store was opened with, password included, kept as a :class:`Secret` (it prints
        masked): for opening more connections to the same database, such as a
        :meth:`~mastra_lab.vector.PgVector.from_store` beside it."""
        return self._target.dsn

    # -- connections --------------------------------------------------------------------------------------

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        from psycopg.types.string import TextLoader

        conn.autocommit = True
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute(f'SET search_path TO "{self.schema}"')
        # JSON comes back as its text, as the other backends hand it to _rows
        conn.adapters.register_loader("json", TextLoader)
        conn.adapters.register_loader("jsonb", TextLoader)

    @property
    def _conn(self) -> psycopg.Connection[Any]:
        conn = getattr(self._lock.local, "conn", None)
        if conn is None:
            raise StorageError(
                f"this PostgresStore ({self._target}) is closed; open a new store to keep working",
                code="STORAGE_CLOSED",
            )
        return conn  # type: ignore[no-any-return]

    @property
    def _tx_depth(self) -> int:
        return int(getattr(self._lock.local, "tx_depth", 0))

    @_tx_depth.setter
    def _tx_depth(self, value: int) -> None:
        local = getattr(self._lock, "local", None)  # None while the base classes set up
        if local is not None:
            local.tx_depth = value

    def _map_errors(self) -> AbstractContextManager[None]:
        return _map_pg_errors(self._target)

    def _close(self) -> None:
        if self._lock.pool is not None:
            self._lock.pool.close()

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._conn.execute(_psycopg_sql(sql), params).fetchall()

    def _x(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(_psycopg_sql(sql), params)

    # -- schema and migrations ----------------------------------------------------------------------------

    def _setup(self, read_only: bool = False) -> None:
        with self._lock, self._map_errors():
            conn = self._conn
            conn.execute(
                "SELECT pg_advisory_lock(hashtextextended(%s, 0))", (_lock_key(self.schema, "migrate"),)
            )
            try:
                exists = conn.execute(
                    "SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,)
                ).fetchone()
                if exists is None:
                    self._create_schema(conn)
                db = _migrations.Migrator(_Translating(conn), self.dialect, self.column_types)
                ran = _migrations.migrate(db, utcnow())
            finally:
                conn.execute(
                    "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (_lock_key(self.schema, "migrate"),)
                )
        if ran:
            _log.debug("applied storage migrations", extra={"mastra": {"migrations": ran}})

    def _create_schema(self, conn: psycopg.Connection[Any]) -> None:
        import psycopg

        try:
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
        except psycopg.errors.InsufficientPrivilege:
            user = self._target.user or "the DSN's user"
            raise StorageError(
                f"schema {self.schema!r} does not exist in {self._target} and {user!r} may not create it; "
                f"create it once as a privileged user (CREATE SCHEMA {self.schema} AUTHORIZATION {user}) or "
                "name an existing schema",
                code="STORAGE_SCHEMA_DENIED",
                details={"schema": self.schema},
            ) from None

    # -- dialect ------------------------------------------------------------------------------------------

    def _ts_in(self, value: datetime) -> Any:
        return value

    def _ts_out(self, value: Any) -> datetime:
        return _rows.as_utc(value)

    def _ts_column(self, values: list[Any]) -> list[Any]:
        return values

    def _json_eq(self, column: str) -> str:
        # json keeps the stored text, so the fragment compares as the compact JSON of the expected value
        return f"({column} #> string_to_array(substr(?, 3), '.'))::text = ?"

    def _in_list(self, column: str) -> str:
        return f"{column} = ANY(?)"

    def _list_param(self, values: Sequence[str]) -> Any:
        return list(values)

    def _frame(self, sql: str, params: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self._q(sql, params), columns=list(columns))

    def _catalog(self) -> list[str]:
        rows = self._q(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", (self.schema,)
        )
        return [r[0] for r in rows]

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A transaction holding the schema's advisory lock: read-modify-writes of all processes take turns.

        Under READ COMMITTED each statement sees what was committed before it started, so the second of two
        processes, waiting here, reads the first one's write once it may go on.
        """
        with self._tx():
            self._x(
                "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (_lock_key(self.schema, "atomic"),)
            )
            yield

    def _insert_record(self, record: Record, data_json: str, meta_json: str) -> None:
        t, ts = record.table, record.created_at
        with self._tx():
            if t not in self._views:
                # one creator of a table's view at a time, across processes
                self._x("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (_lock_key(self.schema, t),))
                self._x(
                    "INSERT INTO mastra_record_tables (name, created_at) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (t, ts),
                )
                # t matched check_table's ^[a-z][a-z0-9_]*$ and is not a keyword: safe to splice.
                self._x(
                    f'CREATE OR REPLACE VIEW "{t}" AS SELECT {_REC} FROM mastra_records '
                    f"WHERE tbl = '{t}' ORDER BY created_at, seq"
                )
            self._x(
                f"INSERT INTO mastra_records (tbl, {_REC}, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (t, record.id, data_json, meta_json, ts, ts, self._seq("mastra_records")),
            )
        self._views.add(t)

    def _insert_many(self, table: str, columns: dict[str, list[Any]], n: int, tail: str) -> None:
        names = ", ".join(columns)
        rows = list(zip(*columns.values(), strict=True))
        conn = self._conn
        if n <= _SMALL_BATCH:
            marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
            values = [x for row in rows for x in row]
            conn.execute(f"INSERT INTO {table} ({names}) VALUES {', '.join([marks] * n)} {tail}", values)
            return
        # COPY straight into the table: as fast as PostgreSQL loads rows. New ids are the common case;
        # if any id exists the savepoint undoes the copy and the batch is upserted instead.
        import psycopg

        conn.execute("SAVEPOINT mastra_bulk")
        try:
            with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            conn.execute("ROLLBACK TO SAVEPOINT mastra_bulk")
            if not tail:
                raise
            marks = ", ".join(["%s"] * len(columns))
            with conn.cursor() as cur:
                cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {tail}", rows)
        conn.execute("RELEASE SAVEPOINT mastra_bulk")

    def _list_records(self, table: str, where: v.WhereItems, limit: int, offset: int) -> list[Record]:
        try:
            return super()._list_records(table, where, limit, offset)
        except _nul_in_json():
            if not where:
                raise
            rows = self._matching_rows(table, where)
            return [_rows.record(table, r, self._ts_out) for r in rows[offset : offset + limit]]

    def _count_records(self, table: str, where: v.WhereItems) -> int:
        try:
            return super()._count_records(table, where)
        except _nul_in_json():
            if not where:
                raise
            return len(self._matching_rows(table, where))

    def _matching_rows(self, table: str, where: v.WhereItems) -> list[Any]:
        """The table's rows that match ``where``, filtered here rather than by the server.

        PostgreSQL cannot look up a field of JSON holding an escaped U+0000 (it stores such JSON fine), so
        when one of the table's records does, the filter runs in Python, with the same semantics.
        """
        rows = self._q(f"SELECT {_REC} FROM mastra_records WHERE tbl = ? ORDER BY created_at, seq", (table,))
        return [r for r in rows if v.matches_where(r[1], where)]

    # -- SQL ----------------------------------------------------------------------------------------------

    def _sql(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] | None, allow_files: bool
    ) -> pd.DataFrame:
        import json

        import pandas as pd

        # allow_files changes nothing here: server files are never readable through sql()
        tables = sorted(self._tables())
        _pg_sql.check_text(query, _INTERNAL_TABLES, tables)
        text, args = _pg_sql.placeholders(query, params)
        conn = self._conn
        with _sql_errors(query, tables):
            conn.execute("BEGIN READ ONLY")
            try:
                conn.execute(f"SET LOCAL statement_timeout = {int(self.statement_timeout * 1000)}")
                # prepared (the extended protocol): the server refuses a second statement hidden in the text
                found = conn.execute("EXPLAIN (VERBOSE, FORMAT JSON) " + text, args, prepare=True).fetchone()
                plan = found[0] if found else []
                _pg_sql.check_plan(
                    json.loads(plan) if isinstance(plan, str) else plan, self.schema, tables, query
                )
                cursor = conn.execute(text, args, prepare=True)
                columns = [d.name for d in cursor.description or ()]
                rows = cursor.fetchall() if cursor.description else []
            finally:
                conn.execute("ROLLBACK")
        if not columns:
            raise StorageError(
                f"sql() is read-only and returns rows; {query!r:.80} returned none",
                code="STORAGE_SQL_READ_ONLY",
            )
        return pd.DataFrame(rows, columns=columns)


def _reopen(
    dsn: str,
    schema: str,
    pool_size: int,
    connect_timeout: float,
    statement_timeout: float,
    id_factory: Callable[[], str] | None,
) -> PostgresStore:
    return PostgresStore(
        dsn,
        schema,
        pool_size,
        connect_timeout=connect_timeout,
        statement_timeout=statement_timeout,
        id_factory=id_factory,
    )


def _nul_in_json() -> type[Exception]:
    """What the server raises when a JSON field lookup meets an escaped U+0000."""
    import psycopg

    return psycopg.errors.UntranslatableCharacter


class _Translating:
    """A connection whose ``execute`` takes the migrations' ``?`` placeholders."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self.conn.execute(_psycopg_sql(sql), params)


def _message(exc: BaseException, target: PgTarget) -> str:
    """The server's one-line message (never the LINE/caret block), with the DSN's secret scrubbed."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) or str(exc)
    return " ".join(target.scrub(primary).split())


@contextmanager
def _map_pg_errors(target: PgTarget) -> Iterator[None]:
    """Turn :mod:`psycopg` exceptions into :class:`StorageError` (the one place that does so)."""
    import psycopg

    try:
        yield
    except psycopg.OperationalError as exc:
        if getattr(exc, "sqlstate", None) is None:  # the connection itself failed
            raise connect_error(target, exc, StorageError) from None
        raise StorageError(
            f"PostgreSQL at {target.host}:{target.port}: {_message(exc, target)}",
            code="STORAGE_BACKEND",
            category="system",
            details={"backend": "postgres", "sqlstate": exc.sqlstate},
        ) from None
    except (psycopg.errors.UntranslatableCharacter, psycopg.DataError) as exc:
        if not isinstance(exc, psycopg.errors.UntranslatableCharacter) and "NUL" not in str(exc):
            raise StorageError(
                f"PostgreSQL error: {_message(exc, target)}",
                code="STORAGE_BACKEND",
                category="system",
                details={"backend": "postgres", "type": type(exc).__name__, "sqlstate": exc.sqlstate},
            ) from None
        raise StorageError(
            f"PostgreSQL cannot use this text ({_message(exc, target)}): it holds the character U+0000, "
            "which PostgreSQL text columns (and JSON field lookups) refuse; remove or replace it",
            code="STORAGE_BAD_TEXT",
            details={"backend": "postgres", "sqlstate": exc.sqlstate},
        ) from None
    except psycopg.Error as exc:
        raise StorageError(
            f"PostgreSQL error: {_message(exc, target)}",
            code="STORAGE_BACKEND",
            category="system",
            details={"backend": "postgres", "type": type(exc).__name__, "sqlstate": exc.sqlstate},
        ) from None


@contextmanager
def _sql_errors(query: str, tables: list[str]) -> Iterator[None]:
    """``sql()``'s failures worded for the user: writes, unknown tables, the timeout, bad syntax."""
    import psycopg
    from psycopg import errors as e

    try:
        yield
    except e.InsufficientPrivilege as exc:
        raise StorageError(
            f"sql() was refused by the server in {query!r:.80} ({_plain(exc)}); sql() reads only this "
            f"store's tables ({', '.join(tables) or 'none yet'})",
            code="STORAGE_SQL_REFUSED",
        ) from None
    except e.ReadOnlySqlTransaction as exc:
        raise StorageError(
            f"sql() refused a write in {query!r:.80} ({_plain(exc)}); {_pg_sql._WRITE_FIX}",
            code="STORAGE_SQL_READ_ONLY",
        ) from None
    except e.UndefinedTable as exc:
        shown = ", ".join(tables) or "none yet"
        found = re.search(r'relation "([^"]+)"', _plain(exc))
        name = found.group(1) if found else _plain(exc)
        raise StorageError(
            f"sql() found no table {name!r} in {query!r:.80}; sql() reads only this store's tables ({shown})",
            code="STORAGE_SQL_REFUSED",
            details={"refused": name},
        ) from None
    except e.QueryCanceled as exc:
        raise StorageError(
            f"sql() stopped {query!r:.80} at its statement_timeout ({_plain(exc)}); narrow the query or open "
            "the store with a larger statement_timeout",
            code="STORAGE_SQL_TIMEOUT",
        ) from None
    except psycopg.errors.SyntaxError as exc:
        raise StorageError(
            f"sql() could not run {query!r:.80}: {_plain(exc)}", code="STORAGE_BAD_SQL"
        ) from None
    except psycopg.DatabaseError as exc:
        if getattr(exc, "sqlstate", None) is None:
            raise
        raise StorageError(f"sql() failed on {query!r:.80}: {_plain(exc)}", code="STORAGE_BAD_SQL") from None


def _plain(exc: BaseException) -> str:
    diag = getattr(exc, "diag", None)
    return " ".join((getattr(diag, "message_primary", None) or str(exc)).split())
