"""Anthropic Messages: the exact JSON we send and how answers and named stream events are read."""

from __future__ import annotations

import json

import pytest
from fake_provider import TEST_KEY, FakeProviderServer, Raw, Scenario
from inline_snapshot import snapshot

from mastra_lab.errors import ProviderUnavailableError
from mastra_lab.llm import Message, ToolCall, ToolDefinition, ToolResult
from mastra_lab.llm.anthropic import DEFAULT_MAX_TOKENS, OUTPUT_TOOL
from mastra_lab.llm.base import ErrorEvent, FinishEvent, TextDelta, ToolCallDelta, ToolCallEvent, Usage

WEATHER = ToolDefinition("get_weather", "Weather in a city.", {"type": "object", "properties": {"city": {}}})


async def test_request_puts_system_on_top_and_tool_results_in_a_user_turn(
    make_model, fake_server: FakeProviderServer
) -> None:
    messages = [
        Message.system("You are terse."),
        Message.user("Weather in Paris?"),
        Message.assistant("Checking.", [ToolCall("toolu_1", "get_weather", {"city": "Paris"})]),
        Message.tool(
            [
                ToolResult("toolu_1", "get_weather", {"temp": 18}),
                ToolResult("toolu_2", "x", "no", is_error=True),
            ]
        ),
        Message.user("And tomorrow?"),
    ]
    await make_model("anthropic", "claude-3-5-haiku-latest").generate(messages, tools=[WEATHER], stop=["END"])
    request = fake_server.requests[0]
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == TEST_KEY
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in request.headers
    assert request.body == snapshot(
        {
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 4096,
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Weather in Paris?"}]},
                {
                    "role": "assistant",
                    "content": [
                        {"type": "text", "text": "Checking."},
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "get_weather",
                            "input": {"city": "Paris"},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"temp": 18}'},
                        {"type": "tool_result", "tool_use_id": "toolu_2", "content": "no", "is_error": True},
                        {"type": "text", "text": "And tomorrow?"},
                    ],
                },
            ],
            "system": "You are terse.",
            "tools": [
                {
                    "name": "get_weather",
                    "description": "Weather in a city.",
                    "input_schema": {"type": "object", "properties": {"city": {}}},
                }
            ],
            "tool_choice": {"type": "auto"},
            "stop_sequences": ["END"],
        }
    )


def test_default_max_tokens_is_4096() -> None:
    assert DEFAULT_MAX_TOKENS == 4096


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", {"type": "auto"}),
        ("required", {"type": "any"}),
        ("none", {"type": "none"}),
        ("get_weather", {"type": "tool", "name": "get_weather"}),
    ],
)
async def test_tool_choice_mapping(
    make_model, fake_server: FakeProviderServer, choice: str, wire: dict[str, str]
) -> None:
    await make_model("anthropic").generate([Message.user("x")], tools=[WEATHER], tool_choice=choice)
    assert fake_server.requests[0].body["tool_choice"] == wire


async def test_max_tokens_setting_replaces_the_default(make_model, fake_server: FakeProviderServer) -> None:
    await make_model("anthropic").generate([Message.user("x")], max_tokens=77)
    assert fake_server.requests[0].body["max_tokens"] == 77


async def test_usage_folds_cache_reads_into_input(make_model, fake_server: FakeProviderServer) -> None:
    response = await make_model("anthropic").generate([Message.user("x")])
    assert response.usage == Usage(input_tokens=30, output_tokens=12, cached_input_tokens=5)


