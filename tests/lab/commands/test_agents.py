"""``%mastra agents``, ``%%mastra chat`` and ``%mastra approve`` on real agents, memory and DuckDB files.

Streaming is checked on what the shell published: one display, created once and updated in place. The
scripted model holds its stream after the first piece until that piece has been displayed, so a command
that buffered the answer could not pass.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_lab import Mastra
from mastra_lab.agent import Agent
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.agents import ChatTurn
from mastra_lab.lab.display import Fields, Table
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall
from mastra_lab.llm.testing import AgentInfo, capture_messages
from mastra_lab.memory import Memory
from mastra_lab.storage import DuckDBStore
from mastra_lab.tools import tool

DELETED: list[str] = []


@tool(requires_approval=True)
def delete_file(path: str) -> str:
    """Delete a file."""
    DELETED.append(path)
    return f"deleted {path}"


@tool
def list_files() -> list[str]:
    """List the files."""
    return ["a.txt", "b.txt"]


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def cleaner(messages: list[Message], info: AgentInfo) -> ModelResponse:
    """Asks to delete two files and to list them; then reports every tool result it got back."""
    if messages[-1].role != "tool":
        calls = [
            ToolCall("del_a", "delete_file", {"path": "a.txt"}),
            ToolCall("del_b", "delete_file", {"path": "b.txt"}),
            ToolCall("ls", "list_files", {}),
        ]
        return ModelResponse("I will clean up.", calls)
    return ModelResponse("; ".join(f"{r.name}: {r.result}" for r in messages[-1].tool_results))


def echo(messages: list[Message], info: AgentInfo) -> str:
    """Says how many user messages it sees, and the last one: a window onto the memory in the prompt."""
    users = [m.text for m in messages if m.role == "user"]
    return f"{len(users)} user messages; last: {users[-1]}"


def _agents() -> list[Agent]:
    return [
        Agent(
            "ops", "You tidy files.", FunctionModel(cleaner), tools=[delete_file, list_files], memory=Memory()
        ),
        Agent("calc", "You add.", TestModel(), tools=[add], description="Adds numbers."),
        Agent("echo", "", FunctionModel(echo), memory=Memory()),
    ]


def _shell(path: Path) -> TestingShell:
    mastra = Mastra(storage=DuckDBStore(path), agents=_agents())
    ip = TestingShell({"m": mastra})
    ip.line("init m")
    return ip


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "chat.duckdb"


def _close(shell: TestingShell) -> None:
    """Unload the extension and close the shell's Mastra, as a kernel shutdown does (twice is harmless)."""
    if "MastraMagics" in shell.shell.magics_manager.registry:
        shell.ns["m"].close()
        shell.close()


@pytest.fixture
def ip(db: Path) -> Iterator[TestingShell]:
    DELETED.clear()
    shell = _shell(db)
    yield shell
    _close(shell)


def _displays(ip: TestingShell) -> list[dict[str, Any]]:
    return [o for o in ip.outputs if o["transient"].get("display_id")]


def _assert_one_display_updated_in_place(ip: TestingShell) -> list[str]:
    shown = _displays(ip)
    assert len(shown) >= 2
    assert [o["update"] for o in shown] == [False] + [True] * (len(shown) - 1)
    assert len({o["transient"]["display_id"] for o in shown}) == 1
    return [o["data"]["text/plain"] for o in shown]


# -- agents -----------------------------------------------------------------------------------------------


def test_agents_lists_the_registered_agents(ip: TestingShell) -> None:
    table = ip.line("agents")
    assert isinstance(table, Table) and table.title == "3 agents"
    rows = table.df.set_index("name").to_dict("index")
    assert sorted(rows) == ["calc", "echo", "ops"]
    assert rows["ops"]["tools"] == ["delete_file", "list_files"] and rows["ops"]["memory"] == "Memory"
    assert rows["calc"]["description"] == "Adds numbers."


def test_agents_name_shows_one_agent_and_its_runs_waiting_for_approval(ip: TestingShell) -> None:
    before = ip.line("agents ops")
    assert isinstance(before, Fields)
    assert before["tools"] == "delete_file, list_files" and before["waiting for approval"] == "none"
    turn = ip.cell("chat ops", "tidy up")
    after = ip.line("agents ops")
    assert after["runs"] == 1 and after["waiting for approval"] == turn.run_id


