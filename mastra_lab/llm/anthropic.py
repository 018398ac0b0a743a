"""Anthropic Messages API: our message types to its JSON and back.

Differences from OpenAI that this module absorbs: the system prompt is a top-level field, ``max_tokens`` is
required (default :data:`DEFAULT_MAX_TOKENS`), tool calls are ``tool_use`` content blocks and their results
``tool_result`` blocks inside a *user* turn, and streams are named SSE events (``message_start``,
``content_block_start/delta/stop``, ``message_delta``, ``message_stop``, ``ping``, ``error``).

Structured output uses a forced tool: the schema is offered as a tool named after it (:data:`OUTPUT_TOOL`
when unnamed) and ``tool_choice`` forces that tool (or ``any`` when other tools are offered too); the
arguments of that call become the response's JSON ``text`` and are not reported as a tool call.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypedDict

from httpx_sse import ServerSentEvent

from mastra_lab._secret import Secret
from mastra_lab.errors import ProviderError, ProviderUnavailableError
from mastra_lab.llm._provider import HTTPModel
from mastra_lab.llm.base import (
    FinishEvent,
    FinishReason,
    Message,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEvent,
    ToolChoice,
    ToolDefinition,
    Usage,
    output_schema_json,
    parse_tool_arguments,
)
from mastra_lab.llm.http import context_length_errors

__all__ = ["DEFAULT_MAX_TOKENS", "OUTPUT_TOOL", "AnthropicModel", "AnthropicSettings"]

API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
"""Sent when no ``max_tokens`` is given (Anthropic requires one)."""
OUTPUT_TOOL = "final_output"
"""Name of the forced tool used for structured output when the schema has no title."""


class AnthropicSettings(TypedDict, total=False):
    """Request settings for the Messages API (any other key is passed through unchanged)."""

    max_tokens: int
    """Upper bound on generated tokens (default 4096)."""
    temperature: float
    """Sampling temperature, 0–1."""
    top_p: float
    """Nucleus sampling mass."""
    top_k: int
    """Sample from the top k tokens."""
    stop: list[str]
    """Stop sequences (sent as ``stop_sequences``)."""
    metadata: dict[str, Any]
    """``{"user_id": ...}``."""


# -- our types → wire ---------------------------------------------------------------------------------------


def _result_text(result: Any) -> str:
    return result if isinstance(result, str) else json.dumps(result, default=str)


def _blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if part.kind == "text":
            if part.text:
                blocks.append({"type": "text", "text": part.text})
        elif part.kind == "tool-call":
            blocks.append({"type": "tool_use", "id": part.id, "name": part.name, "input": part.arguments})
        else:
            block: dict[str, Any] = {
                "type": "tool_result",
                "tool_use_id": part.tool_call_id,
                "content": _result_text(part.result),
            }
            if part.is_error:
                block["is_error"] = True
            blocks.append(block)
    return blocks


def _map_messages(messages: list[Message]) -> tuple[str, list[dict[str, Any]]]:
    """The top-level system prompt and the turns; tool results go in a user turn, and consecutive turns of
    the same role are merged (Anthropic wants user and assistant to alternate)."""
    system = "\n\n".join(m.text for m in messages if m.role == "system")
    turns: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})
    return system, turns


def _map_tools(tools: list[ToolDefinition]) -> list[dict[str, Any]]:
    """Tools as ``{"name", "description", "input_schema"}``."""
    return [{"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools]


def _map_tool_choice(choice: ToolChoice) -> dict[str, Any]:
    if choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    return {"type": "tool", "name": choice}


def _output_tool(output_schema: dict[str, Any] | type[Any]) -> dict[str, Any]:
    name, schema = output_schema_json(output_schema)
    safe = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] if name != "output" else OUTPUT_TOOL
    return {"name": safe, "description": "Give the final answer in this structure.", "input_schema": schema}


def _output_tool_name(output_schema: dict[str, Any] | type[Any] | None) -> str | None:
    return _output_tool(output_schema)["name"] if output_schema is not None else None


# -- wire → our types ---------------------------------------------------------------------------------------


def _process_response(data: dict[str, Any], output_tool: str | None = None) -> ModelResponse:
    """A ``message`` object as a :class:`ModelResponse`; the forced output tool's input becomes ``text``."""
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in data.get("content") or []:
        if block.get("type") == "text":
            texts.append(block.get("text", ""))
        elif block.get("type") == "tool_use":
            if block.get("name") == output_tool:
                texts.append(json.dumps(block.get("input") or {}))
            else:
                calls.append(ToolCall(block.get("id", ""), block["name"], block.get("input") or {}))
    finish = _FINISH_REASON_MAP.get(data.get("stop_reason") or "end_turn", "stop")
    if output_tool and finish == "tool_calls" and not calls:
        finish = "stop"
    return ModelResponse(
        "".join(texts), calls, _map_usage(data.get("usage")), finish, data.get("model", ""), data
    )


