"""Offline models and test hooks: build and test agents without an API key or a network.

The way pydantic-ai lets users test agents, in our types:

* :class:`TestModel` answers deterministically: on a user turn it calls every offered tool once with
  arguments generated from the tool's JSON schema, and once the tool results are back it answers with a
  JSON summary of them (or a fixed ``text``, or JSON valid for the requested output schema).
* :class:`FunctionModel` hands each request to your function, so a test can script any conversation.
* :func:`override_model` swaps every agent's model inside a ``with`` block; :func:`resolve_model` is what the
  agent layer calls to honour it.
* :func:`capture_messages` records every request any model receives inside a ``with`` block; models report
  requests through :func:`record_request`.

  These hooks live in :mod:`mastra_lab.llm._hooks`, which real providers use on every request without
  importing this module; they are re-exported here, where tests look for them.
* :func:`allow_model_requests` toggles :data:`mastra_lab.llm.base.ALLOW_MODEL_REQUESTS`, which blocks real
  providers only — the offline models here ignore it.

Library code never asks whether it runs under test; these are ordinary models and context managers.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Literal, TypeAlias

from mastra_lab.errors import ToolError
from mastra_lab.llm import base
from mastra_lab.llm._hooks import (
    CapturedRequest,
    capture_messages,
    current_override,
    override_model,
    record_request,
    resolve_model,
)
from mastra_lab.llm._schema_data import example_for_schema
from mastra_lab.llm.base import (
    ErrorEvent,
    FinishEvent,
    Message,
    Model,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEvent,
    ToolChoice,
    ToolDefinition,
    ToolResult,
    Usage,
    _Repr,
    output_schema_json,
    parse_tool_arguments,
)

__all__ = [
    "AgentInfo",
    "CapturedRequest",
    "FunctionModel",
    "ResponseFn",
    "StreamFn",
    "StreamItem",
    "TestModel",
    "allow_model_requests",
    "capture_messages",
    "current_override",
    "estimate_usage",
    "make_test_model",
    "override_model",
    "record_request",
    "resolve_model",
    "response_events",
]

_OutputSchema: TypeAlias = dict[str, Any] | type[Any] | None


@contextmanager
def allow_model_requests(allow: bool = True) -> Iterator[None]:
    """Switch real provider requests on (or off) inside the block, restoring the previous value after.

    Args:
        allow: The value of :data:`mastra_lab.llm.base.ALLOW_MODEL_REQUESTS` inside the block.
    """
    before = base.ALLOW_MODEL_REQUESTS
    base.ALLOW_MODEL_REQUESTS = allow
    try:
        yield
    finally:
        base.ALLOW_MODEL_REQUESTS = before


_WORD = re.compile(r"[^\s\"',.:;{}\[\]()]+")


def _count_tokens(value: Any) -> int:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return len(_WORD.findall(text))


def estimate_usage(messages: Sequence[Message], response: ModelResponse) -> Usage:
    """Rough token counts (one token per word) for models that have no tokenizer.

    Args:
        messages: The request's conversation; every text, tool call and tool result counts.
        response: The answer; its text and tool calls count as output.
    """
    prompt = 0
    for message in messages:
        for part in message.parts:
            if isinstance(part, ToolCall):
                prompt += 1 + _count_tokens(part.arguments)
            elif isinstance(part, ToolResult):
                prompt += 1 + _count_tokens(part.result)
            else:
                prompt += _count_tokens(part.text)
    output = _count_tokens(response.text) + sum(1 + _count_tokens(c.arguments) for c in response.tool_calls)
    return Usage(input_tokens=prompt, output_tokens=output)


def _text_chunks(text: str) -> list[str]:
    """Split text the way a model streams it: one word (with its trailing space) per chunk."""
    words = re.findall(r"\S+\s*|\s+", text)
    if len(words) == 1 and len(text) > 2:
        return [text[: len(text) // 2], text[len(text) // 2 :]]
    return words


def response_events(response: ModelResponse) -> list[StreamEvent]:
    """The stream events a provider would send for ``response``: text deltas, tool calls, then finish.

    Args:
        response: A complete answer.
    """
    events: list[StreamEvent] = [TextDelta(chunk) for chunk in _text_chunks(response.text)]
    for index, call in enumerate(response.tool_calls):
        events.append(ToolCallDelta(index, call.id, call.name, json.dumps(call.arguments)))
        events.append(ToolCallEvent(call))
    events.append(FinishEvent(response.finish_reason, response.usage, response.model))
    return events


def _complete(response: ModelResponse, messages: Sequence[Message], model_name: str) -> ModelResponse:
    """Fill what a scripted response left out: model name, ``tool_calls`` finish reason, estimated usage."""
    changes: dict[str, Any] = {}
    if not response.model:
        changes["model"] = model_name
    if response.tool_calls and response.finish_reason == "stop":
        changes["finish_reason"] = "tool_calls"
    if response.usage == Usage():
        changes["usage"] = estimate_usage(messages, response)
    return dataclasses.replace(response, **changes) if changes else response


class TestModel(Model):
    """A deterministic offline model: calls the offered tools, then summarises their results.

    On a request whose last message is not a tool result it calls the selected tools once each, with
    arguments generated from their JSON schemas (the same ``seed`` gives the same arguments). On the request
    after the tool results it answers with ``text`` if given, with JSON valid for ``output_schema`` when one
    is requested (``output`` if given), or else with the compact JSON ``{tool_name: result}`` of the results
    since the last user message (``"success (no tool calls)"`` if there were none). Usage is estimated from
    word counts. ``ALLOW_MODEL_REQUESTS`` does not apply: nothing leaves the process.

    Args:
        text: Fixed final answer.
        call_tools: ``"all"`` offered tools, a list of tool names, or ``None`` to call no tool.
        seed: Drives the generated tool arguments and structured output.
        output: Fixed structured output, returned as JSON when an ``output_schema`` is requested.

    Example:
        ```python
        from mastra_lab.llm import Message, ToolDefinition
        from mastra_lab.llm.testing import TestModel

        model = TestModel()
        weather = ToolDefinition("weather", parameters={
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]})
        response = model.generate_sync([Message.user("Weather in Paris?")], tools=[weather])
        assert response.tool_calls[0].arguments == {"city": "a"}
        ```
    """

    __test__ = False  # not a pytest test class
    provider = "test"

    def __init__(
        self,
        text: str | None = None,
        call_tools: Literal["all"] | Sequence[str] | None = "all",
        seed: int = 0,
        *,
        output: Any = None,
    ) -> None:
        super().__init__("test")
        self.text = text
        self.call_tools: Literal["all"] | list[str] | None = (
            call_tools if call_tools is None or call_tools == "all" else list(call_tools)
        )
        self.seed = seed
        self.output = output
        self.last_request: CapturedRequest | None = None
        """The most recent request, for assertions; ``None`` before the first."""

    def __repr__(self) -> str:
        shown = [
            f"{name}={getattr(self, name)!r}" for name in ("text", "seed", "output") if getattr(self, name)
        ]
        if self.call_tools != "all":
            shown.insert(1, f"call_tools={self.call_tools!r}")
        return f"TestModel({', '.join(shown)})"

    async def generate(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: _OutputSchema = None,
        **settings: Any,
    ) -> ModelResponse:
        """Answer deterministically (see the class docstring); arguments as :meth:`Model.generate`."""
        self.last_request = record_request(self, messages, tools, tool_choice, output_schema, settings)
        return self._respond(messages, list(tools or ()), tool_choice, output_schema)

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: _OutputSchema = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        """The same answer as :meth:`generate`, streamed word by word, then tool calls, then finish."""
        self.last_request = record_request(self, messages, tools, tool_choice, output_schema, settings)
        for event in response_events(self._respond(messages, list(tools or ()), tool_choice, output_schema)):
            yield event

    def _respond(
        self,
        messages: Sequence[Message],
        tools: list[ToolDefinition],
        tool_choice: ToolChoice,
        output_schema: _OutputSchema,
    ) -> ModelResponse:
        answering_tools = bool(messages) and messages[-1].role == "tool"
        selected = [] if answering_tools else self._select_tools(tools, tool_choice)
        if selected:
            first_id = sum(len(m.tool_calls) for m in messages)
            calls = [
                ToolCall(f"call_{first_id + i}", t.name, example_for_schema(t.parameters, self.seed))
                for i, t in enumerate(selected)
            ]
            response = ModelResponse(tool_calls=calls, finish_reason="tool_calls")
        elif output_schema is not None:
            value = self.output
            if value is None:
                value = example_for_schema(output_schema_json(output_schema)[1], self.seed)
            response = ModelResponse(text=json.dumps(value))
        elif self.text is not None:
            response = ModelResponse(text=self.text)
        else:
            response = ModelResponse(text=_summarise_tool_results(messages))
        return _complete(response, messages, self.model_name)

    def _select_tools(self, tools: list[ToolDefinition], tool_choice: ToolChoice) -> list[ToolDefinition]:
        if tool_choice == "none" or self.call_tools is None:
            return []
        if tool_choice not in ("auto", "required"):
            return [t for t in tools if t.name == tool_choice]
        if self.call_tools == "all":
            return tools
        by_name = {t.name: t for t in tools}
        missing = [name for name in self.call_tools if name not in by_name]
        if missing:
            raise ToolError(
                f"TestModel(call_tools={self.call_tools!r}) names tools that were not offered: {missing}; "
                f"offered: {sorted(by_name)}. Offer them, or pass call_tools='all' or a subset",
                code="TEST_MODEL_UNKNOWN_TOOL",
                details={"missing": missing, "offered": sorted(by_name)},
            )
        return [by_name[name] for name in self.call_tools]


def make_test_model(model_name: str = "", **kwargs: Any) -> TestModel:
    """The ``test`` provider of :func:`~mastra_lab.llm.get_model`: ``get_model("test")`` is a ``TestModel()``.

    Args:
        model_name: Ignored (``"test"`` and ``"test:anything"`` give the same model).
        **kwargs: Passed to :class:`TestModel` (``text``, ``call_tools``, ``seed``, ``output``).
    """
    return TestModel(**kwargs)


def _summarise_tool_results(messages: Sequence[Message]) -> str:
    results: dict[str, Any] = {}
    for message in messages:
        if message.role == "user":
            results.clear()
        for result in message.tool_results:
            results[result.name] = result.result
    if not results:
        return "success (no tool calls)"
    return json.dumps(results, separators=(",", ":"), default=str)


@dataclass(repr=False)
class AgentInfo(_Repr):
    """What a :class:`FunctionModel` function learns about the request besides the messages."""

    tools: list[ToolDefinition] = field(default_factory=list)
    """Tools offered."""
    tool_choice: ToolChoice = "auto"
    """``auto``, ``none``, ``required`` or one tool's name."""
    output_schema: dict[str, Any] | None = None
    """JSON schema requested for structured output, or ``None`` for text."""
    settings: dict[str, Any] = field(default_factory=dict)
    """Provider settings of the request (``temperature`` …)."""
    _: KW_ONLY
    model_name: str = ""
    """The :class:`FunctionModel`'s name."""


