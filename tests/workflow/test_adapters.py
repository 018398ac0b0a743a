"""Tools and agents as workflow steps; their approvals suspend the workflow."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_lab.agent import Agent
from mastra_lab.errors import WorkflowError
from mastra_lab.llm import FunctionModel, Message, ModelResponse, ToolCall
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.mastra import Mastra
from mastra_lab.storage import Storage
from mastra_lab.tools import tool
from mastra_lab.workflow import Step, Workflow


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_a_tool_step_calls_the_tool_with_its_input() -> None:
    wf = Workflow("sum").then(Step.from_tool(add)).commit()
    assert wf.create_run().start_sync({"a": 2, "b": 3}).result == 5


def test_a_tool_step_reports_bad_arguments_naming_the_field() -> None:
    result = Workflow("sum").then(Step.from_tool(add)).commit().create_run().start_sync({"a": 2})
    assert result.status == "failed"
    assert "step 'add' failed" in (result.error or "") and "'b'" in (result.error or "")


def _refund_tool(log: list[str]) -> Any:
    @tool(requires_approval=True)
    def refund(order: str, amount: float) -> str:
        """Refund an order."""
        log.append(order)
        return f"refunded {amount} on {order}"

    return refund


def test_a_tool_needing_approval_suspends_until_approved() -> None:
    log: list[str] = []
    wf = Workflow("refund").then(Step.from_tool(_refund_tool(log))).commit()
    run = wf.create_run()
    paused = run.start_sync({"order": "A-1", "amount": 5})
    assert paused.suspend_payload == {
        "refund": {"tool": "refund", "arguments": {"order": "A-1", "amount": 5}}
    }
    assert log == []
    assert run.resume_sync(resume_data={"approve": True}).result == "refunded 5.0 on A-1"
    assert log == ["A-1"]


def test_a_declined_tool_fails_its_step_without_calling_it() -> None:
    log: list[str] = []
    run = Workflow("refund").then(Step.from_tool(_refund_tool(log))).commit().create_run()
    run.start_sync({"order": "A-1", "amount": 5})
    result = run.resume_sync(resume_data={"approve": False, "reason": "too late"})
    assert result.status == "failed" and "declined: too late" in (result.error or "")
    assert log == []


def _support_agent(log: list[str]) -> Agent:
    def script(messages: list[Message], info: AgentInfo) -> ModelResponse:
        if messages[-1].role == "tool":
            return ModelResponse(f"done: {messages[-1].tool_results[0].result}")
        return ModelResponse(tool_calls=[ToolCall("c1", "refund", {"order": "A-9", "amount": 2})])

    return Agent("support", "You refund orders.", FunctionModel(script), tools=[_refund_tool(log)])


def test_an_agent_step_suspends_the_workflow_for_its_tool_approval(store: Storage) -> None:
    """Approval survives a new registry over the same storage (a new process)."""
    log: list[str] = []

    def build() -> Workflow:
        agent = _support_agent(log)
        wf = Workflow("desk").then(Step.from_agent(agent)).map(lambda ctx: ctx.input["text"].upper())
        Mastra(storage=store, agents=[agent], workflows=[wf.commit()])
        return wf

    run = build().create_run()
    paused = run.start_sync({"prompt": "refund A-9"})
    assert paused.suspended == ["support"]
    payload = paused.suspend_payload["support"]
    assert payload["pending"] == [{"id": "c1", "name": "refund", "arguments": {"order": "A-9", "amount": 2}}]
    assert log == []
    done = build().create_run(run.run_id).resume_sync(resume_data={"approve": ["c1"]})
    assert (done.status, done.result) == ("success", "DONE: REFUNDED 2.0 ON A-9")
    assert log == ["A-9"]


def test_an_agent_step_checks_its_input() -> None:
    wf = Workflow("desk").then(Step.from_agent(_support_agent([]))).commit()
    result = wf.create_run().start_sync({"question": "?"})
    assert result.status == "failed"
    assert "input of step 'support' is invalid: field 'prompt': required" in (result.error or "")


def test_an_agent_step_needs_call_ids_to_resume() -> None:
    wf = Workflow("desk").then(Step.from_agent(_support_agent([]))).commit()
    run = wf.create_run()
    run.start_sync({"prompt": "go"})
    with pytest.raises(WorkflowError, match="resume data of step 'support' is invalid: field 'approve'"):
        run.resume_sync(resume_data={})
