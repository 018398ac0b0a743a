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
from mastra_lab.telemetry.metrics import DEFAULT_PRICES, ModelPrice
from mastra_lab.telemetry.plots import (
    ERROR_COLOR,
    TYPE_COLORS,
    figure_png,
    plot_cost,
    plot_errors,
    plot_latency,
    plot_tokens,
    plot_trace,
)

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


# -- metrics plots -------------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _model_calls(store: DuckDBStore, calls: list[tuple[str, float, int, int, float, str | None]]) -> None:
    """``(model, start_s, input_tokens, output_tokens, duration_ms, error)`` model calls, in one tracer."""
    clock = _Clock()
    tracer = Tracer([StorageExporter(store)], clock=clock)
    for model, start_s, tokens_in, tokens_out, ms, error in calls:
        clock.now = T0 + timedelta(seconds=start_s)
        attributes = {
            "gen_ai.request.model": model,
            "gen_ai.provider.name": "openai",
            "gen_ai.usage.input_tokens": tokens_in,
            "gen_ai.usage.output_tokens": tokens_out,
        }
        try:
            with tracer.span(f"chat {model}", "llm_generation", attributes=attributes):
                clock.now += timedelta(milliseconds=ms)
                if error == "timeout":
                    raise TimeoutError("slow")
                if error == "tool":
                    raise ToolError("bad arguments")
        except (TimeoutError, ToolError):
            pass
    tracer.shutdown()


def test_latency_plot_draws_a_box_per_model_busiest_first(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "m.duckdb")
    fast = [("gpt-4o-mini", float(i), 10, 5, 10.0 + i, None) for i in range(6)]
    slow = [("gpt-4o", 10.0 + i, 10, 5, 300.0 + 50 * i, None) for i in range(3)]
    _model_calls(store, [*fast, *slow])

    figure = plot_latency(store, by="model")

    (ax,) = figure.axes
    boxes = [p for p in ax.patches if p.get_gid()]
    assert [b.get_gid() for b in boxes] == ["gpt-4o-mini", "gpt-4o"]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("gpt-4o-mini  (n=6, p95 ") and labels[1].startswith("gpt-4o  (n=3, p95 ")
    medians = {str(line.get_gid()): list(line.get_xdata()) for line in ax.lines if line.get_gid()}
    assert medians == {"median:gpt-4o-mini": [12.5, 12.5], "median:gpt-4o": [350.0, 350.0]}
    assert ax.get_xlabel() == "duration (ms)"
    assert ax.get_title(loc="left") == "latency by model · 9 requests"
    assert figure_png(figure).startswith(b"\x89PNG")
    store.close()


def test_token_plot_stacks_models_per_bucket_with_a_cost_line(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "m.duckdb")
    calls = [
        ("gpt-4o", 5, 1000, 100, 10, None),
        ("gpt-4o-mini", 20, 3000, 300, 10, None),
        ("gpt-4o", 70, 500, 50, 10, None),  # the second minute
        ("gpt-4o-mini", 200, 100, 10, 10, None),  # the fourth minute; the third has no calls
    ]
    _model_calls(store, calls)

    figure = plot_tokens(store, bucket="1min")

    ax, twin = figure.axes
    bars = {m: [p for p in ax.patches if p.get_gid() == m] for m in ("gpt-4o", "gpt-4o-mini")}
    assert [len(b) for b in bars.values()] == [3, 3]  # a bar per bucket with calls and model, stacked
    assert [b.get_height() for b in bars["gpt-4o-mini"]] == [3300, 0, 110]
    assert [b.get_height() for b in bars["gpt-4o"]] == [1100, 550, 0]
    assert [b.get_y() for b in bars["gpt-4o"]] == [3300, 0, 110]  # gpt-4o-mini (more tokens) at the bottom
    (line,) = twin.lines
    mini, big = DEFAULT_PRICES["gpt-4o-mini"], DEFAULT_PRICES["gpt-4o"]
    first = (3000 * mini.input_per_mtok + 300 * mini.output_per_mtok + 1000 * big.input_per_mtok
             + 100 * big.output_per_mtok) / 1e6  # fmt: skip
    costs = list(line.get_ydata())
    assert len(costs) == 3 and costs[0] == pytest.approx(first)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["gpt-4o-mini", "gpt-4o"]
    assert (ax.get_ylabel(), twin.get_ylabel()) == ("tokens (input + output)", "cost (USD)")
    assert ax.get_title(loc="left").startswith("tokens per 1 min by model · 5060 tokens · $")
    store.close()


