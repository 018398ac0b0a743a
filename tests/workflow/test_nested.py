"""A committed workflow is a step of another: it runs inside the parent's run, and its steps suspend,
resume and report under ``outer.inner`` paths."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_lab.errors import WorkflowError
from mastra_lab.mastra import Mastra
from mastra_lab.storage import Storage
from mastra_lab.workflow import Step, StepContext, Workflow


def _review() -> Workflow:
    def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({"draft": ctx.input["draft"]})
        return {"draft": ctx.input["draft"], "ok": ctx.resume_data["ok"]}

    child = Workflow("review", input_schema={"type": "object", "required": ["draft"]})
    child.then(Step("polish", lambda ctx: {"draft": ctx.input["draft"].strip().capitalize()}))
    child.then(Step("ask", ask, resume_schema={"type": "object", "required": ["ok"]}))
    return child.commit()


def _publish(mastra: Mastra, calls: list[str]) -> Workflow:
    def logged(sid: str, fn: Any) -> Step:
        def run(ctx: StepContext) -> Any:
            calls.append(sid)
            return fn(ctx)

        return Step(sid, run)

    wf = Workflow("publish").then(logged("write", lambda ctx: {"draft": f"  {ctx.input} "}))
    wf.then(_review()).then(logged("ship", lambda ctx: "shipped" if ctx.input["ok"] else "dropped"))
    mastra.add_workflow(wf.commit())
    return wf


def test_a_nested_workflow_suspends_its_parent_and_resumes_by_path(mastra: Mastra) -> None:
    calls: list[str] = []
    wf = _publish(mastra, calls)
    run = wf.create_run()
    paused = run.start_sync("hello")
    assert (paused.status, paused.suspended) == ("suspended", ["review.ask"])
    assert paused.suspend_payload == {"review.ask": {"draft": "Hello"}}
    assert paused.steps["review.polish"].output == {"draft": "Hello"}
    assert paused.steps["review"].status == "suspended"
    done = wf.create_run(run.run_id).resume_sync("review.ask", {"ok": True})
    assert (done.status, done.result) == ("success", "shipped")
    assert calls == ["write", "ship"]  # the parent's first step did not run again
    assert done.steps["review"].output == {"draft": "Hello", "ok": True}


@pytest.mark.parametrize("name", ["review", ["review", "ask"], "ask", None])
def test_a_nested_step_can_be_named_by_its_workflow_its_path_or_its_id(mastra: Mastra, name: Any) -> None:
    wf = _publish(mastra, [])
    run = wf.create_run()
    run.start_sync("x")
    assert run.resume_sync(name, {"ok": False}).result == "dropped"


def test_resume_data_of_a_nested_step_is_checked_against_its_schema(mastra: Mastra) -> None:
    wf = _publish(mastra, [])
    run = wf.create_run()
    run.start_sync("x")
    with pytest.raises(WorkflowError, match=r"resume data of step 'review\.ask' is invalid: field 'ok'"):
        run.resume_sync("review.ask", {})
    assert wf.get_run(run.run_id).status == "suspended"  # type: ignore[union-attr]
    with pytest.raises(WorkflowError, match=r"step 'review\.nope' is not suspended"):
        run.resume_sync("review.nope", {"ok": True})


def test_nested_steps_report_events_under_their_path(mastra: Mastra) -> None:
    wf = _publish(mastra, [])
    run = wf.create_run()
    seen: list[tuple[str, str | None]] = []
    run.watch(lambda e: seen.append((e.type, e.step)))
    run.start_sync("x")
    assert ("step-result", "review.polish") in seen
    assert ("step-suspended", "review.ask") in seen
    assert ("step-suspended", "review") in seen


def test_a_nested_workflow_in_parallel_suspends_while_its_sibling_stays_done(mastra: Mastra) -> None:
    count: list[int] = []

    def sibling(ctx: StepContext) -> int:
        count.append(1)
        return 7

    wf = Workflow("fan").parallel([_review(), Step("sibling", sibling)]).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    assert run.start_sync({"draft": "a"}).suspended == ["review.ask"]
    result = wf.create_run(run.run_id).resume_sync(resume_data={"ok": True})
    assert result.result == {"review": {"draft": "A", "ok": True}, "sibling": 7}
    assert count == [1]


def test_input_of_a_nested_workflow_is_checked_against_its_schema(mastra: Mastra) -> None:
    wf = Workflow("bad").then(_review()).commit()
    result = wf.create_run().start_sync({"text": "no draft"})
    assert result.status == "failed"
    assert "input of nested workflow 'review' is invalid: field 'draft': required" in (result.error or "")


def test_only_a_committed_workflow_can_be_a_step() -> None:
    with pytest.raises(WorkflowError, match="must be committed before it is used as a step"):
        Workflow("outer").then(Workflow("inner").then(Step("a", lambda ctx: 1)))


def test_workflow_step_finds_steps_inside_nested_workflows() -> None:
    wf = Workflow("p").then(_review()).commit()
    assert wf.step("review.ask").id == "ask"
    assert wf.step("review").workflow is not None
    with pytest.raises(
        WorkflowError, match="workflow 'review' has no step 'ghost'; its steps are: ask, polish"
    ):
        wf.step("review.ghost")


def test_a_nested_run_suspended_in_one_store_resumes_from_another_handle(store: Storage) -> None:
    """A new Mastra over the same storage stands in for a new process."""
    first = Mastra(storage=store)
    wf = _publish(first, [])
    run = wf.create_run()
    run.start_sync("x")
    calls: list[str] = []
    again = _publish(Mastra(storage=store), calls)
    assert again.create_run(run.run_id).resume_sync(resume_data={"ok": True}).result == "shipped"
    assert calls == ["ship"]


def test_restart_continues_a_nested_workflow_without_repeating_its_finished_steps(mastra: Mastra) -> None:
    """The process "dies" (its task is cancelled from outside) while the nested second step runs."""
    import asyncio

    from mastra_lab import _runtime

    calls: list[str] = []
    entered = asyncio.Event()

    async def first(ctx: StepContext) -> int:
        calls.append("first")
        return 1

    async def second(ctx: StepContext) -> int:
        calls.append("second")
        if calls.count("second") == 1:
            entered.set()
            await asyncio.Event().wait()  # never set: only the cancellation ends it
        return int(ctx.input) + 1

    child = Workflow("inner").then(Step("first", first)).then(Step("second", second)).commit()
    wf = Workflow("outer").then(child).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()

    async def crash() -> None:
        task = asyncio.create_task(run.start())
        await entered.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    _runtime.run_sync(crash())
    assert wf.get_run(run.run_id).status == "running"  # type: ignore[union-attr]
    result = wf.create_run(run.run_id).restart_sync()
    assert (result.status, result.result) == ("success", 2)
    assert calls == ["first", "second", "second"]
