"""Message types survive to_dict/from_dict (and JSON) unchanged, and print like their constructors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mastra_lab.errors import ProviderError
from mastra_lab.llm.base import (
    ErrorEvent,
    FinishEvent,
    Message,
    ModelResponse,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolCallEvent,
    ToolDefinition,
    ToolResult,
    Usage,
    from_dict,
    to_dict,
    to_messages,
)

EVERY_KIND: list[Any] = [
    TextPart("hello"),
    ToolCall("call_1", "weather", {"city": "Paris", "days": [1, 2], "nested": {"x": None}}),
    ToolCall("call_2", "now"),
    ToolResult("call_1", "weather", {"temp": 21.5}),
    ToolResult("call_3", "fail", "division by zero", is_error=True),
    Message.system("Be brief."),
    Message.user("What is the weather?"),
    Message.assistant("Let me check.", [ToolCall("call_1", "weather", {"city": "Paris"})]),
    Message.tool([ToolResult("call_1", "weather", {"temp": 21})]),
    ToolDefinition(
        "weather", "Current weather", {"type": "object", "properties": {"city": {"type": "string"}}}
    ),
    ToolDefinition("now"),
    Usage(10, 5, cached_input_tokens=3, reasoning_tokens=2),
    ModelResponse(
        "It is sunny.", [ToolCall("c", "log", {"level": "info"})], Usage(1, 2), "tool_calls", "gpt-x"
    ),
    ModelResponse(),
]


@pytest.mark.parametrize("value", EVERY_KIND, ids=lambda v: f"{type(v).__name__}-{v!r}"[:60])
def test_every_kind_round_trips_through_to_dict_and_json(value: Any) -> None:
    data = to_dict(value)

    assert data["kind"] == value.kind
    assert from_dict(data) == value
    assert from_dict(json.loads(json.dumps(data))) == value


def test_a_whole_conversation_round_trips_as_a_list() -> None:
    conversation = [m for m in EVERY_KIND if isinstance(m, Message)]

    assert from_dict(json.loads(json.dumps(to_dict(conversation)))) == conversation


def test_to_dict_leaves_out_the_raw_provider_body() -> None:
    response = ModelResponse("hi", raw={"id": "chatcmpl-1", "secret": "not stored"})

    assert "raw" not in to_dict(response)
    assert from_dict(to_dict(response)) == response  # raw does not take part in equality


_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=5)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abcxyz"), inner, max_size=3),
    max_leaves=8,
)
_arguments = st.dictionaries(st.sampled_from(["city", "days", "query"]), _json_values, max_size=3)
_parts = st.one_of(
    st.builds(TextPart, st.text(max_size=20)),
    st.builds(ToolCall, st.text(max_size=8), st.text(min_size=1, max_size=8), _arguments),
    st.builds(ToolResult, st.text(max_size=8), st.text(min_size=1, max_size=8), _json_values),
)
_messages = st.builds(
    Message, st.sampled_from(["system", "user", "assistant", "tool"]), st.lists(_parts, max_size=4)
)


@settings(max_examples=80, deadline=None)
@given(messages=st.lists(_messages, max_size=4))
def test_generated_conversations_round_trip(messages: list[Message]) -> None:
    assert from_dict(json.loads(json.dumps(to_dict(messages)))) == messages


def test_user_data_with_a_kind_key_round_trips() -> None:
    call = ToolCall("c", "search", {"kind": "text", "query": "cats"})
    result = ToolResult("c", "search", {"kind": "message", "hits": 2})

    assert from_dict(to_dict([call, result])) == [call, result]


def test_to_messages_accepts_a_string_a_message_or_a_list() -> None:
    assert to_messages("hi") == [Message.user("hi")]
    assert to_messages(Message.system("s")) == [Message.system("s")]
    assert to_messages([Message.user("a"), Message.user("b")]) == [Message.user("a"), Message.user("b")]
    with pytest.raises(TypeError, match=r"messages\[1\] is a str, not a Message; build it with Message.user"):
        to_messages([Message.user("a"), "b"])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (TextPart("hi"), "TextPart(text='hi')"),
        (ToolCall("c1", "now"), "ToolCall(id='c1', name='now')"),
        (ToolCall("c1", "add", {"a": 1}), "ToolCall(id='c1', name='add', arguments={'a': 1})"),
        (ToolResult("c1", "add", 3), "ToolResult(tool_call_id='c1', name='add', result=3)"),
        (
            ToolResult("c1", "add", "boom", is_error=True),
            "ToolResult(tool_call_id='c1', name='add', result='boom', is_error=True)",
        ),
        (Message.user("hi"), "Message(role='user', parts=[TextPart(text='hi')])"),
        (Message("assistant"), "Message(role='assistant')"),
        (ToolDefinition("now"), "ToolDefinition(name='now')"),
        (
            ToolDefinition("f", "does f", {"type": "object"}),
            "ToolDefinition(name='f', description='does f', parameters={'type': 'object'})",
        ),
        (Usage(), "Usage()"),
        (Usage(3, 4), "Usage(input_tokens=3, output_tokens=4, total_tokens=7)"),
        (ModelResponse(), "ModelResponse()"),
        (ModelResponse("hi", model="m", raw={"x": 1}), "ModelResponse(text='hi', model='m')"),
        (TextDelta("he"), "TextDelta(text='he')"),
        (ToolCallDelta(0, arguments_delta='{"a"'), "ToolCallDelta(index=0, arguments_delta='{\"a\"')"),
        (ToolCallEvent(ToolCall("c", "f")), "ToolCallEvent(tool_call=ToolCall(id='c', name='f'))"),
        (FinishEvent(), "FinishEvent()"),
        (FinishEvent("length", model="m"), "FinishEvent(finish_reason='length', model='m')"),
        (
            ErrorEvent(ProviderError("down", code="X"), "par"),
            "ErrorEvent(error=ProviderError('down', code='X'), partial_text='par')",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else type(v).__name__,
)
def test_repr_reads_like_the_constructor_without_defaults(value: Any, expected: str) -> None:
    assert repr(value) == expected


def test_usage_adds_up_and_computes_its_total() -> None:
    total = Usage(1, 2, cached_input_tokens=1) + Usage(10, 20, reasoning_tokens=5)

    assert total == Usage(11, 22, 33, cached_input_tokens=1, reasoning_tokens=5)
