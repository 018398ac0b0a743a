"""LLM providers behind one :class:`Model` interface, plus offline test models.

``get_model("openai:gpt-4o-mini")`` (or ``anthropic:``, ``groq:``, ``compat:``, ``test``) returns a
:class:`Model`; provider modules are imported only when used. ``TestModel`` and ``FunctionModel`` come from
:mod:`mastra_lab.llm.testing`, also imported on first access.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab.llm.base import (
    FinishEvent,
    Message,
    Model,
    ModelResponse,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallEvent,
    ToolDefinition,
    ToolResult,
    Usage,
)
from mastra_lab.llm.registry import get_model, list_providers, register_provider

if _typing.TYPE_CHECKING:
    from mastra_lab.llm.testing import FunctionModel, TestModel

__all__ = [
    "FinishEvent",
    "FunctionModel",
    "Message",
    "Model",
    "ModelResponse",
    "StreamEvent",
    "TestModel",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallEvent",
    "ToolDefinition",
    "ToolResult",
    "Usage",
    "get_model",
    "list_providers",
    "register_provider",
]

_LAZY = {"TestModel": "mastra_lab.llm.testing", "FunctionModel": "mastra_lab.llm.testing"}


def __getattr__(name: str) -> _typing.Any:
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mastra_lab.llm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
