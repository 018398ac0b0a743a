"""Time travel: a new run from a chosen step, with the stored results of the steps before it."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_lab.errors import WorkflowError
from mastra_lab.mastra import Mastra
from mastra_lab.workflow import Step, StepContext, Workflow


def _pipeline(mastra: Mastra, calls: list[str]) -> Workflow:
    def logged(sid: str, fn: Any, **options: Any) -> Step:
        def run(ctx: StepContext) -> Any:
            calls.append(sid)
            return fn(ctx)

        return Step(sid, run, **options)

    def count(ctx: StepContext) -> int:
        ctx.set_state({"fetched": len(ctx.input)})
        return len(ctx.input)

    wf = Workflow("report").then(logged("fetch", lambda ctx: ["a", "b", "c"]))
    wf.then(logged("count", count))
    wf.then(logged("render", lambda ctx: f"{ctx.input} rows (state {ctx.state['fetched']})"))
    mastra.add_workflow(wf.commit())
    return wf


def test_time_travel_reruns_from_a_step_with_the_stored_results_before_it(mastra: Mastra) -> None:
    calls: list[str] = []
    wf = _pipeline(mastra, calls)
    run = wf.create_run()
    assert run.start_sync().result == "3 rows (state 3)"
    calls.clear()
    again = run.time_travel_sync("render")
    assert (again.status, again.result) == ("success", "3 rows (state 3)")
    assert calls == ["render"]  # fetch and count, and their side effects, were not repeated
    assert again.run_id != run.run_id
    assert again.origin == {"run_id": run.run_id, "step": "render"}
    assert again.steps["fetch"].output == ["a", "b", "c"]
    assert wf.get_run(run.run_id).result == "3 rows (state 3)"  # type: ignore[union-attr]
    assert wf.runs_df().set_index("run_id").loc[again.run_id, "origin"] == run.run_id


def test_time_travel_with_new_input_sees_the_state_as_it_was_before_the_step(mastra: Mastra) -> None:
    calls: list[str] = []
    wf = _pipeline(mastra, calls)
    run = wf.create_run()
    run.start_sync()
    calls.clear()
    again = run.time_travel_sync("count", input_data=["x"])
    assert again.result == "1 rows (state 1)"
    assert again.inputs == {"fetch": None, "count": ["x"], "render": 1}
    assert calls == ["count", "render"]


def test_time_travel_in_a_parallel_keeps_the_siblings_that_succeeded(mastra: Mastra) -> None:
    calls: list[str] = []

    def sibling(sid: str, value: int) -> Step:
        def run(ctx: StepContext) -> int:
            calls.append(sid)
            return value + int(ctx.input)

        return Step(sid, run)

    wf = Workflow("par").parallel([sibling("a", 1), sibling("b", 2)]).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    run.start_sync(10)
    calls.clear()
    assert run.time_travel_sync("b", input_data=100).result == {"a": 11, "b": 102}
    assert calls == ["b"]


def test_time_travel_can_answer_a_suspended_step(mastra: Mastra) -> None:
    def gate(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend("approve?")
        return ctx.resume_data["ok"]

    wf = Workflow("g").then(Step("gate", gate, resume_schema={"type": "object", "required": ["ok"]})).commit()
    mastra.add_workflow(wf)
    run = wf.create_run()
    run.start_sync(1)
    assert run.time_travel_sync("gate", resume_data={"ok": "yes"}).result == "yes"
    with pytest.raises(WorkflowError, match="resume data of step 'gate' is invalid"):
        run.time_travel_sync("gate", resume_data={})


def test_time_travel_refuses_unknown_steps_and_runs_that_never_started(mastra: Mastra) -> None:
    wf = _pipeline(mastra, [])
    run = wf.create_run()
    with pytest.raises(WorkflowError, match="never started"):
        run.time_travel_sync("count")
    run.start_sync()
    before = len(wf.list_runs())
    with pytest.raises(WorkflowError, match=r"has no top-level step 'ghost'.*fetch, count, render"):
        run.time_travel_sync("ghost")
    assert len(wf.list_runs()) == before  # nothing was stored
