"""Telemetry benchmark: span cost against the OpenTelemetry SDK, tracing overhead, OTLP export throughput.

    python benchmarks/telemetry_bench.py            # 100,000 stored spans, agent turns, 20,000 OTLP spans
    python benchmarks/telemetry_bench.py --quick    # small sizes, a smoke run
    python benchmarks/telemetry_bench.py --profile  # also the top functions of our stored-span path

spans: start + end + persist of 100,000 spans (a root with one attribute each, as a loop of small traces
would make) through ``Tracer`` + ``StorageExporter`` on a DuckDB file, timed until ``flush()`` has returned
and the rows are counted in the table — against the OpenTelemetry SDK's ``TracerProvider`` with a
``SimpleSpanProcessor`` into its ``InMemorySpanExporter`` (so it persists nothing). Target: ≤ 1.0×.
agent turn: one turn with one tool call (a scripted ``FunctionModel``, no network) of an agent registered on
a ``Mastra``, spans to a DuckDB file, against the same with ``telemetry=False`` — once with the Mastra on
that file (the usual set-up) and once with its records in memory (a cheaper turn, so the tracing share is
larger): the median of per-turn times (what a caller waits), and the mean over the whole run with the
background writes included. Target: ≤ 10 % overhead.
otlp: ``n`` spans, in traces of one agent span over nine model and tool spans with GenAI attributes, opened
and ended through our ``Tracer`` with an ``OTLPExporter``, until ``flush()`` returns and the receiver holds
all of them — against the same spans through the SDK's ``TracerProvider`` + ``BatchSpanProcessor`` +
``OTLPSpanExporter`` until ``force_flush()``. Both send OTLP/HTTP protobuf, 512 spans a request, to one
loopback receiver that decodes every request (``opentelemetry-proto``) and counts the spans.
Target: ours ≥ 0.8× the SDK's spans per second. Needs the ``otlp`` extra and ``opentelemetry-proto``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from mastra_lab import Agent, Mastra, tool
from mastra_lab.llm import FunctionModel, Message, ModelResponse, ToolCall
from mastra_lab.storage import DuckDBStore, InMemoryStore, Storage
from mastra_lab.telemetry import OTLPExporter, StorageExporter, Tracer

ROWS: list[tuple[str, str, str, str]] = []
TRACE_SPANS = 10
BATCH = 512
AGENT = {"gen_ai.agent.name": "support"}


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<60} {ours:>14} {baseline:>14} {ratio:>8}", flush=True)


def _best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


# -- spans through our tracer and storage vs the OpenTelemetry SDK ----------------------------------------


def _ours_storage(n: int, tmp: Path) -> float:
    """Seconds for ``n`` spans to be started, ended and in the span table of a fresh DuckDB file."""
    path = tmp / f"spans-{time.perf_counter_ns()}.duckdb"
    storage = DuckDBStore(str(path))
    tracer = Tracer([StorageExporter(storage)])
    span = tracer.span
    start = time.perf_counter()
    for i in range(n):
        with span("op", "custom", attributes={"i": i}):
            pass
    tracer.flush()
    elapsed = time.perf_counter() - start
    count = storage.sql("SELECT count(*) AS n FROM mastra_spans")["n"].iloc[0]
    assert count == n, (count, n)
    tracer.shutdown()
    storage.close()
    return elapsed


def _otel_in_memory(n: int) -> float | None:
    try:
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    except ImportError:
        return None
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    start_span = provider.get_tracer("bench").start_as_current_span
    start = time.perf_counter()
    for i in range(n):
        with start_span("op", attributes={"i": i}):
            pass
    elapsed = time.perf_counter() - start
    assert len(exporter.get_finished_spans()) == n
    provider.shutdown()
    return elapsed


def bench_storage_spans(n: int, repeat: int, tmp: Path) -> None:
    print(f"{n:,} spans: start + end + persist (ours, DuckDB file) vs the OpenTelemetry SDK (in memory)")
    ours = _best(lambda: _ours_storage(n, tmp), repeat)
    theirs = [_otel_in_memory(n) for _ in range(repeat)]
    if theirs[0] is None:
        _row("spans, ours (OpenTelemetry SDK not installed)", f"{ours / n * 1e6:.1f} us/span", "-", "-")
        return
    best = min(t for t in theirs if t is not None)
    _row(
        f"{n:,} spans to DuckDB vs OTel SimpleSpanProcessor (target <= 1.0x)",
        f"{ours / n * 1e6:.1f} us/span",
        f"{best / n * 1e6:.1f} us/span",
        f"{ours / best:.2f}x",
    )


# -- an agent turn with tracing on and off -----------------------------------------------------------------


@tool
def weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city's name.
    """
    return f"21 degrees in {city}"


