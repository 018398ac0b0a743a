"""Where finished spans go.

An exporter receives spans as they end. The storage exporter is the default: traces stay on this machine,
in the same database as everything else, where ``%mastra traces`` and the trace plots read them. The console
exporter prints one line per span, which is what you want while debugging a script.
"""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.tracer import Span

__all__ = ["ConsoleExporter", "InMemoryExporter", "SpanExporter", "StorageExporter"]


class SpanExporter(ABC):
    """Receives finished spans. Implement :meth:`export`; override :meth:`shutdown` to flush."""

    @abstractmethod
    def export(self, spans: Sequence[Span]) -> None:
        """Take finished spans; must not keep references the caller might mutate later."""

    def shutdown(self) -> None:
        """Flush anything buffered; called by :meth:`Tracer.shutdown`. Unbuffered exporters keep this."""
        return None


class StorageExporter(SpanExporter):
    """Saves each trace through :meth:`Storage.save_spans` in one write, when its root span ends.

    An embedded database pays per statement (DuckDB about a millisecond for an insert), so writing every span
    as it ends made tracing cost more than the agent turn it traced. Child spans wait in memory until their
    root ends — the moment the trace is complete and worth reading — or until ``max_buffered`` of them are
    waiting, so a long run still reaches storage as it goes; :meth:`shutdown` writes whatever is left.

    Args:
        storage: Where spans are saved.
        max_buffered: How many child spans of one trace may wait before they are written anyway.
    """

    def __init__(self, storage: Storage, max_buffered: int = 256) -> None:
        self.storage = storage
        self.max_buffered = max_buffered
        self._waiting: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Span]) -> None:
        ready: list[dict[str, Any]] = []
        with self._lock:
            for span in spans:
                waiting = self._waiting.setdefault(span.trace_id, [])
                waiting.append(span.to_dict())
                if span.parent_span_id is None or len(waiting) >= self.max_buffered:
                    ready.extend(self._waiting.pop(span.trace_id))
        if ready:
            self.storage.save_spans(ready)

    def shutdown(self) -> None:
        """Write the spans of traces whose root has not ended yet."""
        with self._lock:
            ready = [span for waiting in self._waiting.values() for span in waiting]
            self._waiting.clear()
        if ready:
            self.storage.save_spans(ready)


class ConsoleExporter(SpanExporter):
    """Prints ``[trace 1a2b3c4d] agent  support.generate  12.3 ms  ok`` for each span."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream

    def export(self, spans: Sequence[Span]) -> None:
        out = self.stream or sys.stderr
        for span in spans:
            duration = f"{span.duration_ms:.1f} ms" if span.duration_ms is not None else "open"
            out.write(f"[trace {span.trace_id[:8]}] {span.type:<8} {span.name}  {duration}  {span.status}\n")


class InMemoryExporter(SpanExporter):
    """Keeps finished spans in a list, for notebooks and tests that want to look at them directly."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def export(self, spans: Sequence[Span]) -> None:
        self.spans.extend(spans)

    def clear(self) -> None:
        """Forget every span collected so far."""
        self.spans.clear()
