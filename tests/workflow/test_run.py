"""Runs on every storage backend: suspend and resume, stream and watch, cancel, listings, bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import pydantic
import pytest

from mastra_lab import _runtime
from mastra_lab.errors import WorkflowError
from mastra_lab.mastra import Mastra
from mastra_lab.workflow import Step, StepContext, Workflow, WorkflowEvent, step


class Approval(pydantic.BaseModel):
    approved: bool


def _approval_flow(mastra: Mastra, calls: list[str]) -> Workflow:
    @step
    def prepare(ctx: StepContext) -> dict[str, Any]:
        calls.append("prepare")
        return {"amount": ctx.input["amount"]}

    @step(resume_schema=Approval, suspend_schema={"type": "object", "required": ["amount"]})
    def approve(ctx: StepContext) -> dict[str, Any]:
        calls.append("approve")
        if ctx.resume_data is None:
            ctx.suspend({"amount": ctx.input["amount"]})
        return {"amount": ctx.input["amount"], "approved": ctx.resume_data.approved}

    wf = Workflow("pay", input_schema={"type": "object", "required": ["amount"]}).then(prepare).then(approve)
    mastra.add_workflow(wf.commit())
    return wf


def test_a_suspended_run_resumes_without_repeating_finished_steps(mastra: Mastra) -> None:
    calls: list[str] = []
    wf = _approval_flow(mastra, calls)
    run = wf.create_run()
    first = run.start_sync({"amount": 5})
    assert (first.status, first.suspended, first.suspend_payload) == (
        "suspended",
        ["approve"],
        {"approve": {"amount": 5}},
    )
    assert mastra.storage.load_snapshot("pay", run.run_id)["status"] == "suspended"  # type: ignore[index]
    again = wf.create_run(run.run_id)
    assert again.status == "suspended"
    done = again.resume_sync(resume_data={"approved": True})
    assert (done.status, done.result) == ("success", {"amount": 5, "approved": True})
    assert calls == ["prepare", "approve", "approve"]
    assert done.steps["prepare"].attempts == 1 and done.steps["approve"].ended_at is not None


def test_resume_mistakes_are_clear_and_change_nothing(mastra: Mastra) -> None:
    wf = _approval_flow(mastra, [])
    run = wf.create_run()
    run.start_sync({"amount": 5})
    before = mastra.storage.load_snapshot("pay", run.run_id)
    with pytest.raises(WorkflowError, match=r"resume data of step 'approve' is invalid: field 'approved'"):
        run.resume_sync(resume_data={"approved": "maybe?"})
    with pytest.raises(WorkflowError, match="step 'prepare' is not suspended") as info:
        run.resume_sync(step="prepare", resume_data={"approved": True})
    assert info.value.code == "WORKFLOW_UNKNOWN_STEP"
    assert mastra.storage.load_snapshot("pay", run.run_id) == before
    run.resume_sync(step=wf.step("approve"), resume_data={"approved": False})
    with pytest.raises(WorkflowError, match="is 'success', not suspended"):
        run.resume_sync(resume_data={"approved": True})


def test_bad_workflow_input_fails_before_any_step_and_stores_nothing(mastra: Mastra) -> None:
    calls: list[str] = []
    wf = _approval_flow(mastra, calls)
    run = wf.create_run()
    with pytest.raises(WorkflowError, match="input of workflow 'pay' is invalid: field 'amount': required"):
        run.start_sync({"sum": 5})
    assert calls == [] and mastra.storage.load_snapshot("pay", run.run_id) is None


def test_a_run_starts_once(mastra: Mastra) -> None:
    wf = _approval_flow(mastra, [])
    run = wf.create_run()
    run.start_sync({"amount": 1})
    with pytest.raises(WorkflowError, match="already started"):
        run.start_sync({"amount": 1})


def test_a_finished_parallel_branch_stays_finished_while_its_sibling_is_suspended(mastra: Mastra) -> None:
    calls: list[str] = []

    def fast(ctx: StepContext) -> str:
        calls.append("fast")
        return "fast done"

    def gate(ctx: StepContext) -> str:
        calls.append("gate")
        if ctx.resume_data is None:
            ctx.suspend("waiting")
        return f"gate {ctx.resume_data}"

    wf = Workflow("fan").parallel([Step("fast", fast), Step("gate", gate)]).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    first = run.start_sync()
    assert first.status == "suspended"
    assert first.steps["fast"].status == "success"
    done = wf.create_run(run.run_id).resume_sync(resume_data="open")
    assert done.result == {"fast": "fast done", "gate": "gate open"}
    assert calls == ["fast", "gate", "gate"]


def test_two_suspended_steps_need_a_step_name_and_resume_one_at_a_time(mastra: Mastra) -> None:
    def wait(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend(ctx.step_id)
        return ctx.resume_data

    wf = Workflow("two").parallel([Step("left", wait), Step("right", wait)]).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    assert run.start_sync().suspended == ["left", "right"]
    with pytest.raises(WorkflowError, match=r"several suspended steps \(left, right\); pass step="):
        run.resume_sync(resume_data=1)
    half = run.resume_sync(step="left", resume_data=1)
    assert (half.status, half.suspended) == ("suspended", ["right"])
    assert run.resume_sync(resume_data=2).result == {"left": 1, "right": 2}


def test_a_suspended_foreach_item_resumes_while_finished_items_are_kept(mastra: Mastra) -> None:
    calls: list[int] = []

    def item(ctx: StepContext) -> int:
        calls.append(int(ctx.input))
        if ctx.input == 2 and ctx.resume_data is None:
            ctx.suspend({"item": 2})
        return int(ctx.input) + (ctx.resume_data or 0)

    wf = Workflow("items").foreach(Step("item", item), concurrency=2).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    first = run.start_sync([1, 2, 3])
    assert (first.status, first.suspend_payload) == ("suspended", {"item": {"item": 2}})
    done = run.resume_sync(resume_data=100)
    assert done.result == [1, 102, 3]
    assert sorted(calls) == [1, 2, 2, 3]


def test_a_loop_suspended_mid_way_continues_at_its_iteration(mastra: Mastra) -> None:
    def body(ctx: StepContext) -> int:
        if ctx.iteration == 2 and ctx.resume_data is None:
            ctx.suspend("halfway")
        return int(ctx.input) + 1

    wf = Workflow("loop").dountil(Step("body", body), lambda out, i: out >= 5).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    assert run.start_sync(0).status == "suspended"
    assert mastra.storage.load_snapshot("loop", run.run_id)["node"] == {"iteration": 2, "input": 2}  # type: ignore[index]
    assert run.resume_sync(resume_data=True).result == 5


def test_stream_yields_the_run_events_in_order_with_custom_ones(mastra: Mastra) -> None:
    def talk(ctx: StepContext) -> str:
        ctx.emit({"progress": 0.5})
        return "said"

    wf = Workflow("talk").then(Step("talk", talk)).commit()
    mastra.add_workflow(wf)
    events = list(wf.create_run().stream_sync("hi"))
    assert [(e.type, e.step) for e in events] == [
        ("workflow-start", None),
        ("step-start", "talk"),
        ("custom", "talk"),
        ("step-result", "talk"),
        ("workflow-finish", None),
    ]
    assert events[2].data == {"progress": 0.5}
    assert events[3].data.output == "said"
    assert events[-1].data.result == "said"


def test_watch_sees_suspension_and_can_stop(mastra: Mastra) -> None:
    seen: list[WorkflowEvent] = []
    wf = _approval_flow(mastra, [])
    run = wf.create_run()
    stop = run.watch(seen.append)
    run.start_sync({"amount": 3})
    assert ("step-suspended", "approve", {"amount": 3}) in [(e.type, e.step, e.data) for e in seen]
    stop()
    count = len(seen)
    run.resume_sync(resume_data={"approved": True})
    assert len(seen) == count


def test_cancel_interrupts_a_step_in_flight_and_stores_canceled(mastra: Mastra) -> None:
    _runtime.run_sync(_cancel_interrupts_a_step_in_flight_and_stores_canceled(mastra))


async def _cancel_interrupts_a_step_in_flight_and_stores_canceled(mastra: Mastra) -> None:
    started = asyncio.Event()

    async def forever(ctx: StepContext) -> None:
        started.set()
        await asyncio.Event().wait()

    wf = Workflow("stuck").then(Step("forever", forever)).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    task = asyncio.create_task(run.start())
    await started.wait()
    canceled = await run.cancel()
    assert canceled.status == "canceled"
    assert (await task).status == "canceled"
    stored = wf.get_run(run.run_id)
    assert stored is not None and stored.status == "canceled"
    assert stored.steps["forever"].status == "canceled"


def test_cancel_of_a_suspended_run_from_another_object(mastra: Mastra) -> None:
    wf = _approval_flow(mastra, [])
    run = wf.create_run()
    run.start_sync({"amount": 1})
    assert wf.create_run(run.run_id).cancel_sync().status == "canceled"
    with pytest.raises(WorkflowError, match="not suspended"):
        run.resume_sync(resume_data={"approved": True})


def test_runs_are_listed_from_storage(mastra: Mastra) -> None:
    wf = _approval_flow(mastra, [])
    a, b = wf.create_run("run-a"), wf.create_run("run-b")
    a.start_sync({"amount": 1})
    b.start_sync({"amount": 2})
    b.resume_sync(resume_data={"approved": True})
    assert [r.run_id for r in wf.list_runs()] == ["run-a", "run-b"]
    assert [r.run_id for r in wf.list_runs(status="suspended")] == ["run-a"]
    got = wf.get_run("run-b")
    assert got is not None and got.result == {"amount": 2, "approved": True}
    assert wf.get_run("nope") is None
    df = wf.runs_df()
    assert list(df["run_id"]) == ["run-a", "run-b"]
    assert list(df["status"]) == ["suspended", "success"]
    assert list(df["suspended"]) == ["approve", ""]
    assert repr(got) == "WorkflowResult(status='success', result={'amount': 2, 'approved': True})"


def test_registering_on_mastra_gives_steps_the_registry(mastra: Mastra) -> None:
    wf = Workflow("who").then(Step("who", lambda ctx: ctx.mastra is mastra and ctx.run_id == "r1")).commit()
    mastra.add_workflow(wf)
    assert wf.create_run("r1").start_sync().result is True


def test_a_second_resume_of_a_run_in_flight_is_refused(mastra: Mastra) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    async def gate(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend("approve?")
        entered.set()
        await release.wait()
        return ctx.resume_data

    wf = Workflow("busy").then(Step("gate", gate)).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    run.start_sync()

    async def both() -> tuple[Any, str]:
        winner = asyncio.create_task(wf.create_run(run.run_id).resume(resume_data="first"))
        await entered.wait()
        with pytest.raises(WorkflowError) as refused:
            await wf.create_run(run.run_id).resume(resume_data="second")
        release.set()
        return (await winner).result, refused.value.code

    assert _runtime.run_sync(both()) == ("first", "WORKFLOW_RUN_BUSY")


def test_the_snapshot_saved_mid_parallel_names_the_step_still_running(mastra: Mastra) -> None:
    release = asyncio.Event()
    seen: list[Any] = []

    async def slow(ctx: StepContext) -> str:
        await release.wait()
        return "slow"

    async def quick(ctx: StepContext) -> str:
        return "quick"

    wf = Workflow("mid").parallel([Step("slow", slow), Step("quick", quick)]).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()

    def on_event(event: WorkflowEvent) -> None:
        if event.type == "step-result" and event.step == "quick":
            asyncio.get_running_loop().call_soon(lambda: (seen.append(_stored()), release.set()))

    def _stored() -> Any:
        return mastra.storage.load_snapshot("mid", run.run_id)

    run.watch(on_event)
    assert run.start_sync().status == "success"
    assert seen[0]["active"] == ["slow"]
    assert seen[0]["steps"]["quick"]["status"] == "success"


def test_each_run_is_logged_with_its_workflow_run_id_and_status(
    mastra: Mastra, caplog: pytest.LogCaptureFixture
) -> None:
    wf = Workflow("logged").then(Step("boom", lambda ctx: 1 / 0)).commit()
    mastra.add_workflow(wf)
    with caplog.at_level("INFO", logger="mastra_lab"):
        run = wf.create_run()
        run.start_sync()
    (record,) = [r for r in caplog.records if "workflow" in getattr(r, "mastra", {})]
    assert record.levelname == "WARNING"
    assert "step 'boom' failed: ZeroDivisionError" in record.getMessage()
    fields = {"workflow": "logged", "run_id": run.run_id, "status": "failed"}
    assert record.mastra == fields  # type: ignore[attr-defined]


def test_resume_stream_yields_the_resumed_runs_events(mastra: Mastra) -> None:
    wf = _approval_flow(mastra, [])
    run = wf.create_run()
    run.start_sync({"amount": 3})
    events = list(wf.create_run(run.run_id).resume_stream_sync(resume_data={"approved": True}))
    assert [(e.type, e.step) for e in events] == [
        ("workflow-start", None),
        ("step-start", "approve"),
        ("step-result", "approve"),
        ("workflow-finish", None),
    ]
    assert events[-1].data.result == {"amount": 3, "approved": True}
    with pytest.raises(WorkflowError, match="is 'success', not suspended"):
        list(wf.create_run(run.run_id).resume_stream_sync(resume_data={"approved": True}))


def test_steps_df_lists_each_step_with_its_input_and_outcome(mastra: Mastra) -> None:
    wf = _approval_flow(mastra, [])
    result = wf.create_run().start_sync({"amount": 3})
    df = result.steps_df().set_index("step")
    assert df.loc["prepare", "status"] == "success"
    assert df.loc["prepare", "input"] == {"amount": 3}
    assert df.loc["approve", "suspend_payload"] == {"amount": 3}
    assert df.loc["prepare", "duration_s"] >= 0


def test_nodes_df_describes_the_shape() -> None:
    wf = Workflow("shape", input_schema={"type": "object", "properties": {"n": {"type": "integer"}}})
    wf.then(Step("a", lambda ctx: [1], resume_schema=Approval)).foreach(
        Step("b", lambda ctx: 1), concurrency=4
    )
    df = wf.sleep(1.5).commit().nodes_df()
    assert df[["kind", "key", "settings"]].values.tolist() == [
        ["step", "a", ""],
        ["foreach", "b", "concurrency 4"],
        ["sleep", "sleep:2", "1.5s"],
    ]
    assert df.loc[0, "schemas"] == "a: any → any, resume Approval"
