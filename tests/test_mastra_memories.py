"""``Mastra.memories`` and ``Mastra.get_memory``: the memory a notebook inspects, by agent or storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from pg_server import PgServer, fresh_schema

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError
from mastra_lab.llm import Message, TestModel
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory
from mastra_lab.storage import DuckDBStore
from mastra_lab.vector import InMemoryVector


def _agent(name: str, memory: Memory | None) -> Agent:
    return Agent(name, "", TestModel(text="ok"), memory=memory)


def test_memories_lists_the_agents_that_have_one() -> None:
    shared = Memory()
    with Mastra(agents=[_agent("b", shared), _agent("a", shared), _agent("plain", None)]) as m:
        assert m.memories == {"a": shared, "b": shared}
        assert m.get_memory() is shared  # two agents, one memory: not ambiguous
        assert m.get_memory("b") is shared


def test_an_agent_s_memory_is_bound_to_the_registry_storage() -> None:
    memory = Memory()
    with Mastra(agents=[_agent("support", memory)]) as m:
        got = m.get_memory()
        assert got is memory and got.storage is m.storage


def test_several_distinct_memories_must_be_named() -> None:
    with (
        Mastra(agents=[_agent("a", Memory()), _agent("b", Memory())]) as m,
        pytest.raises(MastraError, match=r"several agents have their own memory \(a, b\); name one"),
    ):
        m.get_memory()


def test_an_agent_without_memory_or_an_unknown_agent_is_an_error() -> None:
    with Mastra(agents=[_agent("plain", None), _agent("mem", Memory())]) as m:
        with pytest.raises(MastraError, match="agent 'plain' has no memory; agents with memory: mem"):
            m.get_memory("plain")
        with pytest.raises(MastraError, match="no agent named 'nope'; known agents: mem, plain"):
            m.get_memory("nope")


def test_without_agent_memory_the_storage_memory_sees_what_was_written_there(tmp_path: Path) -> None:
    db = tmp_path / "app.duckdb"
    with Mastra.open(db) as app:
        writer = Memory(embedder="hashing:dim=64", semantic_recall=True).bind(
            app.storage, app.get_vector("default")
        )
        writer.save_sync("t1", "ada", [Message.user("I keep bees in my garden"), Message.assistant("Nice!")])
    with Mastra.open(db) as m:
        memory = m.get_memory()
        assert memory is m.get_memory()  # made once
        assert memory.storage is m.storage and memory.vector is m.get_vector("default")
        assert [t.id for t in memory.list_threads("ada")] == ["t1"]
        assert memory.embedder.name.startswith("hashing:dim=64,")  # the one the message index records
        recall = memory.recall("t1", "bees")
        assert [m.text for m in recall.history] == ["I keep bees in my garden", "Nice!"]
        assert memory.working_memory is not None and memory.semantic_recall is not None


def test_the_storage_memory_of_an_empty_database_uses_the_default_embedder(tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(tmp_path / "empty.duckdb")) as m:
        memory = m.get_memory()
        assert memory.list_threads() == [] and memory.list_resources() == []
        assert memory.storage is m.storage


def test_an_agent_s_memory_embeds_into_the_default_vector_store_registered_after_it() -> None:
    memory = Memory(semantic_recall=True, embedder="hashing")
    vectors = InMemoryVector()
    with Mastra(agents=[_agent("support", memory)], vectors={"default": vectors}) as m:
        memory.save_sync("t1", "ada", [Message.user("I keep bees in my garden")])
        assert memory.vector is m.vectors["default"] is vectors
        assert vectors.describe_index(memory.index).count == 1


def test_on_postgres_an_agent_s_memory_embeddings_live_in_the_database(pg_server: PgServer) -> None:
    memory = Memory(semantic_recall=True, embedder="hashing")
    with fresh_schema(pg_server) as schema:
        with Mastra.open(dsn=pg_server.dsn, schema=schema, agents=[_agent("support", memory)]) as m:
            memory.save_sync("t1", "ada", [Message.user("I keep bees in my garden")])
            assert memory.vector is m.vectors["default"]
        with Mastra.open(dsn=pg_server.dsn, schema=schema) as other:  # as another process would
            assert other.vectors["default"].describe_index(memory.index).count == 1
