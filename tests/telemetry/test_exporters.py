from __future__ import annotations

from typing import Any

from mastra_lab.storage import DuckDBStore, InMemoryStore
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


def test_a_trace_is_written_once_when_its_root_span_ends() -> None:
    store = CountingStore()
    tracer = Tracer([StorageExporter(store)])
    with tracer.span("invoke_agent support", "agent_run") as root:
        with tracer.span("chat test", "llm_generation"):
            pass
        with tracer.span("execute_tool add", "tool_call"):
            pass
        assert store.get_trace(root.trace_id) == []  # children wait for their root
    assert store.writes == [3]
    assert [s["name"] for s in store.get_trace(root.trace_id)] == [
        "invoke_agent support",
        "chat test",
        "execute_tool add",
    ]


def test_a_long_trace_reaches_storage_in_batches() -> None:
    store = CountingStore()
    tracer = Tracer([StorageExporter(store, max_buffered=2)])
    with tracer.span("workflow", "workflow_run") as root:
        for i in range(5):
            with tracer.span(f"step {i}", "workflow_step"):
                pass
        assert len(store.get_trace(root.trace_id)) == 4  # two full batches written while running
    assert store.writes == [2, 2, 2]


def test_shutdown_writes_spans_of_unfinished_traces(tmp_path: Any) -> None:
    store = DuckDBStore(str(tmp_path / "t.duckdb"))
    exporter = StorageExporter(store)
    tracer = Tracer([exporter])
    with tracer.span("root", "agent_run") as root:
        with tracer.span("child", "llm_generation"):
            pass
        exporter.shutdown()
        assert [s["name"] for s in store.get_trace(root.trace_id)] == ["child"]
    assert {s["name"] for s in store.get_trace(root.trace_id)} == {"root", "child"}
    store.close()
