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
    )
    snap = state.to_snapshot()
    assert json.loads(json.dumps(snap)) == snap
    assert snap["suspended"] == ["b"]
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
