"""An agent run as a trace: the exact span tree, and the OpenTelemetry GenAI attributes of every span."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from mastra_lab.agent import Agent
from mastra_lab.llm import TestModel
from mastra_lab.mastra import Mastra
from mastra_lab.telemetry._span import Span
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.tools import tool
from mastra_lab.vector import InMemoryVector


def tree(spans: list[Span]) -> Counter[tuple[str, str, str | None]]:
    """Every span as ``(name, kind, parent name)``; a multiset, since concurrent spans end in any order."""
    by_id = {s.span_id: s for s in spans}
    return Counter(
        (s.name, s.type, by_id[s.parent_span_id].name if s.parent_span_id else None) for s in spans
    )


def _threaded_tools(store: InMemoryVector) -> list[Any]:
    # Both tools wait at a barrier for the other, so they finish only if they run at the same time, each in
    # a worker thread; each queries a vector store, whose span must land under its own tool call.
    barrier = threading.Barrier(2, timeout=10)

    @tool
    def left() -> int:
        """Left."""
        barrier.wait()
        return len(store.query("notes", [1.0, 0.0], top_k=1))

    @tool
    def right() -> int:
        """Right."""
        barrier.wait()
        return len(store.query("notes", [0.0, 1.0], top_k=2))

    return [left, right]


async def test_two_parallel_tool_calls_are_children_of_the_agent_run(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    store = InMemoryVector()
    store.create_index("notes", dimension=2)
    store.upsert("notes", [[1, 0], [0, 1]], ids=["a", "b"])
    agent = Agent("pair", "", TestModel(text="done"), tools=_threaded_tools(store))
    mastra.add_agent(agent)

    result = await agent.generate("go")

    assert sorted(r.result for r in result.tool_results) == [1, 2]
    assert tree(spans.spans) == Counter(
        {
            ("invoke_agent pair", "agent_run", None): 1,
            ("chat test", "llm_generation", "invoke_agent pair"): 2,
            ("execute_tool left", "tool_call", "invoke_agent pair"): 1,
            ("execute_tool right", "tool_call", "invoke_agent pair"): 1,
            ("vector_query notes", "vector_query", "execute_tool left"): 1,
            ("vector_query notes", "vector_query", "execute_tool right"): 1,
        }
    )
    assert {s.trace_id for s in spans.spans} == {result.trace_id}


async def test_agent_and_chat_spans_carry_the_gen_ai_attributes(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    agent = Agent("helper", "", TestModel(text="fine", call_tools=None))
    mastra.add_agent(agent)
    result = await agent.generate("secret question", thread_id="t1", resource_id="ada")

    run = next(s for s in spans.spans if s.type == "agent_run")
    chat = next(s for s in spans.spans if s.type == "llm_generation")
    assert {k: v for k, v in run.attributes.items()} == {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "helper",
        "gen_ai.request.model": "test:test",
        "gen_ai.conversation.id": "t1",
        "mastra.resource_id": "ada",
        "mastra.run_id": result.run_id,
        "gen_ai.usage.input_tokens": result.usage.input_tokens,
        "gen_ai.usage.output_tokens": result.usage.output_tokens,
        "mastra.finish_reason": "stop",
    }
    ttft = chat.attributes.pop("mastra.ttft_ms")
    assert isinstance(ttft, float) and 0 <= ttft <= chat.duration_ms  # type: ignore[operator]
    assert chat.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "test",
        "gen_ai.request.model": "test",
        "gen_ai.response.model": "test",
        "gen_ai.agent.name": "helper",
        "gen_ai.conversation.id": "t1",
        "mastra.resource_id": "ada",
        "mastra.streaming": False,
        "gen_ai.usage.input_tokens": result.usage.input_tokens,
        "gen_ai.usage.output_tokens": result.usage.output_tokens,
        "gen_ai.response.finish_reasons": ["stop"],
    }


async def test_content_never_reaches_attributes(mastra: Mastra, spans: InMemoryExporter) -> None:
    # prompts, answers and tool results belong in input/output only, which capture-off drops in one place
    @tool
    def lookup(code: str) -> str:
        """Look a code up."""
        return f"found-{code}-payload"

    agent = Agent("quiet", "", TestModel(text="the-final-answer"), tools=[lookup])
    mastra.add_agent(agent)
    result = await agent.generate("the-user-prompt")

    assert result.tool_results[0].result == "found-a-payload"
    attributes = repr([s.attributes for s in spans.spans])
    for content in ("the-user-prompt", "the-final-answer", "found-a-payload"):
        assert content not in attributes


async def test_a_streamed_run_marks_its_model_requests_as_streaming(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    agent = Agent("talker", "", TestModel(text="one two three", call_tools=None))
    mastra.add_agent(agent)
    kinds = [chunk.type async for chunk in agent.stream("hi")]
    assert kinds[-1] == "finish"
    chat = next(s for s in spans.spans if s.type == "llm_generation")
    assert chat.attributes["mastra.streaming"] is True
    assert "gen_ai.conversation.id" not in chat.attributes  # no thread, no conversation id


async def test_a_failed_model_request_fails_its_chat_span_and_the_run(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    agent = Agent("picky", "", TestModel(call_tools=["missing"]), tools=[])
    mastra.add_agent(agent)
    chunks = [chunk async for chunk in agent.stream("x")]
    assert chunks[-1].type == "error"
    by_kind = {s.type: s for s in spans.spans}
    assert by_kind["llm_generation"].attributes["error.type"] == "TEST_MODEL_UNKNOWN_TOOL"
    assert by_kind["agent_run"].attributes["error.type"] == "TEST_MODEL_UNKNOWN_TOOL"
    assert by_kind["agent_run"].status == "error"
