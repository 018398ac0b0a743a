"""The span that is current in this context, and the one way services open spans inside it.

The logger stamps every record with the active span's trace id; if the logger had to import the tracer to
read that span, everything that logs would pull in the tracing layer. Models, vector stores and embedders
are in the same position: they should appear in the trace they run in without importing the tracer beside
them. This module is the piece they all share — a :class:`~contextvars.ContextVar` and :func:`open_span` —
so the logger and the services stay below the tracer, which builds on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from mastra_lab.telemetry._span import Span

__all__ = ["CURRENT_SPAN", "SpanOpener", "current_span", "open_span"]

CURRENT_SPAN: ContextVar[Span | None] = ContextVar("mastra_current_span", default=None)
"""Set by :meth:`Tracer.span <mastra_lab.telemetry.Tracer.span>` for the duration of its block."""


class SpanOpener(Protocol):
    """What :func:`open_span` needs of a tracer: :meth:`Tracer.span <mastra_lab.telemetry.Tracer.span>`."""

    def span(
        self,
        name: str,
        type: str = ...,
        *,
        input: Any = ...,
        attributes: Mapping[str, Any] | None = ...,
    ) -> contextlib.AbstractContextManager[Span]: ...


def current_span() -> Span | None:
    """The span opened most recently in this context, or ``None`` outside any span."""
    return CURRENT_SPAN.get()


def open_span(
    name: str,
    type: str,
    *,
    tracer: SpanOpener | None = None,
    input: Any = None,
    attributes: Mapping[str, Any] | None = None,
) -> contextlib.AbstractContextManager[Span]:
    """Open a span where the caller runs: a child of the current span, through the tracer that opened it.

    Outside any trace the span is a root opened with ``tracer`` — the one a :class:`~mastra_lab.Mastra`
    gives the components it registers — or, with no tracer either, a no-op span, so a vector store used on
    its own costs nothing. Inside a trace that was sampled out the child is a no-op too: a trace is kept or
    dropped whole. A plain function rather than a generator, so the no-op path is a ``nullcontext``.
    """
    from mastra_lab.telemetry._span import noop_span  # only here: importing the logger stays this light

    parent = CURRENT_SPAN.get()
    opener = parent.tracer if parent is not None else tracer
    if opener is None or (parent is not None and not parent.recording):
        return contextlib.nullcontext(noop_span(name, type))
    return opener.span(name, type, input=input, attributes=attributes)
