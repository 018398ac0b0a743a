"""LLM providers behind one :class:`Model` interface, plus offline test models.

``get_model("openai:gpt-4o-mini")`` (or ``anthropic:``, ``groq:``, ``compat:``, ``test``) returns a
:class:`Model`; provider modules are imported only when used. ``TestModel`` and ``FunctionModel`` come from
:mod:`mastra_lab.llm.testing`, also imported on first access.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab import _lazy
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
from mastra_lab.llm.registry import (
    ProviderStatus,
    get_model,
    list_providers,
    provider_status,
    register_provider,
)

if _typing.TYPE_CHECKING:
    from mastra_lab.llm.testing import FunctionModel, TestModel

__all__ = [
    "FinishEvent",
    "FunctionModel",
    "Message",
    "Model",
    "ModelResponse",
    "ProviderStatus",
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
    "provider_status",
    "register_provider",
]

__getattr__, __dir__ = _lazy.attach(
    __name__, {"TestModel": "mastra_lab.llm.testing", "FunctionModel": "mastra_lab.llm.testing"}
)
