"""Human in the loop: a call needing approval ends the run; resume runs or declines it, in any process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError, ToolError
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall, ToolResult
from mastra_lab.llm.testing import AgentInfo, capture_messages
from mastra_lab.mastra import Mastra
from mastra_lab.storage import InMemoryStore
from mastra_lab.tools import tool

ROOT = Path(__file__).resolve().parents[2]


def _make_tools(log: list[str]):  # type: ignore[no-untyped-def]
    @tool(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file."""
        log.append(f"deleted {path}")
        return f"deleted {path}"

    @tool
    def list_files() -> list[str]:
        """List files."""
        log.append("listed")
        return ["a.txt"]

    return delete_file, list_files


def _two_calls(messages: list[Message], info: AgentInfo) -> ModelResponse:
    if messages[-1].role != "tool":
        return ModelResponse(
            "I will clean up.",
            [ToolCall("del", "delete_file", {"path": "a.txt"}), ToolCall("ls", "list_files", {})],
        )
    return ModelResponse(" | ".join(f"{r.name}={r.result}" for r in messages[-1].tool_results))


async def test_a_call_needing_approval_ends_the_run_and_resume_runs_it() -> None:
    log: list[str] = []
    agent = Agent("ops", "", FunctionModel(_two_calls), tools=_make_tools(log))
    result = await agent.generate("clean up")

    assert result.finish_reason == "approval"
    assert result.pending == [ToolCall("del", "delete_file", {"path": "a.txt"})]
    assert result.text == "I will clean up."
    assert log == ["listed"]  # the other call of the step ran already
    assert agent.pending(result.run_id) == result.pending

    with capture_messages() as requests:
        resumed = await agent.resume(result.run_id, approve=["del"])
    assert log == ["listed", "deleted a.txt"]
    assert resumed.finish_reason == "stop" and resumed.run_id == result.run_id
    assert resumed.text == "delete_file=deleted a.txt | list_files=['a.txt']"
    assert resumed.pending == [] and agent.pending(result.run_id) == []
    assert requests[0].messages[-1] == Message.tool(
        [ToolResult("del", "delete_file", "deleted a.txt"), ToolResult("ls", "list_files", ["a.txt"])]
    )
    assert list(agent.runs_df()["status"]) == ["done"]


async def test_a_declined_call_goes_back_to_the_model_with_the_reason() -> None:
    log: list[str] = []
    agent = Agent("ops", "", FunctionModel(_two_calls), tools=_make_tools(log))
    result = await agent.generate("clean up")
    chunks = [c async for c in agent.resume_stream(result.run_id, decline={"del": "keep my files"})]
    assert log == ["listed"]
    types = [c.type for c in chunks]
    assert types[0] == "step-finish" and types[-2:] == ["step-finish", "finish"]
    assert set(types[1:-2]) == {"text-delta"}
    final = chunks[-1].result
    assert final is not None
    assert final.text.startswith("delete_file=The user declined this call: keep my files |")
    assert ToolResult("del", "delete_file", "The user declined this call: keep my files", is_error=True) in (
        final.tool_results
    )


async def test_the_agent_can_require_approval_by_name_or_by_predicate() -> None:
    log: list[str] = []
    by_name = Agent(
        "a", "", FunctionModel(_two_calls), tools=_make_tools(log)[1:], require_approval=["list_files"]
    )
    result = await by_name.generate("x")
    assert [c.name for c in result.pending] == ["list_files"]

    everything = Agent("b", "", TestModel(), tools=_make_tools(log)[1:], require_approval=True)
    assert (await everything.generate("x")).finish_reason == "approval"

    by_predicate = Agent(
        "c", "", TestModel(), tools=_make_tools(log)[1:], require_approval=lambda call: call.name == "nothing"
    )
    assert (await by_predicate.generate("x")).finish_reason == "stop"


async def test_undecided_calls_stay_pending() -> None:
    @tool(requires_approval=True)
    def one() -> str:
        return "1"

    @tool(requires_approval=True)
    def two() -> str:
        return "2"

    agent = Agent("pair", "", TestModel(), tools=[one, two])
    first = await agent.generate("x")
    ids = [c.id for c in first.pending]
    again = await agent.resume(first.run_id, approve=[ids[0]])
    assert again.finish_reason == "approval" and [c.id for c in again.pending] == [ids[1]]
    done = await agent.resume(first.run_id, approve=[ids[1]])
    assert done.finish_reason == "stop" and done.text == '{"one":"1","two":"2"}'


