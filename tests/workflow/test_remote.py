"""foreach(step, executor="ray"): items run in Ray workers, the run's bookkeeping stays in the driver."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from mastra_lab import Mastra
from mastra_lab.errors import WorkflowError
from mastra_lab.storage import DuckDBStore, InMemoryStore
from mastra_lab.workflow import Step, StepContext, Workflow, WorkflowEvent


def _square(ctx: StepContext) -> dict[str, int]:
    ctx.emit({"item": ctx.input})
    return {"square": ctx.input * ctx.input, "pid": os.getpid(), "first": ctx.get_step_result("source")[0]}


def _approve_odd(ctx: StepContext) -> dict[str, Any]:
    if ctx.input % 2 and ctx.resume_data is None:
        ctx.suspend({"item": ctx.input})
    return {"item": ctx.input, "resumed_with": ctx.resume_data, "pid": os.getpid()}


def _fail_on_three(ctx: StepContext) -> int:
    if ctx.input == 3:
        raise ValueError("three")
    return int(ctx.input)


def _source(ctx: StepContext) -> list[int]:
    return [1, 2, 3, 4]


def _squares() -> Workflow:
    return (
        Workflow("squares")
        .then(Step("source", _source))
        .foreach(Step("square", _square), concurrency=2, executor="ray")
        .commit()
    )


def _approvals() -> Workflow:
    return (
        Workflow("approvals")
        .then(Step("source", _source))
        .foreach(Step("approve", _approve_odd), concurrency=4, executor="ray")
        .commit()
    )


def test_items_run_in_worker_processes_and_the_results_events_and_snapshot_stay_in_the_driver(
    ray_cluster: Any,
) -> None:
    wf = _squares()
    with Mastra(storage=InMemoryStore(), workflows=[wf]) as m:
        run = wf.create_run()
        events: list[WorkflowEvent] = []
        run.watch(events.append)
        result = run.start_sync(None)
        assert result.status == "success"
        assert [r["square"] for r in result.result] == [1, 4, 9, 16]
        assert all(r["first"] == 1 for r in result.result)
        assert os.getpid() not in {r["pid"] for r in result.result}
        custom = sorted(e.data["item"] for e in events if e.type == "custom")
        assert custom == [1, 2, 3, 4]
        stored = m.storage.load_snapshot("squares", run.run_id)
        assert stored is not None and stored["status"] == "success"
        assert wf.get_run(run.run_id).result == result.result


def test_a_suspended_item_is_resumed_from_another_workflow_object_and_only_it_runs_again(
    ray_cluster: Any, tmp_path: Path
) -> None:
    path = tmp_path / "runs.duckdb"
    first = _approvals()
    with Mastra(storage=DuckDBStore(path), workflows=[first]) as m:
        started = first.create_run().start_sync(None)
        snapshot = m.storage.load_snapshot("approvals", started.run_id)
    assert started.status == "suspended"
    assert snapshot is not None
    assert sorted(snapshot["node"]["done"]) == ["1", "3"]  # items 2 and 4 (indexes 1, 3) finished
    assert sorted(snapshot["node"]["suspended"]) == ["0", "2"]

    again = _approvals()  # as a new process builds it, over the same database file
    with Mastra(storage=DuckDBStore(path), workflows=[again]):
        resumed = again.create_run(started.run_id).resume_sync("approve", {"ok": True})
    assert resumed.status == "success"
    assert [r["resumed_with"] for r in resumed.result] == [{"ok": True}, None, {"ok": True}, None]
    assert [r["item"] for r in resumed.result] == [1, 2, 3, 4]


def test_a_failing_item_fails_the_run_naming_the_item(ray_cluster: Any) -> None:
    wf = (
        Workflow("fails")
        .then(Step("source", _source))
        .foreach(Step("check", _fail_on_three), executor="ray")
        .commit()
    )
    result = wf.create_run().start_sync(None)
    assert result.status == "failed"
    assert result.error == "step 'check' failed on item 2: ValueError: three"


def test_a_step_that_cannot_be_sent_to_ray_is_refused_when_the_workflow_is_built() -> None:
    conn = threading.Lock()

    def uses_lock(ctx: StepContext) -> int:
        with conn:
            return 1

    with pytest.raises(WorkflowError) as info:
        Workflow("lock").then(Step("source", _source)).foreach(Step("locked", uses_lock), executor="ray")
    assert info.value.code == "NOT_PICKLABLE"
    assert info.value.message.startswith("step 'locked'.execute (variable 'conn' of ")
    assert "a lock cannot be pickled" in info.value.message


def test_foreach_executor_must_be_local_or_ray() -> None:
    with pytest.raises(WorkflowError, match="foreach\\(\\): executor must be 'local' or 'ray', got 'dask'"):
        Workflow("x").foreach(Step("s", _source), executor="dask")  # type: ignore[arg-type]


def test_the_nodes_listing_says_a_foreach_runs_on_ray() -> None:
    settings = _squares().nodes_df()["settings"].tolist()
    assert settings[1] == "concurrency 2, on Ray"
