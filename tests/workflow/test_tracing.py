"""A workflow run as a trace: the exact span tree over parallel branches, a nested workflow, a loop and a
sleep, and the attributes every workflow span carries."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from mastra_lab.mastra import Mastra
from mastra_lab.storage import InMemoryStore
from mastra_lab.telemetry._span import Span
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer
from mastra_lab.workflow import Step, StepContext, Workflow


def tree(spans: list[Span]) -> Counter[tuple[str, str, str | None]]:
    """Every span as ``(name, kind, parent name)``; a multiset, since concurrent spans end in any order."""
    by_id = {s.span_id: s for s in spans}
    return Counter(
        (s.name, s.type, by_id[s.parent_span_id].name if s.parent_span_id else None) for s in spans
    )


@pytest.fixture
def spans() -> InMemoryExporter:
    return InMemoryExporter()


@pytest.fixture
def mastra(spans: InMemoryExporter) -> Iterator[Mastra]:
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([spans])) as m:
        yield m


def _branches() -> list[Step]:
    # Each branch waits for the other to start: they finish only when they really run concurrently.
    left_started, right_started = asyncio.Event(), asyncio.Event()

    async def left(ctx: StepContext) -> str:
        left_started.set()
        await asyncio.wait_for(right_started.wait(), 10)
        return "L"

    async def right(ctx: StepContext) -> str:
        right_started.set()
        await asyncio.wait_for(left_started.wait(), 10)
        return "R"

    return [Step("left", left), Step("right", right)]


def _inner() -> Workflow:
    inner = Workflow("inner").then(Step("double", lambda ctx: ctx.input * 2))
    return inner.then(Step("inc", lambda ctx: ctx.input + 1)).commit()


def test_parallel_branches_nested_workflow_loop_and_sleep_form_one_exact_tree(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    wf = Workflow("flow").then(Step("start", lambda ctx: 3)).parallel(_branches())
    wf.then(Step("pick", lambda ctx: len(ctx.input))).then(_inner())
    wf.dountil(Step("count", lambda ctx: ctx.input + 1), lambda out, i: out >= 7).sleep(0)
    mastra.add_workflow(wf.commit())

    result = wf.create_run().start_sync(None)

    assert (result.status, result.result) == ("success", 7)
    assert tree(spans.spans) == Counter(
        {
            ("workflow_run flow", "workflow_run", None): 1,
            ("workflow_step start", "workflow_step", "workflow_run flow"): 1,
            ("workflow_parallel parallel:1", "workflow_parallel", "workflow_run flow"): 1,
            ("workflow_step left", "workflow_step", "workflow_parallel parallel:1"): 1,
            ("workflow_step right", "workflow_step", "workflow_parallel parallel:1"): 1,
            ("workflow_step pick", "workflow_step", "workflow_run flow"): 1,
            ("workflow_step inner", "workflow_step", "workflow_run flow"): 1,
            ("workflow_step double", "workflow_step", "workflow_step inner"): 1,
            ("workflow_step inc", "workflow_step", "workflow_step inner"): 1,
            ("workflow_loop count", "workflow_loop", "workflow_run flow"): 1,
            ("workflow_step count", "workflow_step", "workflow_loop count"): 2,
            ("workflow_sleep sleep:5", "workflow_sleep", "workflow_run flow"): 1,
        }
    )


def test_every_workflow_span_names_its_workflow_run_and_node(mastra: Mastra, spans: InMemoryExporter) -> None:
    wf = Workflow("named").then(Step("a", lambda ctx: 1)).parallel(_branches()).then(_inner())
    mastra.add_workflow(wf.commit())
    run = wf.create_run()
    run.start_sync(None)

    by_name = {s.name: s for s in spans.spans}
    assert by_name["workflow_run named"].attributes == {
        "mastra.workflow": "named",
        "mastra.run_id": run.run_id,
        "mastra.status": "failed",  # the nested workflow gets a dict where it doubles a number
        "error.type": "WorkflowFailed",
    }
    assert by_name["workflow_parallel parallel:1"].attributes == {
        "mastra.workflow": "named",
        "mastra.run_id": run.run_id,
        "mastra.node": "parallel:1",
    }
    assert by_name["workflow_step a"].attributes == {
        "mastra.workflow": "named",
        "mastra.run_id": run.run_id,
        "mastra.node": "a",
        "mastra.step.status": "success",
        "mastra.attempt": 1,
    }
    failed = by_name["workflow_step double"]
    assert failed.attributes["mastra.workflow"] == "inner"
    assert failed.attributes["mastra.run_id"] == f"{run.run_id}/inner"
    assert failed.status == "error" and failed.attributes["error.type"] == "TypeError"
    assert "error.message" not in failed.attributes  # the message (maybe user data) stays in span.error
    assert by_name["workflow_step inner"].attributes["error.type"] == "StepFailed"


def test_a_retried_step_reports_the_attempt_it_succeeded_on(mastra: Mastra, spans: InMemoryExporter) -> None:
    tries: list[int] = []

    def flaky(ctx: StepContext) -> Any:
        tries.append(1)
        if len(tries) < 3:
            raise RuntimeError("not yet")
        return "ok"

    wf = Workflow("retry").then(Step("flaky", flaky, retries=2))
    mastra.add_workflow(wf.commit())
    assert wf.create_run().start_sync(None).status == "success"
    step_span = next(s for s in spans.spans if s.type == "workflow_step")
    assert step_span.attributes["mastra.attempt"] == 3
    assert step_span.status == "ok"
