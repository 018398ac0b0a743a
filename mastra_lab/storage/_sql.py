"""The SQL implementation of every storage hook, written once for DuckDB, SQLite and PostgreSQL.

The engines speak enough of the same SQL (``?`` parameters, ``INSERT … ON CONFLICT … DO UPDATE``,
``DELETE … RETURNING``) that only a handful of things differ; those are the abstract methods of
:class:`SQLStore` — timestamp encoding, JSON field comparison, the bulk insert, a list as one query
parameter, fetching rows as a DataFrame, the read-only ``sql()`` guard and the error mapping — and live
in ``duckdb.py`` / ``sqlite.py`` / ``postgres.py`` (which turns ``?`` into psycopg's ``%s``). Everything
else is here.

All methods run under the store's lock (see :class:`~mastra_lab.storage.base.Storage`), on one connection
at a time: the embedded engines' only one, or the pooled connection the calling thread holds.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mastra_lab.storage import _migrations, _rows
from mastra_lab.storage import _validate as v
from mastra_lab.storage.base import Storage
from mastra_lab.storage.records import Record, Resource, StoredMessage, Thread, WorkflowRun, utcnow
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SQLStore"]

_MSG = ", ".join(v.MESSAGE_COLUMNS)
_SPAN = ", ".join(v.SPAN_COLUMNS)
_REC = ", ".join(_rows.RECORD_COLUMNS)
_THREAD = ", ".join(_rows.THREAD_COLUMNS)
_RUN = ", ".join(_rows.RUN_COLUMNS)
_MSG_CONFLICT = "ON CONFLICT (id) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in v.MESSAGE_COLUMNS if c not in ("id", "thread_id")
)
_SPAN_CONFLICT = "ON CONFLICT (span_id) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in v.SPAN_COLUMNS if c not in ("span_id", "trace_id")
)
_INTERNAL_TABLES = frozenset(
    {"_mastra_migrations", "mastra_records", "mastra_record_tables", "mastra_sequences"}
)
_PRUNE_TRACES = (
    "WITH totals AS (SELECT trace_id, max(coalesce(end_time, start_time)) AS last_seen, count(*) AS n, "
    "max(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS err FROM mastra_spans GROUP BY trace_id), "
    "traces AS (SELECT trace_id, last_seen, n, err, CASE WHEN {aged} THEN 1 ELSE 0 END AS aged FROM totals)"
)
"""Per trace: last activity, span rows, whether a span failed, and whether it is old enough to go."""
_PRUNE_OLDEST = (
    "SELECT trace_id FROM (SELECT trace_id, "
    "sum(n) OVER (ORDER BY last_seen, trace_id ROWS UNBOUNDED PRECEDING) - n AS rows_before "
    "FROM traces WHERE aged = 0 AND {deletable}) ranked "
    "WHERE rows_before < (SELECT sum(n) FROM traces WHERE aged = 0) - ?"
)
"""The oldest deletable traces left after ageing, while the rows before them still exceed ``max_rows``."""
_CHUNK = 500
_CONTEXT_CHUNK = 50
_log = get_logger("mastra_lab.storage")


def _marks(n: int) -> str:
    return ", ".join("?" * n)


class SQLStore(Storage):
    """Shared body of :class:`DuckDBStore`, :class:`SQLiteStore` and :class:`PostgresStore`.

    A dialect subclass opens ``self._conn``, sets ``dialect`` and ``column_types``, implements the abstract
    methods below, then calls :meth:`_setup` to run pending migrations.
    """

    dialect: ClassVar[str]
    column_types: ClassVar[dict[str, str]]
    begin_sql: ClassVar[str] = "BEGIN"

    _conn: Any

    def __init__(self, *, id_factory: Callable[[], str] | None = None) -> None:
        super().__init__(id_factory=id_factory)
        self._views: set[str] = set()
        self._tx_depth = 0

    # -- dialect ----------------------------------------------------------------------------------------

    @abstractmethod
    def _ts_in(self, value: datetime) -> Any:
        """A UTC datetime in the form the engine stores."""

    @abstractmethod
    def _ts_out(self, value: Any) -> datetime:
        """What the engine returns for a timestamp, as a UTC datetime."""

    @abstractmethod
    def _json_eq(self, column: str) -> str:
        """SQL comparing the JSON at path ``?`` in ``column`` with the compact JSON text ``?``."""

    @abstractmethod
    def _insert_many(self, table: str, columns: dict[str, list[Any]], n: int, tail: str) -> None:
        """Insert ``n`` rows given column-wise in one bulk write (inside the caller's transaction).

        ``tail`` is the ON CONFLICT clause, or ``""`` for a plain insert.
        """

    def _ts_column(self, values: list[Any]) -> list[Any]:
        """A column of UTC datetimes (or ``None``) in the engine's form."""
        ts_in = self._ts_in
        return [None if x is None else ts_in(x) for x in values]

    # -- plumbing ---------------------------------------------------------------------------------------

    def _setup(self, read_only: bool = False) -> None:
        db = _migrations.Migrator(self._conn, self.dialect, self.column_types)
        with self._lock, self._map_errors():
            if read_only:
                return
            ran = _migrations.migrate(db, self._ts_in(utcnow()))
            if ran:
                _log.debug("applied storage migrations", extra={"mastra": {"migrations": ran}})

    def _q(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return list(self._conn.execute(sql, params).fetchall())

    def _x(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._conn.execute(sql, params)

    @contextmanager
    def _tx(self) -> Iterator[None]:
        """One transaction; nested uses join the outer one (so an atomic read-modify-write can call hooks)."""
        if self._tx_depth:
            self._tx_depth += 1
            try:
                yield
            finally:
                self._tx_depth -= 1
            return
        self._x(self.begin_sql)
        self._tx_depth = 1
        try:
            yield
        except BaseException:
            self._tx_depth = 0
            self._x("ROLLBACK")
            raise
        self._tx_depth = 0
        self._x("COMMIT")

    def _atomic(self) -> AbstractContextManager[None]:
        return self._tx()

    def _seq(self, table: str, n: int = 1) -> int:
        """First of ``n`` fresh insertion-order numbers for ``table``; call it inside the write transaction.

        The counter lives in the file (``mastra_sequences``) and is bumped by the same transaction that
        inserts the rows, so other connections and processes writing the file never get the same numbers,
        and numbers follow commit order. One indexed row update: no scan of the table.
        """
        rows = self._q(
            "UPDATE mastra_sequences SET last = last + ? WHERE name = ? RETURNING last", (n, table)
        )
        return int(rows[0][0]) - n + 1

    def _where(self, where: v.WhereItems) -> tuple[str, list[Any]]:
        sql = "".join(f" AND {self._json_eq('data')}" for _ in where)
        params: list[Any] = []
        for path, _parts, expected in where:
            params += [path, expected]
        return sql, params

    def _delete_in(self, table: str, column: str, ids: Sequence[str], returning: str) -> int:
        deleted = 0
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            deleted += len(
                self._q(
                    f"DELETE FROM {table} WHERE {column} IN ({_marks(len(chunk))}) RETURNING {returning}",
                    chunk,
                )
            )
        return deleted

    # -- records ----------------------------------------------------------------------------------------

    def _record_tables(self) -> set[str]:
        return {row[0] for row in self._q("SELECT name FROM mastra_record_tables")}

    def _insert_record(self, record: Record, data_json: str, meta_json: str) -> None:
        t, ts = record.table, self._ts_in(record.created_at)
        with self._tx():
            if t not in self._views:
                self._x(
                    "INSERT INTO mastra_record_tables (name, created_at) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (t, ts),
                )
                # t matched check_table's ^[a-z][a-z0-9_]*$ and is not a keyword: safe to splice.
                self._x(
                    f'CREATE VIEW IF NOT EXISTS "{t}" AS SELECT {_REC} FROM mastra_records '
                    f"WHERE tbl = '{t}' ORDER BY created_at, seq"
                )
            self._x(
                f"INSERT INTO mastra_records (tbl, {_REC}, seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (t, record.id, data_json, meta_json, ts, ts, self._seq("mastra_records")),
            )
        self._views.add(t)

    def _get_record(self, table: str, id: str) -> Record | None:
        rows = self._q(f"SELECT {_REC} FROM mastra_records WHERE tbl = ? AND id = ?", (table, id))
        return _rows.record(table, rows[0], self._ts_out) if rows else None

    def _replace_record(self, record: Record, data_json: str, meta_json: str) -> None:
        self._x(
            "UPDATE mastra_records SET data = ?, metadata = ?, updated_at = ? WHERE tbl = ? AND id = ?",
            (data_json, meta_json, self._ts_in(record.updated_at), record.table, record.id),
        )

    def _delete_record(self, table: str, id: str) -> bool:
        return bool(self._q("DELETE FROM mastra_records WHERE tbl = ? AND id = ? RETURNING id", (table, id)))

    def _list_records(self, table: str, where: v.WhereItems, limit: int, offset: int) -> list[Record]:
        cond, params = self._where(where)
        rows = self._q(
            f"SELECT {_REC} FROM mastra_records WHERE tbl = ?{cond} ORDER BY created_at, seq "
            "LIMIT ? OFFSET ?",
            [table, *params, limit, offset],
        )
        return [_rows.record(table, r, self._ts_out) for r in rows]

    def _count_records(self, table: str, where: v.WhereItems) -> int:
        cond, params = self._where(where)
        return int(
            self._q(f"SELECT count(*) FROM mastra_records WHERE tbl = ?{cond}", [table, *params])[0][0]
        )

    # -- threads, messages, resources -------------------------------------------------------------------

    def _upsert_thread(self, thread: Thread, meta_json: str) -> None:
        created, updated = self._ts_in(thread.created_at), self._ts_in(thread.updated_at)
        with self._tx():
            self._x(
                f"INSERT INTO mastra_threads ({_THREAD}, seq) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET resource_id = excluded.resource_id, title = excluded.title, "
                "metadata = excluded.metadata, updated_at = excluded.updated_at",
                (
                    thread.id,
                    thread.resource_id,
                    thread.title,
                    meta_json,
                    created,
                    updated,
                    self._seq("mastra_threads"),
                ),
            )

    def _get_thread(self, id: str) -> Thread | None:
        rows = self._q(f"SELECT {_THREAD} FROM mastra_threads WHERE id = ?", (id,))
        return _rows.thread(rows[0], self._ts_out) if rows else None

    def _list_threads(self, resource_id: str | None) -> list[Thread]:
        cond, params = ("WHERE resource_id = ? ", [resource_id]) if resource_id is not None else ("", [])
        rows = self._q(f"SELECT {_THREAD} FROM mastra_threads {cond}ORDER BY created_at, seq", params)
        return [_rows.thread(r, self._ts_out) for r in rows]

    def _delete_thread(self, id: str) -> bool:
        with self._tx():
            self._x("DELETE FROM mastra_messages WHERE thread_id = ?", (id,))
            return bool(self._q("DELETE FROM mastra_threads WHERE id = ? RETURNING id", (id,)))

    def _thread_resources(self, thread_ids: set[str]) -> dict[str, str]:
        ids = sorted(thread_ids)
        found: dict[str, str] = {}
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            found.update(
                self._q(
                    f"SELECT id, resource_id FROM mastra_threads WHERE id IN ({_marks(len(chunk))})", chunk
                )
            )
        return found

    def _upsert_messages(self, columns: dict[str, list[Any]]) -> None:
        self._insert_columns("mastra_messages", dict(columns), ("created_at",), _MSG_CONFLICT)

    def _insert_columns(
        self, table: str, columns: dict[str, list[Any]], times: Sequence[str], tail: str
    ) -> None:
        """Add engine timestamps and fresh ``seq`` numbers to ``columns`` and bulk-insert them."""
        n = len(next(iter(columns.values())))
        for name in times:
            columns[name] = self._ts_column(columns[name])
        with self._tx():
            start = self._seq(table, n)
            columns["seq"] = list(range(start, start + n))
            self._insert_many(table, columns, n, tail)

    def _get_messages(self, thread_id: str, last: int | None) -> list[StoredMessage]:
        if last is None:
            rows = self._q(
                f"SELECT {_MSG} FROM mastra_messages WHERE thread_id = ? ORDER BY created_at, seq",
                (thread_id,),
            )
        else:
            rows = self._q(
                f"SELECT {_MSG} FROM mastra_messages WHERE thread_id = ? "
                "ORDER BY created_at DESC, seq DESC LIMIT ?",
                (thread_id, last),
            )
            rows.reverse()
        return [_rows.message(r, self._ts_out) for r in rows]

    def _delete_messages(self, ids: list[str]) -> int:
        return self._delete_in("mastra_messages", "id", ids, "id")

    def _get_messages_by_id(self, ids: list[str]) -> list[StoredMessage]:
        rows: list[Any] = []
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            rows += self._q(
                f"SELECT {_MSG}, seq FROM mastra_messages WHERE id IN ({_marks(len(chunk))}) "
                "ORDER BY created_at, seq",
                chunk,
            )
        if len(ids) > _CHUNK:
            rows.sort(key=lambda r: (r[7], r[8]))
        return [_rows.message(r, self._ts_out) for r in rows]

    def _message_context(self, ids: list[str], before: int, after: int) -> dict[str, list[StoredMessage]]:
        hits: list[Any] = []
        for i in range(0, len(ids), _CHUNK):
            chunk = ids[i : i + _CHUNK]
            hits += self._q(
                "SELECT id, thread_id, created_at, seq FROM mastra_messages "
                f"WHERE id IN ({_marks(len(chunk))})",
                chunk,
            )
        out: dict[str, list[StoredMessage]] = {}
        for i in range(0, len(hits), _CONTEXT_CHUNK):
            out.update(self._context_rows(hits[i : i + _CONTEXT_CHUNK], before, after))
        return {mid: out[mid] for mid in ids if mid in out}

    def _context_rows(self, hits: list[Any], before: int, after: int) -> dict[str, list[StoredMessage]]:
        """Neighbours of a few hits in one statement: per hit, two bounded reads along its thread's order."""
        parts: list[str] = []
        params: list[Any] = []
        for mid, thread_id, created, seq in hits:
            parts.append(
                f"SELECT * FROM (SELECT ? AS hit, 0 AS side, {_MSG}, seq FROM mastra_messages "
                "WHERE thread_id = ? AND (created_at < ? OR (created_at = ? AND seq < ?)) "
                "ORDER BY created_at DESC, seq DESC LIMIT ?)"
            )
            parts.append(
                f"SELECT * FROM (SELECT ? AS hit, 1 AS side, {_MSG}, seq FROM mastra_messages "
                "WHERE thread_id = ? AND (created_at > ? OR (created_at = ? AND seq >= ?)) "
                "ORDER BY created_at, seq LIMIT ?)"
            )
            params += [mid, thread_id, created, created, seq, before, mid, thread_id, created, created, seq]
            params.append(after + 1)
        rows = self._q(" UNION ALL ".join(parts), params)
        grouped: dict[str, list[Any]] = {}
        for row in rows:
            grouped.setdefault(row[0], []).append(row)
        out: dict[str, list[StoredMessage]] = {}
        for mid, found in grouped.items():
            found.sort(key=lambda r: (r[9], r[10]))
            out[mid] = [_rows.message(r[2:], self._ts_out) for r in found]
        return out

    def _get_resource(self, id: str) -> Resource | None:
        rows = self._q(
            f"SELECT {', '.join(_rows.RESOURCE_COLUMNS)} FROM mastra_resources WHERE id = ?", (id,)
        )
        return _rows.resource(rows[0], self._ts_out) if rows else None

    def _upsert_resource(self, resource: Resource, meta_json: str) -> None:
        self._x(
            f"INSERT INTO mastra_resources ({', '.join(_rows.RESOURCE_COLUMNS)}) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET working_memory = excluded.working_memory, "
            "metadata = excluded.metadata, updated_at = excluded.updated_at",
            (
                resource.id,
                resource.working_memory,
                meta_json,
                self._ts_in(resource.created_at),
                self._ts_in(resource.updated_at),
            ),
        )

    # -- workflows ----------------------------------------------------------------------------------------

    def _upsert_snapshot(
        self, workflow: str, run_id: str, status: str | None, snap: str, now: datetime
    ) -> None:
        ts = self._ts_in(now)
        with self._tx():
            self._x(
                f"INSERT INTO mastra_workflow_snapshots ({_RUN}, seq) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (workflow, run_id) DO UPDATE SET status = excluded.status, "
                "snapshot = excluded.snapshot, updated_at = excluded.updated_at",
                (workflow, run_id, status, snap, ts, ts, self._seq("mastra_workflow_snapshots")),
            )

    def _get_run(self, workflow: str, run_id: str) -> WorkflowRun | None:
        rows = self._q(
            f"SELECT {_RUN} FROM mastra_workflow_snapshots WHERE workflow = ? AND run_id = ?",
            (workflow, run_id),
        )
        return _rows.run(rows[0], self._ts_out) if rows else None

    def _list_runs(self, workflow: str | None, status: str | None) -> list[WorkflowRun]:
        conds = [c for c, val in (("workflow = ?", workflow), ("status = ?", status)) if val is not None]
        params = [val for val in (workflow, status) if val is not None]
        where = f"WHERE {' AND '.join(conds)} " if conds else ""
        rows = self._q(
            f"SELECT {_RUN} FROM mastra_workflow_snapshots {where}ORDER BY created_at, seq", params
        )
        return [_rows.run(r, self._ts_out) for r in rows]

    # -- spans --------------------------------------------------------------------------------------------

    def _upsert_spans(self, rows: list[tuple[Any, ...]]) -> None:
        columns = dict(zip(v.SPAN_COLUMNS, map(list, zip(*rows, strict=True)), strict=True))
        self._insert_columns("mastra_spans", columns, ("start_time", "end_time"), _SPAN_CONFLICT)

    def _get_trace(self, trace_id: str) -> list[dict[str, Any]]:
        rows = self._q(
            f"SELECT {_SPAN} FROM mastra_spans WHERE trace_id = ? ORDER BY start_time, seq", (trace_id,)
        )
        return [_rows.span(r, self._ts_out) for r in rows]

    def _list_traces(self, limit: int) -> list[dict[str, Any]]:
        rows = self._q(
            "WITH agg AS (SELECT trace_id, min(start_time) AS start_time, max(end_time) AS max_end, "
            "count(*) AS n, max(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS err FROM mastra_spans "
            "GROUP BY trace_id ORDER BY start_time DESC LIMIT ?) "
            "SELECT agg.trace_id, agg.start_time, agg.max_end, agg.n, agg.err, r.name, r.end_time, "
            "r.span_id FROM agg LEFT JOIN mastra_spans r ON r.trace_id = agg.trace_id "
            "AND r.parent_span_id IS NULL ORDER BY agg.start_time DESC, r.start_time, r.seq",
            (limit,),
        )
        out: dict[str, dict[str, Any]] = {}
        for trace_id, start, max_end, n, err, name, root_end, root_id in rows:
            if trace_id in out:
                continue
            end = root_end if root_id is not None else max_end
            out[trace_id] = _rows.trace_summary(
                trace_id, name, self._ts_out(start), None if end is None else self._ts_out(end), n, err
            )
        return list(out.values())

    def _query_spans(self, query: v.SpanQuery) -> pd.DataFrame:
        conds: list[str] = []
        params: list[Any] = []
        for column, op, when in (("start_time", ">=", query.since), ("start_time", "<", query.until)):
            if when is not None:
                conds.append(f"{column} {op} ?")
                params.append(self._ts_in(when))
        for column, values in (
            ("trace_id", query.trace_ids),
            ("type", query.types),
            ("status", query.status),
        ):
            if values is not None:
                conds.append(self._in_list(column))
                params.append(self._list_param(values))
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        order = " ORDER BY start_time, seq"
        if query.limit is not None:
            order = " ORDER BY start_time DESC, seq DESC LIMIT ?"
            params.append(query.limit)
        return self._frame(f"SELECT {_SPAN} FROM mastra_spans{where}{order}", params, v.SPAN_COLUMNS)

    def _prune_spans(self, cutoff: datetime | None, keep_errors: bool, max_rows: int | None) -> int:
        # One DELETE: per-trace totals, the traces old enough (by last activity), then — if the table must
        # shrink to max_rows — the oldest remaining traces for as long as rows are still to go.
        params: list[Any] = []
        deletable = "err = 0" if keep_errors else "1 = 1"
        aged = "0 = 1"
        if cutoff is not None:
            aged = f"last_seen < ? AND {deletable}"
            params.append(self._ts_in(cutoff))
        doomed = "SELECT trace_id FROM traces WHERE aged = 1"
        if max_rows is not None:
            doomed += f" UNION ALL {_PRUNE_OLDEST.format(deletable=deletable)}"
            params.append(max_rows)
        sql = f"DELETE FROM mastra_spans WHERE trace_id IN ({_PRUNE_TRACES.format(aged=aged)} {doomed})"
        return len(self._q(sql + " RETURNING span_id", params))

    @abstractmethod
    def _in_list(self, column: str) -> str:
        """SQL testing ``column`` against a list given as one parameter (see :meth:`_list_param`)."""

    @abstractmethod
    def _list_param(self, values: Sequence[str]) -> Any:
        """A list of strings as the one parameter :meth:`_in_list` takes."""

    @abstractmethod
    def _frame(self, sql: str, params: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
        """The rows of one SELECT as a DataFrame with these column names."""

    # -- SQL ----------------------------------------------------------------------------------------------

    @abstractmethod
    def _catalog(self) -> list[str]:
        """Names of every table and view in the database's main schema."""

    def _tables(self) -> Iterable[str]:
        # everything readable in the file (a DuckDBVector sharing it adds its tables) minus our internals
        return [t for t in self._catalog() if t not in _INTERNAL_TABLES]
