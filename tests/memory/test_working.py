"""Working memory: Markdown or schema, resource or thread scope, via the tool and from Python, race-free."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pydantic
import pytest

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError
from mastra_lab.llm import FunctionModel, Message
from mastra_lab.llm.base import ModelResponse, ToolCall
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.memory import Memory
from mastra_lab.memory.working import merge_markdown
from mastra_lab.storage import SQLiteStore, Storage

TEMPLATE = "# User\n- **Name**:\n- **City**:"


class Profile(pydantic.BaseModel):
    name: str | None = None
    city: str | None = None
    likes: list[str] = []


def test_markdown_merge_replaces_fields_keeps_the_rest_and_appends_new_lines() -> None:
    stored = "# User\n- **Name**: Ada\n- **City**:"
    assert merge_markdown(stored, "- **City**: Paris") == "# User\n- **Name**: Ada\n- **City**: Paris"
    assert merge_markdown(stored, "# User\n- **Name**:\n- **City**: Rome") == (
        "# User\n- **Name**: Ada\n- **City**: Rome"
    )
    assert merge_markdown(stored, "Pet: a cat named Miso\nLikes tea") == (
        "# User\n- **Name**: Ada\n- **City**:\nPet: a cat named Miso\nLikes tea"
    )
    assert merge_markdown(None, "- Name: Bob") == "- Name: Bob"


def test_markdown_working_memory_from_python_is_shown_in_system(store: Storage) -> None:
    memory = Memory(store, working_memory=dict(template=TEMPLATE))
    memory.ensure_thread("t1", "ada")
    assert memory.get_working_memory(resource_id="ada") is None
    prompt = memory.prepare_sync("t1", "ada", [Message.user("hi")])
    assert "## Working memory" in prompt.system and "- **Name**:" in prompt.system
    assert "update_working_memory" in prompt.system
    assert [t.name for t in prompt.tools] == ["update_working_memory"]
    merged = memory.update_working_memory("- **Name**: Ada", thread_id="t1")
    assert merged == "# User\n- **Name**: Ada\n- **City**:"
    assert memory.update_working_memory("- **City**: Paris", resource_id="ada").endswith("**City**: Paris")
    # resource scope: every thread of the user sees it, and it lives on the storage Resource
    assert store.get_resource("ada").working_memory == "# User\n- **Name**: Ada\n- **City**: Paris"
    assert "Ada" in memory.prepare_sync("t2", "ada", [Message.user("hi")]).system
    assert memory.recall("t2", "x").working_memory == memory.get_working_memory(resource_id="ada")


def test_schema_working_memory_merges_fields_and_validates(store: Storage) -> None:
    memory = Memory(store, working_memory=dict(schema=Profile, scope="thread"))
    memory.ensure_thread("t1", "ada")
    assert memory.update_working_memory({"name": "Ada"}, thread_id="t1") == {"name": "Ada", "likes": []}
    assert memory.update_working_memory(Profile(city="Paris"), thread_id="t1") == {
        "name": "Ada",
        "city": "Paris",
        "likes": [],
    }
    with pytest.raises(MastraError, match=r"does not fit Profile: likes: Input should be a valid list"):
        memory.update_working_memory({"likes": 3}, thread_id="t1")
    assert memory.get_working_memory(thread_id="t1") == {"name": "Ada", "city": "Paris", "likes": []}
    # thread scope: lives in the thread's metadata, other threads start empty
    assert "working_memory" in store.get_thread("t1").metadata
    memory.ensure_thread("t2", "ada")
    assert memory.get_working_memory(thread_id="t2") is None
    with pytest.raises(MastraError, match="scoped to a thread: pass thread_id="):
        memory.get_working_memory(resource_id="ada")


def test_working_memory_bad_use_is_a_clear_error(store: Storage) -> None:
    with pytest.raises(MastraError, match="working memory is off"):
        Memory(store).get_working_memory(resource_id="ada")
    md = Memory(store, working_memory=True)
    with pytest.raises(MastraError, match="Markdown document; update it with a str"):
        md.update_working_memory({"name": "x"}, resource_id="ada")
    assert store.get_resource("ada") is None
    with pytest.raises(MastraError, match="read-only"):
        Memory(store, working_memory=True, read_only=True).update_working_memory("x", resource_id="ada")
    assert Memory(store, working_memory=True, read_only=True).prepare_sync("t", "ada", []).tools == []


def test_the_model_updates_working_memory_through_the_tool(store: Storage) -> None:
    memory = Memory(store, working_memory=dict(template=TEMPLATE))
    seen: list[str] = []

    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        seen.append(messages[0].text)
        if messages[-1].role == "user":
            call = ToolCall("c1", "update_working_memory", {"memory": "- **Name**: Ada"})
            return ModelResponse(tool_calls=[call])
        return ModelResponse(text="Nice to meet you, Ada.")

    agent = Agent("helper", "Be kind.", FunctionModel(model), memory=memory)
    result = agent.generate_sync("I'm Ada", thread_id="t1", resource_id="ada")
    assert result.text == "Nice to meet you, Ada."
    assert memory.get_working_memory(resource_id="ada") == "# User\n- **Name**: Ada\n- **City**:"
    assert seen[0].startswith("Be kind.\n\n## Working memory")
    agent.generate_sync("Hi again", thread_id="t2", resource_id="ada")
    assert "- **Name**: Ada" in seen[-2]  # a new thread of the same user already knows the name
    # the turn (user, tool call, tool result, answer) was saved whole
    assert [m.role for m in memory.get_messages("t1")] == ["user", "assistant", "tool", "assistant"]


_WORKER = """
import sys
from mastra_lab.memory import Memory
from mastra_lab.storage import SQLiteStore

path, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with SQLiteStore(path) as store:
    memory = Memory(store, working_memory=dict(template="# Facts"))
    for i in range(n):
        memory.update_working_memory(f"- {tag}{i}: value {i}", resource_id="shared")
print("done")
"""


def test_two_processes_updating_at_once_lose_neither_write(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    SQLiteStore(path).close()  # migrate once, before the race
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(_WORKER))
    n = 100
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(path), tag, str(n)], stdout=subprocess.PIPE, text=True
        )
        for tag in ("a", "b")
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0] and outputs == ["done\n", "done\n"]
    with SQLiteStore(path) as store:
        text = Memory(store, working_memory=dict(template="# Facts")).get_working_memory(resource_id="shared")
    assert isinstance(text, str)
    lines = set(text.splitlines())
    assert {f"- {tag}{i}: value {i}" for tag in "ab" for i in range(n)} <= lines
    assert len(lines) == 2 * n + 1