def test_agents_without_any_says_how_to_register_one() -> None:
    ip = TestingShell()
    try:
        ip.line("init")
        table = ip.line("agents")
        assert len(table) == 0 and "add_agent(agent)" in str(table.title)
    finally:
        ip.close()


# -- chat -------------------------------------------------------------------------------------------------


def test_chat_streams_the_answer_into_one_display_updated_in_place(
    ip: TestingShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = threading.Event()
    released: list[bool] = []

    async def stream(messages: list[Message], info: AgentInfo) -> Any:
        yield "Hello"
        released.append(await asyncio.to_thread(shown.wait, 10))
        yield ", world"

    mastra = ip.magics.mastra
    assert mastra is not None
    mastra.add_agent(Agent("slow", "", FunctionModel(stream_fn=stream)))
    publish = ip.publisher.publish

    def publishing(*args: Any, **kwargs: Any) -> None:
        publish(*args, **kwargs)
        shown.set()

    monkeypatch.setattr(ip.publisher, "publish", publishing)
    turn = ip.cell("chat slow", "hi")

    assert released == [True]  # the first piece was on screen before the model sent the second
    texts = _assert_one_display_updated_in_place(ip)
    assert texts[0] == "Hello" and texts[-1] == "Hello, world"
    assert isinstance(turn, ChatTurn) and turn.text == "Hello, world" and turn.finish_reason == "stop"
    assert repr(turn) == "slow · stop · 1 step · 0 tool calls · 1 in / 2 out tokens"
    data = _displays(ip)[-1]["data"]
    assert data["text/markdown"] == "Hello, world" and "text/html" not in data  # the answer is Markdown


def test_ctrl_c_while_streaming_stops_and_keeps_the_partial_answer(
    ip: TestingShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    never = threading.Event()  # only Ctrl-C ends this stream (the test sets it afterwards, to clean up)

    async def stream(messages: list[Message], info: AgentInfo) -> Any:
        yield "Hel"
        await asyncio.to_thread(never.wait, 10)
        yield "lo"

    mastra = ip.magics.mastra
    assert mastra is not None
    mastra.add_agent(Agent("stuck", "", FunctionModel(stream_fn=stream)))
    publish = ip.publisher.publish

    def publishing(*args: Any, **kwargs: Any) -> None:
        first = not ip.outputs
        publish(*args, **kwargs)
        if first:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(ip.publisher, "publish", publishing)
    try:
        turn = ip.cell("chat stuck", "hi")
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped from %%mastra chat")
    finally:
        never.set()
    assert (turn.text, turn.finish_reason, turn.result) == ("Hel", "interrupted", None)
    assert repr(turn) == "stuck · interrupted"
    assert (
        _assert_one_display_updated_in_place(ip)[-1]
        == "Hel\n(interrupted: kept the 3 characters that had arrived)"
    )


def test_chat_shows_tool_calls_and_their_results_inline(ip: TestingShell) -> None:
    turn = ip.cell("chat calc", "What is 1 + 1?")
    assert turn.result is not None and [c.name for c in turn.result.tool_calls] == ["add"]
    lines = repr(turn.transcript).splitlines()
    assert lines[0] == "  add(a=0, b=1) → 1"
    running = [t for t in _assert_one_display_updated_in_place(ip) if "running" in t]
    assert running == ["  add(a=0, b=1) … running"]  # the call was shown before its result came
    assert "`add(a=0, b=1)` → `1`" in _displays(ip)[-1]["data"]["text/markdown"]


def test_chat_cells_continue_one_conversation_and_new_starts_another(ip: TestingShell) -> None:
    first = ip.cell("chat echo", "my name is Ada")
    second = ip.cell("chat echo", "what is my name?")
    assert first.text == "1 user messages; last: my name is Ada"
    assert second.text == "2 user messages; last: what is my name?"
    assert first.thread_id == second.thread_id and second.resource_id == "echo"
    assert repr(second).endswith(f" · thread {first.thread_id}")
    fresh = ip.cell("chat echo --new", "hello")
    assert fresh.text == "1 user messages; last: hello" and fresh.thread_id != first.thread_id
    again = ip.cell(f"chat echo --thread {first.thread_id}", "and now?")
    assert again.text == "3 user messages; last: and now?"


def test_chat_with_a_new_named_thread_needs_its_resource(ip: TestingShell) -> None:
    turn = ip.cell("chat echo --thread t1 --resource alice", "hello")
    assert (turn.thread_id, turn.resource_id) == ("t1", "alice")
    memory = ip.magics.mastra.get_agent("echo").memory  # type: ignore[union-attr]
    assert memory.get_thread("t1").resource_id == "alice"
    assert [m.role for m in memory.get_messages("t1")] == ["user", "assistant"]
    assert ip.cell("chat echo --resource alice", "again").thread_id == "t1"  # alice's conversation


# -- approval ---------------------------------------------------------------------------------------------


def test_a_run_waiting_for_approval_shows_the_calls_and_how_to_decide(ip: TestingShell) -> None:
    turn = ip.cell("chat ops", "tidy up")
    assert turn.finish_reason == "approval" and [c.id for c in turn.pending] == ["del_a", "del_b"]
    assert DELETED == []
    run = turn.run_id
    assert repr(turn.transcript).splitlines() == [
        "I will clean up.",
        '  delete_file(path="a.txt") … waiting for approval (call del_a)',
        '  delete_file(path="b.txt") … waiting for approval (call del_b)',
        '  list_files() → ["a.txt", "b.txt"]',
        f"waiting for approval: run {run}",
        '  del_a: delete_file(path="a.txt")',
        '  del_b: delete_file(path="b.txt")',
        f"approve all: %mastra approve {run}",
        f"approve some: %mastra approve {run} CALL_ID ...",
        f'decline: %mastra approve {run} --decline CALL_ID ... --reason "why"',
    ]
    assert f"2 call(s) waiting: %mastra approve {run}" in repr(turn)


def test_approve_runs_the_calls_and_streams_the_rest_of_the_run(ip: TestingShell) -> None:
    run = ip.cell("chat ops", "tidy up").run_id
    ip.outputs.clear()
    resumed = ip.line(f"approve {run}")
    assert DELETED == ["a.txt", "b.txt"]
    assert resumed.finish_reason == "stop" and resumed.run_id == run and resumed.pending == []
    assert (
        resumed.text
        == "delete_file: deleted a.txt; delete_file: deleted b.txt; list_files: ['a.txt', 'b.txt']"
    )
    lines = _assert_one_display_updated_in_place(ip)[-1].splitlines()
    assert lines[:3] == [
        f"(resumed run {run}; approved del_a, del_b)",
        '  delete_file(path="a.txt") → deleted a.txt',
        '  delete_file(path="b.txt") → deleted b.txt',
    ]
    assert resumed.thread_id is not None and repr(resumed).endswith(f"thread {resumed.thread_id}")


def test_approve_some_and_decline_others_with_a_reason(ip: TestingShell) -> None:
    run = ip.cell("chat ops", "tidy up").run_id
    with capture_messages() as requests:
        resumed = ip.line(f'approve {run} del_a --decline del_b --reason "keep b"')
    assert DELETED == ["a.txt"]
    assert "delete_file: The user declined this call: keep b" in resumed.text
    assert requests[0].messages[-1].tool_results[1].result == "The user declined this call: keep b"
    lines = repr(resumed.transcript).splitlines()
    assert lines[0] == f"(resumed run {run}; approved del_a; declined del_b)"
    assert '  delete_file(path="b.txt") → declined: keep b' in lines


def test_approving_one_call_leaves_the_other_waiting(ip: TestingShell) -> None:
    run = ip.cell("chat ops", "tidy up").run_id
    partial = ip.line(f"approve {run} del_b")
    assert DELETED == ["b.txt"] and [c.id for c in partial.pending] == ["del_a"]
    assert (
        repr(partial.transcript).splitlines()[0]
        == f"(resumed run {run}; approved del_b; still waiting: del_a)"
    )
    done = ip.line(f"approve {run} --decline del_a")
    assert done.finish_reason == "stop" and DELETED == ["b.txt"]
    assert "The user declined this call: no reason given" in done.text


def test_approve_last_decides_the_latest_chat_that_waits(ip: TestingShell) -> None:
    assert "no chat of this notebook is waiting for approval" in ip.usage_error("approve last")
    run = ip.cell("chat ops", "tidy up").run_id
    partial = ip.line("approve last del_a")
    assert partial.run_id == run and DELETED == ["a.txt"]
    done = ip.line("approve last")
    assert done.run_id == run and done.finish_reason == "stop" and DELETED == ["a.txt", "b.txt"]
    assert "no chat of this notebook is waiting" in ip.usage_error("approve last")


def test_approve_works_after_a_kernel_restart(ip: TestingShell, db: Path) -> None:
    run = ip.cell("chat ops", "tidy up").run_id
    _close(ip)
    restarted = _shell(db)
    try:
        resumed = restarted.line(f"approve {run} --decline del_a del_b")
        assert resumed.finish_reason == "stop" and DELETED == []
        assert resumed.text.count("The user declined this call") == 2
    finally:
        _close(restarted)


# -- mistakes ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "body", "message"),
    [
        (
            "chat opz",
            "hi",
            "%mastra chat: no agent named 'opz' in this notebook's Mastra (hint: did you mean ops?)",
        ),
        (
            "chat nobody",
            "hi",
            "no agent named 'nobody' in this notebook's Mastra (hint: the agents are: calc, echo, ops)",
        ),
        ("chat echo", "  \n ", "%%mastra chat needs a message, and the message is empty"),
        ("chat echo", None, "%%mastra chat needs a message, and the message is the cell body"),
        ("chat echo --thread nope", "hi", "%%mastra chat: unknown thread 'nope' (hint: add --resource USER"),
        ("chat calc --thread t", "hi", "agent 'calc' has no memory, so it keeps no threads"),
        ("chat echo --thread t --new", "hi", "--new starts a thread and --thread continues one"),
        ("chat echo --max-steps 0", "hi", "--max-steps 0 must be at least 1"),
        ("approve nope", None, "%mastra approve: no agent of this notebook's Mastra has a run 'nope'"),
    ],
)
def test_mistakes_are_one_line_usage_errors_before_anything_runs(
    ip: TestingShell, line: str, body: str | None, message: str
) -> None:
    assert message in ip.usage_error(line, body)
    mastra = ip.magics.mastra
    assert mastra is not None
    assert mastra.storage.list_threads() == []
    assert all(len(a.runs_df()) == 0 for a in mastra.agents.values())


def test_a_thread_of_another_resource_is_refused(ip: TestingShell) -> None:
    ip.cell("chat echo --thread t1 --resource alice", "hello")
    message = ip.usage_error("chat echo --thread t1 --resource bob", "hi")
    assert message == (
        "%%mastra chat: thread 't1' belongs to resource 'alice', not 'bob' "
        "(hint: use --resource alice, or another thread)"
    )
    memory = ip.magics.mastra.get_agent("echo").memory  # type: ignore[union-attr]
    assert len(memory.get_messages("t1")) == 2


def test_approval_mistakes_name_what_is_pending(ip: TestingShell) -> None:
    run = ip.cell("chat ops", "tidy up").run_id
    unknown = ip.usage_error(f"approve {run} del_x")
    assert unknown.startswith(
        f"%mastra approve: call 'del_x' is not pending in run '{run}'; pending: del_a ("
    )
    assert "both approved and declined" in ip.usage_error(f"approve {run} del_a --decline del_a")
    assert "--reason goes with --decline" in ip.usage_error(f"approve {run} --reason no")
    assert DELETED == []
    ip.line(f"approve {run}")
    finished = ip.usage_error(f"approve {run}")
    assert finished.startswith(f"%mastra approve: run '{run}' of agent 'ops' has no tool call waiting")
    assert DELETED == ["a.txt", "b.txt"]


def test_a_failing_model_shows_where_the_run_stopped_and_raises_one_line(ip: TestingShell) -> None:
    async def broken(messages: list[Message], info: AgentInfo) -> Any:
        yield "Let me"
        raise RuntimeError("the model fell over")

    mastra = ip.magics.mastra
    assert mastra is not None
    mastra.add_agent(Agent("broken", "", FunctionModel(stream_fn=broken)))
    with pytest.raises(RuntimeError, match="the model fell over"):
        ip.cell("chat broken", "hi")
    last = _displays(ip)[-1]["data"]["text/plain"]
    assert last == "Let me\n(the run failed here; the error is below)"


def test_chat_help_shows_the_cell_form(ip: TestingShell) -> None:
    text = ip.line("chat --help").text
    assert "%%mastra chat support --thread t1 --resource alice" in text
