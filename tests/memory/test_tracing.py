"""Memory inside an agent's trace: recall and save are spans of the run, with the embedding and vector spans
they cause beneath them, and counts (never the text) as attributes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from mastra_lab.agent import Agent
from mastra_lab.llm import FunctionModel, Message
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory
from mastra_lab.storage import InMemoryStore
from mastra_lab.telemetry._span import Span
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer
from mastra_lab.vector import InMemoryVector


def tree(spans: list[Span]) -> Counter[tuple[str, str, str | None]]:
    """Every span as ``(name, kind, parent name)``."""
    by_id = {s.span_id: s for s in spans}
    return Counter(
        (s.name, s.type, by_id[s.parent_span_id].name if s.parent_span_id else None) for s in spans
    )


@pytest.fixture
def spans() -> InMemoryExporter:
    return InMemoryExporter()


@pytest.fixture
def mastra(spans: InMemoryExporter) -> Iterator[Mastra]:
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([spans])) as m:
        yield m


async def test_recall_and_save_are_spans_of_the_agent_run(mastra: Mastra, spans: InMemoryExporter) -> None:
    memory = Memory(vector=InMemoryVector(), embedder="hashing", last_messages=1, semantic_recall=True)

    def reply(messages: list[Message], info: object) -> str:
        return "noted"

    agent = Agent("buddy", "", FunctionModel(reply), memory=memory)
    mastra.add_agent(agent)
    await agent.generate("My cat is called Miso.", thread_id="t1", resource_id="ada")
    spans.clear()

    await agent.generate("What is my cat called?", thread_id="t1", resource_id="ada")

    embeddings = "embeddings hashing:dim=384,ngrams=3-5,bigrams=on,lowercase=on"
    assert tree(spans.spans) == Counter(
        {
            ("invoke_agent buddy", "agent_run", None): 1,
            ("memory_recall", "memory_recall", "invoke_agent buddy"): 1,
            (embeddings, "embedding", "memory_recall"): 1,
            ("vector_query memory_messages", "vector_query", "memory_recall"): 1,
            ("chat reply", "llm_generation", "invoke_agent buddy"): 1,
            ("memory_save", "memory_save", "invoke_agent buddy"): 1,
            (embeddings, "embedding", "memory_save"): 1,
            ("vector_upsert memory_messages", "vector_upsert", "memory_save"): 1,
        }
    )
    by_kind = {s.type: s for s in spans.spans}
    # last_messages=1 shows one recent message ("noted"); recall finds the first question by meaning
    assert by_kind["memory_recall"].attributes == {
        "gen_ai.conversation.id": "t1",
        "mastra.resource_id": "ada",
        "mastra.memory.recent": 1,
        "mastra.memory.semantic": 1,
    }
    assert by_kind["memory_save"].attributes == {
        "gen_ai.conversation.id": "t1",
        "mastra.resource_id": "ada",
        "mastra.memory.saved": 2,
    }
    assert by_kind["vector_upsert"].attributes["mastra.vector.count"] == 2
    assert "Miso" not in repr([s.attributes for s in spans.spans])


def test_memory_used_outside_any_trace_records_nothing(spans: InMemoryExporter) -> None:
    memory = Memory(storage=InMemoryStore())
    memory.save_sync("t1", "ada", [Message.user("hello")])
    assert [m.text for m in memory.prepare_sync("t1", "ada", []).history] == ["hello"]
    assert spans.spans == []
