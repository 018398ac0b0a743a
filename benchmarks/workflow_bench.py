"""Workflow benchmark: engine overhead against plain asyncio and LangGraph, resume latency, snapshot size.

    python benchmarks/workflow_bench.py            # 1,000-item foreach, 100-step chain, LangGraph, resume
    python benchmarks/workflow_bench.py --quick    # small sizes, a smoke run
    python benchmarks/workflow_bench.py --profile  # also the top functions of foreach and then-chain runs

foreach: a 1,000-item ``foreach`` of a no-op async step, concurrency 16, against ``asyncio.gather`` over the
same no-op behind a ``Semaphore(16)`` — once with in-memory persistence (an unregistered workflow saves to an
``InMemoryStore``) and once registered on a ``Mastra`` over a DuckDB file (snapshots and spans stored).
Target: ≤ 3× with in-memory persistence. Every run is a whole ``create_run`` + ``start``: it validates,
saves a snapshot after every item and ends with the list of outputs in order.
chain: a 100-step ``.then`` chain of the no-op against a loop of 100 awaits of it. Target: ≤ 5×.
langgraph: LangGraph's ``Send`` fan-out of the same 1,000 items to a no-op node, the peer of ``foreach``.
Installed only in the benchmark environment (``pip install langgraph``); without it the row says so.
Target: ours ≤ 0.2× LangGraph.
resume: a run suspended and stored in a DuckDB file is resumed by a new process: inside it, the time of
``create_run(run_id)`` + ``resume_sync``; outside, the whole process's wall time (interpreter and imports).
snapshot: the bytes of the JSON snapshot stored for the 1,000-item ``foreach`` run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import operator
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from mastra_lab import Mastra
from mastra_lab.storage import DuckDBStore
from mastra_lab.workflow import Step, StepContext, Workflow

ROWS: list[tuple[str, str, str, str]] = []
CONCURRENCY = 16


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<60} {ours:>12} {baseline:>12} {ratio:>8}", flush=True)


async def _median_ms(fn: Callable[[], Awaitable[Any]], repeat: int, warmup: int = 1) -> float:
    """Median wall time of ``repeat`` awaited calls of ``fn``, after ``warmup`` calls."""
    for _ in range(warmup):
        await fn()
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def _noop(value: Any) -> Any:
    return value


async def _noop_step(ctx: StepContext) -> Any:
    return ctx.input


def foreach_workflow(wid: str = "each") -> Workflow:
    """The workflow's input (a list) goes to a ``foreach`` of the no-op, :data:`CONCURRENCY` at a time."""
    return Workflow(wid).foreach(Step("noop", _noop_step), concurrency=CONCURRENCY).commit()


def chain_workflow(length: int) -> Workflow:
    wf = Workflow("chain")
    for i in range(length):
        wf.then(Step(f"s{i}", _noop_step))
    return wf.commit()


async def _run(wf: Workflow, value: Any) -> Any:
    result = await wf.create_run().start(value)
    assert result.status == "success", result
    return result


# -- foreach against gather --------------------------------------------------------------------------


async def _gathered(items: list[int]) -> list[Any]:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(x: int) -> Any:
        async with gate:
            return await _noop(x)

    return await asyncio.gather(*(one(x) for x in items))


async def bench_foreach(items: list[int], repeat: int, tmp: Path) -> float:
    n = len(items)
    print(f"foreach of {n:,} items, concurrency {CONCURRENCY}, against gather + Semaphore({CONCURRENCY})")
    assert await _gathered(items) == items
    baseline = await _median_ms(lambda: _gathered(items), repeat * 5)
    wf = foreach_workflow()
    result = await _run(wf, items)
    assert result.result == items
    ours = await _median_ms(lambda: _run(wf, items), repeat)
    _row(
        f"foreach x{n:,}, in-memory snapshots (target <= 3x)",
        f"{ours:.1f} ms",
        f"{baseline:.2f} ms",
        f"{ours / baseline:.1f}x",
    )
    snapshot = wf.storage.load_snapshot(wf.id, result.run_id)
    size = len(json.dumps(snapshot))
    _row(f"snapshot of the foreach x{n:,} run", f"{size:,} B", "-", f"{size / n:.0f} B/item")
    with Mastra(storage=DuckDBStore(str(tmp / "foreach.duckdb"))) as m:
        stored = foreach_workflow("each_duckdb")
        m.add_workflow(stored)
        await _run(stored, items)
        persisted = await _median_ms(lambda: _run(stored, items), repeat)
    _row(
        f"foreach x{n:,}, Mastra on DuckDB (snapshots + spans)",
        f"{persisted:.1f} ms",
        f"{baseline:.2f} ms",
        f"{persisted / baseline:.1f}x",
    )
    return ours


