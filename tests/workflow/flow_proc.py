"""A workflow run in its own process: ``python flow_proc.py KIND DB LOG start|resume|restart RUN_ID [DATA]``.

KIND is ``duckdb`` or ``sqlite`` (DB a file) or ``postgres`` (DB a schema of the server whose DSN is in the
environment variable ``FLOW_PG_DSN``, so the password is not on the command line).

Each executed step appends its id to LOG, so the parent can tell which steps ran in which process. The
result is printed as one JSON line (``{"error": code}`` when the run refuses). Resumed with ``"hold"``, the
gate step waits until the file ``LOG.release`` exists, so a test can hold a run in flight.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from mastra_lab.errors import WorkflowError
from mastra_lab.mastra import Mastra
from mastra_lab.storage import DuckDBStore, PostgresStore, SQLiteStore, Storage
from mastra_lab.workflow import Step, StepContext, Workflow


def build(log: Path) -> Workflow:
    def logged(sid: str, fn: Any) -> Step:
        def run(ctx: StepContext) -> Any:
            with log.open("a") as f:
                f.write(sid + "\n")
            return fn(ctx)

        return Step(sid, run)

    def gate(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({"ask": "approve?"})
        if ctx.resume_data == "hold":
            import time

            with log.open("a") as f:
                f.write("holding\n")
            release = log.with_suffix(".release")
            while not release.exists():  # the parent creates it once it has seen "holding"
                time.sleep(0.02)
        return ctx.resume_data

    def hang(ctx: StepContext) -> Any:
        if ctx.get_init_data() == "hang" and log.read_text().split().count("hang") == 1:
            import time

            time.sleep(3600)  # the parent kills this process here
        return ctx.input

    wf = Workflow("proc").then(
        logged("prepare", lambda ctx: ctx.input + 1 if isinstance(ctx.input, int) else 1)
    )
    wf.parallel([logged("fast", lambda ctx: ctx.input * 10), logged("gate", gate)])
    wf.then(logged("hang", hang))
    wf.then(logged("finish", lambda ctx: {"fast": ctx.input["fast"], "gate": ctx.input["gate"]}))
    return wf.commit()


def main(kind: str, db: str, log: str, action: str, run_id: str, data: str = "null") -> None:
    store: Storage
    if kind == "postgres":
        store = PostgresStore(os.environ["FLOW_PG_DSN"], schema=db)
    else:
        store = DuckDBStore(db) if kind == "duckdb" else SQLiteStore(db)
    wf = build(Path(log))
    with Mastra(storage=store, workflows=[wf]):
        run = wf.create_run(run_id)
        try:
            if action == "start":
                result = run.start_sync(json.loads(data))
            elif action == "restart":
                result = run.restart_sync()
            else:
                result = run.resume_sync(resume_data=json.loads(data))
        except WorkflowError as exc:
            print(json.dumps({"error": exc.code}))
            return
    print(json.dumps({"status": result.status, "result": result.result, "suspended": result.suspended}))


if __name__ == "__main__":
    main(*sys.argv[1:])
