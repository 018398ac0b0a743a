"""``%mastra traces`` and ``%mastra trace``: recent traces as a table, one trace as waterfall + span table.

Layout and ids are checked on traces made with a scripted clock and readable ids; the filters on traces
that real offline agents made, over a DuckDB file.
"""

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
from mastra_lab.telemetry.logger import get_logger

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def mastra(tmp_path: Path) -> Iterator[Mastra]:
    """A Mastra on a DuckDB file whose tracer hands out readable ids and 10 ms ticks, and keeps content."""
    store = DuckDBStore(tmp_path / "lab.duckdb")
    # a root span takes a trace id then a span id, a child one span id: traces abc111, abc222, fff333
    fixed = ["abc111", "s1", "s2", "abc222", "s3", "s4", "fff333", "s5", "s6"]
    ids = itertools.chain(fixed, (f"more{i}" for i in itertools.count()))
    ticks = (T0 + timedelta(milliseconds=10 * i) for i in itertools.count())
    tracer = Tracer(
        [StorageExporter(store)],
        id_factory=lambda: next(ids),
        clock=lambda: next(ticks),
        capture_content=True,
    )
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
    assert list(table.df.columns) == [
        "trace_id",
        "root",
        "root_type",
        "start",
        "duration_ms",
        "spans",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "status",
        "error",
    ]
    assert table.df[["trace_id", "root", "spans", "status"]].to_dict("records") == [
        {"trace_id": ids["broken"], "root": "broken", "spans": 2, "status": "error"},
        {"trace_id": ids["workflow"], "root": "workflow.run", "spans": 2, "status": "ok"},
        {"trace_id": ids["agent"], "root": "agent.generate", "spans": 2, "status": "ok"},
    ]
    assert table.df["duration_ms"].tolist() == [30.0, 30.0, 30.0]
    assert "3 most recent traces" in repr(table) and "<table" in table._repr_html_()


def test_limit_last_and_display_limit_bound_the_list(ipm: TestingShell, mastra: Mastra) -> None:
    _three_traces(mastra)
    assert ipm.line("traces --last 1").df["root"].tolist() == ["broken"]
    assert ipm.line("traces --limit 2").df["root"].tolist() == ["broken", "workflow.run"]
    ipm.run_cell("%config MastraMagics.display_limit = 2")
    assert len(ipm.line("traces")) == 2


def test_since_leaves_out_older_traces(ipm: TestingShell, mastra: Mastra) -> None:
    _three_traces(mastra)  # their clock stands at 2026-01-01, long before "the last hour"
    table = ipm.line("traces --since 1h")
    assert len(table) == 0
    assert table.title == "no traces match (any) in the last 1h; drop a filter to see more"


def test_no_traces_says_where_they_come_from(ipm: TestingShell) -> None:
    table = ipm.line("traces")
    assert len(table) == 0
    assert table.title is not None and table.title.startswith("no traces yet")


@pytest.mark.parametrize("option", ["--last", "--limit"])
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_limit_must_be_a_positive_number(ipm: TestingShell, option: str, value: str) -> None:
    message = ipm.usage_error(f"traces {option} {value}")
    assert f"expected a positive whole number, got {value!r}" in message
    assert "see %mastra traces --help" in message


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("traces --since banana", "argument --since: 'banana' is not a duration; write a number and a unit"),
        ("traces --since 0m", "argument --since: the duration '0m' is zero"),
        ("traces --min-ms -3", "argument --min-ms: expected 0 or more milliseconds, got '-3'"),
        (
            "traces --min-ms slow",
            "argument --min-ms: expected milliseconds (a number such as 250), got 'slow'",
        ),
        ("traces --status broken", "argument --status: invalid choice: 'broken' (choose from 'ok', 'error'"),
    ],
)
def test_malformed_filters_say_what_to_type(ipm: TestingShell, line: str, problem: str) -> None:
    message = ipm.usage_error(line)
    assert message.startswith(f"%mastra traces: {problem}")
    assert message.endswith("(hint: see %mastra traces --help)")


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


def test_an_unknown_trace_lists_the_latest_ids(ipm: TestingShell, mastra: Mastra) -> None:
    assert ipm.usage_error("trace nope") == (
        "no trace 'nope': this notebook's storage has no traces yet "
        "(hint: %mastra traces lists the recent traces)"
    )
    _three_traces(mastra)
    assert ipm.usage_error("trace nope") == (
        "no trace 'nope' in this notebook's storage; the latest are: fff333 (broken), "
        "abc222 (workflow.run), abc111 (agent.generate) (hint: %mastra traces lists the recent traces)"
    )


