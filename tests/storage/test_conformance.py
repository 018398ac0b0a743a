"""The definition of correct storage: every backend must pass every test here, unchanged.

The ``store`` fixture (``conftest.py``) yields a fresh store of each backend; DuckDB and SQLite run on real
files. Bad-input tests check both the error and that nothing was written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest
from dirty_equals import IsDatetime, IsStr
from inline_snapshot import snapshot

from mastra_lab.errors import StorageError
from mastra_lab.storage import (
    Record,
    Resource,
    Storage,
    StoredMessage,
    Thread,
    WorkflowRun,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _msg(i: int, thread: str = "t1", **kw: Any) -> StoredMessage:
    return StoredMessage(f"m{i}", thread, "user", f"hello {i}", created_at=_at(i), **kw)


def _span(span_id: str, trace_id: str = "tr1", parent: str | None = None, **kw: Any) -> dict[str, Any]:
    base = {
        "trace_id": trace_id,
        "span_id": span_id,
        "parent_span_id": parent,
        "name": span_id,
        "type": "agent",
        "attributes": {"k": 1},
        "input": {"q": "hi"},
        "output": None,
        "error": None,
        "start": _at(0),
        "end": None,
    }
    return {**base, **kw}


def _state(store: Storage) -> tuple[Any, ...]:
    """Everything a failed call must leave untouched."""
    tables = store.tables()
    records = tuple(tuple(store.list(t, limit=1000)) for t in tables if not t.startswith("mastra_"))
    return (tables, records, store.list_threads(), store.list_runs(), store.list_traces())


# -- generic records ------------------------------------------------------------------------------------


def test_create_then_get_returns_the_record_with_utc_timestamps(store: Storage) -> None:
    rid = store.create("notes", {"title": "hello", "tags": ["a"]}, metadata={"src": "test"})
    record = store.get("notes", rid)
    assert record == Record(
        id=IsStr(regex=r"[0-9a-f]{32}"),  # type: ignore[arg-type]
        table="notes",
        data={"title": "hello", "tags": ["a"]},
        metadata={"src": "test"},
        created_at=IsDatetime(approx=datetime.now(UTC), delta=60),  # type: ignore[arg-type]
        updated_at=record.created_at if record else None,  # type: ignore[arg-type]
    )
    assert record is not None and record.created_at.tzinfo is UTC


def test_create_uses_the_given_id_and_rejects_a_duplicate(store: Storage) -> None:
    assert store.create("notes", {"n": 1}, id="n-1") == "n-1"
    with pytest.raises(StorageError, match=r"'n-1' already exists.*update"):
        store.create("notes", {"n": 2}, id="n-1")
    assert store.get("notes", "n-1").data == {"n": 1}  # type: ignore[union-attr]


def test_generated_ids_come_from_the_injectable_factory(make_store: Callable[..., Storage]) -> None:
    counter = iter(range(100))
    store = make_store(id_factory=lambda: f"id-{next(counter)}")
    assert [store.create("notes", {}) for _ in range(2)] == ["id-0", "id-1"]


def test_get_of_a_missing_id_is_none(store: Storage) -> None:
    store.create("notes", {})
    assert store.get("notes", "nope") is None


def test_update_merges_by_default_and_moves_only_updated_at(store: Storage) -> None:
    rid = store.create("notes", {"a": 1, "b": 2}, metadata={"m": 1})
    before = store.get("notes", rid)
    after = store.update("notes", rid, data={"b": 3, "c": 4}, metadata={"n": 2})
    assert after.data == {"a": 1, "b": 3, "c": 4}
    assert after.metadata == {"m": 1, "n": 2}
    assert before is not None and after.created_at == before.created_at
    assert after.updated_at > before.updated_at
    assert store.get("notes", rid) == after


def test_update_with_replace_replaces_data_and_keeps_untouched_parts(store: Storage) -> None:
    rid = store.create("notes", {"a": 1}, metadata={"m": 1})
    after = store.update("notes", rid, data={"z": 0}, replace=True)
    assert (after.data, after.metadata) == ({"z": 0}, {"m": 1})
    assert store.get("notes", rid) == after


def test_update_of_a_missing_record_raises(store: Storage) -> None:
    store.create("notes", {})
    with pytest.raises(StorageError, match="no record 'ghost' in table 'notes'"):
        store.update("notes", "ghost", {"a": 1})


def test_delete_reports_whether_the_record_existed(store: Storage) -> None:
    rid = store.create("notes", {})
    assert store.delete("notes", rid) is True
    assert store.delete("notes", rid) is False
    assert store.get("notes", rid) is None
    assert store.list("notes") == []  # the table stays known after its last record is gone


def test_list_orders_by_creation_and_pages(store: Storage) -> None:
    ids = [store.create("notes", {"i": i}) for i in range(7)]
    assert [r.id for r in store.list("notes")] == ids
    assert [r.data["i"] for r in store.list("notes", limit=3, offset=2)] == [2, 3, 4]
    assert store.list("notes", offset=10) == []


def test_where_filters_by_json_equality_including_nested_paths(store: Storage) -> None:
    store.create("posts", {"status": "open", "n": 1, "author": {"name": "Ada"}, "flag": True}, id="a")
    store.create("posts", {"status": "open", "n": "1", "author": {"name": "Bob"}, "flag": None}, id="b")
    store.create("posts", {"status": "closed", "n": 1.5, "author": {"name": "Zoë ✓"}}, id="c")

    def ids(**where: Any) -> list[str]:
        return [r.id for r in store.list("posts", where={k.replace("__", "."): v for k, v in where.items()})]

    assert ids(status="open") == ["a", "b"]
    assert ids(n=1) == ["a"]  # 1 and "1" differ
    assert ids(n="1") == ["b"]
    assert ids(n=1.5) == ["c"]
    assert ids(author__name="Zoë ✓") == ["c"]
    assert ids(flag=True) == ["a"]
    assert ids(flag=None) == ["b"]  # explicit null matches None, a missing key does not
    assert ids(status="open", author__name="Bob") == ["b"]
    assert ids(author={"name": "Ada"}) == ["a"]
    assert ids(status="nope") == []
    assert store.count("posts") == 3
    assert store.count("posts", where={"status": "open"}) == 2


@pytest.mark.parametrize("method", ["get", "update", "delete", "list", "count"])
def test_unknown_table_raises_and_names_the_known_tables(store: Storage, method: str) -> None:
    store.create("notes", {})
    call = {
        "get": lambda: store.get("todos", "x"),
        "update": lambda: store.update("todos", "x", {"a": 1}),
        "delete": lambda: store.delete("todos", "x"),
        "list": lambda: store.list("todos"),
        "count": lambda: store.count("todos"),
    }[method]
    before = _state(store)
    with pytest.raises(StorageError, match=r"unknown table 'todos'; known tables: notes") as info:
        call()
    assert info.value.code == "STORAGE_UNKNOWN_TABLE"
    assert _state(store) == before


@pytest.mark.parametrize(
    "table",
    [
        "notes; DROP TABLE mastra_records",
        'notes" --',
        "Notes",
        "1notes",
        "",
        "select",
        "mastra_threads",
        "sqlite_master",
        "a b",
        "x" * 64,
        42,
        None,
    ],
)
def test_bad_table_names_are_refused_before_writing(store: Storage, table: Any) -> None:
    before = _state(store)
    with pytest.raises(StorageError, match=r"table name") as info:
        store.create(table, {"a": 1})
    assert repr(table)[:20] in info.value.message
    assert _state(store) == before


@pytest.mark.parametrize("bad_id", [42, 1.5, b"x", ("a",), ""])
def test_ids_that_are_not_strings_are_refused(store: Storage, bad_id: Any) -> None:
    store.create("notes", {"a": 1}, id="keep")
    before = _state(store)
    for call in (
        lambda: store.create("notes", {"a": 2}, id=bad_id),
        lambda: store.get("notes", bad_id),
        lambda: store.update("notes", bad_id, {"a": 3}),
        lambda: store.delete("notes", bad_id),
    ):
        with pytest.raises(StorageError, match=r"id must be a non-empty string, got") as info:
            call()
        assert repr(bad_id) in info.value.message
    assert _state(store) == before


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"when": datetime(2025, 1, 1)}, "data.when"),
        ({"nested": {"s": {1, 2}}}, "data.nested.s"),
        ({"list": [1, object()]}, "data.list[1]"),
        ({"x": math.nan}, "data.x"),
        ({1: "int key"}, "data key 1"),
        ("not a dict", "data must be a dict"),
    ],
)
def test_non_json_data_is_refused_before_writing(store: Storage, data: Any, where: str) -> None:
    rid = store.create("notes", {"ok": True})
    before = _state(store)
    with pytest.raises(StorageError) as info:
        store.create("notes", data)
    assert where in info.value.message
    with pytest.raises(StorageError):
        store.update("notes", rid, metadata=data if isinstance(data, dict) else {"m": data, "x": object()})
    with pytest.raises(StorageError, match="metadata"):
        store.create("notes", {"ok": 1}, metadata={"bad": object()})
    assert _state(store) == before


@pytest.mark.parametrize("key", ["a') OR 1=1 --", "a..b", "a.", "$.a", "a b", "a'", "a[0]", ""])
def test_where_keys_that_could_inject_sql_are_refused(store: Storage, key: str) -> None:
    store.create("notes", {"a": 1})
    with pytest.raises(StorageError, match=r"invalid where key") as info:
        store.list("notes", where={key: 1})
    assert repr(key) in info.value.message
    with pytest.raises(StorageError, match=r"invalid where key"):
        store.count("notes", where={key: 1})


def test_where_values_are_data_not_sql(store: Storage) -> None:
    store.create("notes", {"a": "x"})
    assert store.list("notes", where={"a": "x' OR '1'='1"}) == []


# -- threads, messages, resources ---------------------------------------------------------------------


def test_threads_round_trip_and_list_by_resource(store: Storage) -> None:
    t1 = store.save_thread(
        Thread("t1", "alice", title="first", metadata={"k": 1}, created_at=_at(1), updated_at=_at(1))
    )
    store.save_thread(Thread("t2", "bob", created_at=_at(2), updated_at=_at(2)))
    store.save_thread(Thread("t3", "alice", created_at=_at(3), updated_at=_at(3)))
    assert t1 == Thread("t1", "alice", "first", {"k": 1}, _at(1), _at(1))
    assert store.get_thread("t1") == t1
    assert store.get_thread("nope") is None
    assert [t.id for t in store.list_threads()] == ["t1", "t2", "t3"]
    assert [t.id for t in store.list_threads(resource_id="alice")] == ["t1", "t3"]


def test_saving_a_thread_again_keeps_its_created_at(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice", created_at=_at(1), updated_at=_at(1)))
    again = store.save_thread(Thread("t1", "alice", title="renamed", created_at=_at(9), updated_at=_at(9)))
    assert (again.title, again.created_at, again.updated_at) == ("renamed", _at(1), _at(9))


def test_update_thread_changes_title_and_merges_metadata(store: Storage) -> None:
    store.save_thread(
        Thread("t1", "alice", title="old", metadata={"a": 1}, created_at=_at(1), updated_at=_at(1))
    )
    new = store.update_thread("t1", title="new", metadata={"b": 2})
    assert (new.title, new.metadata, new.created_at) == ("new", {"a": 1, "b": 2}, _at(1))
    assert new.updated_at > _at(1)
    assert store.get_thread("t1") == new
    with pytest.raises(StorageError, match="no thread 'ghost'"):
        store.update_thread("ghost", title="x")


def test_messages_come_back_chronologically_and_last_gives_the_newest(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_messages([_msg(i) for i in (3, 1, 2, 0, 4)])
    assert [m.id for m in store.get_messages("t1")] == ["m0", "m1", "m2", "m3", "m4"]
    assert [m.id for m in store.get_messages("t1", last=2)] == ["m3", "m4"]
    assert store.get_messages("t1", last=0) == []
    assert store.get_messages("unknown-thread") == []


def test_messages_with_equal_timestamps_keep_insertion_order(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_messages([StoredMessage(f"x{i}", "t1", "user", str(i), created_at=T0) for i in range(5)])
    store.save_messages([StoredMessage("y", "t1", "assistant", "later", created_at=T0)])
    assert [m.id for m in store.get_messages("t1")] == ["x0", "x1", "x2", "x3", "x4", "y"]
    assert [m.id for m in store.get_messages("t1", last=3)] == ["x3", "x4", "y"]


def test_save_messages_round_trips_content_parts_and_fills_resource(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    parts = [{"type": "text", "text": "hi"}, {"type": "tool-call", "args": {"x": [1, 2]}}]
    saved = store.save_messages(
        [
            StoredMessage(
                "m1", "t1", "assistant", parts, created_at=T0, type="parts", metadata={"tokens": 3}
            ),
            {"id": "m2", "thread_id": "t1", "role": "user", "content": "dict form", "created_at": _at(1)},
        ]
    )
    expected = [
        StoredMessage("m1", "t1", "assistant", parts, T0, "alice", "parts", {"tokens": 3}),
        StoredMessage("m2", "t1", "user", "dict form", _at(1), "alice"),
    ]
    assert saved == expected
    assert store.get_messages("t1") == expected


def test_save_messages_upserts_by_id(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_messages([_msg(0), _msg(1)])
    store.save_messages([StoredMessage("m0", "t1", "user", "edited", created_at=_at(0))])
    assert [m.content for m in store.get_messages("t1")] == ["edited", "hello 1"]


def test_bulk_upsert_of_many_messages_replaces_and_adds(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_thread(Thread("t2", "alice"))
    store.save_messages([_msg(i) for i in range(100)])
    again = [StoredMessage(f"m{i}", "t2", "assistant", f"v2 {i}", created_at=_at(i)) for i in range(50, 150)]
    store.save_messages(again)
    messages = store.get_messages("t1")  # existing messages were replaced but kept their thread
    assert len(messages) == 100
    assert [m.content for m in messages[49:51]] == ["hello 49", "v2 50"]
    assert {(m.role, m.thread_id) for m in messages[50:]} == {("assistant", "t1")}
    assert [m.id for m in store.get_messages("t2")] == [f"m{i}" for i in range(100, 150)]


def test_save_messages_to_an_unknown_thread_writes_nothing(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    with pytest.raises(StorageError, match=r"unknown thread 'ghost'.*save_thread"):
        store.save_messages([_msg(0), _msg(1, thread="ghost")])
    assert store.get_messages("t1") == []


def test_save_messages_refuses_bad_messages_before_writing(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    bad = [
        StoredMessage("m1", "t1", "user", {"x": object()}, created_at=T0),
        StoredMessage(7, "t1", "user", "hi", created_at=T0),  # type: ignore[arg-type]
        StoredMessage("m1", "t1", "user", "hi", created_at=datetime(2025, 1, 1)),
        {"id": "m1", "thread": "t1"},
        "just a string",
    ]
    for message in bad:
        with pytest.raises(StorageError):
            store.save_messages([_msg(0), message])  # type: ignore[list-item]
    assert store.get_messages("t1") == []


def test_delete_messages_and_delete_thread_cascade(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_thread(Thread("t2", "alice"))
    store.save_messages([_msg(0), _msg(1), _msg(2), _msg(3, thread="t2")])
    assert store.delete_messages(["m0", "nope"]) == 1
    assert [m.id for m in store.get_messages("t1")] == ["m1", "m2"]
    assert store.delete_thread("t1") is True
    assert store.delete_thread("t1") is False
    assert store.get_thread("t1") is None
    assert store.get_messages("t1") == []
    assert [m.id for m in store.get_messages("t2")] == ["m3"]
    assert store.sql("SELECT id FROM mastra_messages")["id"].tolist() == ["m3"]


def test_resources_round_trip_and_keep_created_at(store: Storage) -> None:
    assert store.get_resource("alice") is None
    first = store.save_resource(Resource("alice", "# Notes", {"plan": "pro"}, _at(1), _at(1)))
    assert first == Resource("alice", "# Notes", {"plan": "pro"}, _at(1), _at(1))
    second = store.save_resource(Resource("alice", "# Notes v2", {}, _at(5), _at(5)))
    assert second == Resource("alice", "# Notes v2", {}, _at(1), _at(5))
    assert store.get_resource("alice") == second


# -- workflow snapshots -------------------------------------------------------------------------------


def test_snapshots_upsert_load_and_list_by_status(store: Storage) -> None:
    store.save_snapshot("wf", "r1", {"status": "running", "steps": {}})
    store.save_snapshot("wf", "r2", {"status": "suspended", "steps": {"a": {"x": 1}}})
    store.save_snapshot("other", "r3", {"status": "success"})
    store.save_snapshot("wf", "r1", {"status": "success", "steps": {"done": True}})
    assert store.load_snapshot("wf", "r1") == {"status": "success", "steps": {"done": True}}
    assert store.load_snapshot("wf", "missing") is None
    runs = store.list_runs(workflow="wf")
    assert [(r.run_id, r.status) for r in runs] == [("r1", "success"), ("r2", "suspended")]
    assert runs[0].updated_at >= runs[0].created_at
    assert [r.run_id for r in store.list_runs(status="success")] == ["r1", "r3"]
    assert store.list_runs(workflow="wf", status="suspended") == [
        WorkflowRun(
            "wf",
            "r2",
            "suspended",
            {"status": "suspended", "steps": {"a": {"x": 1}}},
            runs[1].created_at,
            runs[1].updated_at,
        )
    ]
    with pytest.raises(StorageError, match="snapshot"):
        store.save_snapshot("wf", "r1", {"status": "x", "bad": object()})
    assert store.load_snapshot("wf", "r1") == {"status": "success", "steps": {"done": True}}


# -- spans --------------------------------------------------------------------------------------------


def test_a_span_saved_at_start_and_again_at_end_is_one_span(store: Storage) -> None:
    store.save_spans([_span("root")])
    assert store.get_trace("tr1")[0]["status"] == "running"
    store.save_spans([_span("root", end=_at(2), output={"a": "done"})])
    assert store.get_trace("tr1") == [
        {
            "trace_id": "tr1",
            "span_id": "root",
            "parent_span_id": None,
            "name": "root",
            "type": "agent",
            "status": "ok",
            "attributes": {"k": 1},
            "input": {"q": "hi"},
            "output": {"a": "done"},
            "error": None,
            "start": _at(0),
            "end": _at(2),
            "events": [],
        }
    ]


def test_many_spans_upsert_in_bulk(store: Storage) -> None:
    store.save_spans([_span(f"s{i}", start=_at(i)) for i in range(60)])
    store.save_spans([_span(f"s{i}", start=_at(i), end=_at(i + 1)) for i in range(30, 90)])
    trace = store.get_trace("tr1")
    assert len(trace) == 90
    assert [s["status"] for s in trace[29:31]] == ["running", "ok"]


def test_get_trace_orders_by_start_and_accepts_iso_strings_and_to_dict(store: Storage) -> None:
    class SpanLike:
        def to_dict(self) -> dict[str, Any]:
            return _span(
                "child",
                parent="root",
                start="2025-01-01T12:00:01+00:00",
                end="2025-01-01T12:00:01.5+00:00",
                error={"message": "boom"},
            )

    store.save_spans([SpanLike(), _span("root", end=_at(3))])
    trace = store.get_trace("tr1")
    assert [(s["span_id"], s["status"]) for s in trace] == [("root", "ok"), ("child", "error")]
    assert trace[1]["start"] == _at(1) and trace[1]["end"].tzinfo is UTC
    assert store.get_trace("nope") == []


def test_list_traces_summarises_newest_first(store: Storage) -> None:
    store.save_spans(
        [
            _span("a-root", "A", start=_at(0), end=_at(2)),
            _span("a-kid", "A", parent="a-root", start=_at(1), end=_at(1.5), error={"message": "x"}),
            _span("b-root", "B", start=_at(10), end=None),
        ]
    )
    assert store.list_traces() == snapshot(
        [
            {
                "trace_id": "B",
                "name": "b-root",
                "start": _at(10),
                "end": None,
                "duration_ms": None,
                "span_count": 1,
                "error": False,
            },
            {
                "trace_id": "A",
                "name": "a-root",
                "start": _at(0),
                "end": _at(2),
                "duration_ms": 2000.0,
                "span_count": 2,
                "error": True,
            },
        ]
    )
    assert [t["trace_id"] for t in store.list_traces(limit=1)] == ["B"]


def test_prune_spans_deletes_whole_old_traces(store: Storage) -> None:
    now = datetime.now(UTC)
    store.save_spans(
        [
            _span("old", "OLD", start=now - timedelta(days=3), end=now - timedelta(days=3)),
            _span("old-kid", "OLD", parent="old", start=now - timedelta(days=3), end=now - timedelta(days=3)),
            _span("mixed", "MIX", start=now - timedelta(days=3), end=None),
            _span("mixed-kid", "MIX", parent="mixed", start=now, end=now),
        ]
    )
    assert store.prune_spans(timedelta(days=1)) == 2
    assert [t["trace_id"] for t in store.list_traces()] == ["MIX"]
    assert store.prune_spans(now + timedelta(seconds=1)) == 2
    assert store.list_traces() == []


def test_span_events_round_trip_with_their_times_in_utc(store: Storage) -> None:
    plus_two = timezone(timedelta(hours=2))
    events = [
        {
            "name": "log",
            "time": _at(0.5).astimezone(plus_two),
            "attributes": {"level": "INFO", "message": "a"},
        },
        {"name": "retry", "time": "2025-01-01T12:00:00.75+00:00", "attributes": {}},
    ]
    store.save_spans([_span("root", end=_at(1), events=events), _span("kid", parent="root")])
    root, kid = store.get_trace("tr1")
    assert root["events"] == [
        {"name": "log", "time": _at(0.5), "attributes": {"level": "INFO", "message": "a"}},
        {"name": "retry", "time": _at(0.75), "attributes": {}},
    ]
    assert all(e["time"].tzinfo is UTC for e in root["events"])
    assert kid["events"] == []
    frame = store.query_spans()
    assert frame["events"].tolist() == [root["events"], []]


def test_bad_span_events_are_refused_before_writing(store: Storage) -> None:
    for events in (
        "log",
        {"name": "log"},
        [1],
        [{"name": "log"}],
        [{"name": "log", "time": datetime(2025, 1, 1)}],
        [{"name": "log", "time": _at(0), "attributes": {"x": object()}}],
    ):
        with pytest.raises(StorageError, match="event"):
            store.save_spans([_span("good"), _span("s", events=events)])
    assert store.list_traces() == []


def _trace_ids(store: Storage) -> list[str]:
    return sorted(t["trace_id"] for t in store.list_traces())


def _traces_for_pruning(store: Storage, now: datetime) -> None:
    """Oldest first: OLD (2 spans), ERR (2 spans, one failed), MID (3 spans), NEW (1 span, running)."""
    day = timedelta(days=1)
    old = now - 3 * day - timedelta(hours=1)
    store.save_spans(
        [
            _span("o1", "OLD", start=old, end=old),
            _span("o2", "OLD", parent="o1", start=old, end=old),
            _span("e1", "ERR", start=now - 3 * day, end=now - 3 * day),
            _span("e2", "ERR", parent="e1", start=now - 3 * day, end=now - 3 * day, error={"message": "x"}),
            *(
                _span(f"m{i}", "MID", start=now - 2 * day, end=now - 2 * day + timedelta(seconds=i))
                for i in range(3)
            ),
            _span("n1", "NEW", start=now, end=None),
        ]
    )


def test_prune_by_age_keeps_traces_with_an_error_unless_told_not_to(store: Storage) -> None:
    now = datetime.now(UTC)
    _traces_for_pruning(store, now)
    assert store.prune_spans(older_than=timedelta(days=1)) == 5
    assert _trace_ids(store) == ["ERR", "NEW"]
    assert store.prune_spans(timedelta(days=1), keep_errors=False) == 2
    assert _trace_ids(store) == ["NEW"]


def test_prune_to_max_rows_deletes_the_oldest_whole_traces(store: Storage) -> None:
    now = datetime.now(UTC)
    _traces_for_pruning(store, now)
    # 8 rows; down to 5: OLD (2) goes, ERR is kept, MID (3) goes too since 6 rows would still be too many
    assert store.prune_spans(max_rows=5) == 5
    assert _trace_ids(store) == ["ERR", "NEW"]
    assert store.prune_spans(max_rows=3) == 0  # 3 rows already
    assert store.prune_spans(max_rows=1, keep_errors=False) == 2
    assert _trace_ids(store) == ["NEW"]
    assert store.prune_spans(max_rows=0) == 1
    assert store.list_traces() == []


def test_prune_to_max_rows_stops_as_soon_as_the_table_fits(store: Storage) -> None:
    now = datetime.now(UTC)
    _traces_for_pruning(store, now)
    assert store.prune_spans(max_rows=7, keep_errors=False) == 2  # only the oldest trace
    assert _trace_ids(store) == ["ERR", "MID", "NEW"]


def test_prune_by_age_and_max_rows_together(store: Storage) -> None:
    now = datetime.now(UTC)
    _traces_for_pruning(store, now)
    # age takes OLD and MID (ERR kept); then 3 rows remain and max_rows=1 can only take NEW
    assert store.prune_spans(timedelta(days=1), max_rows=1) == 6
    assert _trace_ids(store) == ["ERR"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "older_than= .* or max_rows="),
        ({"keep_errors": False}, "older_than= .* or max_rows="),
        ({"older_than": timedelta(days=1), "keep_errors": "yes"}, "keep_errors must be True or False"),
        ({"max_rows": -1}, "max_rows must be a non-negative int"),
        ({"max_rows": 2.5}, "max_rows must be a non-negative int"),
        ({"max_rows": True}, "max_rows must be a non-negative int"),
        ({"older_than": 7}, "older_than must be a datetime or a timedelta"),
        ({"older_than": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"older_than": "last week"}, "ISO-8601"),
    ],
)
def test_prune_spans_refuses_bad_arguments_before_deleting(
    store: Storage, kwargs: dict[str, Any], match: str
) -> None:
    _traces_for_pruning(store, datetime.now(UTC))
    before = store.query_spans()
    with pytest.raises(StorageError, match=match) as caught:
        store.prune_spans(**kwargs)
    assert caught.value.code in ("STORAGE_BAD_ARGUMENT", "STORAGE_BAD_TIMESTAMP")
    assert store.query_spans().equals(before)


QUERY_COLUMNS = [
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "type",
    "status",
    "start",
    "end",
    "duration_ms",
    "attributes",
    "input",
    "output",
    "error",
    "events",
]


def test_query_spans_returns_decoded_columns_oldest_first(store: Storage) -> None:
    store.save_spans(
        [
            _span("kid", parent="root", type="tool_call", start=_at(1), end=_at(1.25), output=[1, "two"]),
            _span("root", type="agent_run", start=_at(0), end=_at(2), attributes={"gen_ai.agent.name": "a"}),
            _span("bad", "tr2", type="llm_generation", start=_at(3), error={"type": "Boom", "message": "no"}),
        ]
    )
    frame = store.query_spans()
    assert frame.columns.tolist() == QUERY_COLUMNS
    assert frame["span_id"].tolist() == ["root", "kid", "bad"]
    assert str(frame["start"].dt.tz) == "UTC" and str(frame["end"].dt.tz) == "UTC"
    root, kid, bad = (row._asdict() for row in frame.itertuples(index=False, name="Row"))
    assert root["start"].to_pydatetime() == _at(0) and root["duration_ms"] == 2000.0
    assert root["attributes"] == {"gen_ai.agent.name": "a"} and root["input"] == {"q": "hi"}
    assert root["output"] is None and root["error"] is None and root["events"] == []
    assert pd.isna(root["parent_span_id"]) and kid["parent_span_id"] == "root"
    assert kid["output"] == [1, "two"] and kid["duration_ms"] == 250.0
    assert (bad["status"], bad["error"]) == ("error", {"type": "Boom", "message": "no"})
    assert pd.isna(bad["end"]) and math.isnan(bad["duration_ms"])


def test_query_spans_of_an_empty_store_has_the_columns(store: Storage) -> None:
    frame = store.query_spans()
    assert frame.columns.tolist() == QUERY_COLUMNS and len(frame) == 0


def test_query_spans_filters_and_limits(store: Storage) -> None:
    store.save_spans(
        [
            _span("a0", "A", type="agent_run", start=_at(0), end=_at(9)),
            _span("a1", "A", parent="a0", type="llm_generation", start=_at(1), end=_at(2)),
            _span("a2", "A", parent="a0", type="tool_call", start=_at(3), error={"message": "x"}),
            _span("b0", "B", type="workflow_run", start=_at(10), end=_at(11)),
            _span("c0", "C", type="llm_generation", start=_at(20), end=_at(21)),
        ]
    )

    def ids(**kwargs: Any) -> list[str]:
        return store.query_spans(**kwargs)["span_id"].tolist()

    assert ids(since=_at(3)) == ["a2", "b0", "c0"]
    assert ids(until=_at(3)) == ["a0", "a1"]
    assert ids(since=_at(1), until=_at(10)) == ["a1", "a2"]
    assert ids(since=_at(5), until=_at(5)) == []
    assert ids(trace_ids=["A", "C"]) == ["a0", "a1", "a2", "c0"]
    assert ids(trace_ids="B") == ["b0"]
    assert ids(trace_ids=[]) == []
    assert ids(types="llm_generation") == ["a1", "c0"]
    assert ids(types=["tool_call", "workflow_run"]) == ["a2", "b0"]
    assert ids(status="error") == ["a2"]
    assert ids(status=["ok"], types="llm_generation", since=_at(10)) == ["c0"]
    assert ids(limit=2) == ["c0", "b0"]  # the newest, newest first
    assert ids(limit=2, trace_ids="A") == ["a2", "a1"]
    assert ids(limit=0) == []
    assert ids(since=timedelta(days=1)) == []  # counted back from now: these spans are from 2025


def test_query_spans_reads_span_kinds_of_older_releases_under_their_current_names(store: Storage) -> None:
    store.save_spans(
        [
            _span("old", type="agent", start=_at(0)),
            _span("llm", type="llm", start=_at(1)),
            _span("new", type="agent_run", start=_at(2)),
        ]
    )
    frame = store.query_spans(types="agent_run")
    assert frame["span_id"].tolist() == ["old", "new"]
    assert frame["type"].tolist() == ["agent_run", "agent_run"]
    assert store.query_spans()["type"].tolist() == ["agent_run", "llm_generation", "agent_run"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"since": _at(2), "until": _at(1)}, "since .* is after until"),
        ({"limit": -1}, "limit must be a non-negative int"),
        ({"limit": "3"}, "limit must be a non-negative int"),
        ({"since": "yesterday"}, "ISO-8601"),
        ({"until": datetime(2025, 1, 1)}, "timezone-aware"),
        ({"types": [1]}, "types must be a non-empty string"),
        ({"trace_ids": 5}, "trace_ids must be a non-empty string"),
        ({"status": [""]}, "status must be a non-empty string"),
    ],
)
def test_query_spans_refuses_bad_arguments(store: Storage, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(StorageError, match=match):
        store.query_spans(**kwargs)


def test_bad_spans_are_refused_before_writing(store: Storage) -> None:
    for bad in (
        _span("s", start=None),
        _span("s", start=datetime(2025, 1, 1)),
        _span(3),  # type: ignore[arg-type]
        _span("s", attributes={"x": object()}),
        42,
    ):
        with pytest.raises(StorageError):
            store.save_spans([_span("good"), bad])
    assert store.list_traces() == []


# -- SQL ----------------------------------------------------------------------------------------------


def test_tables_lists_builtins_and_user_tables_readable_by_sql(store: Storage) -> None:
    store.create("notes", {"title": "a"}, id="n1")
    store.create("notes", {"title": "b"}, id="n2")
    store.create("todos", {"done": False})
    assert store.tables() == snapshot(
        [
            "mastra_messages",
            "mastra_resources",
            "mastra_spans",
            "mastra_threads",
            "mastra_workflow_snapshots",
            "notes",
            "todos",
        ]
    )
    frame = store.sql("SELECT id, data, metadata, created_at, updated_at FROM notes ORDER BY id")
    assert frame["id"].tolist() == ["n1", "n2"]
    assert store.sql("SELECT count(*) AS n FROM todos")["n"].tolist() == [1]
    assert store.sql("SELECT id FROM notes WHERE id = ?", ["n2"])["id"].tolist() == ["n2"]
    for table in store.tables():
        store.sql(f"SELECT * FROM {table}")


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO mastra_threads (id) VALUES ('x')",
        "UPDATE mastra_threads SET title = 'x'",
        "DELETE FROM mastra_threads",
        "DROP TABLE mastra_threads",
        "DROP VIEW notes",
        "CREATE TABLE evil (a INT)",
        "ALTER TABLE mastra_threads ADD COLUMN evil INT",
        "ATTACH 'evil.db' AS evil",
        "COPY mastra_threads TO 'out.csv'",
        "PRAGMA user_version = 5",
        "SELECT 1; DROP TABLE mastra_threads",
        "BEGIN",
        "UPDATE sqlite_master SET sql = 'x'",
        "PRAGMA writable_schema = 1",
        "EXPLAIN ANALYZE DELETE FROM mastra_threads",
        "SELECT * FROM query('DELETE FROM mastra_threads')",
        "WITH gone AS (DELETE FROM mastra_threads RETURNING id) SELECT * FROM gone",
    ],
)
def test_sql_refuses_statements_that_write(
    store: Storage, query: str, tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    store.create("notes", {"a": 1})
    store.save_thread(Thread("t1", "alice", title="keep"))
    before = _state(store)
    with pytest.raises(StorageError):
        store.sql(query)
    assert _state(store) == before
    assert store.get_thread("t1").title == "keep"  # type: ignore[union-attr]
    assert not any(tmp_path.glob("evil*")) and not (tmp_path / "out.csv").exists()


# -- DataFrames, lifecycle ------------------------------------------------------------------------------


def test_df_forms_return_one_row_per_item(store: Storage) -> None:
    store.create("notes", {"title": "a", "meta": {"x": 1}}, id="n1")
    store.save_thread(Thread("t1", "alice"))
    store.save_messages([_msg(0), _msg(1)])
    store.save_snapshot("wf", "r1", {"status": "success"})
    store.save_spans([_span("root", end=_at(1))])
    notes = store.list_df("notes")
    assert notes.columns.tolist() == ["id", "created_at", "updated_at", "title", "meta.x", "metadata"]
    assert notes["title"].tolist() == ["a"]
    assert store.list_threads_df()["id"].tolist() == ["t1"]
    assert store.get_messages_df("t1", last=1)["id"].tolist() == ["m1"]
    assert store.list_runs_df()["status"].tolist() == ["success"]
    assert store.list_traces_df()["duration_ms"].tolist() == [1000.0]
    assert store.get_trace_df("tr1")["span_id"].tolist() == ["root"]


def test_closed_store_refuses_every_operation(store: Storage) -> None:
    assert store.backend_name in {"memory", "duckdb", "sqlite", "postgres"}
    store.create("notes", {})
    store.close()
    store.close()  # idempotent
    assert store.closed
    with pytest.raises(StorageError, match="closed; open a new store"):
        store.list("notes")
    with pytest.raises(StorageError, match="closed"):
        store.save_messages([])
    with pytest.raises(StorageError, match="closed"):
        store.sql("SELECT 1")


# -- message lookups and atomic changes -------------------------------------------------------------


def test_get_messages_by_id_returns_known_ids_chronologically(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_thread(Thread("t2", "alice"))
    store.save_messages([_msg(3), _msg(1), _msg(2, thread="t2"), _msg(0)])
    found = store.get_messages_by_id(["m3", "m0", "ghost", "m2", "m3"])
    assert [m.id for m in found] == ["m0", "m2", "m3"]
    assert found[1].thread_id == "t2"
    assert store.get_messages_by_id([]) == []


def test_get_message_context_gives_neighbours_within_the_thread(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice"))
    store.save_thread(Thread("t2", "alice"))
    store.save_messages([_msg(i) for i in range(8)] + [_msg(100, thread="t2")])
    store.save_messages([StoredMessage("same", "t1", "user", "tie", created_at=_at(4))])  # tie: after m4
    context = store.get_message_context(["m4", "m0", "m100", "ghost"], before=2, after=1)
    assert {k: [m.id for m in v] for k, v in context.items()} == {
        "m4": ["m2", "m3", "m4", "same"],
        "m0": ["m0", "m1"],
        "m100": ["m100"],
    }
    assert [m.id for m in store.get_message_context(["m7"], before=0, after=0)["m7"]] == ["m7"]


def test_modify_resource_reads_and_writes_in_one_step(store: Storage) -> None:
    first = store.modify_resource("alice", lambda old: Resource("alice", (old and old.working_memory) or "a"))
    assert first.working_memory == "a"
    second = store.modify_resource(
        "alice", lambda old: Resource("alice", f"{old.working_memory}b" if old else "?", {"n": 2})
    )
    assert (second.working_memory, second.metadata) == ("ab", {"n": 2})
    assert store.get_resource("alice") == second
    with pytest.raises(StorageError, match="Resource with id 'alice'"):
        store.modify_resource("alice", lambda old: Resource("bob"))
    assert store.get_resource("bob") is None


def test_modify_thread_keeps_id_and_resource(store: Storage) -> None:
    store.save_thread(Thread("t1", "alice", metadata={"a": 1}))
    new = store.modify_thread("t1", lambda t: Thread(t.id, t.resource_id, "T", {**t.metadata, "b": 2}))
    assert (new.title, new.metadata) == ("T", {"a": 1, "b": 2})
    assert store.get_thread("t1") == new
    with pytest.raises(StorageError, match="same id and resource_id"):
        store.modify_thread("t1", lambda t: Thread("t1", "mallory"))
    with pytest.raises(StorageError, match="no thread 'ghost'"):
        store.modify_thread("ghost", lambda t: t)
    assert store.get_thread("t1") == new


def test_modify_snapshot_is_a_compare_and_set(store: Storage) -> None:
    def claim(old: dict[str, Any] | None) -> dict[str, Any]:
        if old is not None and old["status"] != "suspended":
            raise RuntimeError(f"busy: {old['status']}")
        return {"status": "running", "claims": (old or {}).get("claims", 0) + 1}

    store.save_snapshot("wf", "r1", {"status": "suspended", "claims": 0})
    assert store.modify_snapshot("wf", "r1", claim) == {"status": "running", "claims": 1}
    with pytest.raises(RuntimeError, match="busy: running"):
        store.modify_snapshot("wf", "r1", claim)
    assert store.load_snapshot("wf", "r1") == {"status": "running", "claims": 1}
    assert [r.status for r in store.list_runs("wf")] == ["running"]
    assert store.modify_snapshot("wf", "new", claim)["claims"] == 1


def test_an_object_that_carries_its_json_is_stored_as_that_json(store: Storage) -> None:
    from mastra_lab.storage.records import EncodedJSON

    snap = EncodedJSON({"status": "success", "n": 1}, '{"status":"success","n":1}')
    store.save_snapshot("wf", "enc", snap)
    assert store.load_snapshot("wf", "enc") == {"status": "success", "n": 1}
    assert [r.status for r in store.list_runs("wf")] == ["success"]