def _script(messages: list[Message], info: Any) -> ModelResponse:
    if messages[-1].role == "tool":
        return ModelResponse(text="It is 21 degrees.")
    return ModelResponse(tool_calls=[ToolCall("call_1", "weather", {"city": "Paris"})])


async def _turns(telemetry: bool, path: Path, seconds: float, lean: bool) -> tuple[float, float, int]:
    """Median and mean ms per turn over about ``seconds``, and the traces stored.

    ``lean``: the Mastra keeps its records in memory and only the spans go to the DuckDB file, so the
    turn itself costs little and the tracing overhead shows at its largest.
    """
    agent = Agent(
        "weather", "You answer questions about the weather.", FunctionModel(_script), tools=[weather]
    )
    span_store = DuckDBStore(str(path))
    storage: Storage = InMemoryStore() if lean else span_store
    tracer: Tracer | bool = Tracer([StorageExporter(span_store)]) if telemetry else False
    with Mastra(storage=storage, agents=[agent], telemetry=tracer) as m:
        for _ in range(20):
            await agent.generate("What is the weather in Paris?")
        times: list[float] = []
        began = time.perf_counter()
        end = began + seconds
        while time.perf_counter() < end or len(times) < 5:
            start = time.perf_counter()
            result = await agent.generate("What is the weather in Paris?")
            times.append(time.perf_counter() - start)
        m.tracer.flush()
        total = time.perf_counter() - began
        assert result.text == "It is 21 degrees."
        traces = len(span_store.list_traces(limit=1_000_000))
    span_store.close()
    return statistics.median(times) * 1000, total / len(times) * 1000, traces


async def bench_turn(seconds: float, tmp: Path) -> None:
    print("one agent turn with one tool call, spans to a DuckDB file vs telemetry=False")
    for lean, where in ((False, "Mastra on the DuckDB file"), (True, "Mastra in memory")):
        tag = "lean" if lean else "full"
        off_median, off_mean, none = await _turns(False, tmp / f"off-{tag}.duckdb", seconds, lean)
        on_median, on_mean, traces = await _turns(True, tmp / f"on-{tag}.duckdb", seconds, lean)
        assert none == 0 and traces > 0
        _row(
            f"agent turn, {where}, median (target <= 10 %)",
            f"{on_median:.3f} ms",
            f"{off_median:.3f} ms",
            f"{(on_median / off_median - 1) * 100:+.0f} %",
        )
        _row(
            f"agent turn, {where}, mean incl. writes",
            f"{on_mean:.3f} ms",
            f"{off_mean:.3f} ms",
            f"{(on_mean / off_mean - 1) * 100:+.0f} %",
        )


def profile(n: int, tmp: Path) -> None:
    """The top functions of our span path, by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(_ours_storage, n, tmp)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


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
    parser.add_argument("--stored-spans", type=int, help="spans in the storage comparison (100,000)")
    parser.add_argument("--spans", type=int, help="spans per OTLP export run (20,000)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions too")
    args = parser.parse_args()
    stored = args.stored_spans or (10_000 if args.quick else 100_000)
    repeat = 1 if args.quick else 3
    print(f"{'':<62}{'ours':>14} {'baseline':>14} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_storage_spans(stored, repeat, Path(tmp))
        asyncio.run(bench_turn(0.5 if args.quick else 2.0, Path(tmp)))
        bench_otlp(args.spans or (2_000 if args.quick else 20_000), repeat=repeat)
        _table()
        if args.profile:
            profile(stored, Path(tmp))


if __name__ == "__main__":
    main()
