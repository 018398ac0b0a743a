"""Send spans to any OpenTelemetry collector: Phoenix, Jaeger, Langfuse, Grafana Tempo …

Our spans become OpenTelemetry spans with their GenAI attributes unchanged, plus the OpenInference ones
Arize Phoenix reads (``openinference.span.kind``, ``input.value``, ``llm.token_count.*``), and travel as
OTLP protobuf over HTTP through the OpenTelemetry SDK's own exporter. Sending is someone else's network, so
it never happens on the caller's thread: :meth:`OTLPExporter.export` only appends to a bounded queue that a
daemon thread drains in batches. A collector that is down or slow costs the run nothing — spans beyond the
queue are dropped and counted in :meth:`OTLPExporter.status`.

Needs the ``otlp`` extra: ``pip install 'mastra-lab[otlp]'``.
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from mastra_lab._secret import Secret
from mastra_lab.errors import MastraError
from mastra_lab.telemetry._span import _jsonable
from mastra_lab.telemetry.exporters import SpanExporter
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    from mastra_lab.telemetry._span import Span

__all__ = ["OTLPExporter"]

_logger = get_logger("telemetry.otlp")
_INSTALL_HINT = "pip install 'mastra-lab[otlp]'"

_SDK_LOGGER = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
_QUIET_THREADS: set[int] = set()
"""Idents of our sender threads; the SDK's per-batch error lines from them are dropped (we log once)."""

_LEGACY_TYPES = {
    "agent": "agent_run",
    "llm": "llm_generation",
    "tool": "tool_call",
    "workflow": "workflow_run",
    "step": "workflow_step",
}
_OPENINFERENCE_KIND = {
    "agent_run": "AGENT",
    "llm_generation": "LLM",
    "tool_call": "TOOL",
    "embedding": "EMBEDDING",
    "vector_query": "RETRIEVER",
}
_CLIENT_TYPES = frozenset({"llm_generation", "embedding", "http_request"})
"""Span types that wait on a remote service: OTel ``SpanKind.CLIENT``; everything else is ``INTERNAL``."""

_OPENINFERENCE_COPIES = (
    ("gen_ai.usage.input_tokens", "llm.token_count.prompt"),
    ("gen_ai.usage.output_tokens", "llm.token_count.completion"),
    ("gen_ai.provider.name", "llm.provider"),
    ("gen_ai.tool.name", "tool.name"),
    ("gen_ai.conversation.id", "session.id"),
    ("mastra.resource_id", "user.id"),
)


def _display_endpoint(endpoint: str) -> str:
    """The endpoint without user info or query, which may carry credentials."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _otel_id(value: str, nbytes: int) -> int:
    """An OTel id from one of ours: the leading hex digits of a uuid hex id, else a hash of the string.

    Deterministic, so a child's parent link and the parent's own id agree without a lookup table.
    """
    digits = value[: nbytes * 2]
    try:
        number = int(digits, 16) if len(digits) == nbytes * 2 else 0
    except ValueError:
        number = 0
    if number == 0:
        number = int.from_bytes(hashlib.blake2b(value.encode(), digest_size=nbytes).digest(), "big")
    return number or 1


def _nanos(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1_000_000_000)
    return int(value)


def _json(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _otel_value(value: Any) -> Any:
    """A value OTel accepts: str, bool, int, float, or a list of one of them; anything else as JSON text."""
    if isinstance(value, str | bool | float):
        return value
    if isinstance(value, Secret):
        return str(value)
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else str(value)
    if isinstance(value, list | tuple):
        items = list(value)
        if all(isinstance(v, str) for v in items) or all(isinstance(v, bool) for v in items):
            return items
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
            return items if all(isinstance(v, int) for v in items) else [float(v) for v in items]
    return _json(_jsonable(value))


def _attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key): _otel_value(value) for key, value in values.items() if value is not None}


def _payload(prefix: str, value: Any, into: dict[str, Any]) -> None:
    if value is None:
        return
    if isinstance(value, str):
        into[f"{prefix}.value"] = value
        into[f"{prefix}.mime_type"] = "text/plain"
    else:
        into[f"{prefix}.value"] = _json(value)
        into[f"{prefix}.mime_type"] = "application/json"


def _span_attributes(span: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """Our attributes as OTel ones, the span's type and error, and the OpenInference names Phoenix reads."""
    ours = span.get("attributes") or {}
    attributes = _attributes(ours)
    attributes["mastra.span.type"] = kind
    attributes["openinference.span.kind"] = _OPENINFERENCE_KIND.get(kind, "CHAIN")
    for source, target in _OPENINFERENCE_COPIES:
        if source in attributes:
            attributes[target] = attributes[source]
    model = ours.get("gen_ai.response.model") or ours.get("gen_ai.request.model")
    if model is not None:
        attributes["llm.model_name"] = str(model)
    prompt, completion = ours.get("gen_ai.usage.input_tokens"), ours.get("gen_ai.usage.output_tokens")
    if isinstance(prompt, int) and isinstance(completion, int):
        attributes["llm.token_count.total"] = prompt + completion
    _payload("input", span.get("input"), attributes)
    _payload("output", span.get("output"), attributes)
    error = span.get("error")
    if error:
        attributes.setdefault("error.type", str(error.get("code") or error.get("type") or "error"))
    return attributes


