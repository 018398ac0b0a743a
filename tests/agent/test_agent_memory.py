"""An agent with memory: history in the prompt, one saved turn per finished run, nothing from a failed one."""

from __future__ import annotations

import pydantic
import pytest

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError, ProviderError
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall, ToolResult
from mastra_lab.llm.testing import AgentInfo, capture_messages
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory
from mastra_lab.storage import InMemoryStore
from mastra_lab.tools import tool


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def _stored(memory: Memory, thread_id: str) -> list[Message]:
    return [m.message for m in memory.get_messages(thread_id)]


async def test_a_thread_remembers_earlier_turns() -> None:
    memory = Memory(storage=InMemoryStore())
    agent = Agent(
        "chat", "Be kind.", FunctionModel(lambda messages, info: f"echo {messages[-1].text}"), memory=memory
    )
    await agent.generate("My name is Ada.", thread_id="t1", resource_id="ada")
    with capture_messages() as requests:
        result = await agent.generate("What is my name?", thread_id="t1", resource_id="ada")

    assert (result.thread_id, result.resource_id) == ("t1", "ada")
    prompt = requests[0].messages
    assert prompt[0].role == "system" and prompt[0].text.startswith("Be kind.")
    assert prompt[1:] == [
        Message.user("My name is Ada."),
        Message.assistant("echo My name is Ada."),
        Message.user("What is my name?"),
    ]
    assert [m.text for m in _stored(memory, "t1")] == [
        "My name is Ada.",
        "echo My name is Ada.",
        "What is my name?",
        "echo What is my name?",
    ]


async def test_without_a_thread_the_agent_runs_without_memory() -> None:
    memory = Memory(storage=InMemoryStore())
    agent = Agent("chat", "", TestModel(text="hi"), memory=memory)
    await agent.generate("hello")
    assert memory.list_threads() == []


async def test_a_turn_with_tool_calls_is_saved_whole() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if messages[-1].role != "tool":
            return ModelResponse(tool_calls=[ToolCall("c1", "get_weather", {"city": "Oslo"})])
        return ModelResponse("Sunny.")

    memory = Memory(storage=InMemoryStore())
    agent = Agent("w", "", FunctionModel(model), tools=[get_weather], memory=memory)
    await agent.generate("Oslo?", thread_id="t", resource_id="u")
    assert _stored(memory, "t") == [
        Message.user("Oslo?"),
        Message.assistant(tool_calls=[ToolCall("c1", "get_weather", {"city": "Oslo"})]),
        Message.tool([ToolResult("c1", "get_weather", "sunny in Oslo")]),
        Message.assistant("Sunny."),
    ]


async def test_a_failed_run_leaves_the_thread_unchanged() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if messages[-1].role != "tool":
            return ModelResponse("Looking.", [ToolCall("c1", "get_weather", {"city": "Oslo"})])
        raise ProviderError("the provider went away", code="GONE")

    memory = Memory(storage=InMemoryStore())
    await Agent("ok", "", TestModel(text="fine"), memory=memory).generate(
        "first", thread_id="t", resource_id="u"
    )
    before = _stored(memory, "t")
    agent = Agent("w", "", FunctionModel(model), tools=[get_weather], memory=memory)
    with pytest.raises(ProviderError):
        await agent.generate("Oslo?", thread_id="t", resource_id="u")
    assert _stored(memory, "t") == before


async def test_an_approval_saves_the_turn_so_far_and_resume_saves_the_rest() -> None:
    @tool(requires_approval=True)
    def book(hotel: str) -> str:
        """Book a hotel."""
        return f"booked {hotel}"

    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if messages[-1].role != "tool":
            return ModelResponse(tool_calls=[ToolCall("b1", "book", {"hotel": "Ritz"})])
        return ModelResponse(f"Done: {messages[-1].tool_results[0].result}")

    memory = Memory(storage=InMemoryStore())
    agent = Agent("travel", "", FunctionModel(model), tools=[book], memory=memory)
    stopped = await agent.generate("Book the Ritz", thread_id="trip", resource_id="ada")
    assert stopped.finish_reason == "approval"
    assert [m.role for m in _stored(memory, "trip")] == ["user", "assistant"]

    resumed = await agent.resume(stopped.run_id, approve=["b1"])
    assert (resumed.text, resumed.thread_id, resumed.resource_id) == ("Done: booked Ritz", "trip", "ada")
    assert _stored(memory, "trip") == [
        Message.user("Book the Ritz"),
        Message.assistant(tool_calls=[ToolCall("b1", "book", {"hotel": "Ritz"})]),
        Message.tool([ToolResult("b1", "book", "booked Ritz")]),
        Message.assistant("Done: booked Ritz"),
    ]


class Profile(pydantic.BaseModel):
    name: str | None = None
    city: str | None = None


async def test_the_model_updates_working_memory_through_its_tool() -> None:
    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        assert "update_working_memory" in [t.name for t in info.tools]
        if messages[-1].role != "tool" and "Oslo" in messages[-1].text:
            return ModelResponse(
                tool_calls=[ToolCall("w1", "update_working_memory", {"memory": {"city": "Oslo"}})]
            )
        return ModelResponse("Noted.")

    memory = Memory(storage=InMemoryStore(), working_memory={"schema": Profile})
    agent = Agent("pa", "Help.", FunctionModel(model), memory=memory)
    result = await agent.generate("I live in Oslo.", thread_id="t1", resource_id="ada")
    assert not result.tool_results[0].is_error
    assert memory.get_working_memory(resource_id="ada") == {"city": "Oslo"}
    with capture_messages() as requests:
        await agent.generate("Hello again", thread_id="t2", resource_id="ada")
    assert "Oslo" in requests[0].messages[0].text  # another thread of the same user sees it


async def test_thread_and_resource_mistakes_are_clear_errors() -> None:
    memory = Memory(storage=InMemoryStore())
    agent = Agent("chat", "", TestModel(text="hi"), memory=memory)
    with pytest.raises(MastraError, match="unknown thread 'nope'"):
        await agent.generate("x", thread_id="nope")
    await agent.generate("x", thread_id="t1", resource_id="ada")
    with pytest.raises(MastraError, match="thread 't1' belongs to resource 'ada', not 'bob'"):
        await agent.generate("x", thread_id="t1", resource_id="bob")
    again = await agent.generate("y", thread_id="t1")  # the thread knows its resource
    assert again.resource_id == "ada"
    assert len(memory.get_messages("t1")) == 4


async def test_registered_on_a_mastra_the_memory_uses_its_storage() -> None:
    storage = InMemoryStore()
    memory = Memory()
    with Mastra(storage=storage, telemetry=False) as m:
        agent = Agent("chat", "", TestModel(text="hi"), memory=memory)
        m.add_agent(agent)
        await agent.generate("hello", thread_id="t1", resource_id="ada")
        assert [t.id for t in storage.list_threads(resource_id="ada")] == ["t1"]
        assert m.agents_df().iloc[0]["memory"] == "Memory"
