"""Telemetry benchmark: our tracer with the storage exporter against the OpenTelemetry SDK, tracing overhead.

    python benchmarks/telemetry_bench.py            # 100,000 spans, the agent turn for 2 s each way
    python benchmarks/telemetry_bench.py --quick    # 10,000 spans, short timings
    python benchmarks/telemetry_bench.py --profile  # also the top functions of our span path

spans: start + end + persist of 100,000 spans (a root with one attribute each, as a loop of small traces
would make) through ``Tracer`` + ``StorageExporter`` on a DuckDB file, timed until ``flush()`` has returned
and the rows are counted in the table — against the OpenTelemetry SDK's ``TracerProvider`` with a
``SimpleSpanProcessor`` into its ``InMemorySpanExporter`` (so it persists nothing). Target: ≤ 1.0×.
agent turn: one turn with one tool call (a scripted ``FunctionModel``, no network) of an agent registered on
a ``Mastra``, spans to a DuckDB file, against the same with ``telemetry=False`` — once with the Mastra on
that file (the usual set-up) and once with its records in memory (a cheaper turn, so the tracing share is
larger): the median of per-turn times (what a caller waits), and the mean over the whole run with the
background writes included. Target: ≤ 10 % overhead.
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
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from mastra_lab import Agent, Mastra, tool
from mastra_lab.llm import FunctionModel, Message, ModelResponse, ToolCall
from mastra_lab.storage import DuckDBStore, InMemoryStore, Storage
from mastra_lab.telemetry import StorageExporter, Tracer

ROWS: list[tuple[str, str, str, str]] = []


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<60} {ours:>14} {baseline:>14} {ratio:>8}", flush=True)


def _best(fn: Callable[[], float], repeat: int) -> float:
    return min(fn() for _ in range(repeat))


# -- spans through our tracer and storage vs the OpenTelemetry SDK ----------------------------------------


def _ours(n: int, tmp: Path) -> float:
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


def _otel(n: int) -> float | None:
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


def bench_spans(n: int, repeat: int, tmp: Path) -> None:
    print(f"{n:,} spans: start + end + persist (ours, DuckDB file) vs the OpenTelemetry SDK (in memory)")
    ours = _best(lambda: _ours(n, tmp), repeat)
    theirs = [_otel(n) for _ in range(repeat)]
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
    profiler.runcall(_ours, n, tmp)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short timings")
    parser.add_argument("--spans", type=int, help="spans in the tracer comparison (100,000)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions too")
    args = parser.parse_args()
    n = args.spans or (10_000 if args.quick else 100_000)
    repeat = 1 if args.quick else 3
    seconds = 0.5 if args.quick else 2.0
    print(f"{'':<62}{'ours':>14} {'baseline':>14} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        bench_spans(n, repeat, Path(tmp))
        asyncio.run(bench_turn(seconds, Path(tmp)))
        _table()
        if args.profile:
            profile(n, Path(tmp))


def _table() -> None:
    print()
    print("| benchmark | ours | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, baseline, ratio in ROWS:
        print(f"| {name.strip()} | {ours} | {baseline} | {ratio} |")


if __name__ == "__main__":
    main()
