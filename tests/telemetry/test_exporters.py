"""The storage exporter: batched writes off the traced path, reads that still see every finished span."""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_lab.storage import DuckDBStore, InMemoryStore, Storage
from mastra_lab.telemetry import StorageExporter, Tracer


class CountingStore(InMemoryStore):
    """A real in-memory store that also remembers how many spans each ``save_spans`` call carried."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[int] = []

    def save_spans(self, spans: Any) -> int:
        spans = list(spans)
        self.writes.append(len(spans))
        return super().save_spans(spans)


@pytest.fixture
def store() -> Iterator[CountingStore]:
    s = CountingStore()
    yield s
    s.close()


def _tracer(storage: Storage, **options: Any) -> Tracer:
    return Tracer([StorageExporter(storage, flush_interval=60, **options)])


def test_export_only_queues_and_flush_writes_one_batch(store: CountingStore) -> None:
    tracer = _tracer(store)
    for i in range(5):
        with tracer.span(f"root {i}", "agent_run"), tracer.span("chat test", "llm_generation"):
            pass
    assert store.writes == []
    assert tracer.status()["exporters"][0]["buffered"] == 10
    tracer.flush()
    assert store.writes == [10]
    assert tracer.status()["exporters"][0] | {"open": 0} == {
        "name": "storage",
        "exported": 10,
        "dropped": 0,
        "failed": 0,
        "buffered": 0,
        "open": 0,
    }
    tracer.shutdown()


def test_a_read_right_after_a_run_sees_its_trace(store: CountingStore) -> None:
    tracer = _tracer(store)
    with tracer.span("invoke_agent support", "agent_run") as root, tracer.span("chat test", "llm_generation"):
        pass
    assert store.writes == []  # nothing written in the traced code's path …
    assert [s["name"] for s in store.get_trace(root.trace_id)] == ["invoke_agent support", "chat test"]
    assert store.writes == [2]  # … the read wrote the queue first
    assert [t["trace_id"] for t in store.list_traces()] == [root.trace_id]
    tracer.shutdown()


def test_sql_reads_see_queued_spans_too(tmp_path: Path) -> None:
    with DuckDBStore(str(tmp_path / "t.duckdb")) as storage:
        tracer = _tracer(storage)
        with tracer.span("root"):
            pass
        assert storage.sql("SELECT count(*) AS n FROM mastra_spans")["n"].tolist() == [1]
        tracer.shutdown()


def test_the_background_thread_writes_without_being_asked(store: CountingStore) -> None:
    written = threading.Event()
    original = store.save_spans

    def save(spans: Any) -> int:
        count = original(spans)
        written.set()
        return count

    store.save_spans = save  # type: ignore[method-assign]
    tracer = Tracer([StorageExporter(store, flush_interval=0.01)])
    with tracer.span("root"):
        pass
    assert written.wait(10)
    assert store.writes == [1]
    exporter = tracer.exporters[0]
    assert isinstance(exporter, StorageExporter)
    thread = exporter._thread
    assert thread is not None and thread.daemon
    thread.join(10)  # idle for two intervals, the writer ends by itself
    assert not thread.is_alive() and exporter._thread is None
    with tracer.span("again"):
        pass
    tracer.flush()
    assert store.writes[-1] == 1
    tracer.shutdown()


def test_a_full_queue_is_written_by_the_caller_instead_of_dropping(store: CountingStore) -> None:
    tracer = _tracer(store, max_queue=3)
    for i in range(7):
        with tracer.span(f"s{i}"):
            pass
    assert store.writes == [3, 3]
    tracer.shutdown()
    assert store.writes == [3, 3, 1]
    assert tracer.status()["exporters"][0]["dropped"] == 0


def test_shutdown_writes_open_spans_as_running(tmp_path: Path) -> None:
    storage = DuckDBStore(str(tmp_path / "t.duckdb"))
    tracer = Tracer([StorageExporter(storage)], capture_content=True)
    with tracer.span("root", "agent_run", attributes={"api_key": "sk-abcdefghijklmnop"}) as root:
        with tracer.span("child", "llm_generation"):
            pass
        tracer.shutdown()  # as at interpreter exit, in the middle of the run
        rows = {s["name"]: s for s in storage.get_trace(root.trace_id)}
        assert root.attributes == {"api_key": "sk-abcdefghijklmnop"}  # the live span is left alone
    assert (rows["root"]["status"], rows["root"]["end"]) == ("running", None)
    assert rows["root"]["attributes"] == {"api_key": "***"}
    assert rows["child"]["status"] == "ok"
    # a span ending after shutdown is still written, replacing its unfinished row
    assert [s["status"] for s in storage.get_trace(root.trace_id)] == ["ok", "ok"]
    storage.close()


def test_closing_the_storage_writes_queued_spans_first(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    storage = DuckDBStore(str(path))
    tracer = _tracer(storage)
    with tracer.span("root") as root:
        pass
    storage.close()
    tracer.shutdown()
    with DuckDBStore(str(path)) as again:
        assert [s["name"] for s in again.get_trace(root.trace_id)] == ["root"]


def test_a_failing_write_is_logged_once_counted_and_never_raises(
    store: CountingStore, caplog: pytest.LogCaptureFixture
) -> None:
    tracer = _tracer(store)
    store.close()
    for _ in range(2):
        with tracer.span("root"):
            pass
        tracer.flush()
    assert caplog.text.count("StorageExporter could not write") == 1
    assert tracer.status()["exporters"][0]["failed"] == 2
    tracer.shutdown()


def test_capture_off_keeps_content_out_of_stored_rows(store: CountingStore) -> None:
    tracer = _tracer(store)
    with tracer.span("execute_tool lookup", "tool_call", input={"q": "MARKER-42"}) as span:
        span.set_output("MARKER-42 found")
    tracer.flush()
    (row,) = store.get_trace(span.trace_id)
    assert "MARKER-42" not in json.dumps(row, default=str)
    tracer.shutdown()


_PRUNES_BY_ROWS = "max_rows" in inspect.signature(Storage.prune_spans).parameters


@pytest.mark.skipif(not _PRUNES_BY_ROWS, reason="this storage's prune_spans has no max_rows policy yet")
def test_max_rows_keeps_the_span_table_bounded(store: CountingStore) -> None:
    tracer = _tracer(store, max_rows=4)
    for i in range(5):
        with tracer.span(f"root {i}"), tracer.span("child"):
            pass
        tracer.flush()
    names = [t["name"] for t in store.list_traces()]
    assert len(names) == 2 and set(names) == {"root 3", "root 4"}
    tracer.shutdown()


@pytest.mark.parametrize(
    ("option", "value"),
    [("max_queue", 0), ("flush_interval", 0), ("max_rows", -1), ("batch_size", True)],
)
def test_bad_options_are_refused(store: CountingStore, option: str, value: object) -> None:
    with pytest.raises(Exception, match=option):
        StorageExporter(store, **{option: value})
