"""Row ↔ record conversion shared by every backend.

All backends keep JSON as text and hand rows back as tuples in a fixed column order; these functions turn
such tuples into the public record types. ``ts`` converts whatever the backend stores for a timestamp into a
UTC datetime, so this is the one place where a backend's timestamp format is interpreted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from mastra_lab.storage.records import Record, Resource, StoredMessage, Thread, WorkflowRun

__all__ = [
    "RECORD_COLUMNS",
    "RESOURCE_COLUMNS",
    "RUN_COLUMNS",
    "THREAD_COLUMNS",
    "TS",
    "as_utc",
    "event_times",
    "events",
    "message",
    "record",
    "resource",
    "run",
    "span",
    "thread",
    "trace_summary",
]

TS = Callable[[Any], datetime]
RECORD_COLUMNS = ("id", "data", "metadata", "created_at", "updated_at")
THREAD_COLUMNS = ("id", "resource_id", "title", "metadata", "created_at", "updated_at")
RESOURCE_COLUMNS = ("id", "working_memory", "metadata", "created_at", "updated_at")
RUN_COLUMNS = ("workflow", "run_id", "status", "snapshot", "created_at", "updated_at")

_loads = json.loads


def as_utc(value: datetime) -> datetime:
    """An aware datetime re-labelled with ``datetime.timezone.utc`` (so reprs match across backends)."""
    return value.astimezone(UTC) if value.tzinfo is not UTC else value


def record(table: str, row: Sequence[Any], ts: TS) -> Record:
    """A :data:`RECORD_COLUMNS` row as a :class:`Record`."""
    return Record(row[0], table, _loads(row[1]), _loads(row[2]), ts(row[3]), ts(row[4]))


def thread(row: Sequence[Any], ts: TS) -> Thread:
    """A :data:`THREAD_COLUMNS` row as a :class:`Thread`."""
    return Thread(row[0], row[1], row[2], _loads(row[3]), ts(row[4]), ts(row[5]))


def resource(row: Sequence[Any], ts: TS) -> Resource:
    """A :data:`RESOURCE_COLUMNS` row as a :class:`Resource`."""
    return Resource(row[0], row[1], _loads(row[2]), ts(row[3]), ts(row[4]))


def message(row: Sequence[Any], ts: TS) -> StoredMessage:
    """A ``MESSAGE_COLUMNS`` row as a :class:`StoredMessage`."""
    mid, thread_id, resource_id, role, type_, content, meta, created = row[:8]
    return StoredMessage(mid, thread_id, role, _loads(content), ts(created), resource_id, type_, _loads(meta))


def run(row: Sequence[Any], ts: TS) -> WorkflowRun:
    """A :data:`RUN_COLUMNS` row as a :class:`WorkflowRun`."""
    return WorkflowRun(row[0], row[1], row[2], _loads(row[3]), ts(row[4]), ts(row[5]))


def span(row: Sequence[Any], ts: TS) -> dict[str, Any]:
    """A ``SPAN_COLUMNS`` row as the dict shape ``save_spans`` accepts."""
    sid, tid, parent, name, type_, status, attrs, inp, out, err, start, end, evs = row[:13]
    return {
        "trace_id": tid,
        "span_id": sid,
        "parent_span_id": parent,
        "name": name,
        "type": type_,
        "status": status,
        "attributes": _loads(attrs),
        "input": _loads(inp),
        "output": _loads(out),
        "error": None if err is None else _loads(err),
        "start": ts(start),
        "end": None if end is None else ts(end),
        "events": events(evs),
    }


def events(text: str | None) -> list[Any]:
    """A span's stored events (``NULL`` for spans saved before events existed), times back as datetimes."""
    if text is None or text == "[]":
        return []
    return event_times(_loads(text))


def event_times(found: list[Any]) -> list[Any]:
    """Decoded events with each ISO-8601 ``time`` turned back into a UTC datetime (in place)."""
    for event in found:
        when = event.get("time") if isinstance(event, dict) else None
        if isinstance(when, str):
            event["time"] = datetime.fromisoformat(when)
    return found


def trace_summary(
    trace_id: str, name: str | None, start: datetime, end: datetime | None, span_count: int, error: bool
) -> dict[str, Any]:
    """One ``list_traces`` entry; ``duration_ms`` is ``None`` while the trace is still running."""
    duration = None if end is None else (end - start).total_seconds() * 1000.0
    return {
        "trace_id": trace_id,
        "name": name,
        "start": start,
        "end": end,
        "duration_ms": duration,
        "span_count": int(span_count),
        "error": bool(error),
    }
