"""The tool loop: model → every requested tool (concurrently) → results back → repeat until done."""

from __future__ import annotations

import asyncio
import threading

import pydantic
import pytest

from mastra_lab.agent import Agent, AgentChunk, StructuredOutputError
from mastra_lab.errors import ProviderError, ToolError
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall, ToolResult, Usage
from mastra_lab.llm.base import ErrorEvent, FinishEvent, ToolCallEvent
from mastra_lab.llm.testing import AgentInfo, capture_messages
from mastra_lab.tools import RunContext, ToolRetry, tool


def _last_results(messages: list[Message]) -> list[ToolResult]:
    return messages[-1].tool_results if messages and messages[-1].role == "tool" else []


@tool
def get_city(user: str) -> str:
    """The city a user lives in."""
    return {"ada": "Paris"}.get(user, "unknown")


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


async def test_a_multi_step_loop_feeds_each_result_to_the_next_request() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        results = _last_results(messages)
        if not results:
            return ModelResponse(tool_calls=[ToolCall("c1", "get_city", {"user": "ada"})])
        if results[0].name == "get_city":
            return ModelResponse(tool_calls=[ToolCall("c2", "get_weather", {"city": results[0].result})])
        return ModelResponse(f"It is {results[0].result}.")

    agent = Agent("weather", "Answer about the weather.", FunctionModel(model), tools=[get_city, get_weather])
    with capture_messages() as requests:
        result = await agent.generate("How is the weather for ada?")

    assert result.text == "It is sunny in Paris."
    assert result.finish_reason == "stop" and result.steps == 3
    assert [c.name for c in result.tool_calls] == ["get_city", "get_weather"]
    assert result.tool_results == [
        ToolResult("c1", "get_city", "Paris"),
        ToolResult("c2", "get_weather", "sunny in Paris"),
    ]
    assert requests[-1].messages == [
        Message.system("Answer about the weather."),
        Message.user("How is the weather for ada?"),
        Message.assistant(tool_calls=[ToolCall("c1", "get_city", {"user": "ada"})]),
        Message.tool([ToolResult("c1", "get_city", "Paris")]),
        Message.assistant(tool_calls=[ToolCall("c2", "get_weather", {"city": "Paris"})]),
        Message.tool([ToolResult("c2", "get_weather", "sunny in Paris")]),
    ]
    assert {t.name for t in requests[0].tools} == {"get_city", "get_weather"}
    assert result.usage.total_tokens > 0


async def test_tools_of_one_step_run_concurrently() -> None:
    # Each tool waits for the other to start: run one after the other, they would never finish.
    first_started, second_started = asyncio.Event(), asyncio.Event()

    @tool
    async def first() -> str:
        first_started.set()
        await asyncio.wait_for(second_started.wait(), 10)
        return "one"

    @tool
    async def second() -> str:
        second_started.set()
        await asyncio.wait_for(first_started.wait(), 10)
        return "two"

    agent = Agent("par", "", TestModel(text="done"), tools=[first, second])
    result = await agent.generate("go")
    assert sorted(r.result for r in result.tool_results) == ["one", "two"]
    assert not any(r.is_error for r in result.tool_results)


async def test_sync_tools_of_one_step_run_in_parallel_threads() -> None:
    barrier = threading.Barrier(2, timeout=10)

    @tool
    def left() -> str:
        barrier.wait()
        return "L"

    @tool
    def right() -> str:
        barrier.wait()
        return "R"

    result = await Agent("threads", "", TestModel(text="ok"), tools=[left, right]).generate("go")
    assert sorted(r.result for r in result.tool_results) == ["L", "R"]


async def test_each_tool_result_streams_as_soon_as_it_exists_and_the_model_gets_them_in_call_order() -> None:
    fast_shown = asyncio.Event()

    @tool
    async def slow() -> str:
        await asyncio.wait_for(fast_shown.wait(), 10)  # only the reader of the stream can set it
        return "slow done"

    @tool
    async def fast() -> str:
        return "fast done"

    agent = Agent("order", "", TestModel(text="ok"), tools=[slow, fast])
    seen: list[str] = []
    async for chunk in agent.stream("go"):
        if chunk.type in ("tool-result", "tool-error") and chunk.tool_result is not None:
            seen.append(str(chunk.tool_result.result))
            fast_shown.set()
        if chunk.type == "finish" and chunk.result is not None:
            tool_message = chunk.result.messages[-2]
    assert seen == ["fast done", "slow done"]
    assert [r.name for r in tool_message.tool_results] == ["slow", "fast"]


async def test_text_before_tool_calls_does_not_end_the_run() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if not _last_results(messages):
            return ModelResponse("Let me look that up.", [ToolCall("c1", "get_weather", {"city": "Oslo"})])
        return ModelResponse("Oslo is sunny.")

    result = await Agent("a", "", FunctionModel(model), tools=[get_weather]).generate("Oslo?")
    assert result.text == "Oslo is sunny." and result.steps == 2


