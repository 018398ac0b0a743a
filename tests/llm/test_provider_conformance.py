"""Every provider, same behaviour: generate, stream, tools and structured output over its real wire format."""

from __future__ import annotations

import json

import pytest
from fake_provider import FakeProviderServer, Scenario
from pydantic import BaseModel

from mastra_lab.llm import Message, ToolCall, ToolDefinition
from mastra_lab.llm.base import FinishEvent, TextDelta, ToolCallDelta, ToolCallEvent

PROVIDERS = ["openai", "groq", "compat", "anthropic"]
WEATHER = ToolDefinition(
    "get_weather",
    "Current weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)
CALLS = [("call_1", "get_weather", {"city": "Paris"}), ("call_2", "get_weather", {"city": "Tokyo, Japan"})]


class City(BaseModel):
    name: str
    population: int


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def test_generate_returns_text_usage_and_model(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    fake_server.push(Scenario(text="Bonjour!"))
    response = await make_model(provider, "my-model").generate([Message.user("Say hi in French")])
    assert response.text == "Bonjour!"
    assert response.finish_reason == "stop"
    assert response.model == "my-model"
    assert response.tool_calls == []
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    assert response.raw is not None


async def test_generate_returns_parsed_tool_calls(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    fake_server.push(Scenario(text="", tool_calls=CALLS))
    response = await make_model(provider).generate([Message.user("Weather?")], tools=[WEATHER])
    assert response.tool_calls == [
        ToolCall("call_1", "get_weather", {"city": "Paris"}),
        ToolCall("call_2", "get_weather", {"city": "Tokyo, Japan"}),
    ]
    assert response.finish_reason == "tool_calls"
    assert response.text == ""


async def test_stream_yields_the_same_answer_as_generate(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    scenario = Scenario(text="Streaming works, piece by piece.", tool_calls=CALLS, chunk_size=3)
    fake_server.push(scenario, scenario)
    model = make_model(provider)
    whole = await model.generate([Message.user("go")], tools=[WEATHER])
    events = [e async for e in model.stream([Message.user("go")], tools=[WEATHER])]
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 5, "text arrives in pieces"
    assert "".join(d.text for d in deltas) == whole.text
    assert [e.tool_call for e in events if isinstance(e, ToolCallEvent)] == whole.tool_calls
    assert any(isinstance(e, ToolCallDelta) and e.arguments_delta for e in events)
    finish = events[-1]
    assert isinstance(finish, FinishEvent)
    assert (finish.finish_reason, finish.usage, finish.model) == (
        whole.finish_reason,
        whole.usage,
        whole.model,
    )


async def test_tool_call_conversation_round_trips(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    fake_server.push(Scenario(text="", tool_calls=CALLS[:1]), Scenario(text="It is sunny in Paris."))
    model = make_model(provider)
    messages = [Message.system("Be brief."), Message.user("Weather in Paris?")]
    first = await model.generate(messages, tools=[WEATHER])
    messages += [first.to_message(), Message.tool([_result(first.tool_calls[0])])]
    second = await model.generate(messages, tools=[WEATHER])
    assert second.text == "It is sunny in Paris."
    sent = json.dumps(fake_server.requests[1].body)
    assert "call_1" in sent and "18 C, sunny" in sent


def _result(call: ToolCall):  # type: ignore[no-untyped-def]
    from mastra_lab.llm import ToolResult

    return ToolResult(call.id, call.name, {"forecast": "18 C, sunny"})


async def test_structured_output_returns_json_text(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    answer = {"name": "Paris", "population": 2102650}
    if provider == "anthropic":
        fake_server.push(Scenario(text="", tool_calls=[("toolu_1", "City", answer)]))
    else:
        fake_server.push(Scenario(text=json.dumps(answer)))
    response = await make_model(provider).generate([Message.user("Biggest French city?")], output_schema=City)
    assert City.model_validate_json(response.text) == City(name="Paris", population=2102650)
    assert response.tool_calls == []
    assert response.finish_reason == "stop"


async def test_settings_merge_model_defaults_under_call_settings(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    model = make_model(provider, settings={"temperature": 0.2, "top_p": 0.5})
    await model.generate([Message.user("hi")], temperature=0.9)
    body = fake_server.requests[0].body
    assert (body["temperature"], body["top_p"]) == (0.9, 0.5)


async def test_capture_messages_records_what_a_real_provider_sends(
    make_model, fake_server: FakeProviderServer, provider: str
) -> None:
    from mastra_lab.llm.testing import capture_messages

    fake_server.push(Scenario(text="ok"), Scenario(text="ok"))
    model = make_model(provider)
    with capture_messages() as sent:
        await model.generate([Message.user("first")], tools=[WEATHER], temperature=0)
        [e async for e in model.stream([Message.user("second")])]
    assert [(r.model, r.messages[-1].text) for r in sent] == [(model.id, "first"), (model.id, "second")]
    assert sent[0].tools == [WEATHER]
    assert sent[0].settings["temperature"] == 0
