from __future__ import annotations

import asyncio
import io
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mastra_lab._secret import Secret
from mastra_lab.errors import MastraError, ToolError
from mastra_lab.telemetry import (
    ConsoleExporter,
    InMemoryExporter,
    SamplingContext,
    Span,
    SpanExporter,
    Tracer,
    current_span,
    tracing_options,
)
from mastra_lab.telemetry._context import open_span


def _tracer(**options: Any) -> tuple[Tracer, InMemoryExporter]:
    exporter = InMemoryExporter()
    ids = (f"id{i}" for i in itertools.count())
    ticks = (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(milliseconds=10 * i) for i in itertools.count())
    tracer = Tracer([exporter], id_factory=lambda: next(ids), clock=lambda: next(ticks), **options)
    return tracer, exporter


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
    tracer, exported = _tracer(capture_content=True)
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
    tracer, exported = _tracer(capture_content=True)
    with tracer.span(
        "chat",
        "llm_generation",
        input={"key": Secret("sk-abcdefghijklmnop1234"), "when": datetime(2026, 1, 1)},
    ):
        pass
    data = exported.spans[0].to_dict()
    assert data["input"] == {"key": "***", "when": "2026-01-01T00:00:00"}
    assert data["status"] == "ok"
    assert set(data) >= {"trace_id", "span_id", "parent_span_id", "name", "type", "start", "end", "error"}