async def test_stream_parses_tool_input_json_at_block_stop(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(
        Scenario(
            text="Let me check.", tool_calls=[("toolu_9", "get_weather", {"city": "Lyon"})], chunk_size=3
        )
    )
    events = [e async for e in make_model("anthropic").stream([Message.user("x")], tools=[WEATHER])]
    body = fake_server.requests[0].body
    assert body["stream"] is True
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Let me check."
    pieces = [e.arguments_delta for e in events if isinstance(e, ToolCallDelta)]
    assert "".join(pieces) == '{"city": "Lyon"}'
    call_events = [i for i, e in enumerate(events) if isinstance(e, ToolCallEvent)]
    last_piece = max(i for i, e in enumerate(events) if isinstance(e, ToolCallDelta))
    assert call_events == [last_piece + 1], "the call is emitted once, at content_block_stop"
    assert events[call_events[0]] == ToolCallEvent(ToolCall("toolu_9", "get_weather", {"city": "Lyon"}))
    assert events[-1] == FinishEvent("tool_calls", Usage(30, 12, cached_input_tokens=5), "fake-model")


async def test_structured_output_is_a_forced_tool(make_model, fake_server: FakeProviderServer) -> None:
    schema = {"type": "object", "properties": {"temp": {"type": "number"}}}
    fake_server.push(Scenario(text="", tool_calls=[("toolu_1", OUTPUT_TOOL, {"temp": 18})]))
    fake_server.push(Scenario(text="", tool_calls=[("toolu_1", OUTPUT_TOOL, {"temp": 18})]))
    model = make_model("anthropic")
    response = await model.generate([Message.user("x")], output_schema=schema)
    events = [e async for e in model.stream([Message.user("x")], output_schema=schema)]
    body = fake_server.requests[0].body
    assert body["tool_choice"] == {"type": "tool", "name": OUTPUT_TOOL}
    assert body["tools"][-1]["input_schema"] == schema
    assert json.loads(response.text) == {"temp": 18}
    assert (response.tool_calls, response.finish_reason) == ([], "stop")
    assert json.loads("".join(e.text for e in events if isinstance(e, TextDelta))) == {"temp": 18}
    assert not any(isinstance(e, ToolCallEvent | ToolCallDelta) for e in events)
    assert events[-1].finish_reason == "stop"  # type: ignore[union-attr]


async def test_structured_output_with_other_tools_requires_some_tool(
    make_model, fake_server: FakeProviderServer
) -> None:
    await make_model("anthropic").generate(
        [Message.user("x")], tools=[WEATHER], output_schema={"type": "object"}
    )
    body = fake_server.requests[0].body
    assert body["tool_choice"] == {"type": "any"}
    assert [t["name"] for t in body["tools"]] == ["get_weather", OUTPUT_TOOL]


async def test_error_event_in_stream_is_raised_with_partial_text(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(
        Scenario(text="Partial answer", stream_error={"type": "overloaded_error", "message": "Overloaded"})
    )
    events = []
    with pytest.raises(ProviderUnavailableError) as info:
        async for event in make_model("anthropic").stream([Message.user("x")]):
            events.append(event)
    assert "Overloaded" in info.value.message
    assert events[-1] == ErrorEvent(info.value, "Partial answer")
    assert info.value.details["partial_text"] == "Partial answer"


async def test_stream_without_message_stop_is_incomplete(make_model, fake_server: FakeProviderServer) -> None:
    start = {"type": "message_start", "message": {"model": "claude", "usage": {"input_tokens": 1}}}
    fake_server.push(Raw(f"event: message_start\ndata: {json.dumps(start)}\n\n", "text/event-stream"))
    with pytest.raises(ProviderUnavailableError) as info:
        [e async for e in make_model("anthropic").stream([Message.user("x")])]
    assert info.value.code == "PROVIDER_STREAM_INCOMPLETE"


@pytest.mark.parametrize(
    ("wire", "ours"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("refusal", "content_filter"),
    ],
)
async def test_stop_reasons_are_normalised(
    make_model, fake_server: FakeProviderServer, wire: str, ours: str
) -> None:
    fake_server.push(Scenario(finish=wire), Scenario(finish=wire))
    model = make_model("anthropic")
    assert (await model.generate([Message.user("x")])).finish_reason == ours
    events = [e async for e in model.stream([Message.user("x")])]
    assert events[-1].finish_reason == ours  # type: ignore[union-attr]
