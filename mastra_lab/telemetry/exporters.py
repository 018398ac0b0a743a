"""Where finished spans go.

An exporter receives spans as they end. The storage exporter is the default: traces stay on this machine,
in the same database as everything else, where ``%mastra traces`` and the trace plots read them. The console
exporter prints one line per span, which is what you want while debugging a script.
"""

from __future__ import annotations

import sys
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING

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
    """Saves spans through :meth:`Storage.save_spans` as soon as they end, so a crash loses nothing."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def export(self, spans: Sequence[Span]) -> None:
        self.storage.save_spans([s.to_dict() for s in spans])


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
