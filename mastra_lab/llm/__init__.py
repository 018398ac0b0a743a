"""LLM providers behind one :class:`Model` interface, plus offline test models."""

from __future__ import annotations

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

__all__ = [
    "FinishEvent",
    "Message",
    "Model",
    "ModelResponse",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallEvent",
    "ToolDefinition",
    "ToolResult",
    "Usage",
]
