"""Where finished spans go.

An exporter receives spans as they end, already sampled, stripped of content unless capture is on, and
masked (see :mod:`mastra_lab.telemetry.tracer`). The storage exporter is the default: traces stay on this
machine, in the same database as everything else, where ``%mastra traces`` and the plots read them. The
console exporter prints a tree per finished trace, which is what you want while debugging a script.

**Storage writes are batched, reads are consistent.** An embedded database pays per statement and per
commit (a DuckDB file several milliseconds), far more than the agent turn being traced, so
:class:`StorageExporter` never writes in the traced code's path: :meth:`~StorageExporter.export` appends
the span to a queue, and a daemon thread writes the queue with one ``save_spans`` call every
``flush_interval`` seconds, or as soon as ``batch_size`` spans wait (it ends itself when idle, so an idle
tracer holds no thread). A run followed at once by a read of its trace — a test, a notebook cell,
``%mastra trace`` — must still see it, so the exporter registers itself with its storage as a
*pending-span flusher*: every span read of that storage (``get_trace``, ``list_traces``, ``sql`` …) and
its ``close`` first write what is queued, under the storage's lock. The writer thread takes that same lock
before it takes spans off the queue, so a read never misses spans in flight, and neither side waits for
the other while holding a lock the other needs. A full queue (``max_queue``) is written by the caller
instead of dropping spans: a local database is never "down", and a brief wait beats a lost trace.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from mastra_lab.storage.records import EncodedJSON
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    from mastra_lab.storage import Storage
    from mastra_lab.telemetry._span import Span

__all__ = ["ConsoleExporter", "InMemoryExporter", "SpanExporter", "StorageExporter"]

_logger = get_logger("telemetry")
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _record(span: Span) -> Any:
    """The row ``save_spans`` takes, without re-walking what the tracer already made JSON-ready.

    A span cleaned by its tracer holds only JSON values with string keys, so its attributes go to storage
    already encoded (storage writes an :class:`~mastra_lab.storage.records.EncodedJSON` as it is, skipping
    its check); anything else takes the general path, ``to_dict``.
    """
    if span.tracer is None:
        return span
    attributes = span.attributes
    try:
        encoded = EncodedJSON(attributes, _ENCODE(attributes)) if attributes else {}
    except (TypeError, ValueError):
        return span
    end = span.end
    return {
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "name": span.name,
        "type": span.type,
        "attributes": encoded,
        "input": span.input,
        "output": span.output,
        "error": span.error,
        "start": span.start,
        "end": end,
        "status": "running" if end is None else "error" if span.error else "ok",
        "events": span.events,
    }


class SpanExporter(ABC):
    """Receives finished spans. Implement :meth:`export`; the other methods have do-nothing defaults."""

    @abstractmethod
    def export(self, spans: Sequence[Span]) -> None:
        """Take finished spans. Must be cheap: it runs in the traced code's path."""

    def on_start(self, span: Span) -> None:  # noqa: B027 - optional hook, a no-op unless overridden
        """A span opened (already sampled and cleaned of content that capture excludes)."""

    def flush(self, timeout: float | None = None) -> None:  # noqa: B027 - unbuffered exporters keep this
        """Write anything buffered now, waiting at most ``timeout`` seconds."""

    def shutdown(self) -> None:
        """Flush and release resources; called by :meth:`Tracer.shutdown` and at interpreter exit."""
        self.flush()

    def status(self) -> dict[str, Any]:
        """What the exporter knows about itself: any of ``name``, ``exported``, ``dropped``, ``failed``,
        ``buffered``. The tracer fills in what is missing from its own counts."""
        return {}