async def test_tool_failures_go_back_to_the_model_as_error_results() -> None:
    @tool
    def divide(a: int, b: int) -> float:
        return a / b

    @tool
    def city_code(city: str) -> str:
        raise ToolRetry(f"{city!r} is not a city; use a real city name")

    calls = [
        ToolCall("bad_args", "divide", {"a": "x", "b": 1}),
        ToolCall("raises", "divide", {"a": 1, "b": 0}),
        ToolCall("retry", "city_code", {"city": "Atlantis"}),
        ToolCall("unknown", "teleport", {}),
    ]

    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if not _last_results(messages):
            return ModelResponse(tool_calls=calls)
        return ModelResponse("; ".join(str(r.result) for r in _last_results(messages)))

    chunks = [c async for c in Agent("a", "", FunctionModel(model), tools=[divide, city_code]).stream("go")]
    errors = [c.tool_result for c in chunks if c.type == "tool-error"]
    assert sorted(e.tool_call_id for e in errors if e) == ["bad_args", "raises", "retry", "unknown"]
    assert all(e is not None and e.is_error for e in errors)
    result = chunks[-1].result
    assert result is not None and result.finish_reason == "stop"
    assert result.text == (
        "invalid arguments for tool 'divide': field 'a': Input should be a valid integer, unable to parse "
        "string as an integer; tool 'divide' failed: ZeroDivisionError: division by zero; 'Atlantis' is not "
        "a city; use a real city name (fix this and call city_code again); there is no tool named "
        "'teleport'; the tools are: city_code, divide"
    )


async def test_a_malformed_tool_call_from_the_model_is_sent_back_and_the_run_goes_on() -> None:
    attempts: list[int] = []

    def stream_fn(messages: list[Message], info: AgentInfo):  # type: ignore[no-untyped-def]
        attempts.append(len(messages))
        if len(attempts) == 1:
            yield ErrorEvent(ToolError("bad JSON", code="TOOL_ARGUMENTS_INVALID_JSON"))
        else:
            yield "fixed"

    with capture_messages() as requests:
        chunks = [
            c
            async for c in Agent("a", "", FunctionModel(stream_fn=stream_fn), tools=[get_weather]).stream("x")
        ]
    assert [c.type for c in chunks] == ["tool-error", "step-finish", "text-delta", "step-finish", "finish"]
    assert isinstance(chunks[0].error, ToolError)
    assert chunks[0].tool_result == ToolResult("", "", "bad JSON", is_error=True)
    assert "Your last tool call could not be used: bad JSON" in requests[1].messages[-1].text
    assert chunks[-1].result is not None and chunks[-1].result.text == "fixed"


async def test_stream_chunks_come_in_order_and_finish_carries_the_generate_result() -> None:
    def stream_fn(messages: list[Message], info: AgentInfo):  # type: ignore[no-untyped-def]
        if not _last_results(messages):
            yield "Checking "
            yield "now."
            yield ToolCallEvent(ToolCall("c1", "get_weather", {"city": "Rome"}))
            yield FinishEvent("tool_calls", Usage(10, 5))
        else:
            yield "Sunny."
            yield FinishEvent("stop", Usage(20, 2))

    agent = Agent("s", "", FunctionModel(stream_fn=stream_fn), tools=[get_weather])
    chunks: list[AgentChunk] = [c async for c in agent.stream("Rome?")]
    assert [(c.type, c.step) for c in chunks] == [
        ("text-delta", 1),
        ("text-delta", 1),
        ("tool-call", 1),
        ("tool-result", 1),
        ("step-finish", 1),
        ("text-delta", 2),
        ("step-finish", 2),
        ("finish", 2),
    ]
    assert [c.usage for c in chunks if c.type == "step-finish"] == [Usage(10, 5), Usage(20, 2)]
    streamed = chunks[-1].result
    generated = await agent.generate("Rome?")
    assert streamed is not None
    assert (
        (streamed.text, streamed.usage, streamed.steps, streamed.tool_results)
        == (
            generated.text,
            generated.usage,
            generated.steps,
            generated.tool_results,
        )
        == ("Sunny.", Usage(30, 7), 2, [ToolResult("c1", "get_weather", "sunny in Rome")])
    )


async def test_a_failing_model_ends_the_stream_with_an_error_chunk_and_generate_raises() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        raise ProviderError("the provider is down", code="DOWN")

    agent = Agent("a", "", FunctionModel(model))
    chunks = [c async for c in agent.stream("x")]
    assert [c.type for c in chunks] == ["error"] and isinstance(chunks[0].error, ProviderError)
    with pytest.raises(ProviderError, match="the provider is down"):
        await agent.generate("x")
    assert list(agent.runs_df()["status"]) == ["failed", "failed"]


