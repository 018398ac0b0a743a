"""Control flow, concurrency and retries, all through the one step executor."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mastra_lab import _runtime
from mastra_lab.errors import WorkflowError
from mastra_lab.workflow import Step, StepContext, StepResult, Workflow, step
from mastra_lab.workflow.engine import execute_step


def _run(wf: Workflow, value: Any = None) -> Any:
    return wf.commit().create_run().start_sync(value)


def test_parallel_steps_really_overlap() -> None:
    _runtime.run_sync(_parallel_steps_really_overlap())


async def _parallel_steps_really_overlap() -> None:
    """Each step waits for the other's event: only concurrent execution can finish."""
    a_ready, b_ready = asyncio.Event(), asyncio.Event()

    async def a(ctx: StepContext) -> str:
        a_ready.set()
        await b_ready.wait()
        return "a"

    async def b(ctx: StepContext) -> str:
        b_ready.set()
        await a_ready.wait()
        return "b"

    wf = Workflow("par").parallel([Step("a", a), Step("b", b)]).commit()
    result = await asyncio.wait_for(wf.create_run().start(None), timeout=30)
    assert result.status == "success"
    assert result.result == {"a": "a", "b": "b"}


def test_foreach_keeps_order_and_runs_up_to_concurrency_items_at_once() -> None:
    _runtime.run_sync(_foreach_keeps_order_and_runs_up_to_concurrency_items_at_once())


async def _foreach_keeps_order_and_runs_up_to_concurrency_items_at_once() -> None:
    in_flight, peak = 0, 0
    all_started = asyncio.Event()

    async def work(ctx: StepContext) -> int:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        if in_flight == 3:
            all_started.set()
        await all_started.wait()  # nobody finishes until three are running together
        in_flight -= 1
        return int(ctx.input) * 10

    wf = Workflow("each").foreach(Step("work", work), concurrency=3).commit()
    result = await asyncio.wait_for(wf.create_run().start([3, 1, 2, 5, 4, 6]), timeout=30)
    assert result.status == "success"
    assert result.result == [30, 10, 20, 50, 40, 60]
    assert peak == 3


def test_foreach_over_a_non_list_fails_clearly() -> None:
    result = _run(Workflow("nl").foreach(Step("w", lambda ctx: ctx.input)), {"a": 1})
    assert result.status == "failed"
    assert "foreach 'w' needs a list from the previous step, got dict" in (result.error or "")
    with pytest.raises(WorkflowError, match="failed: foreach 'w' needs a list") as failed:
        result.raise_for_status()
    assert failed.value.code == "WORKFLOW_FAILED"


def test_a_run_that_succeeds_passes_raise_for_status() -> None:
    result = _run(Workflow("ok").then(Step("w", lambda ctx: 2)), None)
    assert result.raise_for_status() is result


def test_then_chains_outputs_and_map_reshapes_with_earlier_results() -> None:
    @step
    def first(ctx: StepContext) -> int:
        return int(ctx.input) + 1

    @step
    def second(ctx: StepContext) -> int:
        return int(ctx.input) * 3

    wf = Workflow("chain").then(first).then(second)
    wf.map(
        lambda ctx: {"first": ctx.get_step_result("first"), "last": ctx.input, "init": ctx.get_init_data()}
    )
    result = _run(wf, 1)
    assert result.result == {"first": 2, "last": 6, "init": 1}


def test_every_true_branch_runs_and_the_output_is_keyed_by_step() -> None:
    wf = Workflow("br").branch(
        [
            (lambda x: x > 0, Step("positive", lambda ctx: "pos")),
            (lambda x: x > 10, Step("big", lambda ctx: "big")),
            (lambda x: x < 0, Step("negative", lambda ctx: "neg")),
        ]
    )
    result = _run(wf, 20)
    assert result.result == {"positive": "pos", "big": "big"}
    assert "negative" not in result.steps


def test_an_async_condition_is_awaited() -> None:
    _runtime.run_sync(_an_async_condition_is_awaited())


async def _an_async_condition_is_awaited() -> None:
    async def yes(x: Any) -> bool:
        return True

    wf = Workflow("abr").branch([(yes, Step("s", lambda ctx: 1))]).commit()
    assert (await wf.create_run().start(0)).result == {"s": 1}


