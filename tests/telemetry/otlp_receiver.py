"""A real OTLP/HTTP traces receiver on 127.0.0.1 that decodes what it gets and can misbehave on demand.

``POST /v1/traces`` with a protobuf ``ExportTraceServiceRequest`` (decoded by ``opentelemetry-proto``) is
stored as plain :class:`ReceivedSpan` records. Faults for the exporter's error paths: answer every request
with a status (``fail_with(503)``), hold every answer for some seconds (``delay``), or stop listening so
connections are refused (``stop()``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status


def _value(value: AnyValue) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [_value(v) for v in value.array_value.values]
    if which == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, which) if which else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


@dataclass
class ReceivedSpan:
    """One decoded span, ids as lowercase hex like every OTel UI shows them."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    attributes: dict[str, Any]
    status_code: str
    status_message: str
    events: list[tuple[str, dict[str, Any]]]
    resource: dict[str, Any]
    scope: str
    start_ns: int
    end_ns: int


@dataclass
class Receiver:
    """State shared with the request handler; tests read ``spans`` and set the fault fields."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    requests: int = 0
    status: int = 200
    delay: float = 0.0
    headers: list[dict[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def fail_with(self, status: int) -> None:
        self.status = status

    def stop(self) -> None:
        """Stop listening: later connections are refused. Held answers are released."""
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def by_name(self) -> dict[str, ReceivedSpan]:
        with self.lock:
            return {span.name: span for span in self.spans}

    def store(self, request: ExportTraceServiceRequest) -> None:
        received = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(
                        ReceivedSpan(
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex() or None,
                            name=span.name,
                            kind=Span.SpanKind.Name(span.kind),
                            attributes=_attributes(span.attributes),
                            status_code=Status.StatusCode.Name(span.status.code),
                            status_message=span.status.message,
                            events=[(e.name, _attributes(e.attributes)) for e in span.events],
                            resource=resource,
                            scope=scope_spans.scope.name,
                            start_ns=span.start_time_unix_nano,
                            end_ns=span.end_time_unix_nano,
                        )
                    )
        with self.lock:
            self.spans.extend(received)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.requests += 1
                receiver.headers.append(dict(self.headers))
            if receiver.delay:
                receiver.released.wait(receiver.delay)
            if self.path != "/v1/traces":
                self._answer(404, b"")
            elif receiver.status != 200:
                self._answer(receiver.status, b"")
            else:
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.store(request)
                self._answer(200, ExportTraceServiceResponse().SerializeToString())

        def _answer(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def serve() -> Iterator[Receiver]:
    """A receiver on a free loopback port for the ``with`` block; ``receiver.url`` is its endpoint."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    server.block_on_close = False
    receiver._server = server
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/v1/traces"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="otlp-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stop()
        thread.join(5)