ResponseFn: TypeAlias = Callable[
    [list[Message], AgentInfo], "ModelResponse | str | Awaitable[ModelResponse | str]"
]
StreamItem: TypeAlias = "str | StreamEvent"
StreamFn: TypeAlias = Callable[[list[Message], AgentInfo], "AsyncIterator[StreamItem] | Iterable[StreamItem]"]


class FunctionModel(Model):
    """A model whose answers come from your function: script any conversation in a test.

    ``fn(messages, info)`` returns a :class:`ModelResponse` (or a plain string), directly or as an awaitable.
    Left-out fields are filled in: ``model`` with this model's name, ``finish_reason="tool_calls"`` when there
    are tool calls, and estimated usage. ``stream_fn(messages, info)`` yields strings (text deltas) and/or
    stream events, sync or async; tool-call fragments are assembled into :class:`ToolCallEvent` s and a
    :class:`FinishEvent` is added when the function does not yield one. Without ``stream_fn``, :meth:`stream`
    replays ``fn``'s response as events; without ``fn``, :meth:`generate` collects ``stream_fn``'s events.

    Args:
        fn: Produces the whole response.
        stream_fn: Produces the response as a stream.
        model_name: Name reported in responses; defaults to the function's ``__name__``.
    """

    provider = "function"

    def __init__(
        self,
        fn: ResponseFn | None = None,
        stream_fn: StreamFn | None = None,
        *,
        model_name: str | None = None,
    ) -> None:
        if fn is None and stream_fn is None:
            raise TypeError("FunctionModel needs fn(messages, info), stream_fn(messages, info), or both")
        fn_name = getattr(fn if fn is not None else stream_fn, "__name__", "function")
        super().__init__(model_name or fn_name)
        self.fn = fn
        self.stream_fn = stream_fn

    def _info(
        self,
        tools: Sequence[ToolDefinition] | None,
        tool_choice: ToolChoice,
        output_schema: _OutputSchema,
        settings: dict[str, Any],
    ) -> AgentInfo:
        schema = None if output_schema is None else output_schema_json(output_schema)[1]
        return AgentInfo(list(tools or ()), tool_choice, schema, dict(settings), model_name=self.model_name)

    async def generate(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: _OutputSchema = None,
        **settings: Any,
    ) -> ModelResponse:
        """Call ``fn`` (or collect ``stream_fn``'s events); arguments as :meth:`Model.generate`."""
        record_request(self, messages, tools, tool_choice, output_schema, settings)
        info = self._info(tools, tool_choice, output_schema, settings)
        if self.fn is None:
            return await _collect(self._stream_events(list(messages), info))
        result = self.fn(list(messages), info)
        if inspect.isawaitable(result):
            result = await result
        response = ModelResponse(text=result) if isinstance(result, str) else result
        if not isinstance(response, ModelResponse):
            raise TypeError(f"FunctionModel fn must return a ModelResponse or a str, got {response!r}")
        return _complete(response, messages, self.model_name)

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: _OutputSchema = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Stream ``stream_fn``'s events, or ``fn``'s response as events; arguments as :meth:`generate`."""
        if self.stream_fn is None:
            response = await self.generate(messages, tools, tool_choice, output_schema, **settings)
            for event in response_events(response):
                yield event
            return
        record_request(self, messages, tools, tool_choice, output_schema, settings)
        async for event in self._stream_events(
            list(messages), self._info(tools, tool_choice, output_schema, settings)
        ):
            yield event

    async def _stream_events(self, messages: list[Message], info: AgentInfo) -> AsyncIterator[StreamEvent]:
        assert self.stream_fn is not None
        text: list[str] = []
        assembler = _ToolCallAssembler()
        async for item in _aiter(self.stream_fn(messages, info)):
            event = TextDelta(item) if isinstance(item, str) else item
            if isinstance(event, ErrorEvent):
                yield event
                return
            if isinstance(event, FinishEvent):
                for done in assembler.flush():
                    yield done
                yield event if event.model else dataclasses.replace(event, model=self.model_name)
                return
            if isinstance(event, TextDelta):
                text.append(event.text)
            assembler.feed(event)
            yield event
        for done in assembler.flush():
            yield done
        response = ModelResponse(text="".join(text), tool_calls=assembler.calls)
        response = _complete(response, messages, self.model_name)
        yield FinishEvent(response.finish_reason, response.usage, response.model)


async def _aiter(items: AsyncIterator[Any] | Iterable[Any]) -> AsyncIterator[Any]:
    if isinstance(items, Iterable):
        for item in items:
            yield item
    else:
        async for item in items:
            yield item


class _ToolCallAssembler:
    """Turns :class:`ToolCallDelta` fragments into :class:`ToolCallEvent` s, the way providers do."""

    def __init__(self) -> None:
        self.calls: list[ToolCall] = []
        self._open: dict[int, list[Any]] = {}

    def feed(self, event: StreamEvent) -> None:
        if isinstance(event, ToolCallEvent):
            self.calls.append(event.tool_call)
            self._open = {i: v for i, v in self._open.items() if v[0] != event.tool_call.id}
        elif isinstance(event, ToolCallDelta):
            entry = self._open.setdefault(event.index, [None, None, ""])
            entry[0] = event.id or entry[0]
            entry[1] = event.name or entry[1]
            entry[2] += event.arguments_delta

    def flush(self) -> list[ToolCallEvent]:
        done = []
        for index in sorted(self._open):
            call_id, name, arguments = self._open[index]
            call = ToolCall(
                call_id or f"call_{index}", name or "", parse_tool_arguments(arguments, name or "")
            )
            self.calls.append(call)
            done.append(ToolCallEvent(call))
        self._open.clear()
        return done


async def _collect(events: AsyncIterator[StreamEvent]) -> ModelResponse:
    text: list[str] = []
    calls: list[ToolCall] = []
    async for event in events:
        if isinstance(event, TextDelta):
            text.append(event.text)
        elif isinstance(event, ToolCallEvent):
            calls.append(event.tool_call)
        elif isinstance(event, ErrorEvent):
            raise event.error
        elif isinstance(event, FinishEvent):
            return ModelResponse("".join(text), calls, event.usage, event.finish_reason, event.model)
    raise RuntimeError("stream ended without a FinishEvent")