def test_a_condition_that_raises_fails_the_run_naming_it() -> None:
    wf = Workflow("boom").branch([(lambda x: 1 / 0, Step("s", lambda ctx: 1))])
    result = _run(wf, 0)
    assert result.status == "failed"
    assert "condition 0 of branch 's' (step 's') raised ZeroDivisionError" in (result.error or "")


def test_dowhile_and_dountil_see_the_output_and_the_iteration() -> None:
    seen: list[tuple[int, int]] = []

    def cond(out: int, i: int) -> bool:
        seen.append((out, i))
        return out < 4

    result = _run(Workflow("dw").dowhile(Step("inc", lambda ctx: ctx.input + 1), cond), 0)
    assert result.result == 4
    assert seen == [(1, 0), (2, 1), (3, 2), (4, 3)]
    until = _run(Workflow("du").dountil(Step("dbl", lambda ctx: ctx.input * 2), lambda out, i: out >= 16), 1)
    assert until.result == 16


def test_the_loop_step_sees_its_iteration() -> None:
    iterations: list[int | None] = []

    def body(ctx: StepContext) -> int:
        iterations.append(ctx.iteration)
        return int(ctx.input) + 1

    _run(Workflow("it").dountil(Step("body", body), lambda out, i: i == 2), 0)
    assert iterations == [0, 1, 2]


def test_a_loop_condition_that_raises_fails_the_run() -> None:
    result = _run(Workflow("lr").dowhile(Step("s", lambda ctx: 1), lambda out, i: {"y": 1}["x"]), 0)
    assert result.status == "failed"
    assert "condition of dowhile 's' (iteration 0) raised KeyError" in (result.error or "")


def test_step_retries_then_success_counts_attempts() -> None:
    calls = 0

    def flaky(ctx: StepContext) -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RuntimeError(f"try {calls}")
        return "ok"

    result = _run(Workflow("retry").then(Step("flaky", flaky, retries=2)))
    assert result.status == "success"
    assert result.steps["flaky"].attempts == 3


def test_exhausted_workflow_retries_fail_the_run_with_the_steps_error() -> None:
    def broken(ctx: StepContext) -> None:
        raise RuntimeError("disk on fire")

    wf = Workflow("wr", retry={"attempts": 2, "delay": 0}).then(Step("broken", broken))
    result = _run(wf)
    assert result.status == "failed"
    assert result.error == "step 'broken' failed: RuntimeError: disk on fire"
    assert result.steps["broken"].attempts == 3
    assert result.steps["broken"].error == "RuntimeError: disk on fire"


def test_bail_ends_the_run_successfully_with_its_result() -> None:
    wf = Workflow("bail").then(Step("stop", lambda ctx: ctx.bail({"early": True})))
    wf.then(Step("never", lambda ctx: pytest.fail("ran after bail")))
    result = _run(wf)
    assert (result.status, result.result) == ("success", {"early": True})
    assert "never" not in result.steps


def test_state_is_shared_validated_and_returned() -> None:
    def count(ctx: StepContext) -> None:
        ctx.set_state({**ctx.state, "n": ctx.state["n"] + 1})

    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    wf = Workflow("st", state_schema=schema).then(Step("a", count)).then(Step("b", count)).commit()
    result = wf.create_run().start_sync(None, initial_state={"n": 0})
    assert result.state == {"n": 2}
    bad = Workflow("st2", state_schema=schema).then(Step("a", lambda ctx: ctx.set_state({"n": "x"}))).commit()
    failed = bad.create_run().start_sync(None, initial_state={"n": 0})
    assert "state set by step 'a' is invalid: field 'n'" in (failed.error or "")


def test_sleeps_pass_the_input_through() -> None:
    from datetime import UTC, datetime

    result = _run(Workflow("zz").sleep(0).sleep_until(datetime(2000, 1, 1, tzinfo=UTC)), {"x": 1})
    assert result.result == {"x": 1}


def test_get_step_result_of_an_unknown_step_is_an_error() -> None:
    result = _run(Workflow("gsr").then(Step("a", lambda ctx: ctx.get_step_result("nope"))))
    assert "no step 'nope' in this workflow" in (result.error or "")


def test_execute_step_is_the_one_pluggable_executor() -> None:
    _runtime.run_sync(_execute_step_is_the_one_pluggable_executor())


async def _execute_step_is_the_one_pluggable_executor() -> None:
    from mastra_lab.workflow.snapshot import RunState

    s = Step("x", lambda ctx: ctx.input * 2)
    ctx = StepContext(s, 21, RunState("r", "w"))
    result = await execute_step(s, ctx, 1, 0.0)
    assert isinstance(result, StepResult)
    assert (result.status, result.output, result.attempts) == ("success", 42, 1)


