"""A workflow with a nested one, run in its own process: ``python nested_proc.py DB LOG start|resume ID``.

Steps append their ids to LOG; the result is printed as one JSON line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mastra_lab.mastra import Mastra
from mastra_lab.storage import DuckDBStore
from mastra_lab.workflow import Step, StepContext, Workflow


def build(log: Path) -> Workflow:
    def logged(sid: str, fn: Any) -> Step:
        def run(ctx: StepContext) -> Any:
            with log.open("a") as f:
                f.write(sid + "\n")
            return fn(ctx)

        return Step(sid, run)

    def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({"draft": ctx.input})
        return f"{ctx.input} ({ctx.resume_data})"

    child = Workflow("review").then(logged("polish", lambda ctx: ctx.input.title())).then(logged("ask", ask))
    wf = Workflow("publish").then(logged("write", lambda ctx: f"{ctx.input} news"))
    wf.parallel([child.commit(), logged("count", lambda ctx: len(ctx.input))])
    return wf.commit()


def main(db: str, log: str, action: str, run_id: str) -> None:
    wf = build(Path(log))
    with Mastra(storage=DuckDBStore(db), workflows=[wf]):
        run = wf.create_run(run_id)
        result = run.start_sync("big") if action == "start" else run.resume_sync("review.ask", "approved")
    print(json.dumps({"status": result.status, "result": result.result, "suspended": result.suspended}))


if __name__ == "__main__":
    main(*sys.argv[1:])