@dataclass
class _Block:
    type: str
    id: str = ""
    name: str = ""
    json_parts: list[str] = field(default_factory=list)


@dataclass
class _EventAccumulator:
    """State of one streamed message: open content blocks by index, usage, stop reason."""

    model: str
    output_tool: str | None
    blocks: dict[int, _Block] = field(default_factory=dict)
    usage: dict[str, Any] = field(default_factory=dict)
    stop_reason: str | None = None
    stopped: bool = False
    tool_index: int = 0

    def feed(self, event: str, data: dict[str, Any]) -> Iterator[StreamEvent]:
        if event == "message_start":
            message = data.get("message") or {}
            self.model = message.get("model") or self.model
            self.usage.update(message.get("usage") or {})
        elif event == "content_block_start":
            yield from self._start(data.get("index", 0), data.get("content_block") or {})
        elif event == "content_block_delta":
            yield from self._delta(data.get("index", 0), data.get("delta") or {})
        elif event == "content_block_stop":
            yield from self._stop(data.get("index", 0))
        elif event == "message_delta":
            self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason
            self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
        elif event == "message_stop":
            self.stopped = True
        elif event == "error":
            raise _stream_error(data.get("error") or data)

    def _start(self, index: int, block: dict[str, Any]) -> Iterator[StreamEvent]:
        self.blocks[index] = _Block(block.get("type", ""), block.get("id", ""), block.get("name", ""))
        if block.get("type") == "text" and block.get("text"):
            yield TextDelta(block["text"])
        elif block.get("type") == "tool_use" and block.get("name") != self.output_tool:
            yield ToolCallDelta(self.tool_index, block.get("id"), block.get("name"))

    def _delta(self, index: int, delta: dict[str, Any]) -> Iterator[StreamEvent]:
        block = self.blocks.get(index) or self.blocks.setdefault(index, _Block("text"))
        if delta.get("type") == "text_delta":
            yield TextDelta(delta.get("text", ""))
        elif delta.get("type") == "input_json_delta":
            piece = delta.get("partial_json", "")
            block.json_parts.append(piece)
            if block.name == self.output_tool:
                yield TextDelta(piece)
            elif piece:
                yield ToolCallDelta(self.tool_index, arguments_delta=piece)

    def _stop(self, index: int) -> Iterator[StreamEvent]:
        block = self.blocks.get(index)
        if block is None or block.type != "tool_use" or block.name == self.output_tool:
            return
        arguments = parse_tool_arguments("".join(block.json_parts), block.name)
        self.tool_index += 1
        yield ToolCallEvent(ToolCall(block.id, block.name, arguments))

    def finish(self) -> FinishEvent:
        finish = _FINISH_REASON_MAP.get(self.stop_reason or "end_turn", "stop")
        if finish == "tool_calls" and self.tool_index == 0:
            finish = "stop"
        return FinishEvent(finish, _map_usage(self.usage), self.model)


async def _process_stream(
    events: AsyncIterator[ServerSentEvent], model: str, output_tool: str | None = None
) -> AsyncIterator[StreamEvent]:
    """Named Messages-API events as our stream events; tool input JSON is parsed at ``content_block_stop``."""
    state = _EventAccumulator(model, output_tool)
    async for sse in events:
        try:
            data = json.loads(sse.data) if sse.data else {}
        except ValueError as exc:
            raise ProviderError(
                f"the stream carried an event that is not JSON: {sse.data[:80]!r}",
                code="PROVIDER_BAD_RESPONSE",
            ) from exc
        for event in state.feed(sse.event or data.get("type", ""), data):
            yield event
        if state.stopped:
            break
    if not state.stopped:
        raise ProviderUnavailableError(
            "the stream ended before message_stop (connection cut?); retry the request",
            code="PROVIDER_STREAM_INCOMPLETE",
        )
    yield state.finish()


