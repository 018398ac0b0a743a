"""What a run hands back: :class:`AgentResult`, the streamed :class:`AgentChunk` s, and the output spec."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pydantic

from mastra_lab.errors import MastraError
from mastra_lab.llm.base import Message, ToolCall, ToolResult, Usage, output_schema_json

__all__ = ["AgentChunk", "AgentResult", "ChunkType", "OutputSpec", "StructuredOutputError"]

ChunkType = Literal["text-delta", "tool-call", "tool-result", "tool-error", "step-finish", "finish", "error"]


class StructuredOutputError(MastraError):
    """The model kept answering with text that does not match the requested output schema.

    Attributes:
        raw_text: The model's last answer, as it was.
    """

    default_code = "AGENT_STRUCTURED_OUTPUT"
    default_domain = "agent"
    default_category = "third_party"

    def __init__(self, message: str, *, raw_text: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.raw_text = raw_text


@dataclass
class AgentResult:
    """The outcome of one run (or of a resumed run up to its new end).

    Attributes:
        text: The model's last non-empty text.
        object: The validated structured output when ``output=`` was given, else ``None``.
        tool_calls: Every tool call the model made, in order.
        tool_results: Every tool result (errors and declined calls included), in order of completion.
        usage: Tokens summed over every model call, sub-agents included.
        finish_reason: ``stop``, ``length``, ``max_steps``, ``approval``, ``token_budget`` or
            ``content_filter``.
        steps: How many model requests the run made.
        trace_id: The trace of this run (see ``%mastra trace``).
        run_id: The run; pass it to :meth:`~mastra_lab.agent.Agent.resume` when ``pending`` is not empty.
        pending: Tool calls waiting for approval (``finish_reason == "approval"``).
        thread_id: The memory thread, if any.
        resource_id: The thread's resource (user), if any.
        messages: The whole conversation the model saw, with this run's answers and tool results (for
            inspection; a resumed run in a new process has it from the stored state).
    """

    text: str
    object: Any = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    finish_reason: str = "stop"
    steps: int = 0
    trace_id: str = ""
    run_id: str = ""
    pending: list[ToolCall] = field(default_factory=list)
    thread_id: str | None = None
    resource_id: str | None = None
    messages: list[Message] = field(default_factory=list, repr=False)


@dataclass
class AgentChunk:
    """One event of a streamed run.

    ``text-delta`` (``text``), ``tool-call`` (``tool_call``), ``tool-result`` and ``tool-error``
    (``tool_result``; when the model's call could not even be parsed, ``error`` too and a result with an
    empty ``tool_call_id``), ``step-finish``
    (``step``, ``usage`` of that model request), ``finish`` (``result``, also when the run stops for
    approval), ``error`` (``error``; the stream ends after it).
    """

    type: ChunkType
    text: str = ""
    tool_call: ToolCall | None = None
    tool_result: ToolResult | None = None
    error: BaseException | None = None
    step: int | None = None
    result: AgentResult | None = None
    usage: Usage | None = None


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


@dataclass
class OutputSpec:
    """What ``output=`` asked for: a pydantic class (``result.object`` is an instance) or a JSON schema."""

    name: str
    schema: dict[str, Any]
    model: Any = None

    @classmethod
    def of(cls, output: Any) -> OutputSpec:
        try:
            name, schema = output_schema_json(output)
        except TypeError as exc:
            raise MastraError(
                f"output={output!r} is neither a pydantic model class nor a JSON-schema dict",
                code="AGENT_BAD_OUTPUT",
                domain="agent",
            ) from exc
        return cls(name, schema, None if isinstance(output, dict) else output)

    @property
    def request(self) -> Any:
        """What the model is given as ``output_schema``."""
        return self.model if self.model is not None else self.schema

    def parse(self, text: str) -> Any:
        """The validated object; raises ``ValueError`` saying what is wrong."""
        match = _FENCE.match(text)
        body = match.group(1) if match else text.strip()
        if self.model is not None:
            try:
                return pydantic.TypeAdapter(self.model).validate_json(body)
            except pydantic.ValidationError as exc:
                problems = [
                    f"{'.'.join(str(p) for p in e['loc']) or '(answer)'}: {e['msg']}"
                    for e in exc.errors(include_url=False)
                ]
                raise ValueError("; ".join(problems)) from exc
        from mastra_lab.tools import _validate_with_json_schema

        try:
            value = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} at position {exc.pos}") from exc
        if self.schema.get("type", "object") == "object":
            if not isinstance(value, dict):
                raise ValueError(f"expected a JSON object, got {type(value).__name__}")
            try:
                _validate_with_json_schema(self.schema, value, self.name)
            except MastraError as exc:
                raise ValueError(exc.message) from exc
        return value