async def bench_chain(length: int, repeat: int) -> None:
    print(f"a {length}-step .then chain against a loop of {length} awaits")

    async def loop() -> Any:
        value: Any = 0
        for _ in range(length):
            value = await _noop(value)
        return value

    baseline = await _median_ms(loop, repeat * 50)
    wf = chain_workflow(length)
    ours = await _median_ms(lambda: _run(wf, 0), repeat)
    _row(
        f"then chain x{length}, in-memory (target <= 5x)",
        f"{ours:.2f} ms",
        f"{baseline:.3f} ms",
        f"{ours / baseline:.0f}x",
    )
    short = max(1, length // 10)
    short_ms = await _median_ms(lambda: _run(chain_workflow(short), 0), repeat * 5)
    _row(
        f"  time per step, x{length} chain vs x{short} chain (growth: saves)",
        f"{ours / length * 1000:.0f} us",
        f"{short_ms / short * 1000:.0f} us",
        f"{ours / length / (short_ms / short):.1f}x",
    )


# -- LangGraph Send fan-out ----------------------------------------------------------------------------


class State(TypedDict):
    """The LangGraph run's state: the items, and the node outputs gathered by ``operator.add``."""

    items: list[int]
    results: Annotated[list[int], operator.add]


class Item(TypedDict):
    item: int


def _langgraph_fanout() -> Callable[[list[int]], Awaitable[Any]] | None:
    try:
        from langgraph.graph import END, START, StateGraph
        from langgraph.types import Send
    except ImportError:
        return None

    async def work(state: Item) -> dict[str, list[int]]:
        return {"results": [await _noop(state["item"])]}

    def fan_out(state: State) -> list[Any]:
        return [Send("work", {"item": x}) for x in state["items"]]

    graph = StateGraph(State)
    graph.add_node("work", work)
    graph.add_conditional_edges(START, fan_out, ["work"])
    graph.add_edge("work", END)
    app = graph.compile()
    return lambda items: app.ainvoke({"items": items, "results": []})


async def bench_langgraph(items: list[int], repeat: int, ours_ms: float) -> None:
    n = len(items)
    print(f"LangGraph Send fan-out of {n:,} items to a no-op node")
    peer = _langgraph_fanout()
    if peer is None:
        _row(
            "foreach vs LangGraph Send (not installed: pip install langgraph)", f"{ours_ms:.1f} ms", "-", "-"
        )
        return
    out = await peer(items)
    assert sorted(out["results"]) == items, out
    theirs = await _median_ms(lambda: peer(items), repeat)
    bare = await _median_ms(lambda: asyncio.gather(*(_noop(x) for x in items)), repeat * 5)
    _row(
        f"foreach x{n:,} c={CONCURRENCY} vs LangGraph Send (target <= 0.2x)",
        f"{ours_ms:.1f} ms",
        f"{theirs:.1f} ms",
        f"{ours_ms / theirs:.2f}x",
    )
    _row(
        f"LangGraph Send x{n:,} vs a bare gather",
        f"{theirs:.1f} ms",
        f"{bare:.2f} ms",
        f"{theirs / bare:.0f}x",
    )


# -- resume in a new process ---------------------------------------------------------------------------


async def _gate(ctx: StepContext) -> Any:
    if ctx.resume_data is None:
        ctx.suspend({"waiting": ctx.input})
    return {"input": ctx.input, "approved": ctx.resume_data}


def resume_workflow() -> Workflow:
    """Three steps; the middle one suspends until resumed."""
    return (
        Workflow("approval")
        .then(Step("prepare", _noop_step))
        .then(Step("gate", _gate))
        .then(Step("finish", _noop_step))
        .commit()
    )


def resume_child(path: str, first: str, second: str) -> None:
    """In the new process: open the file, resume two runs (the first pays for the imports and the runtime
    loop it starts), print the times as JSON."""
    start = time.perf_counter()
    with Mastra(storage=DuckDBStore(path)) as m:
        wf = resume_workflow()
        m.add_workflow(wf)
        marks = [time.perf_counter()]
        for run_id in (first, second):
            result = wf.create_run(run_id).resume_sync(resume_data=True)
            assert result.status == "success", result
            marks.append(time.perf_counter())
    opened, cold, warm = marks[0] - start, marks[1] - marks[0], marks[2] - marks[1]
    print(json.dumps({"open_ms": opened * 1000, "cold_ms": cold * 1000, "warm_ms": warm * 1000}))


def bench_resume(processes: int, tmp: Path) -> None:
    print(f"resume of runs suspended in a DuckDB file, in a new process ({processes} processes)")
    path = str(tmp / "resume.duckdb")
    with Mastra(storage=DuckDBStore(path)) as m:
        wf = resume_workflow()
        m.add_workflow(wf)
        run_ids = []
        for i in range(2 * processes):
            result = wf.create_run().start_sync({"order": i})
            assert result.status == "suspended", result
            run_ids.append(result.run_id)
    times: dict[str, list[float]] = {"open_ms": [], "cold_ms": [], "warm_ms": [], "wall_ms": []}
    for first, second in zip(run_ids[::2], run_ids[1::2], strict=True):
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--resume-child", path, first, second],
            capture_output=True,
            text=True,
            check=True,
        )
        times["wall_ms"].append((time.perf_counter() - start) * 1000)
        for key, value in json.loads(done.stdout.strip().splitlines()[-1]).items():
            times[key].append(value)
    median = {key: statistics.median(values) for key, values in times.items()}
    _row(
        "resume in a new process: create_run + resume_sync, first run",
        f"{median['cold_ms']:.1f} ms",
        "-",
        "-",
    )
    _row("  a second run in the same process", f"{median['warm_ms']:.1f} ms", "-", "-")
    _row("  opening the DuckDB file on a Mastra (before them)", f"{median['open_ms']:.1f} ms", "-", "-")
    _row(
        "  the whole process (interpreter, imports, open, 2 resumes)", f"{median['wall_ms']:.0f} ms", "-", "-"
    )


