"""MemoryPanel driven headless: pick a resource and a thread, edit working memory, preview recall, prune."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pydantic
import pytest
from mastra_backends import Backend
from memory_world import Clock, fill, make_mastra, support_agent

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError
from mastra_lab.lab._testing import TestingShell, click, panels_raise
from mastra_lab.lab.panels.memory import MemoryPanel
from mastra_lab.llm import Message, TestModel
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory
from mastra_lab.storage import InMemoryStore


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mastra(backend: Backend, clock: Clock) -> Mastra:
    """ada's two threads and bob's one, on a DuckDB file or PostgreSQL (vectors in PgVector)."""
    m = backend.open(agents=[support_agent(clock)])
    fill(m.get_memory(), clock)
    return m


@pytest.fixture
def panel(mastra: Mastra) -> MemoryPanel:
    with panels_raise():
        return MemoryPanel(mastra)


def _count(memory: Memory) -> int:
    return sum(len(memory.get_messages(t.id)) for t in memory.list_threads())


def test_resource_then_threads_then_messages(panel: MemoryPanel) -> None:
    assert panel.resource.options == ("ada", "bob") and panel.resource.value == "ada"
    assert panel.thread.options == (("The garden · garden", "garden"), ("trip", "trip"))
    assert panel.thread.value == "garden"
    html = panel.messages.value
    assert html.count("<tr>") == 1 + 6
    assert "I keep bees in my garden, remember that" in html
    assert "<code>weather({&quot;city&quot;: &quot;Oslo&quot;})</code>" in html  # the tool call, inline
    assert "weather -&gt; dry and sunny" in html and ">tool<" in html
    with panels_raise():
        panel.resource.value = "bob"
    assert panel.thread.options == (("bob-1", "bob-1"),) and "Hi Bob" in panel.messages.value
    with panels_raise():
        panel.resource.value = "ada"
        panel.thread.value = "trip"
    assert "Plan a hiking trip" in panel.messages.value and "bees" not in panel.messages.value
    assert "mastra-memory-panel" in panel._dom_classes and panel.children[-1] is panel.error
    assert panel.source.layout.display == "none"  # one memory: no picker


def test_the_decay_plot_follows_the_thread_and_the_settings(panel: MemoryPanel) -> None:
    first = bytes(panel.decay.value)
    assert first.startswith(b"\x89PNG") and panel.decay.layout.display is None
    panel.half_life.value = "1d"
    with panels_raise():
        click(panel.plot)
    assert bytes(panel.decay.value).startswith(b"\x89PNG") and bytes(panel.decay.value) != first


def test_working_memory_is_shown_edited_and_shared_by_the_user_s_threads(
    panel: MemoryPanel, mastra: Mastra
) -> None:
    assert "- **Name**:" in panel.working.value
    assert panel.working_note.value == "the template; nothing stored yet · shared by resource &#x27;ada&#x27;"
    panel.working.value = panel.working.value.replace("- **Name**:", "- **Name**: Ada")
    with panels_raise():
        click(panel.save_working)
    stored = mastra.get_memory().get_working_memory(resource_id="ada")
    assert isinstance(stored, str) and "- **Name**: Ada" in stored
    assert panel.working_note.value.startswith("saved · stored")
    with panels_raise():
        panel.thread.value = "trip"
    assert "- **Name**: Ada" in panel.working.value  # same resource, same working memory
    with panels_raise():
        panel.resource.value = "bob"
    assert "Ada" not in panel.working.value


class Profile(pydantic.BaseModel):
    name: str | None = None


def test_a_structured_working_memory_is_edited_as_json(tmp_path: Path, clock: Clock) -> None:
    with make_mastra(
        tmp_path / "s.duckdb", clock, working_memory={"schema": Profile, "scope": "thread"}
    ) as m:
        m.get_memory().save_sync("t1", "ada", [Message.user("hi")])
        with panels_raise():
            panel = MemoryPanel(m)
        assert panel.working.value == "{}" and "this thread only" in panel.working_note.value
        panel.working.value = '{"name": "Ada"}'
        with panels_raise():
            click(panel.save_working)
        assert m.get_memory().get_working_memory(thread_id="t1") == {"name": "Ada"}
        panel.working.value = "name: Ada"
        with panels_raise(), pytest.raises(MastraError, match="structured: write a JSON object"):
            click(panel.save_working)


def test_the_recall_preview_shows_what_the_prompt_would_get(panel: MemoryPanel) -> None:
    with panels_raise():
        panel.thread.value = "trip"
    panel.query.value = "how are my bees doing?"
    with panels_raise():
        click(panel.preview_recall)
    recall = panel.last_recall
    assert recall is not None and recall.thread_id == "trip"
    assert any(h.other_thread and h.thread_id == "garden" for h in recall.recalled)
    html = panel.recall.value
    assert ">remembered<" in html and "I keep bees in my garden, remember that" in html
    assert "Remembered from other conversations" in html  # the system-prompt part
    assert html.count(">history<") == 2


def test_an_empty_query_shows_the_error_line_and_raises(panel: MemoryPanel) -> None:
    panel.query.value = "   "
    with panels_raise(), pytest.raises(MastraError, match="type a query first"):
        click(panel.preview_recall)
    assert panel.error_text.startswith("error: type a query first") and panel.recall.value == ""


def test_prune_needs_a_preview_and_removes_what_it_showed(panel: MemoryPanel, mastra: Mastra) -> None:
    memory = mastra.get_memory()
    before = _count(memory)
    assert panel.prune.disabled
    panel.keep_last.value = 2
    with panels_raise():
        click(panel.preview_prune)
    preview = panel.last_report
    assert preview is not None and preview.dry_run and preview.removed == 2
    assert _count(memory) == before  # a preview removes nothing
    assert (
        "would remove 2 of 6 messages (half-life 7d, min score 0.1, keep last 2)" in panel.prune_result.value
    )
    assert "Will it rain in Oslo?" in panel.prune_result.value
    assert not panel.prune.disabled and panel.prune.description == "Prune 2"
    with panels_raise():
        click(panel.prune)
    report = panel.last_report
    assert report is not None and not report.dry_run
    assert report.removed_ids == preview.removed_ids
    assert _count(memory) == before - 2
    assert panel.prune_result.value.startswith("<div><b>removed 2 of 6 messages")
    assert "Will it rain in Oslo?" not in panel.messages.value  # the thread view is reloaded
    assert panel.prune.disabled


def test_changing_a_setting_after_the_preview_asks_for_a_new_one(panel: MemoryPanel, mastra: Mastra) -> None:
    panel.keep_last.value = 2
    with panels_raise():
        click(panel.preview_prune)
    assert not panel.prune.disabled
    panel.min_score.value = 0.5
    assert panel.prune.disabled and panel.prune.description == "Prune"
    before = _count(mastra.get_memory())
    with panels_raise(), pytest.raises(MastraError, match="preview first"):
        click(panel.prune)
    assert _count(mastra.get_memory()) == before


def test_picking_another_thread_asks_for_a_new_preview(panel: MemoryPanel) -> None:
    panel.keep_last.value = 2
    with panels_raise():
        click(panel.preview_prune)
    assert not panel.prune.disabled
    with panels_raise():
        panel.thread.value = "trip"
    assert panel.prune.disabled and panel.prune_result.value == ""


def test_a_preview_with_nothing_to_remove_keeps_prune_disabled(panel: MemoryPanel) -> None:
    with panels_raise():
        click(panel.preview_prune)
    assert panel.last_report is not None and panel.last_report.removed == 0
    assert "nothing to prune" in panel.prune_result.value and panel.prune.disabled


def test_prune_scope_resource_and_every_thread(panel: MemoryPanel, clock: Clock) -> None:
    clock.now += timedelta(days=90)
    panel.keep_last.value = 0
    panel.scope.value = "resource"
    with panels_raise():
        click(panel.preview_prune)
    assert panel.last_report is not None and panel.last_report.removed == 8  # ada's two threads
    panel.scope.value = "all"
    with panels_raise():
        click(panel.preview_prune)
    assert panel.last_report.removed == 10


def test_a_bad_half_life_is_one_error_line_and_nothing_changes(panel: MemoryPanel, mastra: Mastra) -> None:
    before = _count(mastra.get_memory())
    panel.half_life.value = "a week"
    with panels_raise(), pytest.raises(MastraError, match="'a week' is not a duration"):
        click(panel.preview_prune)
    assert panel.error_text.startswith("error: 'a week' is not a duration; write a number and a unit")
    assert _count(mastra.get_memory()) == before and panel.prune.disabled


def test_the_settings_start_at_the_memory_s_auto_prune_policy(tmp_path: Path, clock: Clock) -> None:
    policy = {"half_life": timedelta(days=1, hours=12), "min_score": 0.25, "keep_last": 4}
    with make_mastra(tmp_path / "p.duckdb", clock, auto_prune=policy) as m:
        with panels_raise():
            panel = MemoryPanel(m)
        assert (panel.half_life.value, panel.min_score.value, panel.keep_last.value) == ("1d12h", 0.25, 4)


def test_refresh_finds_new_threads_and_keeps_the_selection(panel: MemoryPanel, mastra: Mastra) -> None:
    with panels_raise():
        panel.thread.value = "trip"
    mastra.get_memory().save_sync("new", "ada", [Message.user("another day")])
    with panels_raise():
        click(panel.refresh)
    assert [v for _, v in panel.thread.options] == ["garden", "trip", "new"]
    assert panel.thread.value == "trip"


def test_an_empty_memory_says_how_conversations_get_there() -> None:
    with Mastra(storage=InMemoryStore()) as m:
        with panels_raise():
            panel = MemoryPanel(m)
        assert panel.resource.options == () and "no conversations yet" in panel.messages.value
        assert panel.working.disabled and panel.save_working.disabled
        panel.query.value = "x"
        with panels_raise(), pytest.raises(MastraError, match="no thread to work on"):
            click(panel.preview_recall)
        m.get_memory().save_sync("t1", "ada", [Message.user("first words")])
        with panels_raise():
            click(panel.refresh)
        assert panel.thread.value == "t1" and "first words" in panel.messages.value


def test_several_memories_get_a_picker(tmp_path: Path) -> None:
    # each memory on its own store: memories bound to the Mastra's storage would show the same threads
    a = Agent("a", "", TestModel(text="ok"), memory=Memory(InMemoryStore(), embedder="hashing"))
    b = Agent(
        "b", "", TestModel(text="ok"), memory=Memory(InMemoryStore(), embedder="hashing", working_memory=True)
    )
    with Mastra(agents=[a, b]) as m:
        assert a.memory is not None and b.memory is not None
        a.memory.save_sync("ta", "ann", [Message.user("from a")])
        b.memory.save_sync("tb", "bob", [Message.user("from b")])
        with panels_raise():
            panel = MemoryPanel(m, agent="b")
        assert panel.source.options == ("a", "b") and panel.source.layout.display is None
        assert panel.thread.value == "tb" and not panel.working.disabled
        with panels_raise():
            panel.source.value = "a"
        assert panel.thread.value == "ta" and "from a" in panel.messages.value
        assert panel.working.disabled and "off" in panel.working_note.value
        with pytest.raises(MastraError, match="no agent named 'c'"):
            MemoryPanel(m, agent="c")


def test_refresh_finds_an_agent_memory_registered_later() -> None:
    with Mastra() as m:
        with panels_raise():
            panel = MemoryPanel(m)
        assert panel.source.options == ("(storage)",) and panel.thread.options == ()
        memory = Memory(InMemoryStore(), embedder="hashing")
        m.add_agent(Agent("coach", "", TestModel(text="ok"), memory=memory))
        memory.save_sync("t1", "ada", [Message.user("hello coach")])
        with panels_raise():
            click(panel.refresh)
        assert panel.source.options == ("coach",) and panel.source.value == "coach"
        assert panel.thread.value == "t1" and "hello coach" in panel.messages.value


def test_percent_mastra_panel_memory_opens_it(mastra: Mastra) -> None:
    from mastra_lab.lab.panels.tabs import PANELS

    if "memory" not in PANELS:
        pytest.skip("the dashboard does not list the memory panel yet")
    shell = TestingShell()
    try:
        shell.magics.replace_mastra(mastra, owned=False)
        assert isinstance(shell.line("panel memory"), MemoryPanel)
    finally:
        shell.close()
