"""The Agent facade: construction checks, models, the Mastra it is registered on, traces, sub-agents."""

from __future__ import annotations

import pytest
from fake_provider import FakeProviderServer, Scenario

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError, ToolError
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall, Usage
from mastra_lab.llm.testing import AgentInfo, override_model
from mastra_lab.mastra import Mastra
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.tools import Tool, tool


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def test_duplicate_tool_names_are_refused() -> None:
    twin = Tool("get_weather", "Again.", {"type": "object", "properties": {}}, lambda args: None)
    with pytest.raises(ToolError, match="agent 'a' has two tools named 'get_weather'") as caught:
        Agent("a", "", TestModel(), tools=[get_weather, twin])
    assert caught.value.code == "TOOL_DUPLICATE_NAME"
    helper = Agent("get_weather_helper", "", TestModel())
    clash = Tool("ask_get_weather_helper", "", {"type": "object"}, lambda args: None)
    with pytest.raises(ToolError, match="two tools named 'ask_get_weather_helper'"):
        Agent("b", "", TestModel(), tools=[clash], agents=[helper])


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "3"])
def test_max_steps_below_one_is_refused(bad: object) -> None:
    with pytest.raises(MastraError, match=r"max_steps=.* must be an integer of at least 1"):
        Agent("a", "", TestModel(), max_steps=bad)  # type: ignore[arg-type]
    agent = Agent("a", "", TestModel())
    with pytest.raises(MastraError, match="max_steps"):
        agent.stream("x", max_steps=bad)  # type: ignore[arg-type]


def test_other_bad_arguments_are_refused_at_construction() -> None:
    with pytest.raises(MastraError, match="agent name 'two words'"):
        Agent("two words", "", TestModel())
    with pytest.raises(MastraError, match="model=42 must be a Model"):
        Agent("a", "", 42)  # type: ignore[arg-type]
    with pytest.raises(MastraError, match="token_budget=0"):
        Agent("a", "", TestModel(), token_budget=0)
    with pytest.raises(ToolError, match=r"require_approval names tools agent 'a' does not have: \['rm'\]"):
        Agent("a", "", TestModel(), tools=[get_weather], require_approval=["rm"])
    with pytest.raises(ToolError, match="tools= takes Tool objects or functions"):
        Agent("a", "", TestModel(), tools=[42])  # type: ignore[list-item]
    with pytest.raises(MastraError, match="output=3 is neither"):
        Agent("a", "", TestModel()).stream("x", output=3)


def test_plain_functions_become_tools_and_describe_lists_them() -> None:
    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    agent = Agent("calc", "Adds.", "test", tools=[add], description="Adds numbers.", max_steps=3)
    assert isinstance(agent.model, TestModel)
    assert agent.describe() == {
        "name": "calc",
        "description": "Adds numbers.",
        "model": "test",
        "tools": ["add"],
        "memory": None,
        "max_steps": 3,
    }
    assert repr(agent) == "Agent('calc', model='test', tools=['add'])"


async def test_override_model_replaces_the_agents_model() -> None:
    agent = Agent("a", "", TestModel(text="own"))
    with override_model(TestModel(text="override")):
        assert (await agent.generate("x")).text == "override"
    assert (await agent.generate("x")).text == "own"


def test_a_model_id_is_resolved_by_the_registry_when_registered(mastra: Mastra) -> None:
    agent = Agent("a", "", "test")
    mastra.add_agent(agent)
    assert isinstance(agent.model, TestModel)
    assert agent.storage is mastra.storage and agent.tracer is mastra.tracer
    assert mastra.agents_df().to_dict("records") == [
        {"name": "a", "model": "test", "tools": [], "memory": None, "description": None}
    ]


