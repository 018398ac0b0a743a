"""OpenAI Chat Completions: the exact JSON we send and how its answers and streams are read."""

from __future__ import annotations

import json

import pytest
from fake_provider import TEST_KEY, FakeProviderServer, Raw, Scenario
from inline_snapshot import snapshot

from mastra_lab.errors import ProviderError, ProviderUnavailableError, ToolError
from mastra_lab.llm import Message, ToolCall, ToolDefinition, ToolResult, get_model
from mastra_lab.llm.base import ErrorEvent, FinishEvent, TextDelta, ToolCallEvent, Usage
from mastra_lab.llm.openai import OpenAIModel

WEATHER = ToolDefinition("get_weather", "Weather in a city.", {"type": "object", "properties": {"city": {}}})


async def test_request_body_and_headers_follow_chat_completions(
    make_model, fake_server: FakeProviderServer
) -> None:
    messages = [
        Message.system("You are terse."),
        Message.user("Weather in Paris?"),
        Message.assistant("Checking.", [ToolCall("call_1", "get_weather", {"city": "Paris"})]),
        Message.tool(
            [ToolResult("call_1", "get_weather", {"temp": 18}), ToolResult("call_2", "x", "plain text")]
        ),
    ]
    await make_model("openai", "gpt-4o-mini").generate(
        messages, tools=[WEATHER], tool_choice="required", temperature=0, max_tokens=50
    )
    request = fake_server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == snapshot(
        {
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Weather in Paris?"},
                {
                    "role": "assistant",
                    "content": "Checking.",
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 18}'},
                {"role": "tool", "tool_call_id": "call_2", "content": "plain text"},
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "description": "Weather in a city.",
                        "parameters": {"type": "object", "properties": {"city": {}}},
                    },
                }
            ],
            "tool_choice": "required",
            "max_completion_tokens": 50,
            "temperature": 0,
        }
    )


async def test_named_tool_choice_forces_that_function(make_model, fake_server: FakeProviderServer) -> None:
    await make_model("openai").generate([Message.user("x")], tools=[WEATHER], tool_choice="get_weather")
    assert fake_server.requests[0].body["tool_choice"] == {
        "type": "function",
        "function": {"name": "get_weather"},
    }


async def test_no_tools_means_no_tool_choice(make_model, fake_server: FakeProviderServer) -> None:
    await make_model("openai").generate([Message.user("x")], tool_choice="required")
    assert "tools" not in fake_server.requests[0].body
    assert "tool_choice" not in fake_server.requests[0].body


async def test_output_schema_sends_a_json_schema_response_format(
    make_model, fake_server: FakeProviderServer
) -> None:
    schema = {"title": "Weather report", "type": "object", "properties": {"temp": {"type": "number"}}}
    fake_server.push(Scenario(text='{"temp": 18}'))
    response = await make_model("openai").generate([Message.user("x")], output_schema=schema)
    assert json.loads(response.text) == {"temp": 18}
    assert fake_server.requests[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Weather_report", "schema": schema},
    }


async def test_usage_reads_cached_and_reasoning_tokens(make_model, fake_server: FakeProviderServer) -> None:
    response = await make_model("openai").generate([Message.user("x")])
    assert response.usage == Usage(19, 10, 29, cached_input_tokens=4, reasoning_tokens=2)


async def test_stream_asks_for_usage_on_the_last_chunk(make_model, fake_server: FakeProviderServer) -> None:
    events = [e async for e in make_model("openai").stream([Message.user("x")])]
    body = fake_server.requests[0].body
    assert (body["stream"], body["stream_options"]) == (True, {"include_usage": True})
    assert events[-1] == FinishEvent("stop", Usage(19, 10, 29, 4, 2), "fake-model")


def _chunk(delta: dict[str, object], finish: str | None = None) -> str:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    data = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "choices": [choice],
    }
    return f"data: {json.dumps(data)}\n\n"


