"""The trace waterfall, checked on the artists of the Figure it returns."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from mastra_lab.errors import MastraError, ToolError
from mastra_lab.storage import DuckDBStore
from mastra_lab.telemetry import StorageExporter, Tracer
from mastra_lab.telemetry.plots import ERROR_COLOR, TYPE_COLORS, figure_png, plot_trace

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _bars(figure: Figure) -> dict[str, Rectangle]:
    (ax,) = figure.axes
    return {p.get_gid(): p for p in ax.patches if isinstance(p, Rectangle) and p.get_gid()}


def _labels(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].get_yticklabels()]


def _markers(figure: Figure, kind: str) -> set[str]:
    return {
        line.get_gid().split(":", 1)[1]
        for line in figure.axes[0].lines
        if str(line.get_gid()).startswith(kind)
    }


async def _gathered_trace(store: DuckDBStore) -> str:
    """An agent span, an llm call, then three tools run by ``asyncio.gather`` (one fails)."""
    tracer = Tracer([StorageExporter(store)])
    started = 0
    all_started = asyncio.Event()

    async def tool(name: str, fail: bool = False) -> None:
        nonlocal started
        with tracer.span(f"tool:{name}", "tool_call"):
            started += 1
            if started == 3:
                all_started.set()
            await all_started.wait()  # every tool span is open before any closes
            if fail:
                raise ToolError(f"{name} failed")

    with tracer.span("support.generate", "agent_run") as root:
        with tracer.span("llm.request", "llm_generation"):
            await asyncio.sleep(0)
        await asyncio.gather(tool("a"), tool("b"), tool("c", fail=True), return_exceptions=True)
    return root.trace_id


async def test_waterfall_of_a_stored_trace_shows_parallel_tools_overlapping(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "traces.duckdb")
    trace_id = await _gathered_trace(store)
    store.close()
    store = DuckDBStore(tmp_path / "traces.duckdb", read_only=True)
    by_name = {s["name"]: s["span_id"] for s in store.get_trace(trace_id)}

    figure = plot_trace(store, trace_id)

    assert isinstance(figure, Figure)
    bars = _bars(figure)
    assert len(bars) == 5
    assert _labels(figure) == ["support.generate", "└ llm.request", "└ tool:a", "└ tool:b", "└ tool:c"]
    tools = [bars[by_name[f"tool:{n}"]] for n in "abc"]
    for one in tools:
        for other in tools:
            assert one.get_x() < other.get_x() + other.get_width()
    assert to_hex(tools[0].get_facecolor()) == TYPE_COLORS["tool_call"]
    assert to_hex(bars[by_name["llm.request"]].get_facecolor()) == TYPE_COLORS["llm_generation"]
    assert to_hex(bars[by_name["support.generate"]].get_facecolor()) == TYPE_COLORS["agent_run"]
    failed = bars[by_name["tool:c"]]
    assert (to_hex(failed.get_edgecolor()), failed.get_hatch()) == (ERROR_COLOR, "//")
    assert failed.get_linewidth() > 0 and tools[0].get_linewidth() == 0
    assert _markers(figure, "error:") == {by_name["tool:c"]}
    assert figure.axes[0].get_yticklabels()[4].get_color() == ERROR_COLOR
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert legend == ["agent_run", "llm_generation", "tool_call", "error"]
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert len(texts) == 5 and all(t.endswith(" ms") for t in texts[:4]) and texts[4].endswith("✕ error")
    assert figure.axes[0].get_xlabel() == "ms from trace start"
    assert figure_png(figure).startswith(b"\x89PNG")
    store.close()


def _span(span_id: str, parent: str | None, start: float, end: float | None, type: str) -> dict[str, Any]:
    return {
        "trace_id": "t1",
        "span_id": span_id,
        "parent_span_id": parent,
        "name": span_id,
        "type": type,
        "start": T0 + timedelta(milliseconds=start),
        "end": None if end is None else T0 + timedelta(milliseconds=end),
    }


def test_nested_spans_are_indented_and_running_ones_reach_the_trace_end() -> None:
    spans = [
        _span("wf", None, 0, 80, "workflow_run"),
        _span("step", "wf", 10, None, "workflow_step"),
        _span("deep", "step", 20, 30, "my-own-type"),
        _span("lost", "gone", 40, 50, "custom"),
    ]
    figure = plot_trace(spans)
    assert _labels(figure) == ["wf", "└ step", "    └ deep", "lost  (orphan)"]
    bars = _bars(figure)
    assert bars["step"].get_x() + bars["step"].get_width() == pytest.approx(80.0)
    assert bars["step"].get_linestyle() == "--"
    assert _markers(figure, "running:") == {"step"}
    colours = {to_hex(b.get_facecolor()) for b in bars.values()}
    assert len(colours) == 4  # workflow, step, an unknown type and custom each get their own
    assert "running" in [t.get_text() for t in figure.axes[0].texts]
    assert "running" in [t.get_text() for t in figure.axes[0].get_legend().get_texts()]


def test_unknown_trace_or_no_spans_is_a_clear_error(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "empty.duckdb")
    with pytest.raises(MastraError, match="no trace 'deadbeef' in this storage; list the traces") as err:
        plot_trace(store, "deadbeef")
    assert err.value.code == "TELEMETRY_TRACE_NOT_FOUND"
    with pytest.raises(MastraError, match="no spans to show"):
        plot_trace([])
    store.close()


def test_draws_into_given_axes_and_leaves_pyplot_alone() -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    figure = plot_trace([_span("a", None, 0, 5, "agent_run")])
    assert plt.get_fignums() == before  # never registered, so matplotlib-inline cannot show it twice
    assert figure._repr_png_().startswith(b"\x89PNG")  # type: ignore[attr-defined]

    outer = Figure()
    ax = outer.add_subplot()
    assert plot_trace([_span("a", None, 0, 5, "agent_run")], ax=ax) is outer
    assert len(ax.patches) == 1
