"""Spans: what ran, inside what, for how long, with which input, output and error.

The active span lives in a :class:`contextvars.ContextVar` (in :mod:`mastra_lab.telemetry._context`, which
the logger reads too), so nesting follows the code without passing
anything around: a span opened inside another becomes its child, across ``await`` and in every task of an
``asyncio.gather`` (each task starts from a copy of its creator's context). When a span ends it is handed
to the tracer's exporters — by default the storage exporter, which keeps traces local in the configured
:class:`~mastra_lab.storage.Storage`, where the notebook layer reads and plots them.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mastra_lab.telemetry._context import CURRENT_SPAN, current_span
from mastra_lab.telemetry._span import Span, SpanType, noop_span
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    from mastra_lab.telemetry.exporters import SpanExporter

__all__ = ["Span", "SpanType", "Tracer", "current_span"]

_logger = get_logger("telemetry")


def _new_id() -> str:
    return uuid.uuid4().hex


class Tracer:
    """Opens spans and sends finished ones to exporters.

    Args:
        exporters: Where finished spans go (see :mod:`mastra_lab.telemetry.exporters`); none means spans are
            still created and nested (so code can read ``current_span()``) but not kept.
        id_factory: Makes trace and span ids; injectable so tests get stable ids.
        clock: Returns the current time (tz-aware UTC); injectable for the same reason.
        enabled: ``False`` turns :meth:`span` into a cheap no-op: it yields a span that records nothing
            and is never exported.
    """

    def __init__(
        self,
        exporters: Sequence[SpanExporter] = (),
        *,
        id_factory: Callable[[], str] = _new_id,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        enabled: bool = True,
    ) -> None:
        self.exporters = list(exporters)
        self.enabled = enabled
        self._new_id = id_factory
        self._clock = clock

    def __repr__(self) -> str:
        names = ", ".join(type(e).__name__ for e in self.exporters)
        return f"Tracer(exporters=[{names}], enabled={self.enabled})"

    @contextlib.contextmanager
    def span(
        self,
        name: str,
        type: SpanType | str = "custom",
        *,
        input: Any = None,
        attributes: Mapping[str, Any] | None = None,
    ) -> Iterator[Span]:
        """Open a span for the ``with`` block; it becomes the parent of spans opened inside.

        An exception leaving the block is recorded on the span and re-raised. Works the same in async code:
        ``with tracer.span("llm"):`` around an ``await`` keeps the nesting. When the tracer is disabled the
        block still gets a span, one whose methods do nothing, so callers never check for ``None``.

        Args:
            name: What runs (``"agent.generate"``, ``"tool:search"`` …).
            type: Category used by plots and filters (``agent``, ``llm``, ``tool``, ``workflow`` …).
            input: What the operation received.
            attributes: Extra facts, also settable later with :meth:`Span.set_attribute`.
        """
        if not self.enabled:
            yield noop_span(name, type)
            return
        parent = CURRENT_SPAN.get()
        span = Span(
            trace_id=parent.trace_id if parent else self._new_id(),
            span_id=self._new_id(),
            parent_span_id=parent.span_id if parent else None,
            name=name,
            type=type,
            attributes=dict(attributes or {}),
            input=input,
            start=self._clock(),
            tracer=self,
        )
        token = CURRENT_SPAN.set(span)
        try:
            yield span
        except BaseException as exc:
            span.record_error(exc)
            raise
        finally:
            CURRENT_SPAN.reset(token)
            span.end = self._clock()
            self._export([span])

    def _export(self, spans: list[Span]) -> None:
        # A broken exporter (a closed store, a full disk) must not turn the user's operation into a
        # failure: the operation already happened. Say so in the log and carry on.
        for exporter in self.exporters:
            try:
                exporter.export(spans)
            except Exception as exc:
                _logger.warning("span exporter %s failed: %s", type(exporter).__name__, exc)

    def shutdown(self) -> None:
        """Flush and close every exporter."""
        for exporter in self.exporters:
            exporter.shutdown()
