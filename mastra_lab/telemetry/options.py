"""Per-call tracing options: hide one call's input or output, or tag its spans, without a new tracer.

``with tracing_options(hide_input=True, metadata={"user": "u1"}):`` applies to every span opened inside the
block — across ``await`` and in the tasks it starts, since the options live in a context variable — which is
how one call is kept out of the trace while others keep their content.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TracingOptions", "current_options", "tracing_options"]


@dataclass(frozen=True)
class TracingOptions:
    """The options in force: what to hide, and the ``mastra.metadata.*`` attributes to add."""

    hide_input: bool = False
    hide_output: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)


_OPTIONS: ContextVar[TracingOptions | None] = ContextVar("mastra_tracing_options", default=None)


def current_options() -> TracingOptions | None:
    """The options set by the innermost :func:`tracing_options` block, or ``None`` outside any."""
    return _OPTIONS.get()


@contextlib.contextmanager
def tracing_options(
    hide_input: bool = False, hide_output: bool = False, metadata: Mapping[str, Any] | None = None
) -> Iterator[TracingOptions]:
    """Apply options to every span opened inside the block; nested blocks add to the outer ones.

    Args:
        hide_input: Drop the spans' input even when the tracer captures content.
        hide_output: Drop the spans' output likewise.
        metadata: Added to each span as ``mastra.metadata.<key>`` attributes (masked like all attributes).
    """
    outer = _OPTIONS.get() or TracingOptions()
    options = TracingOptions(
        hide_input=outer.hide_input or hide_input,
        hide_output=outer.hide_output or hide_output,
        attributes={**outer.attributes, **{f"mastra.metadata.{k}": v for k, v in (metadata or {}).items()}},
    )
    token = _OPTIONS.set(options)
    try:
        yield options
    finally:
        _OPTIONS.reset(token)