async def test_max_steps_stops_a_model_that_keeps_calling_tools_and_keeps_the_last_text() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        n = sum(1 for m in messages if m.role == "assistant")
        return ModelResponse(f"thinking {n}", [ToolCall(f"c{n}", "get_weather", {"city": "Oslo"})])

    agent = Agent("loop", "", FunctionModel(model), tools=[get_weather], max_steps=3)
    result = await agent.generate("go")
    assert (result.finish_reason, result.steps, result.text) == ("max_steps", 3, "thinking 2")
    assert len(result.tool_results) == 3
    once = await agent.generate("go", max_steps=1)
    assert (once.finish_reason, once.steps) == ("max_steps", 1)


async def test_a_token_budget_stops_the_run_once_reached() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        return ModelResponse("more", [ToolCall("c", "get_weather", {"city": "Oslo"})], usage=Usage(60, 10))

    result = await Agent("b", "", FunctionModel(model), tools=[get_weather], token_budget=100).generate("go")
    assert (result.finish_reason, result.steps, result.usage.total_tokens) == ("token_budget", 2, 140)


class City(pydantic.BaseModel):
    name: str
    population: int


async def test_structured_output_is_requested_natively_and_validated() -> None:
    with capture_messages() as requests:
        result = await Agent("s", "", TestModel(output={"name": "Paris", "population": 2100000})).generate(
            "Biggest French city?", output=City
        )
    assert result.object == City(name="Paris", population=2100000)
    assert requests[0].output_schema == City.model_json_schema()


async def test_structured_output_retries_once_with_the_validation_error() -> None:
    answers = iter(['{"name": "Paris"}', '```json\n{"name": "Paris", "population": 2}\n```'])

    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        return ModelResponse(next(answers))

    with capture_messages() as requests:
        result = await Agent("s", "", FunctionModel(model)).generate("city?", output=City, max_steps=1)
    assert result.object == City(name="Paris", population=2) and result.steps == 2
    retry = requests[1].messages[-1].text
    assert "population: Field required" in retry and '"required": ["name", "population"]' in retry


async def test_structured_output_that_keeps_failing_raises_with_the_raw_text() -> None:
    agent = Agent("s", "", FunctionModel(lambda messages, info: "not json"))
    with pytest.raises(StructuredOutputError, match="does not match the output schema 'City'") as caught:
        await agent.generate("city?", output=City)
    assert caught.value.raw_text == "not json"


async def test_structured_output_from_a_json_schema_gives_a_dict() -> None:
    schema = {"title": "pair", "type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    agent = Agent("s", "", FunctionModel(lambda messages, info: '{"a": 1}'))
    assert (await agent.generate("x", output=schema)).object == {"a": 1}
    bad = Agent("s", "", FunctionModel(lambda messages, info: '{"a": "one"}'))
    with pytest.raises(StructuredOutputError, match="field 'a': expected integer"):
        await bad.generate("x", output=schema)


async def test_tools_receive_the_run_context() -> None:
    seen: list[RunContext] = []

    @tool
    def remember(ctx: RunContext) -> str:
        seen.append(ctx)
        return "ok"

    agent = Agent("ctx", "", TestModel(), tools=[remember])
    result = await agent.generate("x")
    assert seen == [RunContext(result.run_id, None, None, None, "ctx")]


async def test_instructions_may_be_a_callable() -> None:
    agent = Agent("i", lambda ctx: f"Run {ctx.run_id[:0]}be brief.", TestModel(text="ok"))
    with capture_messages() as requests:
        await agent.generate("x")
    assert requests[0].messages[0] == Message.system("Run be brief.")
    no_args = Agent("j", lambda: "Plain.", TestModel(text="ok"))
    with capture_messages() as requests:
        await no_args.generate([Message.user("a"), Message.assistant("b"), Message.user("c")])
    assert [m.text for m in requests[0].messages] == ["Plain.", "a", "b", "c"]


def test_generate_sync_works_without_and_inside_a_running_loop() -> None:
    agent = Agent("sync", "", TestModel(text="hello"))
    assert agent.generate_sync("x").text == "hello"

    async def inside() -> str:
        return agent.generate_sync("x").text

    assert asyncio.run(inside()) == "hello"
    assert [c.type for c in agent.stream_sync("x")][-1] == "finish"


async def test_stopping_a_stream_early_cancels_the_run_and_leaves_no_span_behind() -> None:
    from contextlib import aclosing

    from mastra_lab.telemetry import current_span

    started, cancelled = asyncio.Event(), asyncio.Event()

    @tool
    async def forever() -> str:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    agent = Agent("slow", "", TestModel(), tools=[forever])
    async with aclosing(agent.stream("go")) as chunks:
        async for chunk in chunks:
            assert current_span() is None  # the run's spans live in its own task
            if chunk.type == "tool-call":
                await started.wait()
                break
    assert cancelled.is_set()
