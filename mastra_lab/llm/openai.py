"""OpenAI Chat Completions: our message types to its JSON and back.

This module only translates; HTTP, retries and SSE live in :mod:`mastra_lab.llm.http`. The same wire format
is spoken by Groq and by every OpenAI-compatible server, so :mod:`mastra_lab.llm.groq` and
:mod:`mastra_lab.llm.compat` subclass :class:`OpenAIModel` instead of copying it.
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

__all__ = ["OpenAIModel", "OpenAISettings"]


class OpenAISettings(TypedDict, total=False):
    """Request settings for Chat Completions (any other key is passed through unchanged)."""

    temperature: float
    """Sampling temperature, 0–2."""
    top_p: float
    """Nucleus sampling mass."""
    max_tokens: int
    """Upper bound on generated tokens (sent as ``max_completion_tokens`` to OpenAI itself)."""
    stop: str | list[str]
    """Stop sequences."""
    seed: int
    """Best-effort determinism."""
    presence_penalty: float
    """-2…2, penalise tokens already present."""
    frequency_penalty: float
    """-2…2, penalise frequent tokens."""
    parallel_tool_calls: bool
    """Allow several tool calls in one answer."""
    reasoning_effort: str
    """``low`` / ``medium`` / ``high`` for reasoning models."""
    user: str
    """An end-user id for abuse monitoring."""


# -- our types → wire ---------------------------------------------------------------------------------------


def _result_text(result: Any) -> str:
    return result if isinstance(result, str) else json.dumps(result, default=str)


def _map_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Chat Completions messages; each tool result becomes its own ``role: tool`` message."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "tool":
            out.extend(
                {"role": "tool", "tool_call_id": r.tool_call_id, "content": _result_text(r.result)}
                for r in message.tool_results
            )
        elif message.role == "assistant":
            entry: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            if message.tool_calls:
                entry["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in message.tool_calls
                ]
            out.append(entry)
        else:
            out.append({"role": message.role, "content": message.text})
    return out


def _map_tools(tools: list[ToolDefinition]) -> list[dict[str, Any]]:
    """Tools as ``{"type": "function", "function": {...}}``."""
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def _map_tool_choice(choice: ToolChoice) -> str | dict[str, Any]:
    if choice in ("auto", "none", "required"):
        return choice
    return {"type": "function", "function": {"name": choice}}


def _map_output_schema(output_schema: dict[str, Any] | type[Any]) -> dict[str, Any]:
    name, schema = output_schema_json(output_schema)
    safe = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "output"
    return {"type": "json_schema", "json_schema": {"name": safe, "schema": schema}}


# -- wire → our types ---------------------------------------------------------------------------------------


def _process_response(data: dict[str, Any], usage_of: Any = None) -> ModelResponse:
    """A ``chat.completion`` object as a :class:`ModelResponse` (first choice)."""
    choices = data.get("choices") or [{}]
    choice = choices[0]
    message = choice.get("message") or {}
    calls = [
        ToolCall(
            c.get("id", ""),
            c["function"]["name"],
            parse_tool_arguments(c["function"].get("arguments") or "", c["function"]["name"]),
        )
        for c in message.get("tool_calls") or []
    ]
    return ModelResponse(
        text=message.get("content") or "",
        tool_calls=calls,
        usage=(usage_of or _usage_of)(data) or Usage(),
        finish_reason=_FINISH_REASON_MAP.get(choice.get("finish_reason") or "stop", "stop"),
        model=data.get("model", ""),
        raw=data,
    )


@dataclass
class _PendingCall:
    id: str = ""
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class _ChunkAccumulator:
    """State of one streamed answer: tool-call fragments by index, finish reason, usage."""

    model: str
    usage_of: Any
    calls: dict[int, _PendingCall] = field(default_factory=dict)
    """Calls in order of appearance (our index)."""
    slots: dict[int, int] = field(default_factory=dict)
    """The provider's ``index`` → our index of the call currently filling at it."""
    finish_reason: FinishReason | None = None
    usage: Usage = field(default_factory=Usage)

    def feed(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        """The events of one chunk (a list, not a generator: this runs once per streamed token)."""
        if "error" in chunk:
            raise _stream_error(chunk["error"])
        self.model = chunk.get("model") or self.model
        usage = self.usage_of(chunk)
        if usage is not None:
            self.usage = usage
        choices = chunk.get("choices")
        if not choices:
            return []
        choice = choices[0]
        if choice.get("finish_reason"):
            self.finish_reason = _FINISH_REASON_MAP.get(choice["finish_reason"], "stop")
        delta = choice.get("delta")
        if not delta:
            return []
        events: list[StreamEvent] = []
        if delta.get("content"):
            events.append(TextDelta(delta["content"]))
        if delta.get("tool_calls"):
            events.extend(self._tool_fragment(fragment) for fragment in delta["tool_calls"])
        return events

    def _tool_fragment(self, fragment: dict[str, Any]) -> ToolCallDelta:
        """Accumulate by ``index``; a new id *and* name at a used index opens a new call (Ollama sends every
        call of a parallel batch at index 0)."""
        function = fragment.get("function") or {}
        slot = self.slots.get(fragment.get("index", 0))
        pending = self.calls.get(slot) if slot is not None else None
        new_id, name = fragment.get("id"), function.get("name")
        if pending is None or (new_id and name and pending.id and new_id != pending.id):
            slot = len(self.calls)
            self.slots[fragment.get("index", 0)] = slot
            pending = self.calls[slot] = _PendingCall()
        assert slot is not None
        pending.id = new_id or pending.id
        pending.name = name or pending.name
        piece = function.get("arguments") or ""
        pending.arguments.append(piece)
        return ToolCallDelta(slot, new_id, name, piece)

    def finish(self) -> Iterator[StreamEvent]:
        for call in self.calls.values():
            arguments = parse_tool_arguments("".join(call.arguments), call.name)
            yield ToolCallEvent(ToolCall(call.id, call.name, arguments))
        yield FinishEvent(self.finish_reason or "stop", self.usage, self.model)


async def _process_stream(
    events: AsyncIterator[ServerSentEvent], model: str, usage_of: Any = None
) -> AsyncIterator[StreamEvent]:
    """``chat.completion.chunk`` events (ending with ``data: [DONE]``) as our stream events."""
    state = _ChunkAccumulator(model, usage_of or _usage_of)
    async for sse in events:
        if sse.data == "[DONE]":
            break
        try:
            chunk = json.loads(sse.data)
        except ValueError as exc:
            raise ProviderError(
                f"the stream carried an event that is not JSON: {sse.data[:80]!r}",
                code="PROVIDER_BAD_RESPONSE",
            ) from exc
        for event in state.feed(chunk):
            yield event
    else:
        if state.finish_reason is None:
            raise ProviderUnavailableError(
                "the stream ended before its [DONE] marker (connection cut?); retry the request",
                code="PROVIDER_STREAM_INCOMPLETE",
            )
    for event in state.finish():
        yield event


def _stream_error(error: Any) -> ProviderError:
    error = error if isinstance(error, dict) else {"message": str(error)}
    kind = str(error.get("type") or error.get("code") or "")
    cls = (
        ProviderUnavailableError
        if kind in ("server_error", "overloaded_error", "internal_error")
        else ProviderError
    )
    return cls(
        f"the provider reported an error inside the stream: {error.get('message', '')}",
        code="PROVIDER_STREAM_ERROR",
        details={"error": error},
    )


_FINISH_REASON_MAP: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def _map_usage(usage: dict[str, Any] | None) -> Usage:
    """``usage``, with cached prompt tokens and reasoning tokens from the ``*_tokens_details`` objects."""
    if not usage:
        return Usage()
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return Usage(
        input_tokens=usage.get("prompt_tokens") or 0,
        output_tokens=usage.get("completion_tokens") or 0,
        total_tokens=usage.get("total_tokens") or 0,
        cached_input_tokens=prompt_details.get("cached_tokens") or 0,
        reasoning_tokens=completion_details.get("reasoning_tokens") or 0,
    )


def _usage_of(data: dict[str, Any]) -> Usage | None:
    """Usage of a response or chunk, ``None`` when it carries none (most stream chunks)."""
    usage = data.get("usage")
    return _map_usage(usage) if usage else None


@contextmanager
def _map_errors() -> Iterator[None]:
    """A 400 with code ``context_length_exceeded`` becomes :class:`~mastra_lab.errors.ContextLengthError`."""
    with context_length_errors("shorten the messages or use a larger model"):
        yield


# -- the model ----------------------------------------------------------------------------------------------


class OpenAIModel(HTTPModel):
    """OpenAI Chat Completions (``openai:gpt-4o-mini``).

    Args:
        model_name: ``gpt-4o-mini``, ``gpt-4.1`` …
        **kwargs: ``api_key`` (default ``OPENAI_API_KEY``), ``base_url`` (default ``OPENAI_BASE_URL`` or
            ``https://api.openai.com/v1``), ``max_retries``, ``timeout``, ``settings``, ``http_options``
            (see :class:`~mastra_lab.llm._provider.HTTPModel`).
    """

    provider = "openai"
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"
    base_url_env: ClassVar[str | None] = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    path: ClassVar[str] = "/chat/completions"
    max_tokens_field: ClassVar[str] = "max_completion_tokens"
    """Where the ``max_tokens`` setting goes; OpenAI renamed it, compatible servers keep ``max_tokens``."""

    def __init__(self, model_name: str, **kwargs: Any) -> None:
        super().__init__(model_name, **kwargs)

    def _headers(self, api_key: Secret | None) -> dict[str, str]:
        return {"authorization": f"Bearer {api_key.reveal()}"} if api_key else {}

    def _build_body(
        self,
        messages: list[Message],
        tools: list[ToolDefinition],
        tool_choice: ToolChoice,
        output_schema: dict[str, Any] | type[Any] | None,
        settings: dict[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model_name, "messages": _map_messages(messages)}
        if tools:
            body["tools"] = _map_tools(tools)
            body["tool_choice"] = _map_tool_choice(tool_choice)
        if output_schema is not None:
            body["response_format"] = _map_output_schema(output_schema)
        if "max_tokens" in settings:
            settings = dict(settings)
            body[self.max_tokens_field] = settings.pop("max_tokens")
        body.update(settings)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _usage_of(self, data: dict[str, Any]) -> Usage | None:
        return _usage_of(data)

    def _process_response(self, data: dict[str, Any], output_schema: Any) -> ModelResponse:
        return _process_response(data, self._usage_of)

    def _process_stream(
        self, events: AsyncIterator[ServerSentEvent], output_schema: Any
    ) -> AsyncIterator[StreamEvent]:
        return _process_stream(events, self.model_name, self._usage_of)

    @contextmanager
    def _map_errors(self) -> Iterator[None]:
        with _map_errors():
            yield
