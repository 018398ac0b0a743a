"""The ``Storage`` seam: one public API, validated once, over backends that only move rows.

Every public method lives here, concrete: it checks its arguments (so bad input fails identically on every
backend, before anything is written), takes the store's lock, maps the backend's exceptions, and calls a
small ``_``-prefixed hook that a backend implements. The ``*_df()`` forms, context-manager use and
closed-store checks are also here. A new backend (PostgreSQL…) subclasses :class:`Storage`, implements the
abstract hooks, and must pass ``tests/storage/test_conformance.py`` unchanged.
"""

from __future__ import annotations

import builtins
import functools
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, ParamSpec, TypeVar

from mastra_lab.errors import StorageError
from mastra_lab.storage import _validate as v
from mastra_lab.storage._frames import DataFrameForms
from mastra_lab.storage._hooks import StorageHooks
from mastra_lab.storage._span_frame import span_frame
from mastra_lab.storage.records import JSONValue, Record, Resource, StoredMessage, Thread, WorkflowRun, utcnow

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Storage", "Where"]

Where = Mapping[str, JSONValue]
"""Equality filters on ``data`` fields: ``{"status": "open", "author.name": "Ada"}``."""

_P = ParamSpec("_P")
_T = TypeVar("_T")
_S = TypeVar("_S", bound="Storage")


