"""Telemetry benchmark: OTLP export throughput of our exporter against the OpenTelemetry SDK's own pipeline.

    python benchmarks/telemetry_bench.py            # 20,000 spans per pipeline, median of 3 runs
    python benchmarks/telemetry_bench.py --quick    # 2,000 spans, a smoke run

otlp: ``n`` spans, in traces of one agent span over nine model and tool spans with GenAI attributes, opened
and ended through our ``Tracer`` with an ``OTLPExporter``, until ``flush()`` returns and the receiver holds
all of them — against the same spans through the SDK's ``TracerProvider`` + ``BatchSpanProcessor`` +
``OTLPSpanExporter`` until ``force_flush()``. Both send OTLP/HTTP protobuf, 512 spans a request, to one
loopback receiver that decodes every request (``opentelemetry-proto``) and counts the spans.
Target: ours ≥ 0.8× the SDK's spans per second. Needs the ``otlp`` extra and ``opentelemetry-proto``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from mastra_lab.telemetry import OTLPExporter, Tracer

ROWS: list[tuple[str, str, str, str]] = []
TRACE_SPANS = 10
BATCH = 512
AGENT = {"gen_ai.agent.name": "support"}


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<60} {ours:>12} {baseline:>12} {ratio:>8}", flush=True)


# -- OTLP export throughput --------------------------------------------------------------------------


class _CountingReceiver(ThreadingHTTPServer):
    """Decodes each ``ExportTraceServiceRequest`` and counts its spans; ``wait_for(n)`` waits for n."""

    daemon_threads = True
    block_on_close = False

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _CountingHandler)
        self.spans = 0
        self.changed = threading.Condition()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1/traces"

    def add(self, count: int) -> None:
        with self.changed:
            self.spans += count
            self.changed.notify_all()

    def wait_for(self, n: int, timeout: float = 120) -> None:
        with self.changed:
            if not self.changed.wait_for(lambda: self.spans >= n, timeout):
                raise RuntimeError(f"the receiver got {self.spans} of {n} spans")


class _CountingHandler(BaseHTTPRequestHandler):
    server: _CountingReceiver

    def do_POST(self) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        request = ExportTraceServiceRequest()
        request.ParseFromString(self.rfile.read(int(self.headers["Content-Length"])))
        count = sum(len(s.spans) for r in request.resource_spans for s in r.scope_spans)
        payload = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.server.add(count)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def _receiver() -> Iterator[_CountingReceiver]:
    server = _CountingReceiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _chat_attributes(i: int) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 100 + i,
        "gen_ai.usage.output_tokens": 20,
        "gen_ai.response.finish_reasons": ["stop"],
    }


def _ours(n: int, url: str) -> Callable[[], None]:
    exporter = OTLPExporter(url, max_queue=n, batch_size=BATCH, flush_interval=0.05)
    tracer = Tracer([exporter])

    def run() -> None:
        for _ in range(n // TRACE_SPANS):
            with tracer.span("invoke_agent support", "agent_run", attributes=AGENT):
                for i in range(TRACE_SPANS - 1):
                    with tracer.span("chat gpt-4o-mini", "llm_generation", attributes=_chat_attributes(i)):
                        pass
        exporter.flush(timeout=120)

    return run


def _sdk(n: int, url: str) -> Callable[[], None]:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "mastra-lab"}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(url), max_queue_size=n, max_export_batch_size=BATCH)
    )
    tracer = provider.get_tracer("bench")

    def run() -> None:
        for _ in range(n // TRACE_SPANS):
            with tracer.start_as_current_span("invoke_agent support", attributes=AGENT):
                for i in range(TRACE_SPANS - 1):
                    with tracer.start_as_current_span("chat gpt-4o-mini", attributes=_chat_attributes(i)):
                        pass
        provider.force_flush(120_000)

    return run


def _spans_per_second(n: int, make: Callable[[int, str], Callable[[], None]], repeat: int) -> float:
    """Median spans/s of ``repeat`` runs, each ending when the receiver has counted all ``n`` spans."""
    rates: list[float] = []
    with _receiver() as server:
        run = make(n, server.url)
        run()  # warm-up: imports, connections
        server.wait_for(n)
        for k in range(2, repeat + 2):
            start = time.perf_counter()
            run()
            server.wait_for(n * k)
            rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def bench_otlp(n: int, repeat: int = 3) -> dict[str, float]:
    """Spans per second to a loopback OTLP receiver: ``ours``, ``sdk`` and ``ratio`` (target ≥ 0.8)."""
    n -= n % TRACE_SPANS
    print(f"OTLP/HTTP export of {n:,} spans to a loopback receiver, against the SDK's BatchSpanProcessor")
    ours = _spans_per_second(n, _ours, repeat)
    sdk = _spans_per_second(n, _sdk, repeat)
    _row(
        f"OTLP export x{n:,} spans, spans/s (target >= 0.8x)",
        f"{ours:,.0f}/s",
        f"{sdk:,.0f}/s",
        f"{ours / sdk:.2f}x",
    )
    return {"ours": ours, "sdk": sdk, "ratio": ours / sdk}


def _table() -> None:
    print()
    print("| benchmark | ours | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, baseline, ratio in ROWS:
        print(f"| {name.strip()} | {ours} | {baseline} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--spans", type=int, help="spans per OTLP export run (20,000)")
    args = parser.parse_args()
    print(f"{'':<62}{'ours':>12} {'baseline':>12} {'ratio':>8}")
    bench_otlp(args.spans or (2_000 if args.quick else 20_000), repeat=1 if args.quick else 3)
    _table()


if __name__ == "__main__":
    main()
