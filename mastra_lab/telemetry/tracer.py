"""Spans: what ran, inside what, for how long — sampled, filtered and handed to exporters.

The active span lives in a :class:`contextvars.ContextVar` (in :mod:`mastra_lab.telemetry._context`, which
the logger reads too), so nesting follows the code without passing anything around: a span opened inside
another becomes its child, across ``await`` and in every task of an ``asyncio.gather`` (each task starts
from a copy of its creator's context).

Three decisions are made here, once, so no exporter has to repeat them:

- *Sampling*, when a root span opens (:mod:`~mastra_lab.telemetry.sampling`). A sampled-out root becomes a
  non-recording span that is made current, so everything opened inside — through :meth:`Tracer.span` or a
  service's :func:`~mastra_lab.telemetry._context.open_span` — records nothing either: a trace is kept or
  dropped whole.
- *Content capture*: with ``capture_content=False`` (the default) a span's input and output are dropped
  (when the span opens, and again when it ends, whatever the block assigned), so prompts, completions and
  tool arguments never reach an exporter; ``hide_input``/``hide_output`` and
  :func:`~mastra_lab.telemetry.tracing_options` drop them per call even with capture on.
- *Redaction*, always (:class:`~mastra_lab.telemetry.redaction.Redaction`): attributes, input, output,
  error and events are masked and cut when the span ends, before any exporter sees it.

An exporter that raises is logged once and counted in :meth:`Tracer.status`; it never fails the operation
it traced, and the other exporters still get the span.
"""

from __future__ import annotations

import atexit
import copy
import random
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from mastra_lab.telemetry._context import CURRENT_SPAN, current_span
from mastra_lab.telemetry._span import Span, SpanType, _NoopSpan, noop_span
from mastra_lab.telemetry.logger import get_logger
from mastra_lab.telemetry.options import _OPTIONS
from mastra_lab.telemetry.redaction import Redaction
from mastra_lab.telemetry.sampling import Sampler, SamplingContext, make_sampler

if TYPE_CHECKING:
    from contextvars import Token

    from mastra_lab.telemetry.exporters import SpanExporter

__all__ = ["Span", "SpanType", "Tracer", "current_span"]

_logger = get_logger("telemetry")
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


def _new_id() -> str:
    """A random 128-bit hex id; ``getrandbits`` costs a fraction of ``uuid4`` and ids need no secrecy."""
    return f"{random.getrandbits(128):032x}"


def _now() -> datetime:
    return datetime.now(UTC)


class _Slot:
    """One exporter and what the tracer counted handing spans to it."""

    __slots__ = ("exporter", "failed", "handed", "warned")

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter
        self.handed = 0
        self.failed = 0
        self.warned = False

    def fail(self, what: str, exc: Exception, count: int) -> None:
        self.failed += count
        if not self.warned:
            self.warned = True
            _logger.warning(
                "span exporter %s failed in %s: %s (further failures are counted in tracer.status())",
                type(self.exporter).__name__,
                what,
                exc,
            )


