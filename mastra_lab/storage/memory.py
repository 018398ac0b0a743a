"""``InMemoryStore``: the storage backend for tests, demos and throwaway notebooks.

It keeps the same rows the SQL backends keep (JSON as text, so nothing a caller mutates later leaks into the
store) in plain dicts, and answers ``sql()`` by handing DataFrames of its contents to an in-process DuckDB.
Nothing survives the process.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from mastra_lab.storage import _rows
from mastra_lab.storage import _validate as v
from mastra_lab.storage.base import Storage
from mastra_lab.storage.records import Record, Resource, StoredMessage, Thread, WorkflowRun

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["InMemoryStore"]


def _same(ts: datetime) -> datetime:
    return ts


def _span_order(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return (row[10], row[13])  # start_time, seq


def _span_matches(row: tuple[Any, ...], q: v.SpanQuery) -> bool:
    return (
        (q.since is None or row[10] >= q.since)
        and (q.until is None or row[10] < q.until)
        and (q.trace_ids is None or row[1] in q.trace_ids)
        and (q.types is None or row[4] in q.types)
        and (q.status is None or row[5] in q.status)
    )


_matches = v.matches_where


class InMemoryStore(Storage):
    """Storage in Python dicts; fast, thread-safe, gone when the process ends.

    Args:
        id_factory: Makes record ids when ``create`` gets none (default: uuid4 hex).

    Example:
        ```python
        from mastra_lab.storage import InMemoryStore

        with InMemoryStore() as store:
            note_id = store.create("notes", {"title": "hello"})
            assert store.get("notes", note_id).data == {"title": "hello"}
        ```
    """

    backend_name: ClassVar[str] = "memory"

    def __init__(self, *, id_factory: Callable[[], str] | None = None) -> None:
        super().__init__(id_factory=id_factory)
        self._seq = itertools.count()
        # table -> id -> [data_json, meta_json, created_at, updated_at, seq]
        self._records: dict[str, dict[str, list[Any]]] = {}
        self._threads: dict[str, tuple[Any, ...]] = {}
        self._messages: dict[str, tuple[Any, ...]] = {}  # id -> MESSAGE_COLUMNS + (seq,)
        self._by_thread: dict[str, set[str]] = {}
        self._resources: dict[str, tuple[Any, ...]] = {}
        self._runs: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._spans: dict[str, tuple[Any, ...]] = {}

    def _close(self) -> None:
        self._records.clear()
        self._messages.clear()

    # -- records ---------------------------------------------------------------------------------------

    def _record_tables(self) -> set[str]:
        return set(self._records)

    def _insert_record(self, record: Record, data_json: str, meta_json: str) -> None:
        rows = self._records.setdefault(record.table, {})
        rows[record.id] = [data_json, meta_json, record.created_at, record.updated_at, next(self._seq)]

    def _get_record(self, table: str, id: str) -> Record | None:
        row = self._records.get(table, {}).get(id)
        return None if row is None else _rows.record(table, (id, *row), _same)

    def _replace_record(self, record: Record, data_json: str, meta_json: str) -> None:
        row = self._records[record.table][record.id]
        row[0], row[1], row[3] = data_json, meta_json, record.updated_at

    def _delete_record(self, table: str, id: str) -> bool:
        return self._records[table].pop(id, None) is not None

    def _select(self, table: str, where: v.WhereItems) -> list[tuple[str, list[Any]]]:
        found = [(k, r) for k, r in self._records[table].items() if _matches(r[0], where)]
        found.sort(key=lambda item: (item[1][2], item[1][4]))
        return found

    def _list_records(self, table: str, where: v.WhereItems, limit: int, offset: int) -> list[Record]:
        page = self._select(table, where)[offset : offset + limit]
        return [_rows.record(table, (k, *r), _same) for k, r in page]

    def _count_records(self, table: str, where: v.WhereItems) -> int:
        return len(self._select(table, where))

    # -- threads, messages, resources -------------------------------------------------------------------

    def _upsert_thread(self, thread: Thread, meta_json: str) -> None:
        old = self._threads.get(thread.id)
        created, seq = (old[4], old[6]) if old else (thread.created_at, next(self._seq))
        self._threads[thread.id] = (
            thread.id,
            thread.resource_id,
            thread.title,
            meta_json,
            created,
            thread.updated_at,
            seq,
        )

    def _get_thread(self, id: str) -> Thread | None:
        row = self._threads.get(id)
        return None if row is None else _rows.thread(row, _same)

    def _list_threads(self, resource_id: str | None) -> list[Thread]:
        rows = [r for r in self._threads.values() if resource_id is None or r[1] == resource_id]
        rows.sort(key=lambda r: (r[4], r[6]))
        return [_rows.thread(r, _same) for r in rows]

    def _delete_thread(self, id: str) -> bool:
        for mid in self._by_thread.pop(id, set()):
            self._messages.pop(mid, None)
        return self._threads.pop(id, None) is not None

    def _thread_resources(self, thread_ids: set[str]) -> dict[str, str]:
        return {t: self._threads[t][1] for t in thread_ids if t in self._threads}

    def _upsert_messages(self, columns: dict[str, list[Any]]) -> None:
        for row in zip(*columns.values(), strict=True):
            old = self._messages.get(row[0])
            if old is None:
                self._messages[row[0]] = (*row, next(self._seq))
                self._by_thread.setdefault(row[1], set()).add(row[0])
            else:  # like the SQL backends: a message stays in the thread it was first saved to
                self._messages[row[0]] = (row[0], old[1], *row[2:], old[-1])

    def _get_messages(self, thread_id: str, last: int | None) -> list[StoredMessage]:
        rows = sorted(
            (self._messages[m] for m in self._by_thread.get(thread_id, ())), key=lambda r: (r[7], r[8])
        )
        if last is not None:
            rows = rows[max(0, len(rows) - last) :] if last else []
        return [_rows.message(r, _same) for r in rows]

    def _delete_messages(self, ids: list[str]) -> int:
        deleted = 0
        for mid in ids:
            row = self._messages.pop(mid, None)
            if row is not None:
                self._by_thread[row[1]].discard(mid)
                deleted += 1
        return deleted

    def _get_messages_by_id(self, ids: list[str]) -> list[StoredMessage]:
        rows = sorted((self._messages[m] for m in ids if m in self._messages), key=lambda r: (r[7], r[8]))
        return [_rows.message(r, _same) for r in rows]

    def _message_context(self, ids: list[str], before: int, after: int) -> dict[str, list[StoredMessage]]:
        out: dict[str, list[StoredMessage]] = {}
        ordered: dict[str, list[tuple[Any, ...]]] = {}
        for mid in ids:
            row = self._messages.get(mid)
            if row is None:
                continue
            rows = ordered.get(row[1])
            if rows is None:
                rows = ordered[row[1]] = sorted(
                    (self._messages[m] for m in self._by_thread[row[1]]), key=lambda r: (r[7], r[8])
                )
            i = next(k for k, r in enumerate(rows) if r[0] == mid)
            out[mid] = [_rows.message(r, _same) for r in rows[max(0, i - before) : i + after + 1]]
        return out

    def _atomic(self) -> AbstractContextManager[None]:
        return nullcontext()  # every operation already holds the store's lock

    def _get_resource(self, id: str) -> Resource | None:
        row = self._resources.get(id)
        return None if row is None else _rows.resource(row, _same)

    def _upsert_resource(self, resource: Resource, meta_json: str) -> None:
        old = self._resources.get(resource.id)
        created = old[3] if old else resource.created_at
        self._resources[resource.id] = (
            resource.id,
            resource.working_memory,
            meta_json,
            created,
            resource.updated_at,
        )

    # -- workflows ---------------------------------------------------------------------------------------

    def _upsert_snapshot(
        self, workflow: str, run_id: str, status: str | None, snap: str, now: datetime
    ) -> None:
        old = self._runs.get((workflow, run_id))
        created, seq = (old[4], old[6]) if old else (now, next(self._seq))
        self._runs[(workflow, run_id)] = (workflow, run_id, status, snap, created, now, seq)

    def _get_run(self, workflow: str, run_id: str) -> WorkflowRun | None:
        row = self._runs.get((workflow, run_id))
        return None if row is None else _rows.run(row, _same)

    def _list_runs(self, workflow: str | None, status: str | None) -> list[WorkflowRun]:
        rows = [r for r in self._runs.values() if workflow in (None, r[0]) and status in (None, r[2])]
        rows.sort(key=lambda r: (r[4], r[6]))
        return [_rows.run(r, _same) for r in rows]

    # -- spans -------------------------------------------------------------------------------------------

    def _upsert_spans(self, rows: list[tuple[Any, ...]]) -> None:
        for row in rows:
            old = self._spans.get(row[0])
            self._spans[row[0]] = (
                (*row, next(self._seq)) if old is None else (row[0], old[1], *row[2:], old[-1])
            )

    def _get_trace(self, trace_id: str) -> list[dict[str, Any]]:
        rows = sorted((r for r in self._spans.values() if r[1] == trace_id), key=_span_order)
        return [_rows.span(r, _same) for r in rows]

    def _list_traces(self, limit: int) -> list[dict[str, Any]]:
        traces: dict[str, list[tuple[Any, ...]]] = {}
        for row in sorted(self._spans.values(), key=_span_order):
            traces.setdefault(row[1], []).append(row)
        out = []
        for trace_id, spans in traces.items():
            root = next((s for s in spans if s[2] is None), None)
            ends = [s[11] for s in spans if s[11] is not None]
            end = root[11] if root else (max(ends) if ends else None)
            out.append(
                _rows.trace_summary(
                    trace_id,
                    root[3] if root else None,
                    spans[0][10],
                    end,
                    len(spans),
                    any(s[5] == "error" for s in spans),
                )
            )
        out.sort(key=lambda t: t["start"], reverse=True)
        return out[:limit]

    def _query_spans(self, query: v.SpanQuery) -> pd.DataFrame:
        import pandas as pd

        rows = [r for r in self._spans.values() if _span_matches(r, query)]
        rows.sort(key=_span_order, reverse=query.limit is not None)
        if query.limit is not None:
            rows = rows[: query.limit]
        return pd.DataFrame([r[:13] for r in rows], columns=list(v.SPAN_COLUMNS))

    def _prune_spans(self, cutoff: datetime | None, keep_errors: bool, max_rows: int | None) -> int:
        # trace -> [last activity, span count, has an error span]
        traces: dict[str, list[Any]] = {}
        for row in self._spans.values():
            seen = row[11] or row[10]
            t = traces.setdefault(row[1], [seen, 0, False])
            t[0], t[1], t[2] = max(t[0], seen), t[1] + 1, t[2] or row[5] == "error"
        deletable = {k: t for k, t in traces.items() if not (keep_errors and t[2])}
        doomed = {k for k, t in deletable.items() if cutoff is not None and t[0] < cutoff}
        if max_rows is not None:
            excess = sum(t[1] for k, t in traces.items() if k not in doomed) - max_rows
            for k, t in sorted(deletable.items(), key=lambda kv: (kv[1][0], kv[0])):
                if excess <= 0:
                    break
                if k not in doomed:
                    doomed.add(k)
                    excess -= t[1]
        gone = [k for k, r in self._spans.items() if r[1] in doomed]
        for key in gone:
            del self._spans[key]
        return len(gone)

    # -- SQL ---------------------------------------------------------------------------------------------

    def _tables(self) -> Iterable[str]:
        return [*self._frames_spec(), *self._records]

    def _frames_spec(self) -> dict[str, tuple[tuple[str, ...], Iterable[Sequence[Any]]]]:
        return {
            "mastra_threads": (_rows.THREAD_COLUMNS, (r[:6] for r in self._threads.values())),
            "mastra_messages": (v.MESSAGE_COLUMNS, (r[:8] for r in self._messages.values())),
            "mastra_resources": (_rows.RESOURCE_COLUMNS, self._resources.values()),
            "mastra_workflow_snapshots": (_rows.RUN_COLUMNS, (r[:6] for r in self._runs.values())),
            "mastra_spans": (v.SPAN_COLUMNS, (r[:13] for r in self._spans.values())),
        }

    def _sql(
        self, query: str, params: Sequence[Any] | Mapping[str, Any] | None, allow_files: bool
    ) -> pd.DataFrame:
        import duckdb
        import pandas as pd

        from mastra_lab.storage._duckdb_sql import ENGINE_CONFIG, check_query, map_duckdb_errors

        check_query(query, self._tables(), allow_files=allow_files)
        frames = {
            name: pd.DataFrame(list(rows), columns=list(cols))
            for name, (cols, rows) in self._frames_spec().items()
        }
        for table, records in self._records.items():
            rows = [
                (k, r[0], r[1], r[2], r[3])
                for k, r in sorted(records.items(), key=lambda kv: (kv[1][2], kv[1][4]))
            ]
            frames[table] = pd.DataFrame(rows, columns=list(_rows.RECORD_COLUMNS))
        # a throwaway engine: without allow_files it cannot reach the file system or the network at all
        config = {**ENGINE_CONFIG, "enable_external_access": allow_files}
        with map_duckdb_errors(), duckdb.connect(config=config) as con:
            con.execute("SET TimeZone = 'UTC'")
            for name, frame in frames.items():
                con.register(name, frame)
            return con.execute(query, params).df()