def _stream_error(error: dict[str, Any]) -> ProviderError:
    kind = str(error.get("type", ""))
    cls = ProviderUnavailableError if kind in ("overloaded_error", "api_error") else ProviderError
    return cls(
        f"Anthropic reported an error inside the stream ({kind}): {error.get('message', '')}",
        code="PROVIDER_STREAM_ERROR",
        details={"error": error},
    )


_FINISH_REASON_MAP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _map_usage(usage: dict[str, Any] | None) -> Usage:
    """Anthropic counts cache reads and writes apart from ``input_tokens``; we fold them into the input."""
    if not usage:
        return Usage()
    cache_read = usage.get("cache_read_input_tokens") or 0
    cache_write = usage.get("cache_creation_input_tokens") or 0
    return Usage(
        input_tokens=(usage.get("input_tokens") or 0) + cache_read + cache_write,
        output_tokens=usage.get("output_tokens") or 0,
        cached_input_tokens=cache_read,
    )


@contextmanager
def _map_errors() -> Iterator[None]:
    """A 400 saying ``prompt is too long`` becomes :class:`~mastra_lab.errors.ContextLengthError`."""
    with context_length_errors("shorten the messages or use a larger model", ("prompt is too long",)):
        yield


# -- the model ----------------------------------------------------------------------------------------------


class AnthropicModel(HTTPModel):
    """Anthropic Messages API (``anthropic:claude-3-5-haiku-latest``).

    Args:
        model_name: ``claude-sonnet-4-5``, ``claude-3-5-haiku-latest`` …
        **kwargs: ``api_key`` (default ``ANTHROPIC_API_KEY``), ``base_url`` (default ``ANTHROPIC_BASE_URL`` or
            ``https://api.anthropic.com``, as in Anthropic's SDK; a URL ending in ``/v1`` works too),
            ``max_retries``, ``timeout``, ``settings``, ``http_options``.
    """

    provider = "anthropic"
    api_key_env: ClassVar[str | None] = "ANTHROPIC_API_KEY"
    base_url_env: ClassVar[str | None] = "ANTHROPIC_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.anthropic.com"
    path: ClassVar[str] = "/v1/messages"
    api_prefix: ClassVar[str] = "/v1"

    def __init__(self, model_name: str, **kwargs: Any) -> None:
        super().__init__(model_name, **kwargs)

    def _headers(self, api_key: Secret | None) -> dict[str, str]:
        headers = {"anthropic-version": API_VERSION}
        if api_key:
            headers["x-api-key"] = api_key.reveal()
        return headers

    def _build_body(
        self,
        messages: list[Message],
        tools: list[ToolDefinition],
        tool_choice: ToolChoice,
        output_schema: dict[str, Any] | type[Any] | None,
        settings: dict[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        system, turns = _map_messages(messages)
        settings = dict(settings)
        body: dict[str, Any] = {
            "model": self.model_name,
            "max_tokens": settings.pop("max_tokens", DEFAULT_MAX_TOKENS),
            "messages": turns,
        }
        if system:
            body["system"] = system
        wire_tools = _map_tools(tools)
        if output_schema is not None:
            output = _output_tool(output_schema)
            wire_tools.append(output)
            tool_choice = output["name"] if not tools else "required"
        if wire_tools:
            body["tools"] = wire_tools
            body["tool_choice"] = _map_tool_choice(tool_choice)
        if "stop" in settings:
            body["stop_sequences"] = settings.pop("stop")
        body.update(settings)
        if stream:
            body["stream"] = True
        return body

    def _process_response(self, data: dict[str, Any], output_schema: Any) -> ModelResponse:
        return _process_response(data, _output_tool_name(output_schema))

    def _process_stream(
        self, events: AsyncIterator[ServerSentEvent], output_schema: Any
    ) -> AsyncIterator[StreamEvent]:
        return _process_stream(events, self.model_name, _output_tool_name(output_schema))

    @contextmanager
    def _map_errors(self) -> Iterator[None]:
        with _map_errors():
            yield
