"""The span that is current in this context, kept apart from the tracer that opens spans.

The logger stamps every record with the active span's trace id, and storage logs; if the logger had to
import the tracer to read that span, everything that logs would pull in the tracing layer. This module is
the one piece both need — a :class:`~contextvars.ContextVar` — so the logger stays at the bottom of the
layering and the tracer builds on it.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mastra_lab.telemetry.tracer import Span

__all__ = ["CURRENT_SPAN", "current_span"]

CURRENT_SPAN: ContextVar[Span | None] = ContextVar("mastra_current_span", default=None)
"""Set by :meth:`Tracer.span <mastra_lab.telemetry.Tracer.span>` for the duration of its block."""


def current_span() -> Span | None:
    """The span opened most recently in this context, or ``None`` outside any span."""
    return CURRENT_SPAN.get()
