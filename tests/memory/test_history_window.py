"""The recent-history window: a thread shorter than ``last_messages`` is shown whole, never cut from the end.

Checked on every backend, since the window is one ``get_messages(last=N)`` read followed by a slice in
memory: both must treat "fewer stored than asked for" as "all of them".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mastra_lab.llm import Message
from mastra_lab.memory import Memory
from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore, Storage

BACKENDS: dict[str, Callable[[Path], Storage]] = {
    "memory": lambda _: InMemoryStore(),
    "sqlite": lambda tmp: SQLiteStore(tmp / "w.sqlite"),
    "duckdb": lambda tmp: DuckDBStore(tmp / "w.duckdb"),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("stored", [1, 5, 7, 8, 9, 15])
def test_the_window_shows_the_newest_last_messages_and_never_fewer(
    tmp_path: Path, backend: str, stored: int
) -> None:
    storage = BACKENDS[backend](tmp_path)
    memory = Memory(storage, last_messages=8)
    memory.save_sync("t", "u", [Message.user(f"m{i}") for i in range(stored)])
    expected = [f"m{i}" for i in range(max(0, stored - 8), stored)]
    assert [m.text for m in memory.recall("t", "anything").history] == expected
    assert [m.text for m in memory.get_messages("t", last=stored + 3)] == [f"m{i}" for i in range(stored)]
    storage.close()