def _fields(span: Span | Mapping[str, Any]) -> Mapping[str, Any]:
    """A span's fields without copying them: the mapper copies what it keeps."""
    if isinstance(span, Mapping):
        return span
    return {
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id,
        "name": span.name,
        "type": span.type,
        "attributes": span.attributes,
        "input": None if span.input is None else _jsonable(span.input),
        "output": None if span.output is None else _jsonable(span.output),
        "error": span.error,
        "start": span.start,
        "end": span.end,
        "events": span.events,
    }


class _Mapper:
    """Turns our span dicts into the SDK's ``ReadableSpan`` for one resource and instrumentation scope."""

    def __init__(self, service_name: str) -> None:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

        self._readable, self._event, self._context = ReadableSpan, Event, SpanContext
        self._status, self._code, self._kind = Status, StatusCode, SpanKind
        self._flags = TraceFlags(TraceFlags.SAMPLED)
        self._resource = Resource.create(
            {"service.name": service_name, "openinference.project.name": service_name}
        )
        self._scope = InstrumentationScope("mastra_lab")

    def _events(self, span: Mapping[str, Any], start: int) -> list[Any]:
        events = [
            self._event(
                str(event.get("name", "event")),
                _attributes(event.get("attributes") or {}),
                _nanos(event.get("time")) or start,
            )
            for event in span.get("events") or ()
        ]
        error = span.get("error")
        if error:
            attributes = {"exception.type": str(error.get("type") or error.get("code") or "error")}
            attributes["exception.message"] = str(error.get("message", ""))
            events.append(self._event("exception", attributes, _nanos(span.get("end")) or start))
        return events

    def readable(self, span: Mapping[str, Any]) -> Any:
        trace_id = _otel_id(str(span["trace_id"]), 16)
        context = self._context(trace_id, _otel_id(str(span["span_id"]), 8), False, self._flags)
        parent_id = span.get("parent_span_id")
        parent = (
            self._context(trace_id, _otel_id(str(parent_id), 8), False, self._flags) if parent_id else None
        )
        kind = str(span.get("type") or "custom")
        kind = _LEGACY_TYPES.get(kind, kind)
        start = _nanos(span.get("start")) or time.time_ns()
        error = span.get("error")
        status = (
            self._status(self._code.ERROR, str(error.get("message") or error.get("type") or "error"))
            if error
            else self._status(self._code.OK)
        )
        return self._readable(
            name=str(span.get("name", "")),
            context=context,
            parent=parent,
            resource=self._resource,
            attributes=_span_attributes(span, kind),
            events=self._events(span, start),
            kind=self._kind.CLIENT if kind in _CLIENT_TYPES else self._kind.INTERNAL,
            status=status,
            start_time=start,
            end_time=_nanos(span.get("end")) or start,
            instrumentation_scope=self._scope,
        )


def _quiet_sdk_thread(record: logging.LogRecord) -> bool:
    return record.thread not in _QUIET_THREADS