def test_a_workflow_can_hand_every_step_to_another_executor() -> None:
    seen: list[str] = []

    async def recording(s: Step, ctx: StepContext, attempts: int, delay: float) -> StepResult:
        seen.append(s.id)
        return await execute_step(s, ctx, attempts, delay)

    wf = Workflow("exec", executor=recording).then(Step("a", lambda ctx: 1))
    wf.parallel([Step("b", lambda ctx: 2), Step("c", lambda ctx: 3)])
    result = _run(wf.map(lambda ctx: [1, 2]).foreach(Step("d", lambda ctx: ctx.input)))
    assert result.status == "success"
    assert sorted(seen) == ["a", "b", "c", "d", "d", "map-2"]


def test_each_run_is_one_trace_with_run_step_parallel_loop_and_sleep_spans() -> None:
    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import InMemoryStore
    from mastra_lab.telemetry.exporters import InMemoryExporter
    from mastra_lab.telemetry.tracer import Tracer

    spans = InMemoryExporter()

    def wait(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend("x")
        return 1

    wf = (
        Workflow("traced")
        .then(Step("a", lambda ctx: 1))
        .parallel([Step("b", lambda ctx: 2), Step("c", wait)])
    )
    wf.dountil(Step("d", lambda ctx: 3), lambda out, i: True).sleep(0)
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([spans]), workflows=[wf.commit()]):
        run = wf.create_run()
        assert run.start_sync().status == "suspended"
        first = list(spans.spans)
        assert run.resume_sync(resume_data=True).status == "success"
    kinds = [s.type for s in first]
    assert sorted(kinds) == sorted(["workflow_step"] * 3 + ["workflow_parallel", "workflow_run"])
    assert len({s.trace_id for s in first}) == 1
    parallel = next(s for s in first if s.type == "workflow_parallel")
    assert parallel.status == "ok" and parallel.attributes["mastra.halt"] == "suspended"
    later = [s.type for s in spans.spans[len(first) :]]
    assert {"workflow_loop", "workflow_sleep", "workflow_run"} <= set(later)
    step_c = [s for s in spans.spans if s.name == "workflow_step c"]
    assert [s.attributes["mastra.step.status"] for s in step_c] == ["suspended", "success"]


def test_a_failing_parallel_step_cancels_its_siblings_and_fails_the_run() -> None:
    _runtime.run_sync(_a_failing_parallel_step_cancels_its_siblings_and_fails_the_run())


async def _a_failing_parallel_step_cancels_its_siblings_and_fails_the_run() -> None:
    sibling_started = asyncio.Event()

    async def waits_forever(ctx: StepContext) -> None:
        sibling_started.set()
        await asyncio.Event().wait()

    async def fails(ctx: StepContext) -> None:
        await sibling_started.wait()
        raise ValueError("bad input")

    wf = Workflow("ff").parallel([Step("slow", waits_forever), Step("bad", fails)]).commit()
    result = await asyncio.wait_for(wf.create_run().start(None), timeout=30)
    assert result.status == "failed"
    assert result.error == "step 'bad' failed: ValueError: bad input"
    assert result.steps["slow"].status == "canceled"


def test_a_blocking_sync_step_does_not_stall_its_async_sibling() -> None:
    """Sync steps run in a worker thread: the async sibling releases the blocked one."""
    import threading

    released = threading.Event()

    def blocking(ctx: StepContext) -> str:
        return "released" if released.wait(timeout=30) else "stalled"

    async def releaser(ctx: StepContext) -> str:
        released.set()
        return "set"

    result = _run(Workflow("th").parallel([Step("blocking", blocking), Step("releaser", releaser)]), None)
    assert result.result == {"blocking": "released", "releaser": "set"}


def test_custom_events_from_a_sync_step_reach_the_stream_in_order() -> None:
    def chatty(ctx: StepContext) -> int:
        for i in range(3):
            ctx.emit({"progress": i})
        return 3

    wf = Workflow("chat").then(Step("chatty", chatty)).commit()
    events = [(e.type, e.data) for e in wf.create_run().stream_sync()]
    custom = [data for kind, data in events if kind == "custom"]
    assert custom == [{"progress": 0}, {"progress": 1}, {"progress": 2}]
    assert [k for k, _ in events].index("custom") < [k for k, _ in events].index("step-result")
