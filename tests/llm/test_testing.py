"""TestModel, FunctionModel and the capture/override hooks drive a tool loop with no network."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from enum import StrEnum
from typing import Any, Literal

import pytest
from dirty_equals import FunctionCheck, IsInstance, IsInt, IsPositiveInt
from hypothesis import given, settings
from hypothesis import strategies as st
from inline_snapshot import snapshot
from pydantic import BaseModel, Field

from mastra_lab import _runtime
from mastra_lab.errors import MastraError, ProviderError, ToolError
from mastra_lab.llm import base
from mastra_lab.llm._schema_data import example_for_schema
from mastra_lab.llm.base import (
    ErrorEvent,
    FinishEvent,
    Message,
    Model,
    ModelResponse,
    StreamEvent,
    TextDelta,
    TextPart,
    ToolCall,
    ToolCallDelta,
    ToolCallEvent,
    ToolDefinition,
    ToolResult,
    Usage,
    check_allow_model_requests,
)
from mastra_lab.llm.testing import (
    AgentInfo,
    CapturedRequest,
    FunctionModel,
    TestModel,
    allow_model_requests,
    capture_messages,
    current_override,
    estimate_usage,
    override_model,
    record_request,
    resolve_model,
    response_events,
)

# --------------------------------------------------------------------------------------------- scenario


class Unit(StrEnum):
    celsius = "celsius"
    fahrenheit = "fahrenheit"


class WeatherArgs(BaseModel):
    city: str
    unit: Unit = Unit.celsius
    days: int = Field(default=1, ge=1, le=7)


def weather(city: str, unit: str = "celsius", days: int = 1) -> dict[str, Any]:
    return {"city": city, "temp": 21, "unit": unit, "days": days}


def add(a: int, b: int) -> int:
    return a + b


WEATHER = ToolDefinition("weather", "Current weather in a city", WeatherArgs.model_json_schema())
ADD = ToolDefinition(
    "add",
    "Add two integers",
    {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "minimum": 10}},
        "required": ["a", "b"],
    },
)
FUNCTIONS: dict[str, Callable[..., Any]] = {"weather": weather, "add": add}


async def run_tool_loop(
    model: Model, prompt: str, tools: list[ToolDefinition], max_steps: int = 5
) -> list[Message]:
    """The smallest agent loop: generate, run the requested tools, send results back, until plain text."""
    messages = [Message.system("Be brief."), Message.user(prompt)]
    for _ in range(max_steps):
        response = await model.generate(messages, tools=tools)
        messages.append(response.to_message())
        if not response.tool_calls:
            return messages
        results = [ToolResult(c.id, c.name, FUNCTIONS[c.name](**c.arguments)) for c in response.tool_calls]
        messages.append(Message.tool(results))
    raise AssertionError("the loop did not finish")


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


# -------------------------------------------------------------------------------------------- TestModel


async def test_test_model_calls_every_offered_tool_then_summarises_results() -> None:
    transcript = await run_tool_loop(TestModel(), "Weather in Paris, and 2+2?", [WEATHER, ADD])

    assert transcript == snapshot(
        [
            Message(role="system", parts=[TextPart(text="Be brief.")]),
            Message(role="user", parts=[TextPart(text="Weather in Paris, and 2+2?")]),
            Message(
                role="assistant",
                parts=[
                    ToolCall(id="call_0", name="weather", arguments={"city": "a"}),
                    ToolCall(id="call_1", name="add", arguments={"a": 0, "b": 11}),
                ],
            ),
            Message(
                role="tool",
                parts=[
                    ToolResult(
                        tool_call_id="call_0",
                        name="weather",
                        result={"city": "a", "temp": 21, "unit": "celsius", "days": 1},
                    ),
                    ToolResult(tool_call_id="call_1", name="add", result=11),
                ],
            ),
            Message(
                role="assistant",
                parts=[
                    TextPart(text='{"weather":{"city":"a","temp":21,"unit":"celsius","days":1},"add":11}')
                ],
            ),
        ]
    )


async def test_test_model_answers_with_the_given_text_after_tools() -> None:
    transcript = await run_tool_loop(TestModel(text="Sunny in Paris."), "Weather?", [WEATHER])

    assert [m.role for m in transcript] == ["system", "user", "assistant", "tool", "assistant"]
    assert transcript[-1] == Message.assistant("Sunny in Paris.")


async def test_test_model_calls_tools_again_on_the_next_user_turn_with_fresh_ids() -> None:
    model = TestModel(call_tools=["add"])
    transcript = await run_tool_loop(model, "2+2?", [WEATHER, ADD])
    transcript.append(Message.user("and again?"))

    response = await model.generate(transcript, tools=[WEATHER, ADD])

    assert response.tool_calls == [ToolCall("call_1", "add", {"a": 0, "b": 11})]


async def test_test_model_summary_counts_only_results_since_the_last_user_message() -> None:
    history = [
        Message.user("first"),
        Message.assistant(tool_calls=[ToolCall("c0", "add", {"a": 1, "b": 2})]),
        Message.tool([ToolResult("c0", "add", 3)]),
        Message.assistant("3"),
        Message.user("second"),
        Message.assistant(tool_calls=[ToolCall("c1", "weather", {"city": "Oslo"})]),
        Message.tool([ToolResult("c1", "weather", "snow")]),
    ]

    response = await TestModel().generate(history, tools=[ADD, WEATHER])

    assert response.text == '{"weather":"snow"}'


@pytest.mark.parametrize(
    ("call_tools", "tool_choice", "called"),
    [
        ("all", "auto", ["weather", "add"]),
        ("all", "required", ["weather", "add"]),
        (["add"], "auto", ["add"]),
        (None, "auto", []),
        ("all", "none", []),
        ("all", "add", ["add"]),
    ],
)
async def test_test_model_selects_tools_by_call_tools_and_tool_choice(
    call_tools: Any, tool_choice: str, called: list[str]
) -> None:
    response = await TestModel(call_tools=call_tools).generate(
        [Message.user("go")], tools=[WEATHER, ADD], tool_choice=tool_choice
    )

    assert [c.name for c in response.tool_calls] == called
    assert response.finish_reason == ("tool_calls" if called else "stop")


async def test_test_model_without_tools_answers_success() -> None:
    response = await TestModel().generate([Message.user("hi")])

    assert response == snapshot(
        ModelResponse(
            text="success (no tool calls)",
            usage=Usage(input_tokens=1, output_tokens=4, total_tokens=5),
            model="test",
        )
    )


async def test_test_model_rejects_call_tools_that_were_not_offered() -> None:
    with pytest.raises(ToolError) as info:
        await TestModel(call_tools=["search"]).generate([Message.user("go")], tools=[WEATHER])

    assert str(info.value) == snapshot(
        "TestModel(call_tools=['search']) names tools that were not offered: ['search']; "
        "offered: ['weather']. Offer them, or pass call_tools='all' or a subset"
    )


class Forecast(BaseModel):
    city: str
    unit: Unit
    temperatures: list[float]
    note: str | None = None


async def test_test_model_answers_json_valid_for_the_output_schema() -> None:
    response = await TestModel().generate([Message.user("forecast")], output_schema=Forecast)

    assert json.loads(response.text) == snapshot({"city": "a", "unit": "celsius", "temperatures": [1.0]})
    assert Forecast.model_validate_json(response.text) == Forecast(
        city="a", unit=Unit.celsius, temperatures=[1.0]
    )


async def test_test_model_returns_the_given_output_for_an_output_schema() -> None:
    fixed = {"city": "Oslo", "unit": "fahrenheit", "temperatures": [-3.5]}

    response = await TestModel(output=fixed).generate([Message.user("forecast")], output_schema=Forecast)

    assert json.loads(response.text) == fixed


async def test_test_model_streams_text_in_words_then_finishes_with_usage() -> None:
    events = await collect(TestModel(text="It is sunny today.").stream([Message.user("weather?")]))

    assert events == snapshot(
        [
            TextDelta(text="It "),
            TextDelta(text="is "),
            TextDelta(text="sunny "),
            TextDelta(text="today."),
            FinishEvent(usage=Usage(input_tokens=1, output_tokens=4, total_tokens=5), model="test"),
        ]
    )


async def test_test_model_streams_tool_calls_as_fragment_and_complete_call() -> None:
    events = await collect(TestModel().stream([Message.user("add")], tools=[ADD]))

    assert events == snapshot(
        [
            ToolCallDelta(index=0, id="call_0", name="add", arguments_delta='{"a": 0, "b": 11}'),
            ToolCallEvent(tool_call=ToolCall(id="call_0", name="add", arguments={"a": 0, "b": 11})),
            FinishEvent(
                finish_reason="tool_calls",
                usage=Usage(input_tokens=1, output_tokens=5, total_tokens=6),
                model="test",
            ),
        ]
    )


async def test_test_model_keeps_the_last_request_for_assertions() -> None:
    model = TestModel()
    assert model.last_request is None

    await model.generate([Message.user("hi")], tools=[ADD], tool_choice="required", temperature=0.2)

    assert model.last_request == CapturedRequest(
        model="test:test",
        messages=[Message.user("hi")],
        tools=[ADD],
        tool_choice="required",
        settings={"temperature": 0.2},
    )


def test_test_model_generate_sync_works_outside_an_event_loop() -> None:
    response = TestModel(text="ok").generate_sync([Message.user("hi")])

    assert response.text == "ok"


def test_test_model_is_not_collected_by_pytest_and_reprs_like_its_constructor() -> None:
    assert TestModel.__test__ is False
    assert TestModel.provider == "test"
    assert TestModel().id == "test:test"
    assert repr(TestModel()) == "TestModel()"
    assert repr(TestModel("hi", ["add"], seed=3)) == "TestModel(text='hi', call_tools=['add'], seed=3)"


async def test_same_seed_gives_same_arguments_and_other_seeds_differ() -> None:
    def args(seed: int) -> dict[str, Any]:
        return example_for_schema(WEATHER.parameters, seed)

    assert args(0) == args(0) == {"city": "a"}
    assert args(1) == {"city": "b", "unit": "fahrenheit", "days": IsInt(ge=1, le=7)}


# ------------------------------------------------------------------------------------------- schema data


class Address(BaseModel):
    street: str
    zip_code: int | None = None


class Node(BaseModel):
    name: str
    children: list[Node] = []


class Everything(BaseModel):
    text: str = Field(min_length=3, max_length=5)
    count: int = Field(gt=0, lt=100)
    ratio: float = Field(ge=0.0, le=1.0)
    flag: bool
    unit: Unit
    mode: Literal["fast", "slow"]
    tags: list[str] = Field(min_length=2)
    pair: tuple[int, str]
    scores: dict[str, float]
    address: Address
    maybe_address: Address | None = None
    either: int | str
    tree: Node
    when: str = Field(json_schema_extra={"format": "date"})


def test_example_for_a_pydantic_schema_has_required_fields_only_for_seed_zero() -> None:
    assert example_for_schema(Everything.model_json_schema(), 0) == snapshot(
        {
            "text": "aaa",
            "count": 2,
            "ratio": 0.6,
            "flag": False,
            "unit": "celsius",
            "mode": "fast",
            "tags": ["d", "e"],
            "pair": [5, "g"],
            "scores": {"key_7": 8.0},
            "address": {"street": "j"},
            "either": 10,
            "tree": {"name": "l"},
            "when": "2024-01-13",
        }
    )


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000))
def test_example_for_a_pydantic_schema_validates_for_every_seed(seed: int) -> None:
    data = example_for_schema(Everything.model_json_schema(), seed)

    Everything.model_validate(data)
    WeatherArgs.model_validate(example_for_schema(WEATHER.parameters, seed))


def test_example_for_a_recursive_schema_stops_at_a_bounded_depth() -> None:
    data = example_for_schema(Node.model_json_schema(), seed=1)

    Node.model_validate(data)
    depth, node = 0, data
    while node.get("children"):
        depth, node = depth + 1, node["children"][0]
    assert 1 <= depth <= 6


def test_example_for_an_unknown_ref_names_the_missing_definition() -> None:
    with pytest.raises(ValueError, match=r"\$ref '#/\$defs/Missing' points to no entry of \$defs"):
        example_for_schema({"$ref": "#/$defs/Missing"})


# --------------------------------------------------------------------------------------- FunctionModel


async def test_function_model_scripts_a_tool_loop() -> None:
    def script(messages: list[Message], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        if last.role == "user":
            return ModelResponse(tool_calls=[ToolCall("w1", "weather", {"city": "Paris", "unit": "celsius"})])
        (result,) = last.tool_results
        return ModelResponse(text=f"{result.result['temp']} degrees in {result.result['city']}")

    transcript = await run_tool_loop(FunctionModel(script), "Weather in Paris?", [WEATHER])

    assert transcript[2:] == snapshot(
        [
            Message(
                role="assistant",
                parts=[ToolCall(id="w1", name="weather", arguments={"city": "Paris", "unit": "celsius"})],
            ),
            Message(
                role="tool",
                parts=[
                    ToolResult(
                        tool_call_id="w1",
                        name="weather",
                        result={"city": "Paris", "temp": 21, "unit": "celsius", "days": 1},
                    )
                ],
            ),
            Message(role="assistant", parts=[TextPart(text="21 degrees in Paris")]),
        ]
    )


async def test_function_model_fills_model_finish_reason_and_estimated_usage() -> None:
    def script(messages: list[Message], info: AgentInfo) -> ModelResponse:
        return ModelResponse(tool_calls=[ToolCall("c", "add", {"a": 1, "b": 2})])

    response = await FunctionModel(script).generate([Message.user("one plus two")], tools=[ADD])

    assert response == ModelResponse(
        tool_calls=[ToolCall("c", "add", {"a": 1, "b": 2})],
        usage=Usage(input_tokens=3, output_tokens=IsPositiveInt, total_tokens=IsPositiveInt),
        finish_reason="tool_calls",
        model="script",
    )


async def test_function_model_keeps_usage_and_model_the_function_set() -> None:
    fixed = ModelResponse(text="hi", usage=Usage(10, 2), finish_reason="length", model="m-1")

    response = await FunctionModel(lambda messages, info: fixed).generate([Message.user("x")])

    assert response == fixed


async def test_function_model_accepts_async_functions_and_plain_strings() -> None:
    async def echo(messages: list[Message], info: AgentInfo) -> str:
        await asyncio.sleep(0)
        return messages[-1].text.upper()

    response = await FunctionModel(echo).generate([Message.user("shout")])

    assert (response.text, response.model) == ("SHOUT", "echo")


async def test_function_model_passes_tools_choice_schema_and_settings_in_info() -> None:
    seen: list[AgentInfo] = []

    def script(messages: list[Message], info: AgentInfo) -> str:
        seen.append(info)
        return "{}"

    await FunctionModel(script).generate(
        [Message.user("x")], tools=[ADD], tool_choice="add", output_schema=Address, max_tokens=50
    )

    assert seen == snapshot(
        [
            AgentInfo(
                tools=[
                    ToolDefinition(
                        name="add",
                        description="Add two integers",
                        parameters={
                            "type": "object",
                            "properties": {"a": {"type": "integer"}, "b": {"type": "integer", "minimum": 10}},
                            "required": ["a", "b"],
                        },
                    )
                ],
                tool_choice="add",
                output_schema={
                    "properties": {
                        "street": {"title": "Street", "type": "string"},
                        "zip_code": {
                            "anyOf": [{"type": "integer"}, {"type": "null"}],
                            "default": None,
                            "title": "Zip Code",
                        },
                    },
                    "required": ["street"],
                    "title": "Address",
                    "type": "object",
                },
                settings={"max_tokens": 50},
                model_name="script",
            )
        ]
    )


async def test_function_model_rejects_a_function_returning_something_else() -> None:
    model = FunctionModel(lambda messages, info: 42)  # type: ignore[arg-type,return-value]

    with pytest.raises(TypeError, match="must return a ModelResponse or a str, got 42"):
        await model.generate([Message.user("x")])


def test_function_model_needs_a_function() -> None:
    with pytest.raises(TypeError, match=r"needs fn\(messages, info\), stream_fn\(messages, info\), or both"):
        FunctionModel()


async def test_function_model_streams_fn_response_as_events() -> None:
    def script(messages: list[Message], info: AgentInfo) -> ModelResponse:
        return ModelResponse(text="Let me add.", tool_calls=[ToolCall("c", "add", {"a": 1, "b": 2})])

    events = await collect(FunctionModel(script).stream([Message.user("1+2")], tools=[ADD]))

    assert events == [
        TextDelta("Let "),
        TextDelta("me "),
        TextDelta("add."),
        ToolCallDelta(0, "c", "add", '{"a": 1, "b": 2}'),
        ToolCallEvent(ToolCall("c", "add", {"a": 1, "b": 2})),
        FinishEvent("tool_calls", IsInstance(Usage), "script"),
    ]


async def test_function_model_stream_fn_strings_become_text_deltas_and_fragments_assemble() -> None:
    def chunks(messages: list[Message], info: AgentInfo) -> Iterator[str | StreamEvent]:
        yield "Adding "
        yield "now."
        yield ToolCallDelta(0, "c7", "add", '{"a": 2,')
        yield ToolCallDelta(0, arguments_delta=' "b": 40}')

    events = await collect(FunctionModel(stream_fn=chunks).stream([Message.user("2+40")]))

    assert events == snapshot(
        [
            TextDelta(text="Adding "),
            TextDelta(text="now."),
            ToolCallDelta(index=0, id="c7", name="add", arguments_delta='{"a": 2,'),
            ToolCallDelta(index=0, arguments_delta=' "b": 40}'),
            ToolCallEvent(tool_call=ToolCall(id="c7", name="add", arguments={"a": 2, "b": 40})),
            FinishEvent(
                finish_reason="tool_calls",
                usage=Usage(input_tokens=1, output_tokens=IsPositiveInt, total_tokens=IsPositiveInt),
                model="chunks",
            ),
        ]
    )


async def test_function_model_async_stream_fn_keeps_its_own_finish_event() -> None:
    async def chunks(messages: list[Message], info: AgentInfo) -> AsyncIterator[str | StreamEvent]:
        yield "cut"
        yield FinishEvent("length", Usage(5, 1))

    events = await collect(FunctionModel(stream_fn=chunks).stream([Message.user("x")]))

    assert events == [TextDelta("cut"), FinishEvent("length", Usage(5, 1), "chunks")]


async def test_function_model_generate_collects_stream_fn_events() -> None:
    async def chunks(messages: list[Message], info: AgentInfo) -> AsyncIterator[str | StreamEvent]:
        yield "Hello "
        yield "world"
        yield ToolCallEvent(ToolCall("c", "add", {"a": 1, "b": 1}))

    response = await FunctionModel(stream_fn=chunks).generate([Message.user("x")])

    assert response == ModelResponse(
        "Hello world", [ToolCall("c", "add", {"a": 1, "b": 1})], IsInstance(Usage), "tool_calls", "chunks"
    )


async def test_function_model_generate_raises_the_error_of_a_failed_stream() -> None:
    def chunks(messages: list[Message], info: AgentInfo) -> Iterator[str | StreamEvent]:
        yield "partial"
        yield ErrorEvent(ProviderError("stream cut"), partial_text="partial")

    model = FunctionModel(stream_fn=chunks)
    events = await collect(model.stream([Message.user("x")]))

    assert events[-1] == ErrorEvent(
        FunctionCheck(lambda e: isinstance(e, MastraError) and e.message == "stream cut"), "partial"
    )
    with pytest.raises(ProviderError, match="stream cut"):
        await model.generate([Message.user("x")])


def test_function_model_repr_and_id_name_the_function() -> None:
    def script(messages: list[Message], info: AgentInfo) -> str:
        return ""

    assert repr(FunctionModel(script)) == "FunctionModel('script')"
    assert FunctionModel(script, model_name="scripted").id == "function:scripted"


# ------------------------------------------------------------------------------------- hooks and switches


async def test_offline_models_work_while_real_requests_are_switched_off() -> None:
    with allow_model_requests(False):
        assert base.ALLOW_MODEL_REQUESTS is False
        with pytest.raises(ProviderError, match="real model requests are disabled"):
            check_allow_model_requests()
        assert (await TestModel(text="ok").generate([Message.user("x")])).text == "ok"
        assert (await FunctionModel(lambda m, i: "fine").generate([Message.user("x")])).text == "fine"
        assert [e.kind for e in await collect(TestModel().stream([Message.user("x")]))][-1] == "finish"


def test_allow_model_requests_restores_the_previous_value() -> None:
    before = base.ALLOW_MODEL_REQUESTS
    with allow_model_requests(not before):
        with allow_model_requests(before):
            assert base.ALLOW_MODEL_REQUESTS is before
        assert base.ALLOW_MODEL_REQUESTS is (not before)
    assert base.ALLOW_MODEL_REQUESTS is before


class EchoProvider(Model):
    """Stands in for a real provider: it reports requests through the public hook."""

    provider = "echo"

    async def generate(self, messages: Any, tools: Any = None, tool_choice: Any = "auto",
                       output_schema: Any = None, **settings: Any) -> ModelResponse:  # fmt: skip
        record_request(self, messages, tools, tool_choice, output_schema, settings)
        return ModelResponse(text=messages[-1].text)

    async def stream(self, messages: Any, tools: Any = None, tool_choice: Any = "auto",
                     output_schema: Any = None, **settings: Any) -> AsyncIterator[StreamEvent]:  # fmt: skip
        record_request(self, messages, tools, tool_choice, output_schema, settings)
        yield FinishEvent()


async def test_capture_messages_records_requests_to_every_model_in_order() -> None:
    script = FunctionModel(lambda messages, info: "scripted", model_name="script")
    with capture_messages() as requests:
        await TestModel().generate([Message.user("one")], tools=[ADD])
        await collect(script.stream([Message.user("two")]))
        await EchoProvider("e-1").generate([Message.user("three")], temperature=0)
        await collect(EchoProvider("e-1").stream([Message.user("four")]))
    await TestModel().generate([Message.user("outside")])

    assert [(r.model, r.messages[-1].text) for r in requests] == snapshot(
        [("test:test", "one"), ("function:script", "two"), ("echo:e-1", "three"), ("echo:e-1", "four")]
    )
    assert requests[0].tools == [ADD]
    assert requests[2].settings == {"temperature": 0}


def test_capture_messages_sees_requests_made_through_sync_twins_and_nesting() -> None:
    with capture_messages() as outer:
        TestModel().generate_sync([Message.user("a")])
        with capture_messages() as inner:
            TestModel().generate_sync([Message.user("b")], output_schema=Address)

    assert [r.messages[0].text for r in outer] == ["a", "b"]
    assert inner == [
        CapturedRequest("test:test", [Message.user("b")], output_schema=Address.model_json_schema())
    ]


def test_override_model_replaces_resolved_models_and_restores_after() -> None:
    own, replacement = FunctionModel(lambda m, i: "own"), TestModel(text="override")
    assert current_override() is None
    assert resolve_model(own) is own

    with override_model(replacement) as active:
        assert active is replacement
        assert current_override() is replacement
        assert resolve_model(own) is replacement
        with override_model(TestModel(seed=1)) as inner:
            assert resolve_model(own) is inner
        assert resolve_model(own) is replacement

    assert current_override() is None
    assert resolve_model(own) is own


async def _agent_step() -> str:
    """What an agent will do: resolve its own model through the override, then ask it."""
    return (await resolve_model(FunctionModel(lambda m, i: "own")).generate([Message.user("x")])).text


async def test_override_model_is_inherited_by_tasks() -> None:
    with override_model(TestModel(text="override")):
        assert await asyncio.create_task(_agent_step()) == "override"
    assert await asyncio.create_task(_agent_step()) == "own"


def test_override_model_reaches_coroutines_run_by_the_sync_runtime() -> None:
    with override_model(TestModel(text="override")):
        assert _runtime.run_sync(_agent_step()) == "override"
    assert _runtime.run_sync(_agent_step()) == "own"


def test_resolve_model_rejects_what_is_not_a_model() -> None:
    with pytest.raises(TypeError, match="expected a Model or a model id like 'openai:gpt-4o-mini', got 42"):
        resolve_model(42)  # type: ignore[arg-type]


def test_resolve_model_turns_the_test_id_into_a_test_model() -> None:
    assert isinstance(resolve_model("test"), TestModel)
    with override_model("test") as active:
        assert isinstance(active, TestModel)


# ----------------------------------------------------------------------------------------- value objects


def test_estimate_usage_counts_words_of_text_tool_calls_and_results() -> None:
    messages = [
        Message.user("What is the weather in Paris?"),
        Message.assistant(tool_calls=[ToolCall("c", "weather", {"city": "Paris"})]),
        Message.tool([ToolResult("c", "weather", {"temp": 21})]),
    ]

    usage = estimate_usage(messages, ModelResponse(text="It is 21 degrees."))

    assert usage == Usage(input_tokens=6 + 3 + 3, output_tokens=4, total_tokens=16)


def test_response_events_end_with_finish_carrying_usage_and_model() -> None:
    response = ModelResponse(text="ok", usage=Usage(2, 1), model="m")

    assert response_events(response) == [TextDelta("ok"), FinishEvent("stop", Usage(2, 1), "m")]


def test_reprs_show_only_non_default_fields() -> None:
    assert repr(AgentInfo()) == "AgentInfo()"
    assert (
        repr(AgentInfo(tool_choice="none", model_name="f")) == "AgentInfo(tool_choice='none', model_name='f')"
    )
    assert repr(CapturedRequest("test:test", [Message.user("hi")])) == snapshot(
        "CapturedRequest(model='test:test', messages=[Message(role='user', parts=[TextPart(text='hi')])])"
    )
    assert repr(TestModel(output={"a": 1})) == "TestModel(output={'a': 1})"