# -- profiles ------------------------------------------------------------------------------------------


def _profile(title: str, coro: Callable[[], Awaitable[Any]], top: int = 18) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(coro())  # type: ignore[arg-type]
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(r"mastra_lab|json|duckdb", top)
    stats.sort_stats("tottime").print_stats(top // 2)
    print(f"\n== profile: {title} (by cumulative time in our code, then by own time)")
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip()))


def profile(items: list[int], length: int, tmp: Path) -> None:
    each, chain = foreach_workflow(), chain_workflow(length)

    async def foreach_runs() -> None:
        for _ in range(3):
            await _run(each, items)

    async def chain_runs() -> None:
        for _ in range(20):
            await _run(chain, 0)

    _profile(f"3 runs of the foreach x{len(items):,}, in-memory", foreach_runs)
    _profile(f"20 runs of the then chain x{length}, in-memory", chain_runs)
    few = items[: max(1, len(items) // 4)]

    async def stored_runs() -> None:
        with Mastra(storage=DuckDBStore(str(tmp / "profile.duckdb"))) as m:
            stored = foreach_workflow("each_profiled")
            m.add_workflow(stored)
            await _run(stored, few)

    _profile(f"1 run of a foreach x{len(few):,} on a Mastra over DuckDB", stored_runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--items", type=int, help="foreach / Send items (1,000)")
    parser.add_argument("--chain", type=int, help="steps in the then chain (100)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions too")
    parser.add_argument("--resume-child", nargs=3, metavar=("PATH", "RUN", "RUN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.resume_child:
        resume_child(*args.resume_child)
        return
    items = list(range(args.items or (100 if args.quick else 1_000)))
    length = args.chain or (20 if args.quick else 100)
    repeat = 3 if args.quick else 7
    print(f"{'':<62}{'ours':>12} {'baseline':>12} {'ratio':>8}")
    with tempfile.TemporaryDirectory() as tmp:

        async def timed() -> None:
            ours = await bench_foreach(items, repeat, Path(tmp))
            await bench_chain(length, repeat)
            await bench_langgraph(items, repeat, ours)

        asyncio.run(timed())
        bench_resume(1 if args.quick else 5, Path(tmp))
        _table()
        if args.profile:
            profile(items, length, Path(tmp))


def _table() -> None:
    print()
    print("| benchmark | ours | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, baseline, ratio in ROWS:
        print(f"| {name.strip()} | {ours} | {baseline} | {ratio} |")


if __name__ == "__main__":
    main()