def test_token_plot_says_when_cost_is_unknown_and_rejects_a_bad_bucket(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "m.duckdb")
    _model_calls(store, [("house-model", 0, 10, 10, 5, None)])
    title = plot_tokens(store).axes[0].get_title(loc="left")
    assert title.endswith("cost unknown for unpriced models")
    priced = plot_tokens(store, prices={"house-model": ModelPrice(1e6, 0)})
    assert list(priced.axes[1].lines[0].get_ydata()) == [pytest.approx(10.0)]
    with pytest.raises(MastraError, match="bucket='fortnightly' is not a time bucket") as err:
        plot_tokens(store, bucket="fortnightly")
    assert err.value.code == "TELEMETRY_BAD_ARGUMENT"
    store.close()


def test_error_plot_stacks_failures_by_error_type(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "m.duckdb")
    calls: list[tuple[str, float, int, int, float, str | None]] = [
        ("gpt-4o", 0, 1, 1, 5, "timeout"),
        ("gpt-4o", 1, 1, 1, 5, "timeout"),
        ("gpt-4o", 2, 1, 1, 5, "tool"),
        ("gpt-4o-mini", 3, 1, 1, 5, "timeout"),
        ("gpt-4o-mini", 4, 1, 1, 5, None),
    ]
    _model_calls(store, calls)

    figure = plot_errors(store, by="model")

    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["gpt-4o", "gpt-4o-mini"]
    timeouts = [p.get_width() for p in ax.patches if p.get_gid() == "TimeoutError"]
    tools = [p.get_width() for p in ax.patches if p.get_gid() == "TOOL_ERROR"]
    assert (timeouts, tools) == ([2, 1], [1, 0])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["TimeoutError", "TOOL_ERROR"]
    assert ax.get_title(loc="left") == "errors by model · 4 failed spans"
    by_type = plot_errors(store)
    assert [t.get_text() for t in by_type.axes[0].get_yticklabels()] == ["llm_generation"]
    store.close()


def test_cost_plot_draws_a_bar_per_model_and_marks_unknown_cost(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "m.duckdb")
    _model_calls(store, [("gpt-4o", 0, 1_000_000, 0, 5, None), ("mystery", 1, 10, 10, 5, None)])

    figure = plot_cost(store, by="model")

    (ax,) = figure.axes
    bars = {p.get_gid(): p for p in ax.patches if p.get_gid()}
    assert bars["gpt-4o"].get_width() == pytest.approx(DEFAULT_PRICES["gpt-4o"].input_per_mtok)
    assert bars["mystery"].get_width() == 0
    assert [t.get_text() for t in ax.texts] == ["$2.5000", "unknown"]
    store.close()


@pytest.mark.parametrize(
    ("plot", "message"),
    [
        (lambda s: plot_latency(s, since="1h"), "no spans match: finished model requests since 1h"),
        (lambda s: plot_tokens(s), "no spans match: model calls"),
        (lambda s: plot_errors(s, by="tool"), "no spans match: failed spans with a tool"),
        (lambda s: plot_cost(s, by="thread"), "no spans match: model calls with a thread"),
    ],
)
def test_an_empty_selection_gives_a_figure_that_says_so(tmp_path: Path, plot: Any, message: str) -> None:
    store = DuckDBStore(tmp_path / "empty.duckdb")
    figure = plot(store)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert ax.get_title(loc="left") == message
    assert [t.get_text() for t in ax.texts] == [message]
    assert not ax.patches and figure_png(figure).startswith(b"\x89PNG")
    store.close()
