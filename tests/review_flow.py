"""The review workflow of the panel tests, also runnable in its own process.

``python tests/review_flow.py KIND DB RUN_ID TITLE [SCHEMA]`` starts run RUN_ID on a DuckDB or SQLite file
(KIND ``duckdb``, ``sqlite``) or a PostgreSQL DSN and schema (KIND ``postgres``) and prints its status as one
JSON line; the run suspends at ``review``, so a test can resume it from a panel opened afterwards over the
same database, as a user does after restarting the kernel or on another machine.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

import pydantic

from mastra_lab.mastra import Mastra
from mastra_lab.storage import DuckDBStore, PostgresStore, SQLiteStore, Storage
from mastra_lab.workflow import StepContext, Workflow, step

__all__ = ["Review", "build"]


class Review(pydantic.BaseModel):
    """What a reviewer sends back."""

    approved: bool
    reviewer: str = pydantic.Field(min_length=2)
    level: Literal["low", "high"] = "low"
    budget: int = pydantic.Field(ge=0)
    tags: list[str] = []


def build() -> Workflow:
    """draft → review (suspends for a :class:`Review`) → publish."""

    @step
    def draft(ctx: StepContext) -> dict[str, Any]:
        return {"title": ctx.input["title"], "words": len(ctx.input["title"].split())}

    @step(resume_schema=Review)
    def review(ctx: StepContext) -> dict[str, Any]:
        if ctx.resume_data is None:
            ctx.suspend({"title": ctx.input["title"], "ask": "approve this draft?"})
        return {**ctx.input, **ctx.resume_data.model_dump()}

    @step
    def publish(ctx: StepContext) -> dict[str, Any]:
        return {"published": ctx.input["approved"], "by": ctx.input["reviewer"], "tags": ctx.input["tags"]}

    wf = Workflow("review", input_schema={"type": "object", "required": ["title"]})
    return wf.then(draft).then(review).then(publish).commit()


def main(kind: str, db: str, run_id: str, title: str, schema: str = "public") -> None:
    store: Storage
    if kind == "postgres":
        store = PostgresStore(db, schema=schema)
    else:
        store = DuckDBStore(db) if kind == "duckdb" else SQLiteStore(db)
    wf = build()
    with Mastra(storage=store, workflows=[wf]):
        result = wf.create_run(run_id).start_sync({"title": title})
    print(json.dumps({"status": result.status, "suspended": result.suspended}))


if __name__ == "__main__":
    main(*sys.argv[1:])