async def test_stream_accumulates_interleaved_tool_call_fragments_by_index(
    make_model, fake_server: FakeProviderServer
) -> None:
    def fragment(index: int, arguments: str, **first: str) -> str:
        call: dict[str, object] = {"index": index, "function": {"arguments": arguments}}
        if first:
            call.update(id=first["id"], type="function")
            call["function"] = {"name": first["name"], "arguments": arguments}
        return _chunk({"tool_calls": [call]})

    stream = "".join(
        [
            _chunk({"role": "assistant", "content": None}),
            fragment(0, "", id="call_a", name="get_weather"),
            fragment(1, '{"ci', id="call_b", name="get_time"),
            fragment(0, '{"city": '),
            fragment(1, 'ty": "Oslo"}'),
            fragment(0, '"Rome"}'),
            _chunk({}, "tool_calls"),
            "data: [DONE]\n\n",
        ]
    )
    fake_server.push(Raw(stream, "text/event-stream"))
    events = [e async for e in make_model("openai").stream([Message.user("x")])]
    calls = [e.tool_call for e in events if isinstance(e, ToolCallEvent)]
    assert calls == [
        ToolCall("call_a", "get_weather", {"city": "Rome"}),
        ToolCall("call_b", "get_time", {"city": "Oslo"}),
    ]
    assert events[-1] == FinishEvent("tool_calls", Usage(), "gpt-4o")


async def test_error_object_inside_a_stream_is_raised_with_partial_text(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(
        Scenario(
            text="Half an answ", stream_error={"message": "The server had an error", "type": "server_error"}
        )
    )
    events = []
    with pytest.raises(ProviderUnavailableError) as info:
        async for event in make_model("openai").stream([Message.user("x")]):
            events.append(event)
    assert info.value.code == "PROVIDER_STREAM_ERROR"
    assert "The server had an error" in info.value.message
    assert events[-1] == ErrorEvent(info.value, "Half an answ")


@pytest.mark.parametrize(
    ("wire", "ours"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        ("function_call", "tool_calls"),
    ],
)
async def test_finish_reasons_are_normalised(
    make_model, fake_server: FakeProviderServer, wire: str, ours: str
) -> None:
    fake_server.push(Scenario(finish=wire), Scenario(finish=wire))
    model = make_model("openai")
    assert (await model.generate([Message.user("x")])).finish_reason == ours
    events = [e async for e in model.stream([Message.user("x")])]
    assert events[-1].finish_reason == ours  # type: ignore[union-attr]


async def test_invalid_tool_arguments_become_a_tool_error(
    make_model, fake_server: FakeProviderServer
) -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"city": '},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
    }
    fake_server.push(Raw(json.dumps(body)))
    with pytest.raises(ToolError) as info:
        await make_model("openai").generate([Message.user("x")], tools=[WEATHER])
    assert info.value.code == "TOOL_ARGUMENTS_INVALID_JSON"


async def test_base_url_comes_from_openai_base_url(
    allow_model_requests: None, fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.base_url("openai"))
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    model = get_model("openai:gpt-4o-mini")
    assert (await model.generate([Message.user("x")])).text == "Hello from the fake server!"
    assert model.base_url == fake_server.base_url("openai")


def test_model_repr_id_and_defaults_show_no_key() -> None:
    model = OpenAIModel("gpt-4o-mini", api_key=TEST_KEY)
    assert repr(model) == "OpenAIModel('gpt-4o-mini')"
    assert model.id == "openai:gpt-4o-mini"
    assert model.base_url == "https://api.openai.com/v1"


async def test_non_object_json_answer_is_a_bad_response(make_model, fake_server: FakeProviderServer) -> None:
    fake_server.push(Raw("[1, 2]"))
    with pytest.raises(ProviderError) as info:
        await make_model("openai").generate([Message.user("x")])
    assert info.value.code == "PROVIDER_BAD_RESPONSE"


async def test_stream_text_is_yielded_as_it_arrives(make_model, fake_server: FakeProviderServer) -> None:
    fake_server.push(Scenario(text="abcdefgh", chunk_size=2))
    events = [e async for e in make_model("openai").stream([Message.user("x")])]
    assert [e.text for e in events if isinstance(e, TextDelta)] == ["ab", "cd", "ef", "gh"]