async def test_bad_resumes_are_clear_errors() -> None:
    agent = Agent("ops", "", FunctionModel(_two_calls), tools=_make_tools([]))
    with pytest.raises(MastraError, match="agent 'ops' has no run 'nope'") as unknown_run:
        await agent.resume("nope", approve=["x"])
    assert unknown_run.value.code == "AGENT_UNKNOWN_RUN"

    result = await agent.generate("clean up")
    with pytest.raises(
        ToolError, match=r"tool call id\(s\) \['zzz'\] are not pending in run .*; pending: \['del'\]"
    ):
        await agent.resume(result.run_id, approve=["zzz"])
    with pytest.raises(ToolError, match="both approved and declined"):
        await agent.resume(result.run_id, approve=["del"], decline={"del": "no"})
    with pytest.raises(ToolError, match="needs approve"):
        await agent.resume(result.run_id)

    await agent.resume(result.run_id, approve=["del"])
    with pytest.raises(MastraError, match="has no tool call waiting for approval") as nothing:
        await agent.resume(result.run_id, approve=["del"])
    assert nothing.value.code == "AGENT_NOTHING_PENDING"

    plain = await Agent("calm", "", TestModel(text="hi")).generate("x")
    with pytest.raises(MastraError, match="agent 'ops' has no run"):  # another agent's run
        await agent.resume(plain.run_id, approve=["del"])


async def test_a_new_agent_object_on_the_same_storage_resumes_the_run() -> None:
    storage = InMemoryStore()
    log: list[str] = []
    with Mastra(storage=storage, telemetry=False) as m:
        first = Agent("ops", "", FunctionModel(_two_calls), tools=_make_tools(log))
        m.add_agent(first)
        result = await first.generate("clean up")
        second = Agent("ops", "", FunctionModel(_two_calls), tools=_make_tools(log))
        other = Mastra(storage=storage, telemetry=False)
        other.add_agent(second)
        resumed = await second.resume(result.run_id, approve=["del"])
    assert resumed.finish_reason == "stop" and "deleted a.txt" in log


_SCRIPT = """
import json, sys
from mastra_lab.agent import Agent
from mastra_lab.llm import TestModel
from mastra_lab.mastra import Mastra
from mastra_lab.memory import Memory
from mastra_lab.storage import DuckDBStore, SQLiteStore
from mastra_lab.tools import tool

@tool(requires_approval=True)
def send_email(to: str) -> str:
    \"\"\"Send an email.\"\"\"
    return "sent to " + to

backend, path, step = sys.argv[1], sys.argv[2], sys.argv[3]
store = DuckDBStore(path) if backend == "duckdb" else SQLiteStore(path)
with Mastra(storage=store, telemetry=False) as m:
    agent = Agent("mailer", "You send mail.", TestModel(), tools=[send_email], memory=Memory())
    m.add_agent(agent)
    if step == "start":
        r = agent.generate_sync("mail bob", thread_id="t1", resource_id="u1")
    else:
        r = agent.resume_sync(sys.argv[4], approve=[sys.argv[5]])
    print(json.dumps({"run_id": r.run_id, "finish": r.finish_reason, "text": r.text,
                      "pending": [c.id for c in r.pending], "steps": r.steps,
                      "stored": [m.role for m in agent.memory.get_messages("t1")]}))
"""


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_approval_survives_a_process_restart(backend: str, tmp_path: Path) -> None:
    path = str(tmp_path / f"agent.{'duckdb' if backend == 'duckdb' else 'sqlite'}")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def run(*args: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(_SCRIPT), backend, path, *args],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        data: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
        return data

    started = run("start")
    assert started["finish"] == "approval" and started["pending"] == ["call_0"]
    assert started["stored"] == ["user", "assistant"]
    resumed = run("resume", str(started["run_id"]), "call_0")
    assert resumed == {
        "run_id": started["run_id"],
        "finish": "stop",
        "text": '{"send_email":"sent to a"}',
        "pending": [],
        "steps": 2,
        "stored": ["user", "assistant", "tool", "assistant"],
    }


async def test_a_resumed_run_keeps_its_output_schema() -> None:
    import pydantic

    class Booking(pydantic.BaseModel):
        hotel: str
        nights: int

    @tool(requires_approval=True)
    def book(hotel: str) -> str:
        return "ok"

    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        assert info.output_schema == Booking.model_json_schema()
        if messages[-1].role != "tool":
            return ModelResponse(tool_calls=[ToolCall("b", "book", {"hotel": "Ritz"})])
        return ModelResponse('{"hotel": "Ritz", "nights": 2}')

    agent = Agent("travel", "", FunctionModel(model), tools=[book])
    first = await agent.generate("book", output=Booking)
    second = await agent.generate("book", output=Booking)
    as_class = await agent.resume(first.run_id, approve=["b"], output=Booking)
    assert as_class.object == Booking(hotel="Ritz", nights=2)
    as_schema = await agent.resume(second.run_id, approve=["b"])  # e.g. in a process without the class
    assert as_schema.object == {"hotel": "Ritz", "nights": 2}