async def test_one_trace_per_run_with_gen_ai_spans(mastra: Mastra, spans: InMemoryExporter) -> None:
    agent = Agent("weather", "", TestModel(text="done"), tools=[get_weather])
    mastra.add_agent(agent)
    result = await agent.generate("Oslo?")

    by_name = {s.name: s for s in spans.spans}
    assert sorted(by_name) == ["chat test", "execute_tool get_weather", "invoke_agent weather"]
    assert {s.trace_id for s in spans.spans} == {result.trace_id}
    root = by_name["invoke_agent weather"]
    chats = [s for s in spans.spans if s.name == "chat test"]
    assert len(chats) == 2 and all(s.parent_span_id == root.span_id for s in chats)
    assert by_name["execute_tool get_weather"].parent_span_id == root.span_id
    assert (root.type, chats[0].type) == ("agent_run", "llm_generation")
    assert by_name["execute_tool get_weather"].type == "tool_call"
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert root.attributes["gen_ai.agent.name"] == "weather"
    assert root.attributes["gen_ai.usage.input_tokens"] == result.usage.input_tokens
    assert chats[0].attributes["gen_ai.operation.name"] == "chat"
    assert chats[0].attributes["gen_ai.provider.name"] == "test"
    assert chats[0].attributes["gen_ai.request.model"] == "test"
    assert sum(s.attributes["gen_ai.usage.output_tokens"] for s in chats) == result.usage.output_tokens
    tool_span = by_name["execute_tool get_weather"]
    assert tool_span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool_span.attributes["gen_ai.tool.name"] == "get_weather"
    assert tool_span.attributes["gen_ai.tool.call.id"] == result.tool_calls[0].id
    assert tool_span.output == "sunny in a"
    assert mastra.storage.load_snapshot("agent:weather", result.run_id) is not None


async def test_a_tool_failure_marks_its_span(mastra: Mastra, spans: InMemoryExporter) -> None:
    @tool
    def broken() -> str:
        raise RuntimeError("boom")

    agent = Agent("b", "", TestModel(text="ok"), tools=[broken])
    mastra.add_agent(agent)
    await agent.generate("x")
    failed = [s for s in spans.spans if s.name == "execute_tool broken"]
    assert failed[0].status == "error" and failed[0].error == {"type": "RuntimeError", "message": "boom"}


