"""Snapshots are plain JSON that a new process can continue from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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
        last_output=[1, 2],
        node={"iteration": 3, "input": 4},
        steps={
            "a": StepResult("success", output={"x": 1}, started_at=t, ended_at=t, attempts=2),
            "b": StepResult("suspended", suspend_payload={"ask": "?"}, started_at=t, attempts=1),
            "c": StepResult("failed", error="ValueError: no", bailed=False),
        },
        created_at=t,
    )
    snap = state.to_snapshot()
    assert json.loads(json.dumps(snap)) == snap
    assert snap["suspended"] == ["b"]
    assert RunState.from_snapshot("r1", snap) == state


def _proc(kind: str, db: Path, log: Path, action: str, run_id: str, data: Any) -> dict[str, Any]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [
            sys.executable,
            str(HERE / "flow_proc.py"),
            kind,
            str(db),
            str(log),
            action,
            run_id,
            json.dumps(data),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
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
    assert log.read_text().split()[3:] == ["gate", "finish"]  # prepare and fast were not run again
