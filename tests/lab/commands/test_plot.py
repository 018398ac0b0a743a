"""``%mastra plot``: memory decay against the prune threshold, and the telemetry figures (latency, tokens,
cost, errors) of spans that offline agents made — checked on their artists, not their pixels."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure
from memory_world import Clock, fill, make_mastra

from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.plot import PlotView
from mastra_lab.mastra import Mastra


@pytest.fixture
def ipm(ip: TestingShell, tmp_path: Path) -> Iterator[TestingShell]:
    clock = Clock()
    with make_mastra(tmp_path / "app.duckdb", clock) as m:
        fill(m.get_memory(), clock)
        ip.magics.replace_mastra(m, owned=False)
        yield ip


def _dashed_level(figure: Figure) -> float:
    lines = [ln for ln in figure.axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert len(lines) == 1
    return float(lines[0].get_ydata()[0])  # type: ignore[index]


def test_decay_of_one_thread(ipm: TestingShell) -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    view = ipm.line("plot decay garden")
    assert isinstance(view, PlotView) and view.kind == "decay"
    assert isinstance(view.figure, Figure)
    assert view.title == "decay of 6 messages in thread 'garden' (half-life 7d): 4 below min score 0.1"
    assert view.data["text"].tolist()[:2] == ["I keep bees in my garden, remember that", "Bees, noted!"]
    assert set(view.data["thread_id"]) == {"garden"}
    assert _dashed_level(view.figure) == 0.1
    assert len(view.figure.axes[0].get_lines()) == 6 + 2  # one per message, the threshold and "now"
    bundle = view._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG")
    assert base64.b64encode(bundle["image/png"]).decode() in bundle["text/html"]
    assert "mastra-plot-decay" in bundle["text/html"]
    assert bundle["text/plain"].splitlines()[0] == view.title
    assert plt.get_fignums() == []  # shown once, by the view, not again by matplotlib-inline


def test_decay_of_every_thread_with_other_settings(ipm: TestingShell) -> None:
    view = ipm.line("plot decay --half-life 30d --min-score 0.5")
    assert len(view.data) == 10 and set(view.data["thread_id"]) == {"garden", "trip", "bob-1"}
    assert view.title.startswith("decay of 10 messages in every thread (half-life 30d): ")
    assert _dashed_level(view.figure) == 0.5
    below = int((view.data["score"] < 0.5).sum())
    assert view.title.endswith(f"{below} below min score 0.5")


def test_mistakes_are_one_line(ipm: TestingShell) -> None:
    assert ipm.usage_error("plot decay gardn") == (
        "%mastra plot decay: no thread 'gardn' in this memory "
        "(hint: did you mean garden? %mastra memory threads lists them)"
    )
    assert "argument --half-life: '3 days' is not a duration" in ipm.usage_error(
        'plot decay --half-life "3 days"'
    )
    assert "argument --min-score: the score '-1' is outside 0..1" in ipm.usage_error(
        "plot decay --min-score -1"
    )
    assert ipm.usage_error("plot histogram") == (
        "%mastra plot: argument KIND: invalid choice: 'histogram' (choose from 'decay', 'workflow', "
        "'latency', 'tokens', 'cost', 'errors') (hint: see %mastra plot --help)"
    )
    assert "the following arguments are required: KIND" in ipm.usage_error("plot")


def test_an_empty_memory_still_draws_the_threshold(ip: TestingShell, tmp_path: Path) -> None:
    with Mastra.open(tmp_path / "empty.duckdb") as m:
        ip.magics.replace_mastra(m, owned=False)
        view = ip.line("plot decay")
        assert view.title == "decay of 0 messages in every thread (half-life 7d): 0 below min score 0.1"
        assert _dashed_level(view.figure) == 0.1


def test_plot_needs_a_mastra(ip: TestingShell) -> None:
    assert "run %mastra init" in ip.usage_error("plot decay")


# -- telemetry ---------------------------------------------------------------------------------------------


def _gids(artists: object) -> list[str]:
    return [a.get_gid() for a in artists]  # type: ignore[attr-defined]


def test_latency_draws_a_box_per_key(traced: TestingShell) -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    view = traced.line("plot latency --by tool")
    assert isinstance(view, PlotView) and view.kind == "latency"
    assert sorted(g for g in _gids(view.figure.axes[0].patches) if g) == ["add", "broken"]
    assert view.data.set_index("tool")["requests"].to_dict() == {"add": 2, "broken": 1}
    assert view.title == "latency by tool: 3 requests"
    assert view._repr_mimebundle_()["image/png"].startswith(b"\x89PNG")
    assert "mastra-plot-latency" in view._repr_html_()
    assert plt.get_fignums() == []


def test_tokens_stack_bars_by_model_under_the_cost_line(traced: TestingShell) -> None:
    view = traced.line("plot tokens --since 1h --bucket 1m")
    bars, twin = view.figure.axes
    assert {p.get_gid() for p in bars.patches} == {"test"}
    heights = sum(p.get_height() for p in bars.patches)
    assert heights == view.data["input_tokens"].sum() + view.data["output_tokens"].sum() > 0
    assert _gids(twin.get_lines()) == ["cost"]
    assert view.title.startswith("tokens by model in the last 1h: ") and view.title.endswith("in 6 calls")


def test_cost_draws_a_bar_per_thread_or_model(traced: TestingShell) -> None:
    view = traced.line("plot cost --by trace")
    bars = view.figure.axes[0].patches
    assert sorted(_gids(bars)) == sorted(view.data["trace"])
    assert sum(b.get_width() for b in bars) == pytest.approx(view.data["cost_usd"].sum())
    assert view.title == f"cost by trace: ${view.data['cost_usd'].sum():.6f}"


def test_errors_stack_by_error_type(traced: TestingShell) -> None:
    view = traced.line("plot errors --by tool")
    assert _gids(view.figure.axes[0].patches) == ["TOOL_ERROR"]
    assert view.data[["name", "error_type", "error"]].to_dict("records") == [
        {"name": "execute_tool broken", "error_type": "TOOL_ERROR", "error": "the order service is down"}
    ]
    assert view.title == "errors by tool: 1 failed spans"


@pytest.mark.parametrize("kind", ["latency", "tokens", "cost", "errors"])
def test_an_empty_selection_is_a_figure_that_says_so(ip: TestingShell, kind: str) -> None:
    ip.line("init")
    view = ip.line(f"plot {kind} --since 1h")
    assert isinstance(view.figure, Figure) and len(view.data) == 0
    assert view.figure.axes[0].get_title(loc="left").startswith("no spans match: ")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "plot banana",
            "argument KIND: invalid choice: 'banana' (choose from 'decay', 'workflow', 'latency'",
        ),
        ("plot latency --by colour", "argument --by: invalid choice: 'colour'"),
        ("plot errors --since banana", "argument --since: 'banana' is not a duration"),
        ("plot tokens --bucket 0s", "argument --bucket: the duration '0s' is zero"),
    ],
)
def test_malformed_telemetry_plots_are_one_line(traced: TestingShell, line: str, problem: str) -> None:
    message = traced.usage_error(line)
    assert problem in message and "(hint: see %mastra plot" in message