def _operation(fn: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run a public method under the store's lock, refuse it after close, map backend exceptions."""

    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        self = args[0]
        assert isinstance(self, Storage)
        with self._lock:
            if self._closed:
                raise StorageError(
                    f"this {type(self).__name__} is closed; open a new store to keep working",
                    code="STORAGE_CLOSED",
                )
            with self._map_errors():
                return fn(*args, **kwargs)

    return wrapper


class Storage(DataFrameForms, StorageHooks):
    """Where mastra_lab keeps records, conversations, workflow snapshots and spans.

    To write a backend: subclass, set ``backend_name``, implement every abstract ``_hook`` (each receives
    validated input — safe table names, string ids, JSON already serialised to text, UTC datetimes — and
    runs under ``self._lock``), override ``_map_errors`` to turn your driver's exceptions into
    :class:`StorageError`, and run the conformance suite against it. Timestamps you hand back must be
    timezone-aware UTC; lists must come back in the documented order.
    """

    backend_name: ClassVar[str] = "abstract"

    def __init__(self, *, id_factory: Callable[[], str] | None = None) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._new_id: Callable[[], str] = id_factory or _uuid_hex
        self._span_flushers: builtins.list[Callable[[], None]] = []
        """Writers of spans buffered for this store (a tracer's storage exporter): called, under the lock,
        before every read of spans and before closing, so a trace is readable as soon as its run ends."""

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the connection/file. Later calls raise :class:`StorageError`; closing twice is fine."""
        with self._lock:
            if not self._closed:
                self._sync_spans()
                self._closed = True
                self._close()

    def _sync_spans(self) -> None:
        for flush in builtins.list(self._span_flushers):
            flush()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}()" + (" closed" if self._closed else "")

    def _map_errors(self) -> AbstractContextManager[None]:
        """Translate the driver's exceptions; the default translates nothing."""
        return _no_mapping()

    # -- generic records -------------------------------------------------------------------------------

    @_operation
    def create(
        self,
        table: str,
        data: Mapping[str, JSONValue],
        metadata: Mapping[str, JSONValue] | None = None,
        id: str | None = None,
    ) -> str:
        """Store a new record and return its id; the table comes into being with its first record.

        Args:
            table: User table name (lowercase identifier, e.g. ``"notes"``).
            data: JSON object to store; ``where=`` filters look into it.
            metadata: Optional second JSON object.
            id: Your id (a string); a uuid4 hex is generated when omitted. An existing id is an error.
        """
        v.check_table(table)
        record_id = v.check_id(self._new_id() if id is None else id)
        data_json = v.json_object(data, "data")
        meta_json = v.json_object(metadata or {}, "metadata")
        now = utcnow()
        if table in self._record_tables() and self._get_record(table, record_id) is not None:
            raise StorageError(
                f"record {record_id!r} already exists in table {table!r}; use update() to change it "
                "or pass another id",
                code="STORAGE_DUPLICATE_ID",
                details={"table": table, "id": record_id},
            )
        self._insert_record(Record(record_id, table, {}, {}, now, now), data_json, meta_json)
        return record_id

    @_operation
    def get(self, table: str, id: str) -> Record | None:
        """The record with this id, or ``None``.

        Args:
            table: An existing user table.
            id: The record id.
        """
        self._require_table(table)
        return self._get_record(table, v.check_id(id))

    @_operation
    def update(
        self,
        table: str,
        id: str,
        data: Mapping[str, JSONValue] | None = None,
        metadata: Mapping[str, JSONValue] | None = None,
        *,
        replace: bool = False,
    ) -> Record:
        """Change a record and return it; ``updated_at`` moves forward, ``created_at`` stays.

        ``data`` and ``metadata`` are *merged* into the stored objects key by key (shallow, like
        ``dict.update``); pass ``replace=True`` to replace them wholesale instead. ``None`` leaves a part
        untouched.

        Args:
            table: An existing user table.
            id: The record id; a missing record is an error.
            data: Keys to merge into (or, with ``replace=True``, the new) data.
            metadata: Keys to merge into (or the new) metadata.
            replace: Replace instead of merge.
        """
        self._require_table(table)
        v.check_id(id)
        new_data = None if data is None else (v.json_object(data, "data"), dict(data))
        new_meta = None if metadata is None else (v.json_object(metadata, "metadata"), dict(metadata))
        old = self._get_record(table, id)
        if old is None:
            raise StorageError(
                f"no record {id!r} in table {table!r}; create() it first",
                code="STORAGE_NOT_FOUND",
                details={"table": table, "id": id},
            )
        merged_data = _merge(old.data, new_data, replace)
        merged_meta = _merge(old.metadata, new_meta, replace)
        updated = Record(id, table, merged_data, merged_meta, old.created_at, _later(old.updated_at))
        self._replace_record(updated, v.dumps(merged_data, "data"), v.dumps(merged_meta, "metadata"))
        return updated

    @_operation
    def delete(self, table: str, id: str) -> bool:
        """Delete a record; ``True`` if it existed.

        Args:
            table: An existing user table.
            id: The record id.
        """
        self._require_table(table)
        return self._delete_record(table, v.check_id(id))

    @_operation
    def list(
        self, table: str, where: Where | None = None, limit: int = 100, offset: int = 0
    ) -> builtins.list[Record]:
        """Records ordered by ``created_at`` then insertion, filtered by equality on data fields.

        Args:
            table: An existing user table.
            where: ``{"field": value, "nested.field": value}``; values compare as JSON (``1`` ≠ ``"1"``).
            limit: At most this many records.
            offset: Skip this many first.
        """
        self._require_table(table)
        v.check_paging(limit, offset)
        return self._list_records(table, v.where_items(where), limit, offset)

    @_operation
    def count(self, table: str, where: Where | None = None) -> int:
        """How many records match ``where`` (all of them by default).

        Args:
            table: An existing user table.
            where: Same filters as :meth:`list`.
        """
        self._require_table(table)
        return self._count_records(table, v.where_items(where))

    def _require_table(self, table: str) -> None:
        v.check_table(table)
        known = self._record_tables()
        if table not in known:
            raise StorageError(
                f"unknown table {table!r}; known tables: {', '.join(sorted(known)) or '(none yet)'}. "
                "A table is created by its first create()",
                code="STORAGE_UNKNOWN_TABLE",
                details={"table": table, "known": sorted(known)},
            )

    # -- memory: threads, messages, resources ---------------------------------------------------------

    @_operation
    def save_thread(self, thread: Thread) -> Thread:
        """Insert or replace a thread (its original ``created_at`` is kept) and return it.

        Args:
            thread: The :class:`Thread` to store.
        """
        if not isinstance(thread, Thread):
            raise StorageError(
                f"save_thread takes a Thread, got {type(thread).__name__}; "
                "build Thread(id=..., resource_id=...)",
                code="STORAGE_BAD_ARGUMENT",
            )
        v.check_id(thread.id, "thread id")
        v.check_id(thread.resource_id, "resource_id")
        thread = Thread(
            thread.id,
            thread.resource_id,
            thread.title,
            thread.metadata,
            v.to_utc(thread.created_at, "created_at"),
            v.to_utc(thread.updated_at, "updated_at"),
        )
        self._upsert_thread(thread, v.json_object(thread.metadata, "metadata"))
        return self._get_thread(thread.id) or thread

    @_operation
    def get_thread(self, id: str) -> Thread | None:
        """The thread, or ``None``.

        Args:
            id: The thread id.
        """
        return self._get_thread(v.check_id(id, "thread id"))

    @_operation
    def list_threads(self, resource_id: str | None = None) -> builtins.list[Thread]:
        """Threads ordered by ``created_at``, optionally only those of one resource.

        Args:
            resource_id: Keep only this resource's threads.
        """
        if resource_id is not None:
            v.check_id(resource_id, "resource_id")
        return self._list_threads(resource_id)

    @_operation
    def update_thread(
        self, id: str, title: str | None = None, metadata: Mapping[str, JSONValue] | None = None
    ) -> Thread:
        """Change a thread's title and/or merge keys into its metadata; returns the new thread.

        Args:
            id: The thread id; a missing thread is an error.
            title: New title (``None`` keeps it).
            metadata: Keys merged into the metadata (``None`` keeps it).
        """
        v.check_id(id, "thread id")
        meta = None if metadata is None else (v.json_object(metadata, "metadata"), dict(metadata))
        old = self._get_thread(id)
        if old is None:
            raise StorageError(f"no thread {id!r}; save_thread() it first", code="STORAGE_NOT_FOUND")
        merged = _merge(old.metadata, meta, False)
        new = Thread(
            id,
            old.resource_id,
            old.title if title is None else str(title),
            merged,
            old.created_at,
            _later(old.updated_at),
        )
        self._upsert_thread(new, v.dumps(merged, "metadata"))
        return new

    @_operation
    def delete_thread(self, id: str) -> bool:
        """Delete a thread and all its messages; ``True`` if it existed.

        Args:
            id: The thread id.
        """
        return self._delete_thread(v.check_id(id, "thread id"))

    @_operation
    def save_messages(
        self, messages: Iterable[StoredMessage | Mapping[str, Any]]
    ) -> builtins.list[StoredMessage]:
        """Insert or replace (by id) a batch of messages in one write; returns them as stored.

        Every message's thread must exist; a missing ``resource_id`` is taken from the thread. Re-saving an
        id replaces the message's fields but not its thread (a message never moves between threads).

        Args:
            messages: :class:`StoredMessage` objects or dicts with the same fields.
        """
        msgs = v.normalise_messages(messages)  # a repeated id: the last one wins
        if not msgs:
            return []
        owners = self._thread_resources({m.thread_id for m in msgs})
        orphan = next((m for m in msgs if m.thread_id not in owners), None)
        if orphan is not None:
            raise StorageError(
                f"message {orphan.id!r} refers to unknown thread {orphan.thread_id!r}; "
                "save_thread() it first",
                code="STORAGE_UNKNOWN_THREAD",
                details={"thread_id": orphan.thread_id},
            )
        columns, out = v.message_columns(msgs, owners)
        self._upsert_messages(columns)
        return out

    @_operation
    def get_messages(self, thread_id: str, last: int | None = None) -> builtins.list[StoredMessage]:
        """A thread's messages in chronological order; ``last=N`` gives the newest N (still chronological).

        Args:
            thread_id: The thread id (an unknown thread has no messages).
            last: Only the newest ``last`` messages.
        """
        v.check_id(thread_id, "thread_id")
        if last is not None:
            v.check_paging(last, 0)
        return self._get_messages(thread_id, last)

    @_operation
    def delete_messages(self, ids: Iterable[str]) -> int:
        """Delete messages by id; returns how many existed.

        Args:
            ids: Message ids.
        """
        return self._delete_messages(v.check_ids(ids, "message id"))

    @_operation
    def get_messages_by_id(self, ids: Iterable[str]) -> builtins.list[StoredMessage]:
        """The messages with these ids (unknown ids are skipped), in chronological order.

        One indexed lookup, whatever the size of the threads: what semantic recall needs to turn vector hits
        back into messages.

        Args:
            ids: Message ids.
        """
        return self._get_messages_by_id(sorted(set(v.check_ids(ids, "message id"))))

    @_operation
    def get_message_context(
        self, ids: Iterable[str], before: int = 2, after: int = 2
    ) -> dict[str, builtins.list[StoredMessage]]:
        """Each message with up to ``before`` messages before it and ``after`` after it in its thread.

        Returns ``{id: [neighbours…, message, …neighbours]}`` in chronological order; unknown ids are left
        out. Every hit is answered by a bounded, indexed read of its own thread, never a scan of the store.

        Args:
            ids: Message ids.
            before: How many earlier messages of the same thread to include.
            after: How many later messages of the same thread to include.
        """
        v.check_paging(before, 0)
        v.check_paging(after, 0)
        return self._message_context(sorted(set(v.check_ids(ids, "message id"))), before, after)

    @_operation
    def modify_resource(self, id: str, change: Callable[[Resource | None], Resource]) -> Resource:
        """Read a resource, change it with ``change`` and write the result, as one atomic step.

        Another connection or process writing the same resource waits until this one has committed (SQLite
        takes the write lock before reading), so two read-merge-write cycles never lose either write.
        ``change`` receives the stored resource (``None`` when there is none) and returns the new one; it
        must not call the store itself.

        Args:
            id: The resource id.
            change: ``old -> new``; the new resource must keep ``id``.
        """
        v.check_id(id, "resource id")
        with self._atomic():
            new = change(self._get_resource(id))
            if not isinstance(new, Resource) or new.id != id:
                raise StorageError(
                    f"modify_resource({id!r}) needs change() to return a Resource with id {id!r}, "
                    f"got {new!r:.80}",
                    code="STORAGE_BAD_ARGUMENT",
                )
            if new.working_memory is not None and not isinstance(new.working_memory, str):
                raise StorageError(
                    "working_memory must be a str or None; serialise it first (e.g. json.dumps)",
                    code="STORAGE_BAD_ARGUMENT",
                )
            stored = Resource(
                id, new.working_memory, new.metadata, v.to_utc(new.created_at, "created_at"), utcnow()
            )
            self._upsert_resource(stored, v.json_object(stored.metadata, "metadata"))
            return self._get_resource(id) or stored

    @_operation
    def modify_thread(self, id: str, change: Callable[[Thread], Thread]) -> Thread:
        """Read a thread, change it with ``change`` and write the result, as one atomic step.

        Like :meth:`modify_resource`: concurrent writers of the same thread wait for each other, so a
        read-merge-write of its metadata never loses another process's write. The thread must exist and
        keep its id and resource.

        Args:
            id: The thread id.
            change: ``old -> new``.
        """
        v.check_id(id, "thread id")
        with self._atomic():
            old = self._get_thread(id)
            if old is None:
                raise StorageError(f"no thread {id!r}; save_thread() it first", code="STORAGE_NOT_FOUND")
            new = change(old)
            if not isinstance(new, Thread) or (new.id, new.resource_id) != (old.id, old.resource_id):
                raise StorageError(
                    f"modify_thread({id!r}) needs change() to return the Thread with the same id and "
                    f"resource_id, got {new!r:.80}",
                    code="STORAGE_BAD_ARGUMENT",
                )
            later = _later(old.updated_at)
            thread = Thread(id, old.resource_id, new.title, new.metadata, old.created_at, later)
            self._upsert_thread(thread, v.json_object(thread.metadata, "metadata"))
            return self._get_thread(id) or thread

    @_operation
    def get_resource(self, id: str) -> Resource | None:
        """The resource, or ``None``.

        Args:
            id: The resource id.
        """
        return self._get_resource(v.check_id(id, "resource id"))

    @_operation
    def save_resource(self, resource: Resource) -> Resource:
        """Insert or replace a resource (keeping its first ``created_at``); returns it as stored.

        Args:
            resource: The :class:`Resource`.
        """
        if not isinstance(resource, Resource):
            raise StorageError(
                f"save_resource takes a Resource, got {type(resource).__name__}", code="STORAGE_BAD_ARGUMENT"
            )
        v.check_id(resource.id, "resource id")
        if resource.working_memory is not None and not isinstance(resource.working_memory, str):
            raise StorageError(
                f"working_memory must be a str or None, got {type(resource.working_memory).__name__}; "
                "serialise it first (e.g. json.dumps)",
                code="STORAGE_BAD_ARGUMENT",
            )
        resource = Resource(
            resource.id,
            resource.working_memory,
            resource.metadata,
            v.to_utc(resource.created_at, "created_at"),
            v.to_utc(resource.updated_at, "updated_at"),
        )
        self._upsert_resource(resource, v.json_object(resource.metadata, "metadata"))
        return self._get_resource(resource.id) or resource

    # -- workflow snapshots ----------------------------------------------------------------------------

    @_operation
    def save_snapshot(self, workflow: str, run_id: str, snapshot: Mapping[str, JSONValue]) -> None:
        """Insert or replace the snapshot of a run; its ``"status"`` key is also stored on its own.

        Args:
            workflow: The workflow id.
            run_id: The run id.
            snapshot: A JSON object describing the run (must be JSON-serialisable).
        """
        v.check_id(workflow, "workflow")
        v.check_id(run_id, "run_id")
        snap_json = v.json_object(snapshot, "snapshot")
        status = snapshot.get("status")
        self._upsert_snapshot(workflow, run_id, None if status is None else str(status), snap_json, utcnow())

    @_operation
    def modify_snapshot(
        self,
        workflow: str,
        run_id: str,
        change: Callable[[dict[str, JSONValue] | None], Mapping[str, JSONValue]],
    ) -> dict[str, JSONValue]:
        """Read a run's snapshot, change it with ``change`` and write the result, as one atomic step.

        This is the compare-and-set a run needs to claim itself: two processes resuming the same suspended
        run both call it, the second waits for the first to commit and then sees ``"running"``, so
        ``change`` can refuse by raising (nothing is written then). ``change`` receives the stored snapshot
        (``None`` when there is none) and must not call the store itself.

        Args:
            workflow: The workflow id.
            run_id: The run id.
            change: ``old -> new`` snapshot; raise to leave the stored one as it is.
        """
        v.check_id(workflow, "workflow")
        v.check_id(run_id, "run_id")
        with self._atomic():
            old = self._get_run(workflow, run_id)
            new = change(None if old is None else old.snapshot)
            snap_json = v.json_object(new, "snapshot")
            status = new.get("status")
            self._upsert_snapshot(
                workflow, run_id, None if status is None else str(status), snap_json, utcnow()
            )
        return dict(new)

    @_operation
    def load_snapshot(self, workflow: str, run_id: str) -> dict[str, JSONValue] | None:
        """The saved snapshot, or ``None``.

        Args:
            workflow: The workflow id.
            run_id: The run id.
        """
        run = self._get_run(v.check_id(workflow, "workflow"), v.check_id(run_id, "run_id"))
        return None if run is None else run.snapshot

    @_operation
    def list_runs(self, workflow: str | None = None, status: str | None = None) -> builtins.list[WorkflowRun]:
        """Stored runs ordered by first save, optionally filtered.

        Args:
            workflow: Only runs of this workflow.
            status: Only runs whose snapshot status is this.
        """
        if workflow is not None:
            v.check_id(workflow, "workflow")
        if status is not None:
            v.check_id(status, "status")
        return self._list_runs(workflow, status)

    # -- spans -----------------------------------------------------------------------------------------

    @_operation
    def save_spans(self, spans: Iterable[Mapping[str, Any] | Any]) -> int:
        """Insert or replace spans by ``span_id`` (save at start, save again at end); returns the count.

        Args:
            spans: Mappings or objects with ``to_dict()`` holding trace_id, span_id, parent_span_id, name,
                type, attributes, input, output, error, start, end and optionally status and events (a list
                of dicts such as ``{"name": "log", "time": datetime, "attributes": {...}}``; each ``time``
                must be timezone-aware and reads back as a UTC datetime).
        """
        rows = {row[0]: row for row in map(v.normalise_span, spans)}
        if rows:
            self._upsert_spans(list(rows.values()))
        return len(rows)

    @_operation
    def get_trace(self, trace_id: str) -> builtins.list[dict[str, Any]]:
        """The spans of a trace ordered by start, as dicts with the keys they were saved with.

        ``events`` is always there: ``[]`` for a span without any (and for spans stored before events
        existed).

        Args:
            trace_id: The trace id.
        """
        self._sync_spans()
        return self._get_trace(v.check_id(trace_id, "trace_id"))

    @_operation
    def list_traces(self, limit: int = 50) -> builtins.list[dict[str, Any]]:
        """Traces newest first: trace_id, name (root span), start, end, duration_ms, span_count, error.

        Args:
            limit: At most this many traces.
        """
        v.check_paging(limit, 0)
        self._sync_spans()
        return self._list_traces(limit)

    @_operation
    def query_spans(
        self,
        *,
        since: datetime | timedelta | None = None,
        until: datetime | timedelta | None = None,
        trace_ids: Iterable[str] | str | None = None,
        types: Iterable[str] | str | None = None,
        status: Iterable[str] | str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """Spans as one DataFrame, read in one statement: what metrics, cost tables and plots start from.

        Columns: trace_id, span_id, parent_span_id, name, type, status, start, end (tz-aware UTC; ``NaT``
        while running), duration_ms (``NaN`` while running), attributes (dict), input, output, error (the
        stored JSON values) and events (list). Spans come oldest first; with ``limit``, the newest ``limit``
        spans, newest first. Span kinds stored by older releases (``agent``, ``llm``, ``tool``,
        ``workflow``, ``step``) come back under their current names and match those names in ``types``.

        Args:
            since: Only spans that started at or after this (a datetime, or a timedelta back from now).
            until: Only spans that started before this.
            trace_ids: Only these traces (one id or several).
            types: Only these span kinds, e.g. ``"llm_generation"`` or ``["tool_call", "agent_run"]``.
            status: Only these statuses (``"ok"``, ``"error"``, ``"running"``).
            limit: At most this many spans (the newest).
        """
        query = v.span_query(since, until, trace_ids, types, status, limit)
        self._sync_spans()
        return span_frame(self._query_spans(query))

    @_operation
    def prune_spans(
        self,
        older_than: datetime | timedelta | None = None,
        *,
        keep_errors: bool = True,
        max_rows: int | None = None,
    ) -> int:
        """Delete whole traces by age and/or to bound the table; returns how many spans were deleted.

        A trace is never cut in half: it goes with all its spans or stays. With ``older_than``, traces whose
        last activity (latest end, or start while running) is before the cutoff go. With ``max_rows``, the
        traces with the oldest last activity then go until at most ``max_rows`` span rows remain. With
        ``keep_errors`` (the default) a trace holding an error span is kept whatever its age, so
        ``max_rows`` may then be exceeded by the failures worth looking at. Give at least one of the two
        rules; bad arguments raise before anything is deleted.

        Args:
            older_than: A datetime, or a timedelta counted back from now.
            keep_errors: Keep every trace with a span whose status is ``"error"``.
            max_rows: The most span rows to leave in the table.
        """
        cut, keep, rows = v.prune_policy(older_than, keep_errors, max_rows)
        self._sync_spans()
        return self._prune_spans(cut, keep, rows)

    # -- SQL -------------------------------------------------------------------------------------------

    @_operation
    def tables(self) -> builtins.list[str]:
        """The table names :meth:`sql` can read: the built-in ``mastra_*`` tables and one per user table."""
        return sorted(self._tables())

    @_operation
    def sql(
        self,
        query: str,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
        *,
        allow_files: bool = False,
    ) -> pd.DataFrame:
        """Run one read-only SQL statement over the store's tables and return a DataFrame.

        Read-only means more than "changes nothing": the query may read only the tables :meth:`tables`
        lists (and the CTEs it defines). Files, URLs, other databases (``ATTACH``), extensions, settings
        and catalog functions are refused with a :class:`StorageError` before anything runs, so the text
        can come from a notebook cell or a web form.

        Args:
            query: A single ``SELECT`` (user tables are views with id, data, metadata, created_at,
                updated_at columns).
            params: Positional (``?``) or named parameters.
            allow_files: Also let the query read files (``read_csv(...)``, ``FROM 'data.parquet'``) on the
                DuckDB-based backends; it stays read-only and still never loads extensions.
        """
        if not isinstance(query, str) or not query.strip():
            raise StorageError(f"sql() needs a query string, got {query!r:.60}", code="STORAGE_BAD_SQL")
        self._sync_spans()
        return self._sql(query, params, bool(allow_files))


def _uuid_hex() -> str:
    return uuid.uuid4().hex


@contextmanager
def _no_mapping() -> Iterator[None]:
    yield


def _merge(
    old: dict[str, JSONValue], new: tuple[str, dict[str, JSONValue]] | None, replace: bool
) -> dict[str, JSONValue]:
    if new is None:
        return old
    return dict(new[1]) if replace else {**old, **new[1]}


def _later(previous: datetime) -> datetime:
    """Now, but strictly after ``previous`` (so ``updated_at`` always moves on an update)."""
    now = utcnow()
    return now if now > previous else previous + timedelta(microseconds=1)
