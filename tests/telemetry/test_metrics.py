"""Metrics, cost and span tables, computed from real spans written by a real tracer to real database files."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mastra_lab.errors import MastraError
from mastra_lab.storage import DuckDBStore, SQLiteStore, Storage
from mastra_lab.telemetry import StorageExporter, Tracer
from mastra_lab.telemetry.metrics import (
    DEFAULT_PRICES,
    ModelPrice,
    cost_df,
    logs_df,
    metrics_df,
    parse_time,
    resolve_prices,
    spans_df,
    traces_df,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """The tracer's clock: time moves only when the test says so, so every duration is known exactly."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, ms: float) -> None:
        self.now += timedelta(milliseconds=ms)


@pytest.fixture(params=["duckdb", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    opened: Storage = (
        DuckDBStore(tmp_path / "spans.duckdb")
        if request.param == "duckdb"
        else SQLiteStore(tmp_path / "spans.sqlite")
    )
    yield opened
    opened.close()


def _tracer(store: Storage, clock: Clock) -> Tracer:
    return Tracer([StorageExporter(store)], clock=clock)


def _chat(
    tracer: Tracer,
    clock: Clock,
    model: str,
    ms: float,
    tokens: tuple[int, int] | None = (100, 20),
    *,
    provider: str = "openai",
    kind: str = "llm_generation",
    fail: bool = False,
    **extra: Any,
) -> None:
    """One model call of ``ms`` milliseconds, with the GenAI attributes a provider span carries."""
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        **extra,
    }
    if tokens is not None:
        attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"] = tokens
    try:
        with tracer.span(f"chat {model}", kind, attributes=attributes):
            clock.advance(ms)
            if fail:
                raise TimeoutError("the model did not answer")
    except TimeoutError:
        pass


# -- latency -------------------------------------------------------------------------------------------


def test_latency_percentiles_per_model_match_numpy(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    fast = [12.0, 15.5, 11.0, 30.0, 14.0, 13.0, 90.0, 12.5, 16.0, 15.0, 11.5, 17.0]
    slow = [200.0, 250.0, 1200.0, 230.0, 210.0, 205.0, 400.0]
    for ms in fast:
        _chat(tracer, clock, "gpt-4o-mini", ms)
    for i, ms in enumerate(slow):
        _chat(tracer, clock, "gpt-4o", ms, fail=i in (2, 5))
    tracer.shutdown()

    table = metrics_df(store, by="model")

    assert list(table.index) == ["gpt-4o-mini", "gpt-4o"]  # busiest first
    assert table.index.name == "model"
    for model, durations in (("gpt-4o-mini", fast), ("gpt-4o", slow)):
        row = table.loc[model]
        expected = np.percentile(durations, [50, 95, 99])
        assert [row["p50_ms"], row["p95_ms"], row["p99_ms"]] == pytest.approx(list(expected), abs=1e-3)
        assert row["requests"] == len(durations)
    assert table.loc["gpt-4o", "errors"] == 2
    assert table.loc["gpt-4o", "error_rate"] == pytest.approx(2 / 7)
    assert table.loc["gpt-4o-mini", "errors"] == 0


def test_time_to_first_token_is_the_median_of_the_recorded_ttft(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    ttfts = [40.0, 55.0, 35.0, 80.0]
    for ttft in ttfts:
        _chat(tracer, clock, "gpt-4.1", 100, **{"mastra.ttft_ms": ttft, "mastra.streaming": True})
    _chat(tracer, clock, "gpt-4.1", 100)  # not streamed: no ttft, left out of the median
    tracer.shutdown()

    assert metrics_df(store).loc["gpt-4.1", "ttft_p50_ms"] == pytest.approx(float(np.median(ttfts)))
    assert spans_df(store)["ttft_ms"].isna().sum() == 1


# -- tokens and cost -----------------------------------------------------------------------------------


def test_tokens_and_cost_follow_a_custom_price_table(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    calls = [("house-model", "acme", 1200, 300), ("house-model", "acme", 800, 700), ("other", "acme", 50, 5)]
    for model, provider, tokens_in, tokens_out in calls:
        _chat(tracer, clock, model, 10, (tokens_in, tokens_out), provider=provider)
    tracer.shutdown()
    prices = {"house-model": ModelPrice(2.0, 8.0), "acme:other": (1.0, 3.0)}

    table = metrics_df(store, by="model", prices=prices)

    assert table.loc["house-model", "input_tokens"] == 1200 + 800
    assert table.loc["house-model", "output_tokens"] == 300 + 700
    assert table.loc["house-model", "cost_usd"] == pytest.approx((2000 * 2.0 + 1000 * 8.0) / 1e6)
    assert table.loc["other", "cost_usd"] == pytest.approx((50 * 1.0 + 5 * 3.0) / 1e6)
    per_span = spans_df(store, prices=prices).sort_values("start")["cost_usd"].tolist()
    assert per_span == pytest.approx([(1200 * 2 + 300 * 8) / 1e6, (800 * 2 + 700 * 8) / 1e6, 65 / 1e6])


def test_models_are_priced_with_or_without_provider_prefix_and_date_suffix(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    _chat(tracer, clock, "openai:gpt-4o", 10, (1_000_000, 0), provider="openai")
    _chat(tracer, clock, "claude-3-5-sonnet-20241022", 10, (0, 1_000_000), provider="anthropic")
    _chat(tracer, clock, "gpt-4o-mini-2024-07-18", 10, (1_000_000, 1_000_000))
    _chat(tracer, clock, "llama3:8b", 10, (10, 10), provider="ollama")  # a colon of its own
    tracer.shutdown()

    table = cost_df(store, by="model")

    assert table.loc["gpt-4o", "cost_usd"] == pytest.approx(DEFAULT_PRICES["gpt-4o"].input_per_mtok)
    sonnet = DEFAULT_PRICES["claude-3-5-sonnet"].output_per_mtok
    assert table.loc["claude-3-5-sonnet-20241022", "cost_usd"] == pytest.approx(sonnet)
    mini = DEFAULT_PRICES["gpt-4o-mini"]
    expected = mini.input_per_mtok + mini.output_per_mtok
    assert table.loc["gpt-4o-mini-2024-07-18", "cost_usd"] == pytest.approx(expected)
    spans = spans_df(store).sort_values("start")
    assert spans["provider"].tolist() == ["openai", "anthropic", "openai", "ollama"]
    assert spans["model"].tolist()[::3] == ["gpt-4o", "llama3:8b"]
    assert math.isnan(table.loc["llama3:8b", "cost_usd"])


def test_an_unknown_model_has_unknown_cost_not_zero(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    with tracer.span("invoke_agent helper", "agent_run", attributes={"gen_ai.agent.name": "helper"}):
        _chat(tracer, clock, "gpt-4o", 10, (1000, 100))
        _chat(tracer, clock, "mystery-9000", 10, (1000, 100), provider="somewhere")
    tracer.shutdown()

    by_model = metrics_df(store, by="model")
    assert math.isnan(by_model.loc["mystery-9000", "cost_usd"])
    assert by_model.loc["gpt-4o", "cost_usd"] > 0
    assert math.isnan(metrics_df(store, by="agent").loc["helper", "cost_usd"])
    assert math.isnan(traces_df(store).loc[0, "cost_usd"])
    costs = cost_df(store, by="model")
    assert costs.loc["mystery-9000", "unpriced"] == 1
    assert list(costs.index) == ["gpt-4o", "mystery-9000"]  # known costs first, unknown last


def test_agent_and_trace_cost_add_up_model_calls_without_counting_agent_usage_twice(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    agent_attributes = {"gen_ai.agent.name": "support", "gen_ai.request.model": "openai:gpt-4o"}
    with tracer.span("invoke_agent support", "agent_run", attributes=agent_attributes) as agent:
        _chat(tracer, clock, "gpt-4o", 30, (1000, 200))
        with tracer.span("execute_tool lookup", "tool_call", attributes={"gen_ai.tool.name": "lookup"}):
            clock.advance(5)
        _chat(tracer, clock, "gpt-4o", 20, (1500, 100))
        agent.set_attribute("gen_ai.usage.input_tokens", 2500)  # the run's totals, as the agent reports them
        agent.set_attribute("gen_ai.usage.output_tokens", 300)
    tracer.shutdown()
    price = DEFAULT_PRICES["gpt-4o"]
    expected = (2500 * price.input_per_mtok + 300 * price.output_per_mtok) / 1e6

    agents = metrics_df(store, by="agent")
    (trace,) = traces_df(store).to_dict("records")

    assert (agents.loc["support", "input_tokens"], agents.loc["support", "output_tokens"]) == (2500, 300)
    assert agents.loc["support", "cost_usd"] == pytest.approx(expected)
    assert agents.loc["support", "p50_ms"] == pytest.approx(55.0)
    assert (trace["input_tokens"], trace["output_tokens"]) == (2500, 300)
    assert trace["cost_usd"] == pytest.approx(expected)
    assert trace["root"] == "invoke_agent support" and trace["root_type"] == "agent_run"
    assert (trace["spans"], trace["status"], trace["duration_ms"]) == (4, "ok", pytest.approx(55.0))
    tools = metrics_df(store, by="tool")
    assert tools.loc["lookup", ["requests", "input_tokens", "cost_usd"]].tolist() == [1, 0, 0.0]
    agent_span = spans_df(store, type="agent_run").iloc[0]
    assert math.isnan(agent_span["cost_usd"])  # cost lives on the model calls only


def test_cost_per_thread_and_resource_inherits_ids_from_the_agent_run(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    runs = [
        ("t-1", "alice", [(1000, 100)]),
        ("t-2", "alice", [(500, 50), (500, 50)]),
        ("t-3", "bob", [(10, 1)]),
    ]
    for thread, resource, calls in runs:
        attributes = {"gen_ai.agent.name": "support", "gen_ai.conversation.id": thread}
        with tracer.span(
            "invoke_agent support", "agent_run", attributes={**attributes, "mastra.resource_id": resource}
        ):
            for tokens in calls:
                _chat(tracer, clock, "gpt-4o-mini", 10, tokens)  # the model span names no thread itself
    _chat(tracer, clock, "gpt-4o-mini", 10, (7, 7))  # outside any thread
    tracer.shutdown()
    prices = {"gpt-4o-mini": ModelPrice(1.0, 10.0)}

    threads = cost_df(store, by="thread", prices=prices)
    resources = cost_df(store, by="resource", prices=prices)
    traces = cost_df(store, by="trace", prices=prices)

    assert threads.index.name == "thread"
    assert threads["cost_usd"].to_dict() == pytest.approx(
        {"t-1": 2000 / 1e6, "t-2": 2000 / 1e6, "t-3": 20 / 1e6}
    )
    assert threads.loc["t-2", "calls"] == 2
    assert resources["cost_usd"].to_dict() == pytest.approx({"alice": 4000 / 1e6, "bob": 20 / 1e6})
    assert resources.loc["alice", ["input_tokens", "output_tokens"]].tolist() == [2000, 200]
    assert len(traces) == 4 and traces["cost_usd"].sum() == pytest.approx((4020 + 77) / 1e6)
    calls = spans_df(store, type="llm_generation")  # the filter leaves the agent runs out; ids still inherit
    assert calls["thread_id"].value_counts().to_dict() == {"t-2": 2, "t-1": 1, "t-3": 1}
    assert calls["thread_id"].isna().sum() == 1


# -- older span kinds ----------------------------------------------------------------------------------


def test_spans_stored_under_old_kinds_read_as_the_new_ones(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    with tracer.span("invoke_agent legacy", "agent"):
        clock.advance(1)
        _chat(tracer, clock, "gpt-4o", 40, (100, 10), kind="llm")
        with tracer.span("execute_tool search", "tool"):
            clock.advance(3)
    with tracer.span("workflow_run nightly", "workflow"):
        clock.advance(1)
        with tracer.span("workflow_step fetch", "step"):
            clock.advance(7)
    tracer.shutdown()

    kinds = spans_df(store).sort_values("start")["type"].tolist()

    assert kinds == ["agent_run", "llm_generation", "tool_call", "workflow_run", "workflow_step"]
    assert metrics_df(store, by="agent").loc["legacy", "input_tokens"] == 100  # names from the span names
    assert metrics_df(store, by="tool").loc["search", "p50_ms"] == pytest.approx(3.0)
    assert metrics_df(store, by="workflow").loc["nightly", "requests"] == 1
    assert list(spans_df(store, type="llm_generation")["name"]) == ["chat gpt-4o"]  # the filter maps too
    assert spans_df(store, type="workflow_step").iloc[0]["workflow"] == "nightly"


# -- filters -------------------------------------------------------------------------------------------


def test_filters_select_by_time_trace_kind_status_and_limit(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    for i in range(5):
        _chat(tracer, clock, "gpt-4o", 10 + i, fail=i == 4)
        clock.advance(60_000)  # a minute apart
    tracer.shutdown()
    all_spans = spans_df(store).sort_values("start")
    third = all_spans.iloc[2]

    assert len(spans_df(store, since=third["start"].to_pydatetime())) == 3
    assert len(spans_df(store, until=third["start"].to_pydatetime())) == 2
    assert list(spans_df(store, trace_id=third["trace_id"])["span_id"]) == [third["span_id"]]
    assert len(spans_df(store, trace_id=list(all_spans["trace_id"][:2]))) == 2
    assert len(spans_df(store, status="error")) == 1
    assert spans_df(store, status="error").iloc[0]["error_type"] == "TimeoutError"
    assert spans_df(store, type="tool_call").empty
    newest = spans_df(store, limit=2)
    assert sorted(newest["span_id"]) == sorted(all_spans["span_id"][-2:])
    assert list(spans_df(store).columns) == list(spans_df(all_spans).columns)


def test_traces_df_filters_by_agent_status_duration_and_limit(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    for agent, ms, fail in [("a", 10, False), ("b", 300, False), ("a", 500, True), ("b", 20, False)]:
        with tracer.span(f"invoke_agent {agent}", "agent_run", attributes={"gen_ai.agent.name": agent}):
            _chat(tracer, clock, "gpt-4o", ms, fail=fail)
        clock.advance(1000)
    tracer.shutdown()

    traces = traces_df(store)
    assert list(traces["duration_ms"]) == pytest.approx([20.0, 500.0, 300.0, 10.0])  # newest first
    assert list(traces["status"]) == ["ok", "error", "ok", "ok"]
    assert traces.loc[1, "error"] == "TimeoutError: the model did not answer"
    assert list(traces_df(store, agent="a")["duration_ms"]) == pytest.approx([500.0, 10.0])
    assert list(traces_df(store, status="error")["root"]) == ["invoke_agent a"]
    assert list(traces_df(store, min_ms=250)["duration_ms"]) == pytest.approx([500.0, 300.0])
    assert len(traces_df(store, limit=3)) == 3 and len(traces_df(store, limit=None)) == 4


def test_since_accepts_durations_back_from_now(store: Storage) -> None:
    now = datetime.now(UTC)
    clock = Clock(now - timedelta(hours=3))
    tracer = _tracer(store, clock)
    _chat(tracer, clock, "gpt-4o", 10)
    clock.now = now - timedelta(minutes=10)
    _chat(tracer, clock, "gpt-4o-mini", 10)
    tracer.shutdown()

    assert list(metrics_df(store, since="1h").index) == ["gpt-4o-mini"]
    assert len(spans_df(store, since="1d")) == 2
    assert list(traces_df(store, since=timedelta(minutes=30))["root"]) == ["chat gpt-4o-mini"]
    assert cost_df(store, by="model", since="5m").empty


def test_traces_active_since_a_time_are_shown_whole(store: Storage) -> None:
    clock = Clock(datetime.now(UTC) - timedelta(hours=2))
    tracer = _tracer(store, clock)
    with tracer.span("workflow_run nightly", "workflow_run"):
        _chat(tracer, clock, "gpt-4o", 10, (100, 10))  # two hours ago
        clock.now = datetime.now(UTC) - timedelta(minutes=5)
        _chat(tracer, clock, "gpt-4o", 10, (200, 20))  # five minutes ago
    tracer.shutdown()

    (trace,) = traces_df(store, since="1h").to_dict("records")

    assert (trace["root"], trace["spans"], trace["input_tokens"]) == ("workflow_run nightly", 3, 300)
    assert len(spans_df(store, since="1h")) == 1  # spans_df itself cuts at the time


def test_a_frame_from_spans_df_gives_the_same_tables_as_the_storage(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    with tracer.span("invoke_agent x", "agent_run", attributes={"gen_ai.agent.name": "x"}):
        _chat(tracer, clock, "gpt-4o", 30)
        _chat(tracer, clock, "gpt-4.1-mini", 50, fail=True)
    tracer.shutdown()
    frame = spans_df(store)

    pd.testing.assert_frame_equal(metrics_df(frame), metrics_df(store))
    pd.testing.assert_frame_equal(cost_df(frame, by="model"), cost_df(store, by="model"))
    pd.testing.assert_frame_equal(traces_df(frame), traces_df(store))


def test_an_empty_storage_gives_empty_tables_with_their_columns(store: Storage) -> None:
    assert spans_df(store).empty and "cost_usd" in spans_df(store).columns
    assert list(traces_df(store).columns) == [
        "trace_id", "root", "root_type", "start", "duration_ms", "spans", "input_tokens", "output_tokens",
        "cost_usd", "status", "error",
    ]  # fmt: skip
    assert list(metrics_df(store, by="tool").columns) == [
        "requests", "errors", "error_rate", "p50_ms", "p95_ms", "p99_ms", "input_tokens", "output_tokens",
        "ttft_p50_ms", "cost_usd",
    ]  # fmt: skip
    assert list(cost_df(store, by="thread").columns) == [
        "calls", "input_tokens", "output_tokens", "unpriced", "cost_usd",
    ]  # fmt: skip
    assert list(logs_df(store).columns) == [
        "time",
        "level",
        "logger",
        "message",
        "trace_id",
        "span_id",
        "span",
    ]


# -- logs ----------------------------------------------------------------------------------------------


def test_logs_df_lists_log_events_with_their_trace_and_span(store: Storage) -> None:
    clock = Clock()
    tracer = _tracer(store, clock)
    with tracer.span("invoke_agent support", "agent_run") as agent:
        agent.add_event("log", {"level": "INFO", "logger": "mastra_lab.agent", "message": "calling"}, T0)
        with tracer.span("chat gpt-4o", "llm_generation") as chat:
            late = T0 + timedelta(milliseconds=30)
            chat.add_event("log", {"level": "WARN", "logger": "mastra_lab.llm", "message": "retrying"}, late)
            chat.add_event("first_token", {}, T0 + timedelta(milliseconds=20))  # not a log record
        agent.add_event(
            "log",
            {"level": "DEBUG", "logger": "mastra_lab.agent", "message": "done"},
            late + timedelta(milliseconds=5),
        )
    with tracer.span("chat gpt-4o", "llm_generation") as other:
        other.add_event("log", {"level": "ERROR", "logger": "mastra_lab.llm", "message": "elsewhere"}, T0)
    tracer.shutdown()

    logs = logs_df(store, trace_id=agent.trace_id)

    assert list(logs["message"]) == ["calling", "retrying", "done"]  # time order, log events only
    assert logs.iloc[1][["level", "logger", "trace_id", "span_id", "span"]].tolist() == [
        "WARN", "mastra_lab.llm", chat.trace_id, chat.span_id, "chat gpt-4o",
    ]  # fmt: skip
    assert logs["time"].iloc[1] == pd.Timestamp(T0 + timedelta(milliseconds=30))
    assert list(logs_df(store, trace_id=agent.trace_id, level="info")["message"]) == ["calling", "retrying"]
    assert list(logs_df(store, level="ERROR")["message"]) == ["elsewhere"]
    assert len(logs_df(store)) == 4


# -- arguments -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "back"),
    [("30s", timedelta(seconds=30)), ("15m", timedelta(minutes=15)), ("1h", timedelta(hours=1)),
     ("7d", timedelta(days=7)), (" 2.5h ", timedelta(hours=2.5)),
     (timedelta(minutes=3), timedelta(minutes=3))],
)  # fmt: skip
def test_parse_time_counts_durations_back_from_now(value: str | timedelta, back: timedelta) -> None:
    assert parse_time(value, now=T0) == T0 - back


def test_parse_time_takes_datetimes_and_iso_strings_as_utc() -> None:
    assert parse_time(datetime(2026, 3, 1, 12)) == T0  # naive means UTC
    assert parse_time("2026-03-01T13:00:00+01:00") == T0
    assert parse_time(None) is None


@pytest.mark.parametrize("bad", ["yesterday", "5 parsecs", "-1h", "", timedelta(hours=-1), 3600])
def test_a_bad_time_is_a_clear_error(bad: Any) -> None:
    with pytest.raises(
        MastraError, match=r"since=.* is not a time; pass a duration back from now \('30s'"
    ) as err:
        parse_time(bad)
    assert err.value.code == "TELEMETRY_BAD_TIME"


def test_bad_arguments_fail_before_any_query(tmp_path: Path) -> None:
    closed = DuckDBStore(tmp_path / "closed.duckdb")
    closed.close()  # any query would fail with a storage error instead
    calls: list[tuple[Any, str]] = [
        (lambda: spans_df(closed, since="soon"), "TELEMETRY_BAD_TIME"),
        (lambda: spans_df(closed, until="later"), "TELEMETRY_BAD_TIME"),
        (lambda: spans_df(closed, status="fine"), "TELEMETRY_BAD_ARGUMENT"),
        (lambda: spans_df(closed, limit=-1), "TELEMETRY_BAD_ARGUMENT"),
        (lambda: spans_df(closed, type=[]), "TELEMETRY_BAD_ARGUMENT"),
        (lambda: spans_df(closed, prices={"gpt-4o": -1}), "TELEMETRY_BAD_PRICES"),
        (lambda: metrics_df(closed, by="colour"), "TELEMETRY_BAD_ARGUMENT"),  # type: ignore[arg-type]
        (lambda: cost_df(closed, by="agent"), "TELEMETRY_BAD_ARGUMENT"),  # type: ignore[arg-type]
        (lambda: traces_df(closed, min_ms="slow"), "TELEMETRY_BAD_ARGUMENT"),  # type: ignore[arg-type]
        (lambda: logs_df(closed, level="LOUD"), "TELEMETRY_BAD_ARGUMENT"),
        (lambda: spans_df(["not", "spans"]), "TELEMETRY_BAD_ARGUMENT"),  # type: ignore[arg-type]
    ]
    for call, code in calls:
        with pytest.raises(MastraError) as err:
            call()
        assert err.value.code == code, err.value.message


def test_metrics_by_names_the_allowed_keys() -> None:
    with pytest.raises(MastraError, match="by='colour' is not one of 'model', 'agent', 'tool', 'workflow'"):
        metrics_df(pd.DataFrame(), by="colour")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        (["gpt-4o"], "prices must be a mapping of model name to ModelPrice, got list"),
        ({"gpt-4o": "cheap"}, r"prices\['gpt-4o'\]='cheap' is not a price; use ModelPrice\(input_per_mtok="),
        ({"gpt-4o": (1.0,)}, r"prices\['gpt-4o'\]=\(1.0,\) is not a price"),
        ({"gpt-4o": {"input": 1}}, r"prices\['gpt-4o'\]=\{'input': 1\} is not a price"),
        ({"gpt-4o": (1.0, float("nan"))}, r"prices\['gpt-4o'\]=\(1.0, nan\) is not a price"),
        ({"": ModelPrice(1, 1)}, "a prices key must be a model name"),
    ],
)
def test_a_bad_price_table_is_a_clear_error(prices: Any, message: str) -> None:
    with pytest.raises(MastraError, match=message) as err:
        resolve_prices(prices)
    assert err.value.code == "TELEMETRY_BAD_PRICES"


def test_custom_prices_merge_over_the_defaults() -> None:
    table = resolve_prices(
        {"gpt-4o": ModelPrice(1, 2), "mine": {"input_per_mtok": 0.5, "output_per_mtok": 1}}
    )
    assert table["gpt-4o"] == ModelPrice(1, 2)
    assert table["mine"] == ModelPrice(0.5, 1)
    assert table["claude-3-7-sonnet"] == DEFAULT_PRICES["claude-3-7-sonnet"]
    assert repr(ModelPrice(2.5, 10.0)) == "ModelPrice(input_per_mtok=2.5, output_per_mtok=10.0)"
    assert resolve_prices() == DEFAULT_PRICES and resolve_prices() is not DEFAULT_PRICES


def test_default_prices_cover_the_common_models() -> None:
    names: Mapping[str, ModelPrice] = DEFAULT_PRICES
    for model in ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o3-mini", "claude-3-5-sonnet",
                  "claude-3-7-sonnet", "claude-sonnet-4", "claude-3-5-haiku", "llama-3.3-70b-versatile",
                  "llama-3.1-8b-instant"]:  # fmt: skip
        assert names[model].output_per_mtok >= names[model].input_per_mtok > 0
