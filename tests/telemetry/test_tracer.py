from __future__ import annotations

import asyncio
import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from mastra_lab._secret import Secret
from mastra_lab.errors import ToolError
from mastra_lab.telemetry import ConsoleExporter, InMemoryExporter, Span, Tracer, current_span


def _tracer() -> tuple[Tracer, InMemoryExporter]:
    exporter = InMemoryExporter()
    ids = (f"id{i}" for i in itertools.count())
    ticks = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=10 * i) for i in itertools.count())
    return Tracer([exporter], id_factory=lambda: next(ids), clock=lambda: next(ticks)), exporter


def test_nested_spans_share_the_trace_and_point_to_their_parent() -> None:
    tracer, exported = _tracer()
    with tracer.span("agent.generate", "agent_run", input={"prompt": "hi"}) as root:
        with tracer.span("llm.request", "llm_generation") as child:
            assert current_span() is child
        assert current_span() is root
    assert current_span() is None
    assert child.trace_id == root.trace_id == "id0"
    assert (root.parent_span_id, child.parent_span_id) == (None, root.span_id)
    assert [s.name for s in exported.spans] == ["llm.request", "agent.generate"]  # children end first


def test_span_records_times_output_and_attributes() -> None:
    tracer, exported = _tracer()
    with tracer.span("tool:add", "tool_call", attributes={"x": 1}) as span:
        span.set_output(3)
        span.set_attribute("y", 2)
    (done,) = exported.spans
    assert (done.output, done.attributes, done.status) == (3, {"x": 1, "y": 2}, "ok")
    assert done.duration_ms == pytest.approx(10.0)


def test_an_exception_is_recorded_and_reraised() -> None:
    tracer, exported = _tracer()
    with pytest.raises(ToolError), tracer.span("tool:fail", "tool_call"):
        raise ToolError("bad argument 'x'", code="TOOL_BAD")
    (span,) = exported.spans
    assert span.status == "error"
    assert span.error is not None
    assert (span.error["type"], span.error["code"]) == ("ToolError", "TOOL_BAD")


async def test_nesting_survives_await_and_gather() -> None:
    tracer, exported = _tracer()

    async def child(name: str) -> str | None:
        with tracer.span(name, "workflow_step") as span:
            await asyncio.sleep(0)
            assert current_span() is span
            return span.parent_span_id

    with tracer.span("workflow", "workflow_run") as root:
        parents = await asyncio.gather(child("a"), child("b"), child("c"))
    assert parents == [root.span_id] * 3
    assert {s.trace_id for s in exported.spans} == {root.trace_id}


def test_disabled_tracer_yields_a_span_that_records_nothing_and_exports_nothing() -> None:
    exporter = InMemoryExporter()
    tracer = Tracer([exporter], enabled=False)
    with tracer.span("outer", input={"prompt": "hi"}) as span, tracer.span("inner") as inner:
        assert isinstance(span, Span) and isinstance(inner, Span)
        span.set_attribute("tokens", 3)
        span.set_output("done")
        assert current_span() is None  # nothing became the parent of later spans
    assert (span.attributes, span.output, span.input) == ({}, None, None)
    assert exporter.spans == []


def test_disabled_tracer_records_no_error_and_still_reraises() -> None:
    with pytest.raises(ToolError), Tracer(enabled=False).span("x") as span:
        raise ToolError("bad", code="TOOL_BAD")
    assert span.error is None


def test_disabled_spans_do_not_share_state() -> None:
    tracer = Tracer(enabled=False)
    with tracer.span("a") as first:
        first.attributes["leak"] = True
    with tracer.span("b") as second:
        assert second.attributes == {}


def test_to_dict_is_json_ready_and_masks_secrets() -> None:
    tracer, exported = _tracer()
    with tracer.span(
        "llm", "llm", input={"api_key": Secret("sk-abcdefghijklmnop1234"), "when": datetime(2026, 1, 1)}
    ):
        pass
    data = exported.spans[0].to_dict()
    assert data["input"] == {"api_key": "sk-…1234", "when": "2026-01-01T00:00:00"}
    assert data["status"] == "ok"
    assert set(data) >= {"trace_id", "span_id", "parent_span_id", "name", "type", "start", "end", "error"}


def test_a_failing_exporter_does_not_fail_the_operation(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(InMemoryExporter):
        def export(self, spans: object) -> None:
            raise OSError("disk full")

    with Tracer([Broken()]).span("x"):
        pass
    assert "span exporter Broken failed: disk full" in caplog.text


def test_console_exporter_prints_one_line_per_span() -> None:
    out = io.StringIO()
    tracer = Tracer([ConsoleExporter(out)], id_factory=lambda: "abcdef0123456789")
    with tracer.span("demo", "custom"):
        pass
    assert out.getvalue().startswith("[trace abcdef01] custom   demo  ")
    assert out.getvalue().rstrip().endswith("ok")
