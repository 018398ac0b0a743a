"""``%mastra plot decay``: each message's score over time against the prune threshold, as a PNG."""

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
    assert ipm.usage_error("plot latency") == (
        "%mastra plot: argument KIND: invalid choice: 'latency' (choose from 'decay', 'workflow') "
        "(hint: see %mastra plot --help)"
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