def test_without_traces_trace_says_so(ipm: TestingShell) -> None:
    assert ipm.usage_error("trace") == (
        "there are no traces in this notebook's storage yet (hint: %mastra traces lists the recent traces)"
    )


def test_without_an_id_trace_shows_the_latest(ipm: TestingShell, mastra: Mastra) -> None:
    assert _three_traces(mastra)["broken"] == "fff333"
    assert ipm.line("trace").trace_id == "fff333"


def test_both_need_a_mastra(ip: TestingShell) -> None:
    assert "run %mastra init" in ip.usage_error("traces")
    assert "run %mastra init" in ip.usage_error("trace abc")


def test_trace_shows_attributes_input_output_and_logs(ipm: TestingShell, mastra: Mastra) -> None:
    attributes = {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"}
    with mastra.tracer.span(
        "invoke_agent support", "agent_run", input="where is A-1?", attributes=attributes
    ) as s:
        get_logger("agent").warning("order %s found", "A-1")  # a log line inside the span is its event
        with mastra.tracer.span(
            "execute_tool lookup", "tool_call", attributes={"gen_ai.tool.name": "lookup"}
        ):
            pass
        s.set_output({"text": "shipped"})
    view = ipm.line(f"trace {s.trace_id}")
    assert view.spans[["name", "input", "output"]].to_dict("records") == [
        {"name": "invoke_agent support", "input": "where is A-1?", "output": {"text": "shipped"}},
        {"name": "execute_tool lookup", "input": None, "output": None},
    ]
    assert view.spans["attributes"].tolist() == [attributes, {"gen_ai.tool.name": "lookup"}]
    assert view.logs[["level", "logger", "message", "span"]].to_dict("records") == [
        {
            "level": "WARN",
            "logger": "mastra_lab.agent",
            "message": "order A-1 found",
            "span": "invoke_agent support",
        }
    ]
    text = repr(view)
    assert "gen_ai.agent.name=support" in text and "gen_ai.operation.name" not in text  # the type says it
    assert "└ execute_tool lookup" in text and "gen_ai.tool.name=lookup" in text
    assert "input and output" in text and 'where is A-1? {"text": "shipped"}' in " ".join(text.split())
    assert "1 log records" in text and "order A-1 found" in text
    html = view._repr_html_()
    assert "<b>input and output</b>" in html and "<b>1 log records</b>" in html


def test_trace_without_content_or_logs_shows_only_the_spans(ipm: TestingShell, mastra: Mastra) -> None:
    ids = _three_traces(mastra)
    text = repr(ipm.line(f"trace {ids['agent']}"))
    assert "input and output" not in text and "log records" not in text


# -- on traces that agents made --------------------------------------------------------------------------


def test_agent_and_status_filter_the_traces(traced: TestingShell) -> None:
    calc = traced.line("traces --agent calc")
    assert calc.df["root"].tolist() == ["invoke_agent calc"] * 2
    assert calc.title == "2 most recent traces with agent calc (%mastra trace ID shows one)"
    failed = traced.line("traces --status error")
    assert failed.df[["root", "status", "error"]].to_dict("records") == [
        {"root": "invoke_agent support", "status": "error", "error": "TOOL_ERROR: the order service is down"}
    ]
    assert traced.line("traces --agent calc --status error --since 1h").title == (
        "no traces match (agent calc, status error) in the last 1h; drop a filter to see more"
    )


def test_traces_carry_tokens_and_cost_of_their_model_calls(traced: TestingShell) -> None:
    df = traced.line("traces --since 1h").df
    assert len(df) == 3 and (df["spans"] == 4).all()  # agent run, two model calls, one tool call
    spans = traced.magics.mastra.spans_df(type="llm_generation")  # type: ignore[union-attr]
    for trace in df.to_dict("records"):
        calls = spans[spans["trace_id"] == trace["trace_id"]]
        assert trace["input_tokens"] == calls["input_tokens"].sum() > 0
        assert trace["cost_usd"] == pytest.approx(
            (calls["input_tokens"].sum() * 1000.0 + calls["output_tokens"].sum() * 2000.0) / 1e6
        )


def test_min_ms_keeps_the_slow_traces(traced: TestingShell) -> None:
    durations = traced.line("traces").df["duration_ms"]
    middle = sorted(durations)[1]
    kept = traced.line(f"traces --min-ms {middle}").df["duration_ms"]
    assert sorted(kept) == sorted(d for d in durations if d >= middle) and len(kept) >= 2
    assert len(traced.line("traces --min-ms 3600000")) == 0