class StorageExporter(SpanExporter):
    """Saves spans through :meth:`Storage.save_spans` in batches, from a background thread.

    See the module docstring for why reads of the same storage still see every finished span.

    Args:
        storage: Where spans are saved.
        flush_interval: Seconds between background writes.
        max_queue: Spans that may wait; when reached, the exporting thread writes them itself.
        max_rows: After each write, keep at most this many span rows (oldest whole traces are deleted
            through ``storage.prune_spans(max_rows=...)``); ``None`` keeps everything.
        batch_size: Waiting spans that wake the writer before its interval is up.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        flush_interval: float = 1.0,
        max_queue: int = 20_000,
        max_rows: int | None = None,
        batch_size: int = 2_000,
    ) -> None:
        from mastra_lab.errors import MastraError

        for name, value, minimum in (("max_queue", max_queue, 1), ("batch_size", batch_size, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise MastraError(
                    f"{name}={value!r} must be a positive integer", code="TELEMETRY_BAD_EXPORTER"
                )
        if max_rows is not None and (
            isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 0
        ):
            raise MastraError(
                f"max_rows={max_rows!r} must be a non-negative integer or None", code="TELEMETRY_BAD_EXPORTER"
            )
        if not flush_interval > 0:
            raise MastraError(
                f"flush_interval={flush_interval!r} must be a positive number of seconds",
                code="TELEMETRY_BAD_EXPORTER",
            )
        self.storage = storage
        self.flush_interval = float(flush_interval)
        self.max_queue = max_queue
        self.max_rows = max_rows
        self.batch_size = batch_size
        self._queue: list[Span] = []
        self._open: dict[str, Span] = {}
        self._mutex = threading.Lock()
        lock = getattr(storage, "_lock", None)
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            lock if lock is not None else threading.RLock()
        )
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._warned = False
        self.exported = 0
        self.failed = 0
        flushers = getattr(storage, "_span_flushers", None)
        if isinstance(flushers, list):
            flushers.append(self._write_pending)

    def __repr__(self) -> str:
        return f"StorageExporter({type(self.storage).__name__}, flush_interval={self.flush_interval})"

    def on_start(self, span: Span) -> None:
        self._open[span.span_id] = span

    def export(self, spans: Sequence[Span]) -> None:
        opened = self._open
        for span in spans:
            opened.pop(span.span_id, None)
        with self._mutex:
            self._queue.extend(spans)
            waiting = len(self._queue)
        if self._closed or waiting >= self.max_queue:
            self._write_pending()
        elif self._thread is None:
            self._start()
        elif waiting >= self.batch_size:
            self._wake.set()

    def _start(self) -> None:
        with self._mutex:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(target=self._run, name="mastra-span-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Write every interval; after two idle ones, end (the next export starts a new writer)."""
        idle = 0
        while not self._closed:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            if self._queue:
                self._write_pending()
                idle = 0
                continue
            idle += 1
            if idle >= 2:
                with self._mutex:
                    if not self._queue:
                        self._thread = None
                        return

    def _write_pending(self) -> None:
        """Write the queue in one ``save_spans`` call, under the storage's lock (see the module docstring)."""
        if not self._queue:
            return
        with self._write_lock:
            with self._mutex:
                batch, self._queue = self._queue, []
            if batch:
                self._save(batch)

    def _save(self, batch: Sequence[Span]) -> None:
        try:
            self.storage.save_spans([_record(span) for span in batch])
            self.exported += len(batch)
            if self.max_rows is not None:
                self.storage.prune_spans(max_rows=self.max_rows)
        except Exception as exc:
            self.failed += len(batch)
            if not self._warned:
                self._warned = True
                _logger.warning(
                    "StorageExporter could not write %d spans: %s (further failures are counted in status())",
                    len(batch),
                    exc,
                )

    def flush(self, timeout: float | None = None) -> None:
        """Write the queued spans now, in the calling thread; returns once they are in storage."""
        self._write_pending()

    def shutdown(self) -> None:
        """Stop the writer and write the queue and the spans still open (``end`` None, ``running``)."""
        if self._closed:
            return
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        flushers = getattr(self.storage, "_span_flushers", None)
        if isinstance(flushers, list) and self._write_pending in flushers:
            flushers.remove(self._write_pending)
        self._write_pending()
        still_open = list(self._open.values())
        self._open.clear()
        snapshots = [s.tracer.snapshot(s) if s.tracer is not None else s for s in still_open]
        if snapshots:
            with self._write_lock:
                self._save(snapshots)

    def status(self) -> dict[str, Any]:
        return {
            "name": "storage",
            "exported": self.exported,
            "dropped": 0,
            "failed": self.failed,
            "buffered": len(self._queue),
            "open": len(self._open),
        }


class ConsoleExporter(SpanExporter):
    """Prints each finished trace as an indented tree, when its root span ends::

        trace 1a2b3c4d  invoke_agent support  agent_run  12.3 ms  ok  model=openai:gpt-4o-mini tokens=12/40
          chat gpt-4o-mini  llm_generation  9.8 ms  ok  tokens=12/40
          execute_tool add  tool_call  0.2 ms  ok

    Children wait in memory until their root ends (a child whose root never ends is printed at shutdown).
    """

    _KEYS = (
        ("gen_ai.request.model", "model"),
        ("gen_ai.tool.name", "tool"),
        ("http.response.status_code", "http"),
        ("error.type", "error"),
    )

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream
        self._waiting: dict[str, list[Span]] = {}
        self._lock = threading.Lock()

    def export(self, spans: Sequence[Span]) -> None:
        done: list[list[Span]] = []
        with self._lock:
            for span in spans:
                self._waiting.setdefault(span.trace_id, []).append(span)
                if span.parent_span_id is None:
                    done.append(self._waiting.pop(span.trace_id))
        for trace in done:
            self._print(trace)

    def shutdown(self) -> None:
        with self._lock:
            left = list(self._waiting.values())
            self._waiting.clear()
        for trace in left:
            self._print(trace)

    def _line(self, span: Span) -> str:
        duration = f"{span.duration_ms:.1f} ms" if span.duration_ms is not None else "open"
        facts = [f"{short}={span.attributes[key]}" for key, short in self._KEYS if key in span.attributes]
        tokens_in = span.attributes.get("gen_ai.usage.input_tokens")
        tokens_out = span.attributes.get("gen_ai.usage.output_tokens")
        if tokens_in is not None or tokens_out is not None:
            facts.append(f"tokens={tokens_in if tokens_in is not None else '-'}/{tokens_out or 0}")
        text = f"{span.name}  {span.type}  {duration}  {span.status}"
        return f"{text}  {' '.join(facts)}" if facts else text

    def _print(self, trace: list[Span]) -> None:
        ids = {s.span_id for s in trace}
        children: dict[str | None, list[Span]] = {}
        for span in sorted(trace, key=lambda s: s.start):
            parent = span.parent_span_id if span.parent_span_id in ids else None
            children.setdefault(parent, []).append(span)
        lines: list[str] = []

        def walk(parent: str | None, depth: int) -> None:
            for span in children.get(parent, []):
                prefix = f"trace {span.trace_id[:8]}  " if depth == 0 else "  " * depth
                lines.append(prefix + self._line(span))
                walk(span.span_id, depth + 1)

        walk(None, 0)
        out = self.stream or sys.stderr
        out.write("\n".join(lines) + "\n")


class InMemoryExporter(SpanExporter):
    """Keeps finished spans in a list, for notebooks and tests that want to look at them directly."""

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def export(self, spans: Sequence[Span]) -> None:
        self.spans.extend(spans)

    def clear(self) -> None:
        """Forget every span collected so far."""
        self.spans.clear()

    def status(self) -> dict[str, Any]:
        return {"name": "memory", "exported": len(self.spans)}
