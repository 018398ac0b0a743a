"""A small remembered world for the memory workbench tests: two users, three threads, a clock to move.

``Clock`` is the memory's injected clock; :func:`fill` saves the conversations at known times, so decay
scores and what a prune removes are fixed numbers. The memory belongs to an agent registered on a
:class:`~mastra_lab.Mastra` over a DuckDB file, as in a notebook that opened an application's database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mastra_lab.agent import Agent
from mastra_lab.llm import Message, TestModel, ToolCall, ToolResult
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory

__all__ = ["T0", "Clock", "fill", "make_mastra"]

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A clock that stands still until moved (``clock.now += timedelta(days=3)``)."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_mastra(path: Path, clock: Clock, **options: Any) -> Mastra:
    """A Mastra on a DuckDB file whose one agent, ``support``, has a memory on that file."""
    return Mastra.open(path, agents=[support_agent(clock, **options)])


def support_agent(clock: Clock, **options: Any) -> Agent:
    """The agent ``support``, with a memory (on whichever Mastra registers it) recalling by meaning."""
    settings: dict[str, Any] = {
        "embedder": "hashing",
        "semantic_recall": {"top_k": 2, "message_range": 1, "scope": "resource"},
        "working_memory": True,
        "last_messages": 4,
    }
    settings.update(options)
    memory = Memory(clock=clock, **settings)
    return Agent("support", "You help.", TestModel(text="ok"), memory=memory)


def fill(memory: Memory, clock: Clock) -> None:
    """ada: ``garden`` (10 days ago: bees, then a weather tool call) and ``trip`` (now); bob: ``bob-1``."""
    start = clock.now
    clock.now = start - timedelta(days=10)
    memory.create_thread("ada", title="The garden", thread_id="garden")
    memory.save_sync(
        "garden",
        "ada",
        [Message.user("I keep bees in my garden, remember that"), Message.assistant("Bees, noted!")],
    )
    call = ToolCall("c1", "weather", {"city": "Oslo"})
    memory.save_sync(
        "garden",
        "ada",
        [
            Message.user("Will it rain in Oslo?"),
            Message.assistant(tool_calls=[call]),
            Message.tool([ToolResult("c1", "weather", "dry and sunny")]),
            Message.assistant("No rain: dry and sunny."),
        ],
        importance=0.2,
    )
    clock.now = start
    memory.save_sync("trip", "ada", [Message.user("Plan a hiking trip"), Message.assistant("Where to?")])
    memory.save_sync("bob-1", "bob", [Message.user("Hello"), Message.assistant("Hi Bob")])
