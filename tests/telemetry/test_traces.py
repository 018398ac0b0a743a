"""Finding traces by prefix, listing them with a status, and laying a trace out as a tree."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mastra_lab.errors import MastraError, ToolError
from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore, Storage
from mastra_lab.telemetry import InMemoryExporter, StorageExporter, Tracer
from mastra_lab.telemetry.traces import (
    find_trace,
    load_trace,
    recent_traces,
    recent_traces_df,
    summarize_trace,
    trace_layout,
    trace_spans_df,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _span(span_id: str, parent: str | None, start: float, end: float | None, **extra: Any) -> dict[str, Any]:
    return {
        "trace_id": extra.pop("trace_id", "t1"),
        "span_id": span_id,
        "parent_span_id": parent,
        "name": extra.pop("name", span_id),
        "type": extra.pop("type", "custom"),
        "start": T0 + timedelta(milliseconds=start),
        "end": None if end is None else T0 + timedelta(milliseconds=end),
        **extra,
    }


def test_layout_puts_children_under_their_parent_earliest_first() -> None:
    spans = [
        _span("late-child", "root", 50, 60),
        _span("root", None, 0, 100),
        _span("grandchild", "early-child", 15, 20),
        _span("early-child", "root", 10, 40),
    ]
    rows = trace_layout(spans)
    assert [(r.span_id, r.depth, r.row) for r in rows] == [
        ("root", 0, 0),
        ("early-child", 1, 1),
        ("grandchild", 2, 2),
        ("late-child", 1, 3),
    ]
    assert [(r.start_ms, r.end_ms, r.duration_ms) for r in rows][1] == (10.0, 40.0, 30.0)


def test_layout_keeps_parallel_siblings_overlapping() -> None:
    rows = trace_layout([_span("root", None, 0, 100), _span("a", "root", 10, 60), _span("b", "root", 12, 70)])
    a, b = rows[1], rows[2]
    assert a.start_ms < b.end_ms and b.start_ms < a.end_ms


def test_a_span_whose_parent_is_missing_is_an_orphan_root() -> None:
    rows = trace_layout([_span("root", None, 0, 10), _span("lost", "not-saved", 5, 8)])
    assert [(r.span_id, r.depth, r.orphan) for r in rows] == [("root", 0, False), ("lost", 0, True)]


def test_spans_in_a_parent_cycle_are_still_laid_out_once() -> None:
    rows = trace_layout([_span("a", "b", 0, 10), _span("b", "a", 1, 5)])
    assert sorted(r.span_id for r in rows) == ["a", "b"]
    assert rows[0].orphan


def test_errors_and_running_spans_are_marked() -> None:
    rows = trace_layout(
        [
            _span("root", None, 0, 40),
            _span("bad", "root", 5, 10, error={"type": "ToolError", "message": "bad argument 'x'"}),
            _span("open", "root", 20, None),
        ]
    )
    by_id = {r.span_id: r for r in rows}
    assert (by_id["bad"].status, by_id["bad"].error) == ("error", "bad argument 'x'")
    assert (by_id["open"].status, by_id["open"].duration_ms, by_id["open"].end_ms) == ("running", None, 40.0)
    assert by_id["root"].status == "ok"


def test_layout_accepts_span_objects_and_iso_strings() -> None:
    exporter = InMemoryExporter()
    tracer = Tracer([exporter])
    with tracer.span("root", "agent_run"), tracer.span("child", "llm_generation"):
        pass
    rows = trace_layout(exporter.spans)
    assert [(r.name, r.type, r.depth) for r in rows] == [
        ("root", "agent_run", 0),
        ("child", "llm_generation", 1),
    ]
    iso = {**_span("x", None, 0, 5), "start": T0.isoformat(), "end": (T0 + timedelta(seconds=1)).isoformat()}
    assert trace_layout([iso])[0].duration_ms == 1000.0


def test_a_malformed_span_is_a_clear_error() -> None:
    with pytest.raises(MastraError, match="span start must be a datetime"):
        trace_layout([{"span_id": "a", "start": 5}])
    with pytest.raises(MastraError, match="dicts or Span objects, got int"):
        trace_layout([5])  # type: ignore[list-item]


@pytest.fixture(params=["duckdb", "sqlite", "memory"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    store: Storage
    if request.param == "duckdb":
        store = DuckDBStore(tmp_path / "t.duckdb")
    elif request.param == "sqlite":
        store = SQLiteStore(tmp_path / "t.sqlite")
    else:
        store = InMemoryStore()
    return store


def _record(storage: Storage, ids: list[str]) -> Tracer:
    it = iter(ids)
    ticks = (T0 + timedelta(milliseconds=10 * i) for i in itertools.count())
    return Tracer([StorageExporter(storage)], id_factory=lambda: next(it), clock=lambda: next(ticks))


def test_find_trace_takes_a_full_id_or_a_unique_prefix(storage: Storage) -> None:
    tracer = _record(storage, ["abc111", "s1", "abc222", "s2", "fff333", "s3"])
    for _ in range(3):
        with tracer.span("run"):
            pass
    assert find_trace(storage, "abc111") == "abc111"
    assert find_trace(storage, "ff") == "fff333"
    with pytest.raises(MastraError, match="'abc' matches several traces: abc111, abc222") as ambiguous:
        find_trace(storage, "abc")
    assert ambiguous.value.code == "TELEMETRY_TRACE_AMBIGUOUS"
    assert ambiguous.value.details["candidates"] == ["abc111", "abc222"]
    with pytest.raises(MastraError, match="no trace 'zzz' in this storage; list the traces") as missing:
        find_trace(storage, "zzz")
    assert missing.value.code == "TELEMETRY_TRACE_NOT_FOUND"


def test_find_trace_treats_like_wildcards_literally(storage: Storage) -> None:
    with _record(storage, ["abc", "s1"]).span("run"):
        pass
    with pytest.raises(MastraError, match="no trace '%'"):
        find_trace(storage, "%")


def test_recent_traces_carry_a_status(storage: Storage) -> None:
    tracer = _record(storage, ["ok", "s1", "bad", "s2", "s2b"])
    with tracer.span("fine"):
        pass
    with pytest.raises(ToolError), tracer.span("broken"), tracer.span("tool", "tool_call"):
        raise ToolError("no")
    storage.save_spans([_span("s3", None, 100, None, trace_id="open", name="waiting")])
    assert [(t["trace_id"], t["status"]) for t in recent_traces(storage)] == [
        ("open", "running"),
        ("bad", "error"),
        ("ok", "ok"),
    ]
    df = recent_traces_df(storage, limit=2)
    assert list(df.columns) == ["trace_id", "name", "start", "duration_ms", "span_count", "status"]
    assert df.to_dict("list")["span_count"] == [1, 2]


def test_load_trace_needs_a_known_trace(storage: Storage) -> None:
    with pytest.raises(MastraError, match="which trace"):
        load_trace(storage)
    with pytest.raises(MastraError, match="no trace 'nope'"):
        load_trace(storage, "nope")
    with pytest.raises(MastraError, match="no spans to show"):
        load_trace([])
    two = [_span("a", None, 0, 1), _span("b", None, 0, 1, trace_id="t2")]
    with pytest.raises(MastraError, match="belong to 2 traces"):
        load_trace(two)
    assert [s["span_id"] for s in load_trace(two, "t2")] == ["b"]


def test_span_table_follows_the_layout_with_attributes() -> None:
    df = trace_spans_df([_span("child", "root", 5, 8, attributes={"tokens": 3}), _span("root", None, 0, 10)])
    assert df[["name", "depth", "start_ms", "duration_ms"]].to_dict("records") == [
        {"name": "root", "depth": 0, "start_ms": 0.0, "duration_ms": 10.0},
        {"name": "child", "depth": 1, "start_ms": 5.0, "duration_ms": 3.0},
    ]
    assert df["attributes"][1] == {"tokens": 3}


def test_summarize_trace_matches_the_listing_shape() -> None:
    spans = [_span("root", None, 0, 30, name="agent"), _span("c", "root", 5, 10, error={"message": "x"})]
    assert summarize_trace(spans) == {
        "trace_id": "t1",
        "name": "agent",
        "start": T0,
        "duration_ms": 30.0,
        "span_count": 2,
        "status": "error",
    }
    assert summarize_trace([_span("root", None, 0, None)])["status"] == "running"
