"""The span record: what ran, inside what, for how long, with which input, output, error and log events.

It sits at the bottom of the layering with the current-span context, apart from the tracer that decides
whether and where spans go: the services (models, vector stores, embedders) open spans through
:func:`mastra_lab.telemetry._context.open_span` and need this record — and a no-op stand-in for it — without
importing the tracer, its sampling or its exporters.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mastra_lab._secret import Secret

__all__ = ["SPAN_TYPES", "Span", "SpanType", "noop_span"]

SpanType = Literal[
    "agent_run",
    "llm_generation",
    "tool_call",
    "workflow_run",
    "workflow_step",
    "workflow_parallel",
    "workflow_loop",
    "workflow_sleep",
    "memory_recall",
    "memory_save",
    "vector_query",
    "vector_upsert",
    "embedding",
    "http_request",
    "rag_ingest",
    "custom",
]
"""The kinds of span, after Mastra's AI span types; filters, plots and exporters key on them."""

SPAN_TYPES: tuple[str, ...] = typing.get_args(SpanType)

_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _jsonable(value: Any) -> Any:
    """Make span payloads storable: secrets masked, dataclasses and pydantic models turned into dicts."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return _jsonable(dump(mode="json"))
    return repr(value)


@dataclass(eq=False)
class Span:
    """One timed operation. Open spans through ``Tracer.span``; this class only records.

    Attributes:
        events: Point-in-time records inside the span — the log lines written while it was current —
            each ``{"name", "time", "attributes"}``.
        tracer: The tracer that opened the span (``None`` for a no-op span); :func:`open_span` uses it so
            that a service's span joins the trace it runs in.
        recording: ``False`` for spans that record nothing: tracing is off, or the trace was sampled out.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    type: str = "custom"
    attributes: dict[str, Any] = field(default_factory=dict)
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    start: datetime = field(default_factory=lambda: datetime.now(UTC))
    end: datetime | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    tracer: Any = field(default=None, repr=False)
    recording: bool = True

    @property
    def duration_ms(self) -> float | None:
        """Milliseconds between start and end, ``None`` while the span is open."""
        if self.end is None:
            return None
        return (self.end - self.start).total_seconds() * 1000

    @property
    def status(self) -> Literal["running", "ok", "error"]:
        """``running`` until ended, then ``error`` if an error was recorded, else ``ok``."""
        if self.end is None:
            return "running"
        return "error" if self.error else "ok"

    def set_attribute(self, key: str, value: Any) -> None:
        """Attach one attribute (token counts, model id, row counts …)."""
        self.attributes[key] = value

    def set_output(self, output: Any) -> None:
        """Record what the operation produced."""
        self.output = output

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, time: datetime | None = None
    ) -> None:
        """Record something that happened at one instant inside the span (a log line, a first token)."""
        at = time or datetime.now(UTC)
        self.events.append({"name": name, "time": at, "attributes": dict(attributes or {})})

    def record_error(self, exc: BaseException) -> None:
        """Record a failure; a :class:`~mastra_lab.errors.MastraError` keeps its code and category.

        ``error.type`` (OpenTelemetry's name) is the error code when there is one, else the class name.
        """
        to_dict = getattr(exc, "to_dict", None)
        self.error = to_dict() if callable(to_dict) else {"type": type(exc).__name__, "message": str(exc)}
        self.attributes["error.type"] = getattr(exc, "code", None) or type(exc).__name__

    def to_dict(self) -> dict[str, Any]:
        """The span as JSON-able data, the shape ``Storage.save_spans`` stores."""
        return {
            "trace_id": self.trace_id,
            "span_id": self.span_id,
            "parent_span_id": self.parent_span_id,
            "name": self.name,
            "type": self.type,
            "attributes": _jsonable(self.attributes),
            "input": _jsonable(self.input),
            "output": _jsonable(self.output),
            "error": _jsonable(self.error),
            "start": self.start,
            "end": self.end,
            "status": self.status,
            "events": [{**e, "attributes": _jsonable(e["attributes"])} for e in self.events],
        }


class _NoopSpan(Span):
    """The :class:`Span` interface, recording nothing: what code gets when tracing is off or sampled out.

    Callers write ``span.set_attribute(...)`` without asking whether tracing is on; here those calls do
    nothing, and the span is never exported nor made the parent of other spans.
    """

    def set_attribute(self, key: str, value: Any) -> None:
        """Ignored: this span records nothing."""

    def set_output(self, output: Any) -> None:
        """Ignored: this span records nothing."""

    def add_event(
        self, name: str, attributes: Mapping[str, Any] | None = None, time: datetime | None = None
    ) -> None:
        """Ignored: this span records nothing."""

    def record_error(self, exc: BaseException) -> None:
        """Ignored: this span records nothing."""


def noop_span(name: str, type: str) -> Span:
    """A fresh, cheap span that records nothing (no clock, no ids), so nothing is shared between callers."""
    return _NoopSpan("", "", None, name, type, start=_NEVER, recording=False)
