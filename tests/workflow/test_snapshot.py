"""Snapshots are plain JSON that a new process can continue from."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mastra_lab.workflow.snapshot import RunState, StepResult

HERE = Path(__file__).parent


def test_a_run_state_survives_its_snapshot() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    state = RunState(
        "r1",
        "wf",
        status="suspended",
        input={"a": 1},
        state={"n": 2},
        position=2,
        node={"iteration": 3, "input": 4},
        steps={
            "a": StepResult("success", output={"x": 1}, started_at=t, ended_at=t, attempts=2),
            "b": StepResult("suspended", suspend_payload={"ask": "?"}, started_at=t, attempts=1),
            "c": StepResult("failed", error="ValueError: no", bailed=False),
            "d": StepResult("success", run={"workflow": "child", "status": "success", "steps": {}}),
        },
        created_at=t,
        state_at={"0": {}, "2": {"n": 2}},
        origin={"run_id": "r0", "step": "b"},
        inputs={"2": [1]},
    )
    snap = state.to_snapshot()
    assert json.loads(json.dumps(snap)) == snap
    assert (snap["suspended"], snap["active"]) == (["b"], [])
    assert RunState.from_snapshot("r1", snap) == state


def _argv(kind: str, db: Path, log: Path, action: str, run_id: str, data: Any) -> list[str]:
    script = str(HERE / "flow_proc.py")
    return [sys.executable, script, kind, str(db), str(log), action, run_id, json.dumps(data)]


def _env() -> dict[str, str]:
    """The test's environment (read when called, after the suite has cleaned it) with this worktree first."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]),
    }


def _proc(kind: str, db: Path, log: Path, action: str, run_id: str, data: Any) -> dict[str, Any]:
    argv = _argv(kind, db, log, action, run_id, data)
    out = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120)
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_a_run_suspended_in_one_process_resumes_in_another(kind: str, tmp_path: Path) -> None:
    db, log = tmp_path / f"runs.{kind}", tmp_path / "steps.log"
    first = _proc(kind, db, log, "start", "run-1", 1)
    assert first == {"status": "suspended", "result": None, "suspended": ["gate"]}
    assert sorted(log.read_text().split()) == ["fast", "gate", "prepare"]
    second = _proc(kind, db, log, "resume", "run-1", "yes")
    assert second == {"status": "success", "result": {"fast": 20, "gate": "yes"}, "suspended": []}
    assert log.read_text().split()[3:] == ["gate", "hang", "finish"]  # prepare and fast were not run again


@pytest.mark.parametrize("kind", ["duckdb", "sqlite"])
def test_a_run_killed_mid_step_restarts_in_a_new_process_without_repeating_finished_steps(
    kind: str, tmp_path: Path
) -> None:
    db, log = tmp_path / f"runs.{kind}", tmp_path / "steps.log"
    assert _proc(kind, db, log, "start", "run-k", "hang")["status"] == "suspended"
    victim = subprocess.Popen(_argv(kind, db, log, "resume", "run-k", "go"), env=_env())
    try:
        while "hang" not in log.read_text().split():  # the step is in flight; no clock involved
            if victim.poll() is not None:
                pytest.fail(f"the resuming process ended early with {victim.returncode}")
            time.sleep(0.05)
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
    restarted = _proc(kind, db, log, "restart", "run-k", None)
    assert restarted == {"status": "success", "result": {"fast": 10, "gate": "go"}, "suspended": []}
    ran = log.read_text().split()
    assert (ran[0], sorted(ran[1:3]), ran[3:]) == (
        "prepare",
        ["fast", "gate"],
        ["gate", "hang", "hang", "finish"],
    )


def test_restart_refuses_a_run_that_is_not_running(tmp_path: Path) -> None:
    from mastra_lab.errors import WorkflowError
    from mastra_lab.workflow import Step, Workflow

    wf = Workflow("r").then(Step("a", lambda ctx: 1)).commit()
    run = wf.create_run()
    run.start_sync()
    with pytest.raises(WorkflowError, match="is 'success', not running"):
        run.restart_sync()


