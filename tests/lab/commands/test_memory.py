"""``%mastra memory``: threads, one thread's messages, recall previews, working memory and pruning."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pydantic
import pytest
from mastra_backends import Backend
from memory_world import Clock, fill, make_mastra, support_agent

from mastra_lab.agent import Agent
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.memory import PruneView, RecallView
from mastra_lab.lab.display import Fields, Table, Text
from mastra_lab.llm import Message, TestModel
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory
from mastra_lab.storage import DuckDBStore


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
def ipm(ip: TestingShell, mastra: Mastra) -> TestingShell:
    ip.magics.replace_mastra(mastra, owned=False)
    return ip


def _count(mastra: Mastra) -> int:
    memory = mastra.get_memory()
    return sum(len(memory.get_messages(t.id)) for t in memory.list_threads())


def _vectors(mastra: Mastra) -> int:
    memory = mastra.get_memory()
    return memory.vector.describe_index(memory.index).count


# -- threads and show ------------------------------------------------------------------------------------


def test_threads_lists_every_thread_with_its_resource(ipm: TestingShell) -> None:
    table = ipm.line("memory threads")
    assert isinstance(table, Table)
    assert table.df[["id", "resource_id"]].to_dict("records") == [
        {"id": "garden", "resource_id": "ada"},
        {"id": "trip", "resource_id": "ada"},
        {"id": "bob-1", "resource_id": "bob"},
    ]
    assert table.df["title"].iloc[0] == "The garden" and table.df["title"].iloc[1:].isna().all()
    assert table.title == "3 threads of 2 resources (ada, bob)"


def test_threads_of_one_resource(ipm: TestingShell) -> None:
    table = ipm.line("memory threads --resource bob")
    assert table.df["id"].tolist() == ["bob-1"]
    assert table.title == "1 thread of resource 'bob' (%mastra memory show THREAD)"


def test_an_unknown_resource_suggests_a_known_one(ipm: TestingShell) -> None:
    assert ipm.usage_error("memory threads --resource adda") == (
        "%mastra memory threads: no resource 'adda' has threads in this memory (hint: did you mean ada?)"
    )
    assert ipm.usage_error("memory threads --resource zed").endswith("(hint: known resources: ada, bob)")


def test_no_threads_says_where_they_come_from(ip: TestingShell, tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(tmp_path / "empty.duckdb")) as m:
        ip.magics.replace_mastra(m, owned=False)
        table = ip.line("memory threads")
        assert len(table) == 0 and table.title is not None and table.title.startswith("no threads yet")


def test_show_lists_roles_text_and_tool_calls_in_order(ipm: TestingShell) -> None:
    table = ipm.line("memory show garden")
    assert table.title == "thread 'garden' of resource 'ada' (The garden): 6 messages"
    assert table.df[["role", "text", "tool_calls"]].to_dict("records") == [
        {"role": "user", "text": "I keep bees in my garden, remember that", "tool_calls": []},
        {"role": "assistant", "text": "Bees, noted!", "tool_calls": []},
        {"role": "user", "text": "Will it rain in Oslo?", "tool_calls": []},
        {"role": "assistant", "text": "weather({'city': 'Oslo'})", "tool_calls": ["weather"]},
        {"role": "tool", "text": "weather -> dry and sunny", "tool_calls": []},
        {"role": "assistant", "text": "No rain: dry and sunny.", "tool_calls": []},
    ]
    assert table.df["importance"].tolist()[2:] == [0.2, 0.2, 0.2, 0.2]


def test_show_last_keeps_the_newest(ipm: TestingShell) -> None:
    table = ipm.line("memory show garden --last 2")
    assert table.df["text"].tolist() == ["weather -> dry and sunny", "No rain: dry and sunny."]
    assert table.title == "thread 'garden' of resource 'ada' (The garden): 6 messages, the newest 2 shown"
    assert len(ipm.line("memory show garden --last 10")) == 6
    assert "argument --last: 'x' is not a whole number" in ipm.usage_error("memory show garden --last x")


def test_an_unknown_thread_suggests_the_nearest_ids(ipm: TestingShell) -> None:
    assert ipm.usage_error("memory show gardn") == (
        "%mastra memory show: no thread 'gardn' in this memory "
        "(hint: did you mean garden? %mastra memory threads lists them)"
    )
    assert ipm.usage_error("memory show zzzzzz") == (
        "%mastra memory show: no thread 'zzzzzz' in this memory (hint: %mastra memory threads lists them)"
    )


# -- recall ------------------------------------------------------------------------------------------------


def test_recall_shows_what_another_thread_of_the_same_user_adds(ipm: TestingShell) -> None:
    view = ipm.line('memory recall trip "should I worry about my bees?"')
    assert isinstance(view, RecallView)
    rows = view.df[["source", "thread_id", "text"]].to_dict("records")
    remembered = [r for r in rows if r["source"] == "remembered"]
    assert remembered[0] == {
        "source": "remembered",
        "thread_id": "garden",
        "text": "I keep bees in my garden, remember that",
    }
    assert {r["thread_id"] for r in remembered} == {"garden"}  # never bob's
    assert [r["text"] for r in rows if r["source"] == "history"] == ["Plan a hiking trip", "Where to?"]
    assert "Remembered from other conversations" in view.recall.system
    assert "- user: I keep bees in my garden, remember that" in view.recall.system
    summary = view.summary()
    assert summary.startswith(
        "recall for 'should I worry about my bees?' in thread 'trip': 2 history messages"
    )
    assert "from other threads" in summary
    assert "added to the system prompt:" in repr(view)
    assert "<pre>" in view._repr_html_() and "mastra-recall" in view._repr_html_()


def test_recall_takes_an_unquoted_query_too(ipm: TestingShell) -> None:
    view = ipm.line("memory recall trip bees in the garden")
    assert view.recall.query == "bees in the garden"


def test_recall_needs_a_query_and_a_known_thread(ipm: TestingShell) -> None:
    assert ipm.usage_error("memory recall trip") == (
        "%mastra memory recall: the query is missing "
        '(hint: write it after the thread: %mastra memory recall trip "what is my name?")'
    )
    assert ipm.usage_error('memory recall tirp "bees"').startswith(
        "%mastra memory recall: no thread 'tirp' in this memory (hint: did you mean trip?"
    )


# -- working memory ------------------------------------------------------------------------------------------


def test_working_shows_the_template_until_something_is_stored(ipm: TestingShell) -> None:
    view = ipm.line("memory working trip")
    assert isinstance(view, Text)
    first, *rest = view.text.splitlines()
    assert first == (
        "no working memory stored for resource 'ada' (shared by its threads) yet; the model starts from this"
    )
    assert "- **Name**:" in rest


def test_a_cell_body_merges_into_the_working_memory_of_the_resource(
    ipm: TestingShell, mastra: Mastra
) -> None:
    view = ipm.cell("memory working garden", "- **Name**: Ada\n- **Goals**: a second hive")
    assert view.text.splitlines()[0] == "working memory of resource 'ada' (shared by its threads), updated"
    stored = mastra.get_memory().get_working_memory(resource_id="ada")
    assert isinstance(stored, str) and "- **Name**: Ada" in stored and "- **Goals**: a second hive" in stored
    again = ipm.line("memory working trip")  # another thread of the same user sees it
    assert again.text.splitlines()[0] == "working memory of resource 'ada' (shared by its threads)"
    assert "- **Name**: Ada" in again.text
    assert "Name" not in str(mastra.get_memory().get_working_memory(resource_id="bob"))


def test_an_empty_cell_body_is_refused(ipm: TestingShell, mastra: Mastra) -> None:
    assert ipm.usage_error("memory working trip", body="  \n") == (
        "%%mastra memory working: the cell body is empty (hint: write the lines to merge, e.g. Name: Ada)"
    )
    assert mastra.get_memory().get_working_memory(resource_id="ada") is None


class Profile(pydantic.BaseModel):
    name: str | None = None
    city: str | None = None


def test_a_structured_working_memory_is_shown_as_fields_and_updated_from_json(
    ip: TestingShell, tmp_path: Path, clock: Clock
) -> None:
    with make_mastra(
        tmp_path / "s.duckdb", clock, working_memory={"schema": Profile, "scope": "thread"}
    ) as m:
        m.get_memory().save_sync("t1", "ada", [Message.user("hi")])
        ip.magics.replace_mastra(m, owned=False)
        view = ip.cell("memory working t1", '{"name": "Ada"}')
        assert isinstance(view, Fields) and view["name"] == "Ada"
        assert view.title == "working memory of thread 't1', updated"
        message = ip.usage_error("memory working t1", body="name: Ada")
        assert message.startswith(
            "%%mastra memory working: this working memory is structured and the body is not JSON"
        )
        shown = ip.line("memory working t1")
        assert dict(shown) == {"name": "Ada"} and shown.title == "working memory of thread 't1'"


def test_working_memory_off_is_a_usage_error(ip: TestingShell, tmp_path: Path, clock: Clock) -> None:
    with make_mastra(tmp_path / "w.duckdb", clock, working_memory=False) as m:
        m.get_memory().save_sync("t1", "ada", [Message.user("hi")])
        ip.magics.replace_mastra(m, owned=False)
        assert ip.usage_error("memory working t1").startswith("this memory has no working memory (hint:")


def test_only_working_takes_a_cell_body(ipm: TestingShell) -> None:
    assert ipm.usage_error("memory show garden", body="x") == (
        "%%mastra memory show takes no cell body "
        "(hint: use %mastra memory show …; only %%mastra memory working THREAD takes one)"
    )


# -- prune ---------------------------------------------------------------------------------------------------


def test_a_dry_run_reports_and_changes_nothing(ipm: TestingShell, mastra: Mastra) -> None:
    before, vectors = _count(mastra), _vectors(mastra)
    view = ipm.line("memory prune --keep-last 2 --dry-run")
    assert isinstance(view, PruneView) and view.report.dry_run
    assert view.df["text"].tolist() == ["Will it rain in Oslo?", "weather({'city': 'Oslo'})"]
    assert view.summary().startswith("dry run: would remove 2 of 10 messages (")
    assert view.summary().endswith(
        "half-life 7d, min score 0.1, keep last 2; nothing was removed; run without --dry-run to remove them"
    )
    assert (_count(mastra), _vectors(mastra)) == (before, vectors)


def test_prune_removes_from_storage_and_index_and_says_what_it_removed(
    ipm: TestingShell, mastra: Mastra
) -> None:
    before, vectors = _count(mastra), _vectors(mastra)
    preview = ipm.line("memory prune --keep-last 2 --min-score 0.2 --dry-run")
    view = ipm.line("memory prune --keep-last 2 --min-score 0.2")
    assert not view.report.dry_run
    assert view.report.removed_ids == preview.report.removed_ids
    assert view.df["text"].tolist() == ["Bees, noted!", "Will it rain in Oslo?", "weather({'city': 'Oslo'})"]
    assert view.summary().startswith("removed 3 of 10 messages (")
    assert (
        "2 vectors); half-life 7d, min score 0.2, keep last 2" in view.summary()
    )  # the tool call has no text
    assert _count(mastra) == before - 3 and _vectors(mastra) == vectors - 2
    assert repr(view).splitlines()[1].split() == [
        "id",
        "thread_id",
        "role",
        "text",
        "importance",
        "created_at",
        "score",
    ]
    again = ipm.line("memory prune --keep-last 2 --min-score 0.2")
    assert again.report.removed == 0 and repr(again) == again.summary()


def test_half_life_changes_what_is_old(ipm: TestingShell, mastra: Mastra) -> None:
    view = ipm.line("memory prune --keep-last 0 --half-life 1d --min-score 0.01 --dry-run")
    assert view.report.removed == 6  # all of the garden, ten half-lives old; nothing of today
    assert set(view.df["thread_id"]) == {"garden"}
    assert "half-life 1d, min score 0.01, keep last 0" in view.summary()
    longer = ipm.line("memory prune --keep-last 0 --half-life 2w --min-score 0.01 --dry-run")
    assert longer.report.removed == 0


def test_prune_can_be_limited_to_a_thread_or_a_resource(ipm: TestingShell, clock: Clock) -> None:
    clock.now += timedelta(days=60)
    assert set(ipm.line("memory prune --keep-last 0 --thread trip --dry-run").df["thread_id"]) == {"trip"}
    assert set(ipm.line("memory prune --keep-last 0 --resource bob --dry-run").df["thread_id"]) == {"bob-1"}
    assert ipm.line("memory prune --keep-last 0 --dry-run").report.removed == 10


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "--half-life 7x",
            "argument --half-life: '7x' is not a duration; write a number and a unit: 7d, 12h",
        ),
        ("--half-life 0h", "argument --half-life: the duration '0h' is zero"),
        ("--half-life d", "argument --half-life: 'd' is not a duration"),
        ("--min-score 1.5", "argument --min-score: the score '1.5' is outside 0..1"),
        ("--min-score high", "argument --min-score: 'high' is not a score; give a number between 0 and 1"),
        ("--keep-last -1", "argument --keep-last: '-1' is negative; give 0 or more"),
        ("--keep-last two", "argument --keep-last: 'two' is not a whole number"),
        ("--thread gardn", "no thread 'gardn' in this memory (hint: did you mean garden?"),
        ("--resource bobb", "no resource 'bobb' has threads in this memory (hint: did you mean bob?)"),
    ],
)
def test_bad_prune_options_are_one_line_and_change_nothing(
    ipm: TestingShell, mastra: Mastra, option: str, message: str
) -> None:
    before = _count(mastra)
    error = ipm.usage_error(f"memory prune --keep-last 0 --min-score 0.9 {option}")
    assert message in error and "\n" not in error
    assert _count(mastra) == before


def test_a_memory_s_auto_prune_policy_is_the_default(ip: TestingShell, tmp_path: Path, clock: Clock) -> None:
    policy = {"half_life": timedelta(days=1), "min_score": 0.05, "keep_last": 3}
    with make_mastra(tmp_path / "p.duckdb", clock, auto_prune=policy) as m:
        clock.now -= timedelta(days=30)
        m.get_memory().save_sync("t", "ada", [Message.user(f"note {i}") for i in range(2)])
        clock.now += timedelta(days=30)  # the policy prunes on save, so nothing is old yet
        ip.magics.replace_mastra(m, owned=False)
        view = ip.line("memory prune --dry-run")
        assert view.settings == policy and "half-life 1d, min score 0.05, keep last 3" in view.summary()
        assert ip.line("memory prune --dry-run --keep-last 0").settings["keep_last"] == 0
        assert ip.line("plot decay").title.startswith(
            "decay of 2 messages in every thread (half-life 1d): 2 below"
        )


def test_durations_combine_units(ipm: TestingShell) -> None:
    view = ipm.line("memory prune --half-life 1d12h --dry-run")
    assert view.settings["half_life"] == timedelta(days=1, hours=12)
    assert "half-life 1d12h," in view.summary()


# -- which memory ------------------------------------------------------------------------------------------


def test_several_memories_are_picked_with_agent(ip: TestingShell, tmp_path: Path) -> None:
    a = Agent("a", "", TestModel(text="ok"), memory=Memory(embedder="hashing"))
    b = Agent("b", "", TestModel(text="ok"), memory=Memory(embedder="hashing"))
    with Mastra.open(tmp_path / "two.duckdb", agents=[a, b]) as m:
        ip.magics.replace_mastra(m, owned=False)
        m.get_memory("b").save_sync("tb", "bob", [Message.user("hi")])
        assert ip.usage_error("memory threads") == (
            "several agents have their own memory (a, b); name one with agent= "
            "(hint: pick one with --agent NAME (agents with memory: a, b))"
        )
        assert ip.line("memory threads --agent b").df["id"].tolist() == ["tb"]
        assert ip.line("memory show tb --agent b").df["text"].tolist() == ["hi"]
        assert ip.usage_error("memory show tb --agent c").startswith("no agent named 'c'; known agents: a, b")


def test_without_agent_memory_the_storage_is_read(ip: TestingShell, tmp_path: Path, clock: Clock) -> None:
    db = tmp_path / "app.duckdb"
    with make_mastra(db, clock) as app:
        fill(app.get_memory(), clock)
    with Mastra.open(db) as m:  # a notebook opening the app's database, without the app's agents
        ip.magics.replace_mastra(m, owned=False)
        assert ip.line("memory threads").df["id"].tolist() == ["garden", "trip", "bob-1"]
        assert len(ip.line("memory show garden")) == 6


def test_every_subcommand_needs_a_mastra(ip: TestingShell) -> None:
    for line in ("memory threads", "memory show t", "memory recall t q", "memory working t", "memory prune"):
        assert "run %mastra init" in ip.usage_error(line)


def test_help_lists_the_subcommands(ip: TestingShell) -> None:
    text = ip.line("memory --help").text
    assert "threads|show|recall|working|prune" in text and "--dry-run" in text
    assert "--half-life" in ip.line("memory prune --help").text


def test_a_read_only_database_previews_but_refuses_to_change(
    ip: TestingShell, tmp_path: Path, clock: Clock
) -> None:
    db = tmp_path / "app.duckdb"
    with make_mastra(db, clock) as app:
        fill(app.get_memory(), clock)
    with Mastra.open(db, read_only=True) as m:
        ip.magics.replace_mastra(m, owned=False)
        assert ip.line("memory prune --keep-last 0 --dry-run").report.removed == 10
        refused = ip.usage_error("memory prune --keep-last 0")
        assert refused.startswith(f"DuckDB file '{db}' is open read-only, so it cannot be changed")
        assert ip.usage_error("memory working garden", body="- **Name**: Ada") == refused
        assert len(ip.line("memory show garden")) == 6