class _SpanScope:
    """The context manager :meth:`Tracer.span` returns; a class, not a generator, because it is hot."""

    __slots__ = (
        "_attributes",
        "_hide_input",
        "_hide_output",
        "_input",
        "_name",
        "_token",
        "_tracer",
        "_type",
        "span",
    )

    def __init__(
        self,
        tracer: Tracer,
        name: str,
        type: str,
        input: Any,
        attributes: Mapping[str, Any] | None,
        hide_input: bool,
        hide_output: bool,
    ) -> None:
        self._tracer = tracer
        self._name = name
        self._type = type
        self._input = input
        self._attributes = attributes
        self._hide_input = hide_input
        self._hide_output = hide_output
        self._token: Token[Span | None] | None = None

    def __enter__(self) -> Span:
        tracer = self._tracer
        name, kind = self._name, self._type
        if not tracer.enabled:
            self.span = noop_span(name, kind)
            return self.span
        parent = CURRENT_SPAN.get()
        if parent is None:
            trace_id = tracer._new_id()
            parent_id = None
            if tracer._sampler is not None and not tracer._keep(trace_id, name, kind, self._attributes):
                span: Span = _NoopSpan(
                    trace_id, "", None, name, kind, start=_NEVER, tracer=tracer, recording=False
                )
                self.span = span
                self._token = CURRENT_SPAN.set(span)
                return span
        elif not parent.recording:
            self.span = _NoopSpan(parent.trace_id, "", None, name, kind, start=_NEVER, recording=False)
            return self.span
        else:
            trace_id = parent.trace_id
            parent_id = parent.span_id
        attributes = dict(self._attributes) if self._attributes else {}
        options = _OPTIONS.get()
        keep_input = tracer.capture_content and not self._hide_input
        if options is not None:
            if options.attributes:
                attributes.update(options.attributes)
            keep_input = keep_input and not options.hide_input
            self._hide_output = self._hide_output or options.hide_output
        self._hide_input = not keep_input
        span = Span(
            trace_id,
            tracer._new_id(),
            parent_id,
            name,
            kind,
            attributes,
            self._input if keep_input else None,
            start=tracer._clock(),
            tracer=tracer,
        )
        self.span = span
        self._token = CURRENT_SPAN.set(span)
        for slot in tracer._starters:
            try:
                slot.exporter.on_start(span)
            except Exception as exc:
                slot.fail("on_start", exc, 0)
        return span

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._token is None:
            return
        CURRENT_SPAN.reset(self._token)
        span = self.span
        if not span.recording:
            return
        if exc is not None:
            span.record_error(exc)
        span.end = self._tracer._clock()
        if self._hide_input:  # also what the block assigned to span.input itself
            span.input = None
        if self._hide_output or not self._tracer.capture_content:
            span.output = None
        self._tracer._finish(span)


_LIVE: weakref.WeakSet[Tracer] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


@atexit.register
def _shutdown_live_tracers() -> None:
    """At interpreter exit, write what every live tracer's exporters still hold (open spans included)."""
    with _LIVE_LOCK:
        tracers = list(_LIVE)
    for tracer in tracers:
        tracer.shutdown()


