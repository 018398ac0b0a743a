"""The Mastra registry's telemetry tables: spans, traces, metrics, cost and logs of what its agents ran."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mastra_lab import Agent, Mastra
from mastra_lab.errors import MastraError
from mastra_lab.llm.testing import TestModel
from mastra_lab.storage import DuckDBStore, SQLiteStore
from mastra_lab.telemetry.metrics import DEFAULT_PRICES, ModelPrice


def _run_agent(mastra: Mastra, prompts: list[str]) -> None:
    mastra.add_agent(Agent("support", "Answer briefly.", TestModel(text="ok", call_tools=None)))
    agent = mastra.get_agent("support")
    for prompt in prompts:
        agent.generate_sync(prompt)


def test_metrics_and_cost_of_an_agent_run_use_the_registry_prices(tmp_path: Path) -> None:
    prices = {"test:*": ModelPrice(input_per_mtok=1_000.0, output_per_mtok=2_000.0)}
    with Mastra(storage=DuckDBStore(tmp_path / "app.duckdb"), prices=prices) as mastra:
        _run_agent(mastra, ["hello", "again"])

        spans = mastra.spans_df(type="llm_generation")
        tokens_in, tokens_out = int(spans["input_tokens"].sum()), int(spans["output_tokens"].sum())
        expected = (tokens_in * 1_000.0 + tokens_out * 2_000.0) / 1e6
        agents = mastra.metrics_df(by="agent")
        traces = mastra.traces_df()
        by_model = mastra.cost_df(by="model")

    assert len(spans) == 2 and tokens_in > 0 and tokens_out > 0
    assert agents.loc["support", "requests"] == 2
    assert agents.loc["support", ["input_tokens", "output_tokens"]].tolist() == [tokens_in, tokens_out]
    assert agents.loc["support", "cost_usd"] == pytest.approx(expected)
    assert list(traces["status"]) == ["ok", "ok"] and traces["cost_usd"].sum() == pytest.approx(expected)
    assert by_model["cost_usd"].sum() == pytest.approx(expected)
    assert mastra.prices["test:*"] == prices["test:*"]
    assert mastra.prices["gpt-4o"] == DEFAULT_PRICES["gpt-4o"]


def test_the_offline_test_model_costs_nothing_by_default(tmp_path: Path) -> None:
    with Mastra(storage=SQLiteStore(tmp_path / "app.sqlite")) as mastra:
        _run_agent(mastra, ["hello"])
        assert mastra.cost_df(by="trace")["cost_usd"].tolist() == [0.0]
        assert mastra.metrics_df(by="agent").loc["support", "cost_usd"] == 0.0


def test_editing_prices_changes_the_next_table(tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(tmp_path / "app.duckdb")) as mastra:
        _run_agent(mastra, ["hello"])
        tokens_in = int(mastra.spans_df(type="llm_generation")["input_tokens"].sum())
        mastra.prices["test:*"] = ModelPrice(input_per_mtok=1e6, output_per_mtok=0)
        assert mastra.cost_df(by="model")["cost_usd"].tolist() == [pytest.approx(float(tokens_in))]
        mastra.prices["test:*"] = "free"  # type: ignore[assignment]
        with pytest.raises(MastraError, match=r"prices\['test:\*'\]='free' is not a price"):
            mastra.cost_df()


def test_filters_reach_the_tables(tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(tmp_path / "app.duckdb")) as mastra:
        _run_agent(mastra, ["one", "two", "three"])
        assert len(mastra.traces_df(limit=2)) == 2
        assert len(mastra.traces_df(agent="support")) == 3 and mastra.traces_df(agent="nobody").empty
        assert mastra.traces_df(status="error").empty
        assert mastra.spans_df(since="1h", type="agent_run")["agent"].tolist() == ["support"] * 3
        assert mastra.spans_df(until=datetime(2000, 1, 1, tzinfo=UTC)).empty
        first = mastra.traces_df()["trace_id"].iloc[-1]
        assert set(mastra.spans_df(trace_id=first)["trace_id"]) == {first}
        assert list(mastra.logs_df(trace_id=first).columns)[:4] == ["time", "level", "logger", "message"]


def test_prune_spans_takes_the_same_time_forms(tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(tmp_path / "app.duckdb")) as mastra:
        _run_agent(mastra, ["one", "two"])
        count = len(mastra.spans_df())
        assert mastra.prune_spans("7d") == 0
        assert mastra.prune_spans(timedelta(0)) == count
        assert mastra.spans_df().empty
        with pytest.raises(MastraError, match="older_than='last week' is not a time") as err:
            mastra.prune_spans("last week")
        assert err.value.code == "TELEMETRY_BAD_TIME"


def test_a_bad_price_table_fails_when_the_registry_is_built() -> None:
    with pytest.raises(MastraError, match=r"prices\['gpt-4o'\]='free' is not a price") as err:
        Mastra(prices={"gpt-4o": "free"})
    assert err.value.code == "TELEMETRY_BAD_PRICES"