def test_a_failing_exporter_is_logged_once_counted_and_others_still_get_spans(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(SpanExporter):
        def export(self, spans: object) -> None:
            raise OSError("disk full")

    healthy = InMemoryExporter()
    tracer = Tracer([Broken(), healthy])
    for _ in range(3):
        with tracer.span("x"):
            pass
    assert caplog.text.count("span exporter Broken failed in export: disk full") == 1
    assert len(healthy.spans) == 3
    broken, good = tracer.status()["exporters"]
    assert (broken["name"], broken["failed"], broken["exported"]) == ("Broken", 3, 0)
    assert (good["name"], good["failed"], good["exported"]) == ("memory", 0, 3)


def test_a_failing_on_start_or_flush_never_reaches_the_caller() -> None:
    class Grumpy(InMemoryExporter):
        def on_start(self, span: Span) -> None:
            raise RuntimeError("nope")

        def flush(self, timeout: float | None = None) -> None:
            raise RuntimeError("nope")

    exporter = Grumpy()
    tracer = Tracer([exporter])
    with tracer.span("x"):
        pass
    tracer.flush()
    tracer.shutdown()
    assert [s.name for s in exporter.spans] == ["x"]


def test_status_describes_the_tracer() -> None:
    status = Tracer([InMemoryExporter()], sampler=0.25, capture_content=True).status()
    assert {k: status[k] for k in ("enabled", "sampler", "capture_content")} == {
        "enabled": True,
        "sampler": "ratio 0.25",
        "capture_content": True,
    }
    assert set(status["exporters"][0]) >= {"name", "exported", "dropped", "failed", "buffered"}


def test_console_exporter_prints_a_tree_per_finished_trace() -> None:
    out = io.StringIO()
    tracer = Tracer([ConsoleExporter(out)], id_factory=iter(f"abcdef{i:010d}" for i in range(9)).__next__)
    with tracer.span("invoke_agent support", "agent_run", attributes={"gen_ai.request.model": "test:echo"}):
        with tracer.span("chat echo", "llm_generation") as llm:
            llm.set_attribute("gen_ai.usage.input_tokens", 12)
            llm.set_attribute("gen_ai.usage.output_tokens", 40)
            assert out.getvalue() == ""  # nothing printed before the root ends
        with tracer.span("execute_tool add", "tool_call"):
            pass
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("trace abcdef00  invoke_agent support  agent_run  ")
    assert lines[0].endswith("ok  model=test:echo")
    assert lines[1].startswith("  chat echo  llm_generation  ") and lines[1].endswith("tokens=12/40")
    assert lines[2].startswith("  execute_tool add  tool_call  ")


# -- content capture ---------------------------------------------------------------------------------------


def test_content_is_dropped_unless_captured() -> None:
    tracer, exported = _tracer()
    with tracer.span("execute_tool add", "tool_call", input={"a": 1}) as span:
        assert span.input is None  # dropped when the span opens, not just before export
        span.set_output(3)
    assert (exported.spans[0].input, exported.spans[0].output) == (None, None)


def test_hide_input_and_output_per_span_even_with_capture_on() -> None:
    tracer, exported = _tracer(capture_content=True)
    with tracer.span("a", input="in", hide_input=True) as a:
        a.set_output("out")
    with tracer.span("b", input="in", hide_output=True) as b:
        b.set_output("out")
    assert [(s.name, s.input, s.output) for s in exported.spans] == [("a", None, "out"), ("b", "in", None)]


def test_tracing_options_apply_to_every_span_inside_and_add_metadata() -> None:
    tracer, exported = _tracer(capture_content=True)
    metadata = {"user": "u1", "api_key": "sk-live-abcdefghijkl"}
    with (
        tracing_options(hide_input=True, metadata=metadata),
        tracer.span("outer", input="secret prompt"),
        tracer.span("inner", input="more") as inner,
    ):
        inner.set_output("kept")
    with tracer.span("after", input="shown"):
        pass
    by_name = {s.name: s for s in exported.spans}
    assert by_name["inner"].input is None and by_name["outer"].input is None
    assert by_name["inner"].output == "kept"
    assert by_name["inner"].attributes == {"mastra.metadata.user": "u1", "mastra.metadata.api_key": "***"}
    assert by_name["after"].input == "shown" and by_name["after"].attributes == {}


def test_redaction_applies_to_attributes_errors_and_events_when_the_span_ends() -> None:
    tracer, exported = _tracer(capture_content=True)
    with (
        pytest.raises(ValueError),
        tracer.span("call", attributes={"Authorization": "Bearer abcdefgh12345"}) as span,
    ):
        span.add_event("log", {"message": "using sk-proj-abcdefghijklmnop"})
        raise ValueError("rejected key sk-ant-api03-abcdefghijkl")
    (done,) = exported.spans
    assert done.attributes["Authorization"] == "***"
    assert done.events[0]["attributes"] == {"message": "using ***"}
    assert done.error is not None and done.error["message"] == "rejected key ***"


# -- sampling ------------------------------------------------------------------------------------------------


def test_a_sampled_out_trace_records_nothing_all_the_way_down() -> None:
    exporter = InMemoryExporter()
    tracer = Tracer([exporter], sampler="never")
    with tracer.span("root") as root:
        assert current_span() is root and not root.recording and root.trace_id
        with tracer.span("child") as child, open_span("vector_query docs", "vector_query") as service:
            child.set_attribute("x", 1)
            assert not child.recording and not service.recording
            assert child.trace_id == root.trace_id
    assert exporter.spans == []
    assert current_span() is None


def test_ratio_sampling_keeps_or_drops_whole_traces_at_about_the_ratio() -> None:
    exporter = InMemoryExporter()
    ids = (f"{i:032x}" for i in itertools.count())
    tracer = Tracer([exporter], sampler=0.3, id_factory=lambda: next(ids))
    for _ in range(2000):
        with tracer.span("root"), tracer.span("child"):
            pass
    traces: dict[str, list[str]] = {}
    for span in exporter.spans:
        traces.setdefault(span.trace_id, []).append(span.name)
    assert all(sorted(names) == ["child", "root"] for names in traces.values())
    assert 0.25 < len(traces) / 2000 < 0.35


def test_ratio_sampling_is_decided_by_the_trace_id() -> None:
    decided = []
    for _ in range(2):
        exporter = InMemoryExporter()
        ids = (f"t{i}" for i in itertools.count())
        tracer = Tracer([exporter], sampler=0.5, id_factory=lambda ids=ids: next(ids))  # type: ignore[misc]
        for _ in range(100):
            with tracer.span("root"):
                pass
        decided.append([s.trace_id for s in exporter.spans])
    assert decided[0] == decided[1] and 0 < len(decided[0]) < 100


def test_a_callable_sampler_sees_the_root_span() -> None:
    seen: list[SamplingContext] = []

    def only_agents(ctx: SamplingContext) -> bool:
        seen.append(ctx)
        return ctx.type == "agent_run"

    tracer, exported = _tracer(sampler=only_agents)
    with tracer.span("invoke_agent a", "agent_run", attributes={"k": 1}), tracer.span("chat m"):
        pass
    with tracer.span("workflow_run w", "workflow_run"):
        pass
    assert [s.name for s in exported.spans] == ["chat m", "invoke_agent a"]
    assert [(c.name, c.type, dict(c.attributes)) for c in seen] == [
        ("invoke_agent a", "agent_run", {"k": 1}),
        ("workflow_run w", "workflow_run", {}),
    ]


@pytest.mark.parametrize("bad", [1.5, -0.1, "half", float("nan"), True, None])
def test_a_malformed_sampler_is_refused_naming_the_allowed_forms(bad: object) -> None:
    with pytest.raises(MastraError, match='use "always", "never", a ratio between 0 and 1') as info:
        Tracer(sampler=bad)  # type: ignore[arg-type]
    assert info.value.code == "TELEMETRY_BAD_SAMPLER"


def test_input_assigned_inside_the_block_is_dropped_too_when_not_captured() -> None:
    tracer, exported = _tracer()
    with tracer.span("chat m", "llm_generation") as span:
        span.input = {"messages": ["a prompt"]}
    assert exported.spans[0].input is None