def test_two_processes_resuming_one_run_at_once_one_wins(tmp_path: Path) -> None:
    """SQLite lets two processes write one file; the resume claim is atomic, so the second is refused."""
    db, log = tmp_path / "runs.sqlite", tmp_path / "steps.log"
    assert _proc("sqlite", db, log, "start", "run-c", 1)["status"] == "suspended"
    first = subprocess.Popen(
        _argv("sqlite", db, log, "resume", "run-c", "hold"), env=_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        while "holding" not in log.read_text().split():  # the first resume is in flight
            if first.poll() is not None:
                pytest.fail(f"the first resume ended early with {first.returncode}")
            time.sleep(0.02)
        assert _proc("sqlite", db, log, "resume", "run-c", "again") == {"error": "WORKFLOW_RUN_BUSY"}
        log.with_suffix(".release").touch()
        out, _ = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert json.loads(out.strip().splitlines()[-1])["result"] == {"fast": 20, "gate": "hold"}
    assert log.read_text().split().count("gate") == 2  # the refused resume ran nothing


def _stored(store: Any, wf: Any, run_id: str) -> str:
    return json.dumps(store.load_snapshot(wf.id, run_id))


def test_each_output_is_stored_once(tmp_path: Path) -> None:
    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import SQLiteStore
    from mastra_lab.workflow import Step, Workflow

    wf = Workflow("once").then(Step("a", lambda ctx: "out-of-a")).then(Step("b", lambda ctx: ["out-of-b"]))
    wf.parallel([Step("c", lambda ctx: "out-of-c"), Step("d", lambda ctx: "out-of-d")])
    wf.map(lambda ctx: [len(ctx.input["c"]), 2 * len(ctx.input["d"])])
    wf.foreach(Step("e", lambda ctx: f"item-{ctx.input}"), concurrency=4)
    with Mastra(storage=SQLiteStore(str(tmp_path / "r.sqlite")), workflows=[wf.commit()]) as m:
        run = wf.create_run()
        assert run.start_sync().result == ["item-8", "item-16"]
        stored = _stored(m.storage, wf, run.run_id)
        assert wf.get_run(run.run_id).result == ["item-8", "item-16"]  # type: ignore[union-attr]
    for marker in ("out-of-a", "out-of-b", "out-of-c", "out-of-d", "item-8", "item-16"):
        assert stored.count(marker) == 1, marker


def test_a_foreach_snapshot_grows_linearly_with_its_items() -> None:
    from mastra_lab.storage import InMemoryStore
    from mastra_lab.workflow import Step, Workflow

    async def double(ctx: Any) -> int:
        return int(ctx.input) * 2

    def size(n: int) -> int:
        store = InMemoryStore()
        wf = Workflow(f"fe{n}").foreach(Step("double", double), concurrency=16).commit()
        wf._storage = store
        run = wf.create_run()
        assert run.start_sync(list(range(n))).result == [2 * i for i in range(n)]
        return len(_stored(store, wf, run.run_id))

    small, large = size(500), size(1000)
    assert large < 2.2 * small  # ~ twice the items, ~ twice the bytes (the outputs are stored once)


def test_an_output_not_persisted_is_left_out_of_the_snapshot(tmp_path: Path) -> None:
    from mastra_lab.errors import WorkflowError
    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import SQLiteStore
    from mastra_lab.workflow import Step, Workflow

    def gate(ctx: Any) -> Any:
        if ctx.resume_data is None:
            ctx.suspend("ok?")
        return len(ctx.input)

    def build() -> Workflow:
        wf = Workflow("big").then(Step("load", lambda ctx: "secret-blob" * 100, persist_output=False))
        return wf.then(Step("gate", gate)).commit()

    db = str(tmp_path / "r.sqlite")
    with Mastra(storage=SQLiteStore(db), workflows=[build()]) as m:
        wf = m.get_workflow("big")
        run = wf.create_run()
        paused = run.start_sync()
        assert paused.steps["load"].output == "secret-blob" * 100  # still there in this process
        assert "secret-blob" not in _stored(m.storage, wf, run.run_id)
        assert run.resume_sync(resume_data=True).result == 1100
        later = wf.create_run()
        later.start_sync()
    with Mastra(storage=SQLiteStore(db), workflows=[build()]) as m:
        again = m.get_workflow("big").create_run(later.run_id)
        assert again.result.steps["load"].lost
        with pytest.raises(WorkflowError, match="output of step 'load' is not stored"):
            again.resume_sync(resume_data=True)
        assert m.get_workflow("big").get_run(later.run_id).status == "suspended"  # nothing changed


def test_a_nested_workflow_suspended_in_one_process_resumes_in_another(tmp_path: Path) -> None:
    db, log = tmp_path / "runs.duckdb", tmp_path / "steps.log"

    def proc(action: str) -> dict[str, Any]:
        argv = [sys.executable, str(HERE / "nested_proc.py"), str(db), str(log), action, "run-n"]
        out = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=120)
        assert out.returncode == 0, out.stderr
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    assert proc("start") == {"status": "suspended", "result": None, "suspended": ["review.ask"]}
    assert proc("resume") == {
        "status": "success",
        "result": {"review": "Big News (approved)", "count": 8},
        "suspended": [],
    }
    ran = log.read_text().split()
    assert ran[0] == "write" and sorted(ran[1:4]) == ["ask", "count", "polish"]
    assert ran[4:] == ["ask"]  # only the suspended nested step ran in the second process


def test_a_snapshot_carries_its_json_and_reuses_the_parts_of_finished_steps() -> None:
    from mastra_lab.storage.records import EncodedJSON

    t = datetime(2026, 1, 2, tzinfo=UTC)
    done = StepResult("success", output={"é": [1, 2.5, None]}, started_at=t, ended_at=t)
    state = RunState("r1", "wf", status="running", input="x", steps={"a": done})
    first = state.to_snapshot()
    assert isinstance(first, EncodedJSON) and json.loads(first.text) == first
    state.steps["b"] = StepResult("running", started_at=t)
    second = state.to_snapshot()
    assert isinstance(second, EncodedJSON) and json.loads(second.text) == second
    assert done.to_json() is done.to_json()  # encoded once


def test_a_snapshot_that_is_not_plain_json_is_left_to_storage_to_refuse() -> None:
    from mastra_lab.errors import StorageError
    from mastra_lab.storage import InMemoryStore
    from mastra_lab.storage.records import EncodedJSON

    state = RunState("r1", "wf", steps={"a": StepResult("success", output={1: "int key"})})
    snap = state.to_snapshot()
    assert not isinstance(snap, EncodedJSON)
    with pytest.raises(StorageError, match="use string keys"):
        InMemoryStore().save_snapshot("wf", "r1", snap)