class Tracer:
    """Opens spans, decides which traces are kept and what they may contain, and exports finished spans.

    Args:
        exporters: Where finished spans go (see :mod:`mastra_lab.telemetry.exporters`); none means spans are
            still created and nested (so code can read ``current_span()``) but not kept.
        id_factory: Makes trace and span ids; injectable so tests get stable ids.
        clock: Returns the current time (tz-aware UTC); injectable for the same reason.
        enabled: ``False`` turns :meth:`span` into a cheap no-op: it yields a span that records nothing
            and is never exported.
        sampler: ``"always"`` (default), ``"never"``, a ratio in ``[0, 1]`` decided on the trace id, or a
            callable taking a :class:`~mastra_lab.telemetry.sampling.SamplingContext` and returning whether
            to keep the trace. Decided at the root, for the whole trace.
        capture_content: Keep spans' input and output (prompts, completions, tool arguments and results).
            Off by default: content stays out of traces unless asked for.
        redaction: What to mask and how long values may be; :class:`Redaction` defaults when ``None``.

    Raises:
        MastraError: ``TELEMETRY_BAD_SAMPLER`` for a malformed sampler (``1.5``, ``"half"``, NaN).
    """

    def __init__(
        self,
        exporters: Sequence[SpanExporter] = (),
        *,
        id_factory: Callable[[], str] = _new_id,
        clock: Callable[[], datetime] = _now,
        enabled: bool = True,
        sampler: Sampler = "always",
        capture_content: bool = False,
        redaction: Redaction | None = None,
    ) -> None:
        self._sampler, self.sampler = make_sampler(sampler)
        self.exporters = list(exporters)
        self.enabled = enabled
        self.capture_content = bool(capture_content)
        self.redaction = redaction or Redaction()
        self._new_id = id_factory
        self._clock = clock
        self._slots = [_Slot(e) for e in self.exporters]
        self._starters = [s for s in self._slots if _overrides(s.exporter, "on_start")]
        if self.exporters:
            with _LIVE_LOCK:
                _LIVE.add(self)

    def __repr__(self) -> str:
        names = ", ".join(type(e).__name__ for e in self.exporters)
        return (
            f"Tracer(exporters=[{names}], enabled={self.enabled}, sampler={self.sampler!r}, "
            f"capture_content={self.capture_content})"
        )

    def span(
        self,
        name: str,
        type: SpanType | str = "custom",
        *,
        input: Any = None,
        attributes: Mapping[str, Any] | None = None,
        hide_input: bool = False,
        hide_output: bool = False,
    ) -> _SpanScope:
        """Open a span for the ``with`` block; it becomes the parent of spans opened inside.

        An exception leaving the block is recorded on the span and re-raised. Works the same in async code:
        ``with tracer.span("llm"):`` around an ``await`` keeps the nesting. When the tracer is disabled or
        the trace was sampled out, the block still gets a span, one whose methods do nothing, so callers
        never check for ``None``.

        Args:
            name: What runs (``"invoke_agent support"``, ``"execute_tool add"`` …).
            type: The span kind (``agent_run``, ``llm_generation``, ``tool_call`` …) plots and filters use.
            input: What the operation received; kept only when the tracer captures content.
            attributes: Extra facts, also settable later with :meth:`Span.set_attribute`.
            hide_input: Drop the input even when the tracer captures content.
            hide_output: Drop the output likewise.
        """
        return _SpanScope(self, name, type, input, attributes, hide_input, hide_output)

    def _keep(self, trace_id: str, name: str, kind: str, attributes: Mapping[str, Any] | None) -> bool:
        assert self._sampler is not None
        try:
            return bool(self._sampler(SamplingContext(trace_id, name, kind, dict(attributes or {}))))
        except Exception as exc:  # a broken sampler keeps the trace: losing it silently would be worse
            _logger.warning("sampler %s failed, keeping the trace: %s", self.sampler, exc)
            return True

    def clean(self, span: Span) -> Span:
        """Mask and cut ``span``'s attributes, input, output, error and events in place; returns it.

        Exporters that write spans still open (at shutdown) call it on a copy: see :meth:`snapshot`.
        """
        red = self.redaction
        if span.attributes:
            span.attributes = red.mapping(span.attributes)
        if span.input is not None:
            span.input = red.payload(span.input)
        if span.output is not None:
            span.output = red.payload(span.output)
        if span.error:
            span.error = red.mapping(span.error)
        if span.events:
            span.events = [
                {"name": e["name"], "time": e["time"], "attributes": red.mapping(e["attributes"])}
                for e in span.events
            ]
        return span

    def snapshot(self, span: Span) -> Span:
        """A cleaned copy of a span that is still open, to write as ``running`` without touching it."""
        copied = copy.copy(span)
        if not self.capture_content:
            copied.output = None
        return self.clean(copied)

    def _finish(self, span: Span) -> None:
        self.clean(span)
        batch = [span]
        for slot in self._slots:
            try:
                slot.exporter.export(batch)
                slot.handed += 1
            except Exception as exc:
                slot.fail("export", exc, 1)

    def flush(self, timeout: float | None = None) -> None:
        """Write every exporter's pending spans now (each exporter waits at most ``timeout`` seconds)."""
        for slot in self._slots:
            try:
                slot.exporter.flush(timeout)
            except Exception as exc:
                slot.fail("flush", exc, 0)

    def shutdown(self) -> None:
        """Flush and close every exporter; open spans are written as unfinished. Safe to call twice."""
        with _LIVE_LOCK:
            _LIVE.discard(self)
        for slot in self._slots:
            try:
                slot.exporter.shutdown()
            except Exception as exc:
                slot.fail("shutdown", exc, 0)

    def status(self) -> dict[str, Any]:
        """``enabled``, ``sampler``, ``capture_content`` and per exporter ``name``, ``exported``,
        ``dropped``, ``failed`` and ``buffered`` (spans waiting to be written)."""
        exporters = []
        for slot in self._slots:
            try:
                own = dict(slot.exporter.status())
            except Exception as exc:
                slot.fail("status", exc, 0)
                own = {}
            exporters.append(
                {
                    **own,
                    "name": own.get("name") or type(slot.exporter).__name__,
                    "exported": own.get("exported", slot.handed),
                    "dropped": own.get("dropped", 0),
                    "failed": own.get("failed", 0) + slot.failed,
                    "buffered": own.get("buffered", 0),
                }
            )
        return {
            "enabled": self.enabled,
            "sampler": self.sampler,
            "capture_content": self.capture_content,
            "exporters": exporters,
        }


def _overrides(exporter: SpanExporter, method: str) -> bool:
    from mastra_lab.telemetry.exporters import SpanExporter

    return getattr(type(exporter), method) is not getattr(SpanExporter, method)
