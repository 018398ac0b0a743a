"""Reading traces back: find one by id or short prefix, list recent ones, and lay a trace out as a tree.

Spans are stored flat (one row each, pointing at its parent); people read them as a tree. :func:`trace_layout`
turns a trace's spans into rows in reading order — depth first, children by start time — with the depth and
the millisecond offsets a waterfall needs. It is pure (no matplotlib, no pandas), so the plot, the span
table and any other view agree on the same order, and tests can check the layout without drawing.

Trace ids are long hex strings; like git's short hashes, :func:`find_trace` accepts any unique prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from mastra_lab.errors import MastraError

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.tracer import Span

__all__ = [
    "SpanRow",
    "find_trace",
    "load_trace",
    "recent_traces",
    "recent_traces_df",
    "summarize_trace",
    "trace_layout",
    "trace_spans_df",
]

_LIST_HINT = "list the traces with storage.list_traces()"
_MAX_CANDIDATES = 10

SpanStatus = Literal["ok", "error", "running"]


@dataclass(frozen=True)
class SpanRow:
    """One span placed in its trace: where it sits in the tree and on the time axis.

    Attributes:
        row: Position in reading order (0 is the first root).
        depth: 0 for roots (and orphans), parent's depth + 1 otherwise.
        start_ms: Milliseconds from the trace's first start to this span's start.
        end_ms: Milliseconds from the trace start to the span's end; for a running span, the trace's end.
        duration_ms: The span's own duration, ``None`` while it is running.
        orphan: The span names a parent that is not in the trace (lost, or not saved yet).
        error: The recorded error's message, if the span failed.
    """

    row: int
    span_id: str
    parent_span_id: str | None
    name: str
    type: str
    status: SpanStatus
    depth: int
    start_ms: float
    end_ms: float
    duration_ms: float | None
    orphan: bool = False
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.status == "running"


def find_trace(storage: Storage, trace_id: str) -> str:
    """The full id of the trace ``trace_id`` names: the id itself, or the one trace it is a prefix of.

    Args:
        storage: Where the spans are.
        trace_id: A full trace id or a unique prefix of one (``"3f2a9c"``).

    Raises:
        MastraError: ``TELEMETRY_TRACE_NOT_FOUND`` when no trace matches, ``TELEMETRY_TRACE_AMBIGUOUS``
            (``details["candidates"]``) when the prefix matches several.
    """
    trace_id = trace_id.strip()
    if not trace_id:
        raise MastraError(
            f"a trace id is needed; {_LIST_HINT}", code="TELEMETRY_TRACE_NOT_FOUND", domain="telemetry"
        )
    if storage.get_trace(trace_id):
        return trace_id
    found = storage.sql(
        "SELECT DISTINCT trace_id FROM mastra_spans WHERE substr(trace_id, 1, ?) = ? "
        "ORDER BY trace_id LIMIT ?",
        [len(trace_id), trace_id, _MAX_CANDIDATES + 1],
    )
    candidates = [str(t) for t in found["trace_id"]]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise MastraError(
            f"no trace {trace_id!r} in this storage; {_LIST_HINT}",
            code="TELEMETRY_TRACE_NOT_FOUND",
            domain="telemetry",
            details={"trace_id": trace_id},
        )
    shown = ", ".join(candidates[:_MAX_CANDIDATES]) + (" …" if len(candidates) > _MAX_CANDIDATES else "")
    raise MastraError(
        f"the trace id prefix {trace_id!r} matches several traces: {shown}; give more characters",
        code="TELEMETRY_TRACE_AMBIGUOUS",
        domain="telemetry",
        details={"trace_id": trace_id, "candidates": candidates[:_MAX_CANDIDATES]},
    )


def _time(value: Any, what: str) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    if value is None or isinstance(value, datetime):
        return value
    raise MastraError(
        f"span {what} must be a datetime or an ISO 8601 string, got {value!r}",
        code="TELEMETRY_BAD_SPAN",
        domain="telemetry",
    )


def _span_dict(span: Mapping[str, Any] | Span | Any) -> dict[str, Any]:
    to_dict = getattr(span, "to_dict", None)
    if callable(to_dict):
        span = to_dict()
    if isinstance(span, Mapping):
        out = dict(span)
        out["start"] = _time(out.get("start"), "start")
        out["end"] = _time(out.get("end"), "end")
        if out["start"] is None or "span_id" not in out:
            raise MastraError(
                f"a span needs at least span_id and start, got keys {sorted(out)}",
                code="TELEMETRY_BAD_SPAN",
                domain="telemetry",
            )
        return out
    raise MastraError(
        f"expected spans as dicts or Span objects, got {type(span).__name__}",
        code="TELEMETRY_BAD_SPAN",
        domain="telemetry",
    )


def load_trace(
    storage_or_spans: Storage | Iterable[Mapping[str, Any] | Span], trace_id: str | None = None
) -> list[dict[str, Any]]:
    """The spans of one trace as dicts, from a storage (by id or unique prefix) or from spans in hand.

    Args:
        storage_or_spans: A :class:`~mastra_lab.storage.Storage`, or span dicts / :class:`Span` objects.
        trace_id: The trace (needed with a storage; with spans, picks one trace when they hold several).

    Raises:
        MastraError: The trace is unknown or empty, or the spans hold several traces and none was chosen.
    """
    from mastra_lab.storage.base import Storage

    if isinstance(storage_or_spans, Storage):
        if trace_id is None:
            raise MastraError(
                f"which trace? pass trace_id=…; {_LIST_HINT}",
                code="TELEMETRY_TRACE_NOT_FOUND",
                domain="telemetry",
            )
        spans = storage_or_spans.get_trace(trace_id.strip())
        return spans or storage_or_spans.get_trace(find_trace(storage_or_spans, trace_id))
    spans = [_span_dict(s) for s in storage_or_spans]
    if trace_id is not None:
        spans = [s for s in spans if s.get("trace_id") == trace_id]
    ids = sorted({str(s.get("trace_id")) for s in spans})
    if not spans:
        named = f"no spans of trace {trace_id!r}" if trace_id is not None else "no spans"
        raise MastraError(
            f"{named} to show; pass the spans of a trace, or a storage and a trace id ({_LIST_HINT})",
            code="TELEMETRY_TRACE_NOT_FOUND",
            domain="telemetry",
            details={"trace_id": trace_id},
        )
    if len(ids) > 1:
        raise MastraError(
            f"the spans belong to {len(ids)} traces ({', '.join(ids[:5])}{' …' if len(ids) > 5 else ''}); "
            "pass trace_id=… to choose one",
            code="TELEMETRY_TRACE_AMBIGUOUS",
            domain="telemetry",
            details={"candidates": ids[:_MAX_CANDIDATES]},
        )
    return spans


def _status(span: Mapping[str, Any]) -> SpanStatus:
    if span.get("error") or span.get("status") == "error":
        return "error"
    return "running" if span.get("end") is None else "ok"


def _error_message(error: Any) -> str | None:
    if not error:
        return None
    if isinstance(error, Mapping):
        return str(error.get("message") or error.get("type") or error)
    return str(error)


def _depth_first(spans: Sequence[dict[str, Any]]) -> list[tuple[dict[str, Any], int, bool]]:
    """``(span, depth, orphan)`` in reading order; spans caught in a parent cycle come last, as orphans."""
    by_id = {str(s["span_id"]): s for s in spans}
    order = sorted(range(len(spans)), key=lambda i: (spans[i]["start"], i))
    children: dict[str, list[dict[str, Any]]] = {}
    roots: list[dict[str, Any]] = []
    for i in order:
        parent = spans[i].get("parent_span_id")
        if parent is not None and str(parent) in by_id and str(parent) != str(spans[i]["span_id"]):
            children.setdefault(str(parent), []).append(spans[i])
        else:
            roots.append(spans[i])
    out: list[tuple[dict[str, Any], int, bool]] = []
    seen: set[str] = set()
    pending = [spans[i] for i in order]
    for start in [*roots, *pending]:
        if str(start["span_id"]) in seen:
            continue
        stack = [(start, 0)]
        while stack:
            span, depth = stack.pop()
            if str(span["span_id"]) in seen:
                continue
            seen.add(str(span["span_id"]))
            orphan = depth == 0 and span.get("parent_span_id") is not None
            out.append((span, depth, orphan))
            stack.extend((c, depth + 1) for c in reversed(children.get(str(span["span_id"]), [])))
    return out


def _ms(t: datetime, t0: datetime) -> float:
    return (t - t0).total_seconds() * 1000.0


def trace_layout(spans: Iterable[Mapping[str, Any] | Span]) -> list[SpanRow]:
    """Place a trace's spans for a waterfall: depth-first order, depth, and offsets from the trace start.

    Children follow their parent, earliest first; a span whose parent is not among ``spans`` starts a tree
    of its own at depth 0, marked ``orphan``. A running span (no end yet) reaches to the trace's end, the
    latest start or end of any span.

    Args:
        spans: The spans of one trace, as dicts (``Storage.get_trace``) or :class:`Span` objects.
    """
    items = [_span_dict(s) for s in spans]
    if not items:
        return []
    t0 = min(s["start"] for s in items)
    t_end = max(s["end"] if s.get("end") is not None else s["start"] for s in items)
    rows = []
    for row, (span, depth, orphan) in enumerate(_depth_first(items)):
        status = _status(span)
        end = span.get("end")
        rows.append(
            SpanRow(
                row=row,
                span_id=str(span["span_id"]),
                parent_span_id=span.get("parent_span_id"),
                name=str(span.get("name", "")),
                type=str(span.get("type") or "custom"),
                status=status,
                depth=depth,
                start_ms=_ms(span["start"], t0),
                end_ms=_ms(end if end is not None else t_end, t0),
                duration_ms=None if end is None else _ms(end, span["start"]),
                orphan=orphan,
                error=_error_message(span.get("error")),
            )
        )
    return rows


def summarize_trace(spans: Iterable[Mapping[str, Any] | Span]) -> dict[str, Any]:
    """One trace in the shape of a :func:`recent_traces` entry: trace_id, name, start, duration_ms,
    span_count, status — for spans in hand rather than a storage query.

    Args:
        spans: The spans of one trace (at least one), as dicts or :class:`Span` objects.
    """
    items = [_span_dict(s) for s in spans]
    rows = trace_layout(items)
    if not rows:
        raise MastraError("no spans to summarise", code="TELEMETRY_TRACE_NOT_FOUND", domain="telemetry")
    root = rows[0]
    status = "error" if any(r.status == "error" for r in rows) else root.status
    return {
        "trace_id": str(items[0].get("trace_id")),
        "name": root.name,
        "start": min(s["start"] for s in items),
        "duration_ms": None if status == "running" else max(r.end_ms for r in rows),
        "span_count": len(rows),
        "status": status,
    }


def trace_spans_df(spans: Iterable[Mapping[str, Any] | Span]) -> pd.DataFrame:
    """One row per span in :func:`trace_layout` order, with its attributes: the table beside a waterfall.

    Args:
        spans: The spans of one trace, as dicts or :class:`Span` objects.
    """
    import pandas as pd

    items = [_span_dict(s) for s in spans]
    attributes = {str(s["span_id"]): s.get("attributes") or {} for s in items}
    columns = [
        "name",
        "type",
        "status",
        "depth",
        "start_ms",
        "duration_ms",
        "error",
        "span_id",
        "parent_span_id",
        "attributes",
    ]
    rows = [
        {
            "name": r.name,
            "type": r.type,
            "status": r.status,
            "depth": r.depth,
            "start_ms": round(r.start_ms, 3),
            "duration_ms": None if r.duration_ms is None else round(r.duration_ms, 3),
            "error": r.error,
            "span_id": r.span_id,
            "parent_span_id": r.parent_span_id,
            "attributes": attributes[r.span_id],
        }
        for r in trace_layout(items)
    ]
    return pd.DataFrame(rows, columns=columns)


def recent_traces(storage: Storage, limit: int = 50) -> list[dict[str, Any]]:
    """:meth:`Storage.list_traces` (newest first) with a ``status``: ``error``, ``running`` or ``ok``.

    A trace is ``error`` when any span failed, else ``running`` while its root (or, with no root, every
    span) has not ended.

    Args:
        storage: Where the spans are.
        limit: At most this many traces.
    """
    out = []
    for trace in storage.list_traces(limit):
        status = "error" if trace["error"] else "running" if trace["end"] is None else "ok"
        out.append({**trace, "status": status})
    return out


def recent_traces_df(storage: Storage, limit: int = 50) -> pd.DataFrame:
    """:func:`recent_traces` as a DataFrame: trace_id, name, start, duration_ms, span_count, status.

    Args:
        storage: Where the spans are.
        limit: At most this many traces.
    """
    import pandas as pd

    columns = ["trace_id", "name", "start", "duration_ms", "span_count", "status"]
    return pd.DataFrame([{c: t[c] for c in columns} for t in recent_traces(storage, limit)], columns=columns)
