"""``TelemetryPanel``: filters over real agent runs → the traces table → waterfall, spans and span detail;
the metrics tab; an empty storage."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.agent import Agent
from mastra_lab.lab._testing import click, panels_raise
from mastra_lab.lab.panels import TelemetryPanel, TracesPanel
from mastra_lab.lab.panels.telemetry import ALL, filter_spans, span_detail_html, trace_label
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.tools import tool


@tool
def forecast(city: str) -> str:
    """The weather forecast for a city."""
    return f"sunny in {city}"


@tool
def flaky_forecast(city: str) -> str:
    """A forecast service that is down."""
    raise RuntimeError("the weather service is down")


def forecaster(messages: list[Message], info: AgentInfo) -> ModelResponse:
    """Asks for Oslo's forecast, then repeats it."""
    if messages[-1].role != "tool":
        return ModelResponse("", [ToolCall("c1", "forecast", {"city": "Oslo"})])
    return ModelResponse(f"forecast: {messages[-1].tool_results[0].result}")


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    agents = [
        Agent("weather", "Say the forecast.", FunctionModel(forecaster), tools=[forecast]),
        Agent("broken", "Say the forecast.", TestModel(), tools=[flaky_forecast]),
    ]
    with Mastra(storage=backend.storage("telemetry"), agents=agents) as m:
        yield m


@pytest.fixture
def runs(mastra: Mastra) -> dict[str, str]:
    """One ok trace (agent ``weather``, model ``forecaster``) and one error trace (``broken``, ``test``)."""
    ok = mastra.get_agent("weather").generate_sync("weather in Oslo?")
    failed = mastra.get_agent("broken").generate_sync("weather in Oslo?")
    assert ok.text == "forecast: sunny in Oslo"
    return {"ok": ok.trace_id, "error": failed.trace_id}


def _listed(panel: TelemetryPanel) -> list[str]:
    return [value for _, value in panel.traces.options]


def _keys(panel: TelemetryPanel) -> list[str]:
    """The first column of the metrics table: the models (agents, tools …) it has a row for."""
    return re.findall(r"<tr>\s*<td>([^<]*)</td>", panel.metrics_table.value)


def _is_png(image: Any) -> bool:
    return bytes(image.value).startswith(b"\x89PNG")


def test_an_empty_storage_shows_where_traces_come_from_and_empty_metrics(mastra: Mastra) -> None:
    with panels_raise():
        panel = TelemetryPanel(mastra)
        assert (panel.traces.options, panel.shown, panel.figure) == ((), None, None)
        assert panel.count.value.startswith("no traces yet: agents, workflows")
        assert panel.waterfall.layout.display == "none"
        assert (panel.spans.options, panel.span_detail.value) == ((), "")
        panel.status.value = "error"
        panel.tabs.selected_index = 1  # the metrics tab draws on first show

    assert panel.count.value.startswith("no traces yet")  # not "no match": there is nothing to filter
    assert "no model requests" in panel.metrics_table.value
    assert _is_png(panel.latency) and _is_png(panel.tokens)  # figures that say no spans match
    assert panel.error_text == ""
    assert {"mastra-telemetry-panel", "mastra-traces-panel"} <= set(panel._dom_classes)


def test_the_status_filter_lists_only_the_error_trace(mastra: Mastra, runs: dict[str, str]) -> None:
    with panels_raise():
        panel = TelemetryPanel(mastra)
        assert _listed(panel) == [runs["error"], runs["ok"]]  # newest first
        assert panel.count.value == "2 traces"
        panel.status.value = "error"
        assert _listed(panel) == [runs["error"]]
        label = panel.traces.options[0][0]
        assert label.startswith("invoke_agent broken · ") and " · 4 spans · error · " in label
        assert label.endswith("RuntimeError: the weather service is down")
        assert panel.shown == runs["error"]
        panel.status.value = "ok"

    assert _listed(panel) == [runs["ok"]]
    assert panel.shown == runs["ok"]
    assert list(panel.matched["status"]) == ["ok"]


def test_the_agent_and_model_filters_come_from_the_data_and_keep_whole_traces(
    mastra: Mastra, runs: dict[str, str]
) -> None:
    with panels_raise():
        panel = TelemetryPanel(mastra)
        assert [value for _, value in panel.agent.options] == [ALL, "broken", "weather"]
        assert [value for _, value in panel.model.options] == [ALL, "forecaster", "test"]
        panel.agent.value = "weather"
        assert _listed(panel) == [runs["ok"]]
        # the trace keeps its model and tool spans, which carry no agent attribute of their own
        assert [label.split(" · ")[0] for label, _ in panel.spans.options] == [
            "invoke_agent weather",
            "└ chat forecaster",
            "└ execute_tool forecast",
            "└ chat forecaster",
        ]
        panel.model.value = "test"
        assert _listed(panel) == []
        assert panel.count.value == "<i>no traces match agent weather, model test: widen the filters</i>"
        assert panel.shown is None
        panel.agent.value = ALL

    assert _listed(panel) == [runs["error"]]


