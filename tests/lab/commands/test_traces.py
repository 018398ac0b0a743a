"""``%mastra traces`` and ``%mastra trace``: recent traces as a table, one trace as waterfall + span table."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from mastra_lab import Mastra
from mastra_lab.errors import ToolError
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.traces import TraceView
from mastra_lab.lab.display import Table
from mastra_lab.storage import DuckDBStore
from mastra_lab.telemetry import StorageExporter, Tracer

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def mastra(tmp_path: Path) -> Iterator[Mastra]:
    """A Mastra on a DuckDB file whose tracer hands out readable ids and 10 ms ticks."""
    store = DuckDBStore(tmp_path / "lab.duckdb")
    # a root span takes a trace id then a span id, a child one span id: traces abc111, abc222, fff333
    fixed = ["abc111", "s1", "s2", "abc222", "s3", "s4", "fff333", "s5", "s6"]
    ids = itertools.chain(fixed, (f"more{i}" for i in itertools.count()))
    ticks = (T0 + timedelta(milliseconds=10 * i) for i in itertools.count())
    tracer = Tracer([StorageExporter(store)], id_factory=lambda: next(ids), clock=lambda: next(ticks))
    m = Mastra(storage=store, telemetry=tracer)
    yield m
    m.close()


def _three_traces(m: Mastra) -> dict[str, str]:
    tracer = m.tracer
    with tracer.span("agent.generate", "agent") as a, tracer.span("llm.request", "llm"):
        pass
    with tracer.span("workflow.run", "workflow") as w, tracer.span("step:one", "step"):
        pass
    with pytest.raises(ToolError), tracer.span("broken", "agent") as b, tracer.span("tool:x", "tool"):
        raise ToolError("bad argument 'x'")
    return {"agent": a.trace_id, "workflow": w.trace_id, "broken": b.trace_id}


@pytest.fixture
def ipm(ip: TestingShell, mastra: Mastra) -> TestingShell:
    ip.magics.replace_mastra(mastra, owned=False)
    return ip


def test_traces_lists_newest_first_with_status(ipm: TestingShell, mastra: Mastra) -> None:
    ids = _three_traces(mastra)
    table = ipm.line("traces")
    assert isinstance(table, Table)
    assert list(table.df.columns) == ["trace_id", "name", "start", "duration_ms", "span_count", "status"]
    assert table.df[["trace_id", "name", "span_count", "status"]].to_dict("records") == [
        {"trace_id": ids["broken"], "name": "broken", "span_count": 2, "status": "error"},
        {"trace_id": ids["workflow"], "name": "workflow.run", "span_count": 2, "status": "ok"},
        {"trace_id": ids["agent"], "name": "agent.generate", "span_count": 2, "status": "ok"},
    ]
    assert table.df["duration_ms"].tolist() == [30.0, 30.0, 30.0]
    assert "3 most recent traces" in repr(table) and "<table" in table._repr_html_()


def test_last_and_display_limit_bound_the_list(ipm: TestingShell, mastra: Mastra) -> None:
    _three_traces(mastra)
    assert ipm.line("traces --last 1").df["name"].tolist() == ["broken"]
    ipm.run_cell("%config MastraMagics.display_limit = 2")
    assert len(ipm.line("traces")) == 2


def test_no_traces_says_where_they_come_from(ipm: TestingShell) -> None:
    table = ipm.line("traces")
    assert len(table) == 0
    assert table.title is not None and table.title.startswith("no traces yet")


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_last_must_be_a_positive_number(ipm: TestingShell, value: str) -> None:
    message = ipm.usage_error(f"traces --last {value}")
    assert f"expected a positive whole number, got {value!r}" in message
    assert "see %mastra traces --help" in message


def test_trace_shows_the_waterfall_and_the_span_table(ipm: TestingShell, mastra: Mastra) -> None:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ids = _three_traces(mastra)
    view = ipm.line(f"trace {ids['broken']}")
    assert isinstance(view, TraceView)
    assert isinstance(view.figure, Figure)
    assert len(view.figure.axes[0].patches) == 2
    assert view.spans[["name", "depth", "status", "error"]].to_dict("records") == [
        {"name": "broken", "depth": 0, "status": "error", "error": "bad argument 'x'"},
        {"name": "tool:x", "depth": 1, "status": "error", "error": "bad argument 'x'"},
    ]
    assert repr(view).splitlines()[0] == f"trace {ids['broken']} broken: 2 spans, 30.0 ms, error"
    bundle = view._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG")
    assert base64.b64encode(bundle["image/png"]).decode() in bundle["text/html"]
    assert "class='mastra-trace-waterfall'" in bundle["text/html"]
    assert "<td>└ tool:x</td>" in bundle["text/html"]
    assert "\n└ tool:x " in bundle["text/plain"]
    assert plt.get_fignums() == []  # nothing left for matplotlib-inline to show a second time


def test_a_unique_prefix_is_enough(ipm: TestingShell, mastra: Mastra) -> None:
    assert _three_traces(mastra)["broken"] == "fff333"
    assert ipm.line("trace ff").trace_id == "fff333"


def test_an_ambiguous_prefix_lists_the_candidates(ipm: TestingShell, mastra: Mastra) -> None:
    _three_traces(mastra)
    assert ipm.usage_error("trace abc") == (
        "the trace id prefix 'abc' matches several traces: abc111, abc222; give more characters "
        "(hint: give more characters of the id)"
    )


def test_an_unknown_trace_points_to_the_list(ipm: TestingShell) -> None:
    assert ipm.usage_error("trace nope") == (
        "no trace 'nope' in this notebook's storage (hint: %mastra traces lists the recent traces)"
    )
    assert ipm.usage_error("trace") == (
        "there are no traces in this notebook's storage yet (hint: %mastra traces lists the recent traces)"
    )


def test_without_an_id_trace_shows_the_latest(ipm: TestingShell, mastra: Mastra) -> None:
    assert _three_traces(mastra)["broken"] == "fff333"
    assert ipm.line("trace").trace_id == "fff333"


def test_both_need_a_mastra(ip: TestingShell) -> None:
    assert "run %mastra init" in ip.usage_error("traces")
    assert "run %mastra init" in ip.usage_error("trace abc")
