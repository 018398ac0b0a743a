"""``open_span``: how a service joins the trace it runs in without importing the tracer."""

from __future__ import annotations

from mastra_lab.telemetry import InMemoryExporter, Tracer
from mastra_lab.telemetry._context import open_span


def test_inside_a_trace_the_span_is_a_child_opened_by_the_traces_own_tracer() -> None:
    theirs, ours = InMemoryExporter(), InMemoryExporter()
    with (
        Tracer([theirs]).span("invoke_agent support", "agent_run") as root,
        open_span("vector_query docs", "vector_query", tracer=Tracer([ours])) as child,
    ):
        child.set_attribute("mastra.vector.results", 3)
    assert [s.name for s in theirs.spans] == ["vector_query docs", "invoke_agent support"]
    assert (child.trace_id, child.parent_span_id) == (root.trace_id, root.span_id)
    assert ours.spans == []


def test_outside_a_trace_the_given_tracer_opens_a_root() -> None:
    exporter = InMemoryExporter()
    with open_span(
        "embeddings hashing", "embedding", tracer=Tracer([exporter], capture_content=True), input=["a"]
    ) as span:
        pass
    assert exporter.spans == [span]
    assert (span.parent_span_id, span.type, span.input) == (None, "embedding", ["a"])


def test_with_no_trace_and_no_tracer_the_span_records_nothing() -> None:
    with open_span("vector_query docs", "vector_query") as span:
        span.set_attribute("mastra.vector.results", 3)
        span.add_event("log", {"message": "hi"})
    assert (span.recording, span.attributes, span.events) == (False, {}, [])


def test_a_failed_span_names_the_error_type() -> None:
    exporter = InMemoryExporter()
    try:
        with Tracer([exporter]).span("execute_tool add", "tool_call"):
            raise KeyError("x")
    except KeyError:
        pass
    assert exporter.spans[0].attributes["error.type"] == "KeyError"