def test_selecting_a_trace_draws_one_bar_per_span_and_picks_the_failed_span(
    mastra: Mastra, runs: dict[str, str]
) -> None:
    with panels_raise():
        panel = TelemetryPanel(mastra)
        panel.traces.value = runs["ok"]
        ok_spans = mastra.storage.get_trace(runs["ok"])
        assert panel.figure is not None
        assert len(panel.figure.axes[0].patches) == len(ok_spans) == 4
        assert bytes(panel.waterfall.value).startswith(b"\x89PNG") and panel.waterfall.layout.display is None
        assert f"invoke_agent weather · trace {runs['ok']} · 4 spans" in panel.detail.value
        assert panel.spans.value == panel.spans.options[0][1]  # nothing failed: the root first

        panel.traces.value = runs["error"]

    assert panel.shown == runs["error"]
    assert len(panel.figure.axes[0].patches) == len(mastra.storage.get_trace(runs["error"]))
    (failed,) = [s for s in mastra.storage.get_trace(runs["error"]) if s["type"] == "tool_call"]
    assert panel.spans.value == failed["span_id"]  # the failed span is picked to begin with
    assert "RuntimeError: the weather service is down" in panel.span_detail.value
    assert "gen_ai.tool.name" in panel.span_detail.value and "flaky_forecast" in panel.span_detail.value
    assert "<b class='mastra-telemetry-span-status'>error</b>" in panel.span_detail.value


def test_span_detail_shows_attributes_and_the_log_events_of_that_span(mastra: Mastra) -> None:
    log = {"level": "WARNING", "logger": "orders.parser", "message": "row 2 has no date"}
    with (
        mastra.tracer.span("import orders", "custom", attributes={"mastra.rows": 3}) as root,
        mastra.tracer.span("parse", "custom") as child,
    ):
        child.add_event("log", attributes=log)
    with panels_raise():
        panel = TelemetryPanel(mastra)
        assert panel.shown == root.trace_id
        assert "mastra.rows" in panel.span_detail.value
        assert "<i>no log events in this span</i>" in panel.span_detail.value
        panel.spans.value = child.span_id

    detail = panel.span_detail.value
    assert "row 2 has no date" in detail and "WARNING" in detail and "orders.parser" in detail
    assert "mastra.rows" not in detail and "<i>no attributes</i>" in detail


def test_the_time_range_drops_traces_older_than_it(mastra: Mastra, runs: dict[str, str]) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    old = {
        "trace_id": "0ld0ld0ld",
        "span_id": "s-old",
        "parent_span_id": None,
        "name": "invoke_agent weather",
        "type": "agent_run",
        "attributes": {"gen_ai.agent.name": "weather"},
        "input": None,
        "output": None,
        "error": None,
        "start": start,
        "end": start + timedelta(milliseconds=40),
    }
    mastra.storage.save_spans([old])
    with panels_raise():
        panel = TelemetryPanel(mastra)
        assert _listed(panel) == [runs["error"], runs["ok"], "0ld0ld0ld"]
        panel.since.value = "7d"
        assert _listed(panel) == [runs["error"], runs["ok"], "0ld0ld0ld"]
        panel.since.value = "24h"

    assert _listed(panel) == [runs["error"], runs["ok"]]


def test_the_metrics_tab_plots_the_matching_traces(mastra: Mastra, runs: dict[str, str]) -> None:
    with panels_raise():
        panel = TelemetryPanel(mastra)
        assert panel.latency.layout.display == "none"  # not drawn until the tab is shown
        panel.tabs.selected_index = 1
        assert _keys(panel) == ["forecaster", "test"]
        latency_png = bytes(panel.latency.value)
        assert _is_png(panel.latency) and _is_png(panel.tokens)
        panel.status.value = "error"  # the metrics follow the filters
        assert _keys(panel) == ["test"]
        panel.by.value = "tool"

    assert _keys(panel) == ["flaky_forecast"]
    assert bytes(panel.latency.value) != latency_png


def test_refresh_finds_a_new_trace_and_keeps_the_filters(mastra: Mastra, runs: dict[str, str]) -> None:
    with panels_raise():
        panel = TelemetryPanel(mastra)
        panel.agent.value = "weather"
        newer = mastra.get_agent("weather").generate_sync("and in Bergen?").trace_id
        mastra.get_agent("broken").generate_sync("and in Bergen?")
        click(panel.refresh)

    assert (panel.agent.value, _listed(panel)) == ("weather", [newer, runs["ok"]])
    assert panel.shown == runs["ok"]  # the selection stays while it still matches


def test_the_traces_panel_is_the_telemetry_panel() -> None:
    assert TracesPanel is TelemetryPanel


# -- pure helpers ------------------------------------------------------------------------------------------


def test_span_detail_says_when_content_was_not_captured() -> None:
    span: dict[str, Any] = {
        "span_id": "s1",
        "name": "execute_tool forecast",
        "type": "tool_call",
        "status": "ok",
        "start": datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        "attributes": {"gen_ai.tool.name": "forecast"},
        "input": {"city": "Oslo"},
        "output": None,
        "events": [],
    }
    detail = span_detail_html(span)
    assert "&quot;city&quot;: &quot;Oslo&quot;" in detail
    assert detail.count("<i>not captured</i>") == 1  # the output; the input was captured


def test_trace_labels_say_what_is_unknown() -> None:
    row = {
        "trace_id": "abcdef0123",
        "root": "invoke_agent a",
        "duration_ms": float("nan"),
        "spans": 3,
        "status": "running",
        "input_tokens": 10,
        "output_tokens": 5,
        "cost_usd": float("nan"),
        "error": None,
    }
    assert trace_label(row) == "invoke_agent a · running · 3 spans · running · 15 tokens · cost ? · abcdef01"
    priced = {**row, "duration_ms": 12.34, "status": "ok", "cost_usd": 0.00045}
    assert trace_label(priced) == "invoke_agent a · 12.3 ms · 3 spans · ok · 15 tokens · $0.00045 · abcdef01"


def test_filter_spans_keeps_whole_traces(mastra: Mastra, runs: dict[str, str]) -> None:
    spans = mastra.spans_df()
    kept = filter_spans(spans, model="forecaster")
    assert set(kept["trace_id"]) == {runs["ok"]}
    assert len(kept) == len(spans[spans["trace_id"] == runs["ok"]])
    assert filter_spans(spans, agent="broken", model="forecaster").empty
