"""``%mastra metrics`` and ``%mastra cost`` on the spans that offline agents left in a DuckDB file."""

from __future__ import annotations

import pytest

from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.display import Table


def test_metrics_by_model_counts_every_model_call(traced: TestingShell) -> None:
    table = traced.line("metrics")
    assert isinstance(table, Table)
    assert list(table.df.columns) == [
        "model",
        "requests",
        "errors",
        "error_rate",
        "p50_ms",
        "p95_ms",
        "p99_ms",
        "input_tokens",
        "output_tokens",
        "ttft_p50_ms",
        "cost_usd",
    ]
    spans = traced.magics.mastra.spans_df(type="llm_generation")  # type: ignore[union-attr]
    row = table.df.to_dict("records")[0]
    assert (row["model"], row["requests"], row["errors"]) == ("test", 6, 0)  # two model calls a run
    assert row["input_tokens"] == spans["input_tokens"].sum() and row["output_tokens"] > 0
    assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert table.title == "1 model, busiest first"


def test_metrics_by_agent_and_tool(traced: TestingShell) -> None:
    agents = traced.line("metrics --by agent").df.set_index("agent")
    assert agents["requests"].to_dict() == {"calc": 2, "support": 1}
    tools = traced.line("metrics --by tool --since 1h")
    assert tools.df.set_index("tool")[["requests", "errors"]].to_dict("index") == {
        "add": {"requests": 2, "errors": 0},
        "broken": {"requests": 1, "errors": 1},
    }
    assert tools.title == "2 tools in the last 1h, busiest first"


def test_the_result_keeps_the_whole_frame(traced: TestingShell) -> None:
    traced.run_cell("table = %mastra metrics --by agent")
    assert traced.ns["table"].df["agent"].tolist() == ["calc", "support"]


def test_metrics_of_an_empty_storage_say_how_to_get_some(ip: TestingShell) -> None:
    ip.line("init")
    table = ip.line("metrics --by workflow")
    assert len(table) == 0
    assert table.title == "no workflow requests yet: run an agent or a workflow, then look again"


def test_cost_by_trace_and_model(traced: TestingShell) -> None:
    by_trace = traced.line("cost")
    assert list(by_trace.df.columns) == [
        "trace",
        "calls",
        "input_tokens",
        "output_tokens",
        "unpriced",
        "cost_usd",
    ]
    assert len(by_trace) == 3 and (by_trace.df["calls"] == 2).all()
    by_model = traced.line("cost --by model").df
    assert by_model["cost_usd"].iloc[0] == pytest.approx(by_trace.df["cost_usd"].sum())
    expected = (by_model["input_tokens"].iloc[0] * 1000.0 + by_model["output_tokens"].iloc[0] * 2000.0) / 1e6
    assert by_model["cost_usd"].iloc[0] == pytest.approx(expected)
    assert by_trace.title == f"cost of 6 model calls by trace: ${expected:.6f}"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("metrics --by colour", "argument --by: invalid choice: 'colour' (choose from 'model', 'agent'"),
        ("metrics --since banana", "argument --since: 'banana' is not a duration"),
        ("cost --by agent", "argument --by: invalid choice: 'agent' (choose from 'trace', 'thread'"),
    ],
)
def test_malformed_options_name_the_problem_and_the_fix(
    traced: TestingShell, line: str, problem: str
) -> None:
    command = line.split()[0]
    message = traced.usage_error(line)
    assert message.startswith(f"%mastra {command}: {problem}")
    assert message.endswith(f"(hint: see %mastra {command} --help)")


def test_both_need_a_mastra(ip: TestingShell) -> None:
    assert "run %mastra init" in ip.usage_error("metrics")
    assert "run %mastra init" in ip.usage_error("cost")
