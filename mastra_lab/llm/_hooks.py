"""The capture and override hooks every model honours, real providers and offline models alike.

Real providers report each request here (:func:`record_request`), and code that picks a model asks here
whether an :func:`override_model` block replaces it (:func:`resolve_model`), on every call — so this module
is small and imports nothing but the base types (and the registry, to resolve a model id).
The offline models and the public names for tests are in :mod:`mastra_lab.llm.testing`, which re-exports
these; production code never needs to import that module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from mastra_lab.llm.base import Message, Model, ToolChoice, ToolDefinition, _Repr, output_schema_json

__all__ = [
    "CapturedRequest",
    "capture_messages",
    "current_override",
    "override_model",
    "record_request",
    "resolve_model",
]

_OutputSchema: TypeAlias = dict[str, Any] | type[Any] | None


@dataclass(repr=False)
class CapturedRequest(_Repr):
    """One request as a model received it (what :func:`capture_messages` and ``last_request`` keep)."""

    model: str
    """The receiving model's id, ``provider:model``."""
    messages: list[Message] = field(default_factory=list)
    """The conversation sent."""
    tools: list[ToolDefinition] = field(default_factory=list)
    """Tools offered."""
    tool_choice: ToolChoice = "auto"
    """``auto``, ``none``, ``required`` or one tool's name."""
    output_schema: dict[str, Any] | None = None
    """JSON schema requested for structured output (pydantic classes are converted)."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Provider settings such as ``temperature``."""


_captures: ContextVar[tuple[list[CapturedRequest], ...]] = ContextVar("mastra_captures", default=())
_override: ContextVar[Model | None] = ContextVar("mastra_model_override", default=None)


def record_request(
    model: Model,
    messages: Sequence[Message],
    tools: Sequence[ToolDefinition] | None = None,
    tool_choice: ToolChoice = "auto",
    output_schema: _OutputSchema = None,
    settings: dict[str, Any] | None = None,
) -> CapturedRequest:
    """Report a request to every active :func:`capture_messages` block; models call it once per request.

    Real providers call it at the start of ``generate`` and ``stream``, right after
    :func:`~mastra_lab.llm.base.check_allow_model_requests`.

    Args:
        model: The model receiving the request.
        messages: The conversation being sent.
        tools: Tools offered, if any.
        tool_choice: The request's tool choice.
        output_schema: JSON schema dict or pydantic class for structured output, if any.
        settings: Provider settings of the request.
    """
    request = CapturedRequest(
        model=model.id,
        messages=list(messages),
        tools=list(tools or ()),
        tool_choice=tool_choice,
        output_schema=None if output_schema is None else output_schema_json(output_schema)[1],
        settings=dict(settings or {}),
    )
    for sink in _captures.get():
        sink.append(request)
    return request


@contextmanager
def capture_messages() -> Iterator[list[CapturedRequest]]:
    """Record every request any model receives inside the block (nested blocks each see them all).

    Example:
        ```python
        from mastra_lab.llm import Message
        from mastra_lab.llm.testing import TestModel, capture_messages

        with capture_messages() as requests:
            TestModel(text="hi").generate_sync([Message.user("hello")])
        assert requests[0].messages == [Message.user("hello")]
        ```
    """
    sink: list[CapturedRequest] = []
    token = _captures.set((*_captures.get(), sink))
    try:
        yield sink
    finally:
        _captures.reset(token)


@contextmanager
def override_model(model: Model | str) -> Iterator[Model]:
    """Make every agent inside the block use ``model`` instead of its own (a contextvar, so tasks inherit it).

    Args:
        model: A :class:`Model`, or a model id such as ``"test"`` resolved with ``get_model``.
    """
    resolved = _as_model(model)
    token = _override.set(resolved)
    try:
        yield resolved
    finally:
        _override.reset(token)


def current_override() -> Model | None:
    """The model set by the innermost active :func:`override_model`, else ``None``."""
    return _override.get()


def resolve_model(model: Model | str) -> Model:
    """The model an agent must use: the active override if any, else ``model`` (ids go through ``get_model``).

    Args:
        model: The agent's own model or model id.
    """
    return _override.get() or _as_model(model)


def _as_model(model: Model | str) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        from mastra_lab.llm.registry import get_model

        resolved: Model = get_model(model)
        return resolved
    raise TypeError(f"expected a Model or a model id like 'openai:gpt-4o-mini', got {model!r}")