async def test_sub_agents_are_tools_with_nested_spans_and_summed_usage(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    def researcher_model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        return ModelResponse(f"found: {messages[-1].text}", usage=Usage(7, 3))

    def lead_model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if messages[-1].role != "tool":
            return ModelResponse(
                tool_calls=[ToolCall("c1", "ask_researcher", {"prompt": "moths"})], usage=Usage(5, 1)
            )
        return ModelResponse(f"Report: {messages[-1].tool_results[0].result}", usage=Usage(11, 2))

    researcher = Agent("researcher", "Research.", FunctionModel(researcher_model), description="Finds facts.")
    lead = Agent("lead", "Lead.", FunctionModel(lead_model), agents=[researcher])
    assert "ask_researcher" in lead.tools
    assert lead.tools["ask_researcher"].description.startswith("Finds facts.")
    assert lead.tools["ask_researcher"].parameters["required"] == ["prompt"]
    mastra.add_agent(lead)
    assert researcher.tracer is mastra.tracer  # bound with its parent

    result = await lead.generate("Tell me about moths")
    assert result.text == "Report: found: moths"
    assert result.usage == Usage(5, 1) + Usage(7, 3) + Usage(11, 2)

    by_name = {s.name: s for s in spans.spans}
    outer, tool_span, inner = (
        by_name["invoke_agent lead"],
        by_name["execute_tool ask_researcher"],
        by_name["invoke_agent researcher"],
    )
    assert tool_span.parent_span_id == outer.span_id
    assert inner.parent_span_id == tool_span.span_id
    assert by_name["chat researcher_model"].parent_span_id == inner.span_id
    assert {s.trace_id for s in spans.spans} == {result.trace_id}


async def test_a_run_against_the_loopback_provider_uses_real_tool_calls_over_sse(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(
        Scenario(text="Checking. ", tool_calls=[("call_a", "get_weather", {"city": "Paris"})]),
        Scenario(text="It is sunny in Paris."),
    )
    agent = Agent("web", "Be brief.", make_model("openai", "gpt-4o-mini"), tools=[get_weather])
    chunks = [c async for c in agent.stream("Weather in Paris?")]
    result = chunks[-1].result
    assert result is not None
    assert result.text == "It is sunny in Paris." and result.finish_reason == "stop"
    assert result.tool_calls == [ToolCall("call_a", "get_weather", {"city": "Paris"})]
    assert result.usage == Usage(19, 10, 29, 4, 2) + Usage(19, 10, 29, 4, 2)
    assert [c.type for c in chunks].count("text-delta") > 2  # streamed in pieces

    first, second = (r.body for r in fake_server.requests)
    assert first["stream"] is True
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert second["messages"][-2]["tool_calls"][0]["id"] == "call_a"
    assert second["messages"][-1] == {"role": "tool", "tool_call_id": "call_a", "content": "sunny in Paris"}


@pytest.mark.parametrize("where", ["status 400", "inside the stream"])
async def test_groq_tool_use_failed_is_fed_back_to_the_model(
    where: str, make_model, fake_server: FakeProviderServer
) -> None:
    from fake_provider import Status

    error = {
        "message": "Failed to call a function.",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "failed_generation": '<function=get_weather>{"city": "Paris"</function>',
    }
    first = Status(400, {"error": error}) if where == "status 400" else Scenario(text="", stream_error=error)
    fake_server.push(first, Scenario(text="Sunny."))
    agent = Agent("g", "", make_model("groq", "llama-3.3-70b-versatile"), tools=[get_weather])
    result = await agent.generate("Paris?")
    assert result.text == "Sunny." and result.steps == 2
    feedback = fake_server.requests[1].body["messages"][-1]
    assert feedback["role"] == "user"
    assert "tool_use_failed" in feedback["content"] and '{"city": "Paris"' in feedback["content"]


def test_runs_df_lists_stored_runs() -> None:
    agent = Agent("r", "", TestModel(text="hi"))
    result = agent.generate_sync("x")
    df = agent.runs_df()
    assert list(df.columns) == [
        "run_id",
        "status",
        "finish_reason",
        "steps",
        "pending",
        "thread_id",
        "total_tokens",
        "error",
        "created_at",
        "updated_at",
    ]
    row = df.iloc[0]
    assert (row.run_id, row.status, row.finish_reason, row.steps, row.pending) == (
        result.run_id,
        "done",
        "stop",
        1,
        0,
    )
    assert int(row.total_tokens) == result.usage.total_tokens


async def test_tool_choice_and_model_settings_reach_the_model_and_the_result_has_the_transcript() -> None:
    from mastra_lab.llm.testing import capture_messages

    agent = Agent("s", "Short.", TestModel(text="ok"), tools=[get_weather])
    with capture_messages() as requests:
        result = await agent.generate("x", tool_choice="none", model_settings={"temperature": 0.1})
    assert requests[0].tool_choice == "none" and requests[0].settings == {"temperature": 0.1}
    assert result.messages == [Message.system("Short."), Message.user("x"), Message.assistant("ok")]
    with pytest.raises(MastraError, match="agent 's' has no run 'missing'"):
        agent.pending("missing")


async def test_a_sub_agent_waiting_for_approval_says_so_to_its_caller() -> None:
    @tool(requires_approval=True)
    def wire_money(amount: int) -> str:
        return "sent"

    banker = Agent("banker", "", TestModel(), tools=[wire_money])

    def lead_model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if messages[-1].role != "tool":
            return ModelResponse(tool_calls=[ToolCall("c1", "ask_banker", {"prompt": "pay 5"})])
        return ModelResponse(str(messages[-1].tool_results[0].result))

    result = await Agent("lead", "", FunctionModel(lead_model), agents=[banker]).generate("pay")
    assert "wire_money wait for a person's approval in run " in result.text
    run_id = result.text.rsplit(" ", 1)[-1].rstrip(")")
    assert [c.name for c in banker.pending(run_id)] == ["wire_money"]


def test_run_ids_are_injectable() -> None:
    ids = iter(["run-1", "run-2"])
    agent = Agent("ids", "", TestModel(text="ok"), id_factory=lambda: next(ids))
    assert [agent.generate_sync("x").run_id for _ in range(2)] == ["run-1", "run-2"]
    assert list(agent.runs_df()["run_id"]) == ["run-1", "run-2"]