def _secret_headers(headers: Mapping[str, str | Secret] | str | Secret | None) -> dict[str, Secret]:
    if isinstance(headers, Secret):
        headers = headers.reveal()
    if isinstance(headers, str):
        pairs = [item.partition("=") for item in headers.split(",") if item.strip()]
        if any(not sep or not key.strip() for key, sep, _ in pairs):
            raise MastraError(
                "OTLPExporter headers text must look like key=value,key2=value2 (the values are not shown)",
                code="TELEMETRY_BAD_OTLP_SETTING",
                domain="telemetry",
            )
        headers = {unquote(key.strip()): unquote(value.strip()) for key, _, value in pairs}
    return {str(k): v if isinstance(v, Secret) else Secret(str(v)) for k, v in (headers or {}).items()}


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise MastraError(
            f"OTLPExporter {name} must be a positive number, got {value!r}",
            code="TELEMETRY_BAD_OTLP_SETTING",
            domain="telemetry",
        )


class OTLPExporter(SpanExporter):
    """Exports spans as OTLP/HTTP protobuf from a background thread, never blocking or failing the run.

    Args:
        endpoint: The collector's traces URL (``http://host:4318/v1/traces``; Phoenix serves it at
            ``http://127.0.0.1:6006/v1/traces``).
        headers: Sent with every request (API keys): a mapping, or the ``key=value,key2=value2`` text of
            ``OTEL_EXPORTER_OTLP_HEADERS`` (plain or a :class:`~mastra_lab._secret.Secret`). Kept as
            secrets, never shown in ``repr``, logs or :meth:`status`.
        timeout: Seconds one batch may take, the SDK's retries of 429/5xx and refused connections included.
        max_queue: Spans waiting to be sent at most; more are dropped and counted, so a collector that is
            down costs bounded memory.
        batch_size: Spans per request at most.
        service_name: The ``service.name`` resource (and Phoenix project) the spans appear under.
        flush_interval: Seconds a partial batch waits for more spans before it is sent anyway.
    """

    def __init__(
        self,
        endpoint: str = "http://127.0.0.1:4318/v1/traces",
        *,
        headers: Mapping[str, str | Secret] | str | Secret | None = None,
        timeout: float = 10,
        max_queue: int = 2048,
        batch_size: int = 512,
        service_name: str = "mastra-lab",
        flush_interval: float = 1.0,
    ) -> None:
        if not isinstance(endpoint, str) or urlsplit(endpoint).scheme not in ("http", "https"):
            raise MastraError(
                f"OTLPExporter endpoint must be an http(s) URL such as http://127.0.0.1:4318/v1/traces, "
                f"got {endpoint!r}",
                code="TELEMETRY_BAD_OTLP_SETTING",
                domain="telemetry",
            )
        for name, value in (("timeout", timeout), ("max_queue", max_queue), ("batch_size", batch_size)):
            _positive(name, value)
        _positive("flush_interval", flush_interval)
        self.endpoint = endpoint
        self.headers = _secret_headers(headers)
        self.timeout = float(timeout)
        self.max_queue = int(max_queue)
        self.batch_size = int(batch_size)
        self.service_name = service_name
        self.flush_interval = float(flush_interval)
        self._sdk, self._mapper = self._build_sdk()
        self._queue: collections.deque[Any] = collections.deque()  # ReadableSpans
        self._cond = threading.Condition()
        self._in_flight = 0
        self._flushing = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._counts = {"exported": 0, "dropped": 0, "failed": 0}
        self._last_error: str | None = None
        self._warned = False

    def _build_sdk(self) -> tuple[Any, _Mapper]:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        except ImportError as exc:
            raise MastraError(
                f"OTLPExporter needs the OpenTelemetry SDK and its OTLP HTTP exporter: {_INSTALL_HINT}",
                code="TELEMETRY_OTLP_NOT_INSTALLED",
                domain="telemetry",
                category="system",
            ) from exc
        sdk_logger = logging.getLogger(_SDK_LOGGER)
        if _quiet_sdk_thread not in sdk_logger.filters:
            sdk_logger.addFilter(_quiet_sdk_thread)
        revealed = {key: value.reveal() for key, value in self.headers.items()}
        sdk = OTLPSpanExporter(endpoint=self.endpoint, headers=revealed, timeout=self.timeout)
        return sdk, _Mapper(self.service_name)

    def __repr__(self) -> str:
        names = ", ".join(sorted(self.headers))
        shown = f", headers=[{names}]" if names else ""
        return f"OTLPExporter({_display_endpoint(self.endpoint)!r}{shown}, max_queue={self.max_queue})"

    # -- caller side ---------------------------------------------------------------------------------

    def export(self, spans: Sequence[Span | Mapping[str, Any]]) -> None:
        """Queue the spans for sending; drop (and count) what does not fit. Returns at once."""
        with self._cond:
            room = 0 if self._closed else self.max_queue - len(self._queue)
            if room < len(spans):
                self._counts["dropped"] += len(spans) - max(room, 0)
            if room <= 0:
                return
        try:  # mapped here, so nothing the caller mutates later can reach the wire
            items = [self._mapper.readable(_fields(span)) for span in spans[:room]]
        except Exception as exc:  # a span we cannot map: count it, never fail the caller's run
            self._record(room, f"{type(exc).__name__}: {exc}")
            return
        with self._cond:
            before = len(self._queue)
            self._queue.extend(items)
            if self._thread is None:
                self._start()
            if before < self.batch_size <= len(self._queue):
                self._cond.notify_all()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mastra-otlp-exporter", daemon=True)
        self._thread.start()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued span was sent (or failed), at most ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flushing += 1
            self._cond.notify_all()
            try:
                while (
                    (self._queue or self._in_flight) and self._thread is not None and self._thread.is_alive()
                ):
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return
                    self._cond.wait(remaining)
            finally:
                self._flushing -= 1

    def shutdown(self) -> None:
        """Send what is queued (within ``timeout``), then stop the thread; later spans are dropped."""
        if self._closed:
            return
        self.flush(self.timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._sdk.shutdown()
        if self._thread is not None:
            self._thread.join(self.timeout)
        with self._cond:
            self._counts["dropped"] += len(self._queue)
            self._queue.clear()

    def status(self) -> dict[str, Any]:
        """Counts of spans ``exported``, ``dropped`` (queue full or closed), ``failed`` and ``buffered``."""
        with self._cond:
            return {
                "name": "otlp",
                "endpoint": _display_endpoint(self.endpoint),
                **self._counts,
                "buffered": len(self._queue) + self._in_flight,
                "last_error": self._last_error,
            }

    # -- sender thread -------------------------------------------------------------------------------

    def _next_batch(self) -> list[Any] | None:
        """Wait for a full batch, a flush, shutdown or the flush interval; ``None`` means stop."""
        with self._cond:
            waited_since = time.monotonic()
            while not self._closed and not self._flushing and len(self._queue) < self.batch_size:
                if self._queue:
                    remaining = waited_since + self.flush_interval - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                else:
                    self._cond.wait()
                    waited_since = time.monotonic()
            if self._closed and not self._queue:
                return None
            batch = [self._queue.popleft() for _ in range(min(self.batch_size, len(self._queue)))]
            self._in_flight = len(batch)
            return batch

    def _run(self) -> None:
        _QUIET_THREADS.add(threading.get_ident())
        try:
            while (batch := self._next_batch()) is not None:
                self._send(batch)
        finally:
            _QUIET_THREADS.discard(threading.get_ident())

    def _send(self, batch: list[Any]) -> None:
        error: str | None = None
        try:
            result = self._sdk.export(batch)
            if getattr(result, "name", "") != "SUCCESS":
                error = f"the collector did not accept the batch ({getattr(result, 'name', result)})"
        except Exception as exc:  # an SDK bug must not end the thread
            error = f"{type(exc).__name__}: {exc}"
        self._record(len(batch), error, sent=True)

    def _record(self, count: int, error: str | None, *, sent: bool = False) -> None:
        """Count spans as exported or failed, and log the first failure of this exporter."""
        with self._cond:
            self._counts["failed" if error else "exported"] += count
            if sent:
                self._in_flight = 0
            if error:
                self._last_error = error
            warn, self._warned = bool(error and not self._warned), self._warned or bool(error)
            self._cond.notify_all()
        if warn:
            _logger.warning(
                "OTLP export to %s failed: %s; further failures are only counted in status()['failed']",
                _display_endpoint(self.endpoint),
                error,
            )
