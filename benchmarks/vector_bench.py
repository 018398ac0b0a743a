"""Vector search benchmark: our stores against the obvious baselines, measured in the same run.

    /work/venv/bin/python benchmarks/vector_bench.py            # 100k x 384 exact, 200k x 384 HNSW
    /work/venv/bin/python benchmarks/vector_bench.py --quick    # small sizes, a smoke run
    /work/venv/bin/python benchmarks/vector_bench.py --ann-size 50000
    /work/venv/bin/python benchmarks/vector_bench.py --large    # HNSW at 1M (slow: tens of minutes)

Exact: our ``query`` vs numpy ``X @ q`` + ``argpartition`` on the same matrix (target >= 0.8x), vs DuckDB SQL
``ORDER BY array_cosine_similarity`` (target >= 8x), filtered (10 % selectivity) vs unfiltered (>= 1.0x),
DuckDBVector after its lazy load, upsert throughput vs raw numpy / DuckDB appends.
HNSW: on embedding-like data (32-d latent Gaussian projected to 384-d plus noise, normalised), recall@10
against exact and qps at several ``ef`` (target recall >= 0.95 at >= 10x exact qps), build time vs raw
usearch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from mastra_lab.vector import DuckDBVector, InMemoryVector

ROWS: list[tuple[str, str, str, str]] = []
K = 10


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<44} {ours:>16} {baseline:>16} {ratio:>10}", flush=True)


def _qps_once(fn: Callable[[np.ndarray], Any], queries: np.ndarray, seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while True:
        fn(queries[done % len(queries)])
        done += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and done >= 3:
            return done / elapsed


def _qps(fn: Callable[[np.ndarray], Any], queries: np.ndarray, seconds: float = 1.0) -> float:
    """Best of three rounds (the machine is shared: the best round is the least disturbed)."""
    fn(queries[0])
    return max(_qps_once(fn, queries, seconds / 3) for _ in range(3))


def _qps_pair(
    ours: Callable[[np.ndarray], Any],
    base: Callable[[np.ndarray], Any],
    queries: np.ndarray,
    seconds: float = 2.0,
) -> tuple[float, float]:
    """Interleaved rounds of ours and the baseline, best round of each, so both see the same machine."""
    ours(queries[0])
    base(queries[0])
    a = b = 0.0
    for _ in range(5):
        a = max(a, _qps_once(ours, queries, seconds / 10))
        b = max(b, _qps_once(base, queries, seconds / 10))
    return a, b


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def normalised_random(n: int, dim: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def embeddings_like(n: int, dim: int, seed: int = 0, latent: int = 32) -> np.ndarray:
    """Structured like real embeddings: a latent Gaussian projected up plus noise, normalised."""
    rng = np.random.default_rng(seed)
    proj = rng.standard_normal((latent, dim), dtype=np.float32)
    out = np.empty((n, dim), dtype=np.float32)
    for s in range(0, n, 50_000):
        e = min(n, s + 50_000)
        z = rng.standard_normal((e - s, latent), dtype=np.float32)
        out[s:e] = z @ proj + 0.5 * rng.standard_normal((e - s, dim), dtype=np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


# ------------------------------------------------------------------------------------------ exact


def bench_exact(n: int, dim: int) -> None:
    print(f"\nExact search, {n:,} x {dim} normalised float32, top_k={K}")
    print(f"  {'':<44} {'ours':>16} {'baseline':>16} {'ratio':>10}")
    x = normalised_random(n, dim)
    queries = normalised_random(64, dim, seed=1)
    meta = [{"cat": i % 10, "source": f"doc{i % 1000}"} for i in range(n)]
    store = InMemoryVector()
    store.create_index("bench", dim)
    bare = InMemoryVector()
    bare.create_index("bench", dim)
    bare_s = _timed(lambda: [bare.upsert("bench", x[s : s + 10_000]) for s in range(0, n, 10_000)])
    upsert_s = _timed(lambda: _batched_upsert(store, x, meta))
    raw_s = _timed(lambda: _numpy_append(x))
    _row(
        "upsert rows/s (10k batches) vs numpy append",
        f"{n / bare_s:,.0f}",
        f"{n / raw_s:,.0f}",
        f"{raw_s / bare_s:.2f}x",
    )
    _row(
        "upsert rows/s with metadata vs numpy append",
        f"{n / upsert_s:,.0f}",
        f"{n / raw_s:,.0f}",
        f"{raw_s / upsert_s:.2f}x",
    )
    bare.delete_index("bench")

    def numpy_query(q: np.ndarray) -> np.ndarray:
        s = x @ q
        top = np.argpartition(s, len(s) - K)[len(s) - K :]
        return top[np.argsort(-s[top])]

    ours, base = _qps_pair(lambda q: store.query("bench", q, top_k=K), numpy_query, queries)
    _row("query qps vs numpy X@q + argpartition", f"{ours:,.0f}", f"{base:,.0f}", f"{ours / base:.2f}x")

    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (id BIGINT, vector FLOAT[{dim}])")
    con.register(
        "src",
        pa.table({"id": np.arange(n), "vector": pa.FixedSizeListArray.from_arrays(pa.array(x.ravel()), dim)}),
    )
    con.execute("INSERT INTO t SELECT * FROM src")
    sql = f"SELECT id FROM t ORDER BY array_cosine_similarity(vector, ?::FLOAT[{dim}]) DESC LIMIT {K}"
    duck = _qps(lambda q: con.execute(sql, [q.tolist()]).fetchall(), queries, seconds=3.0)
    _row("query qps vs DuckDB array_cosine_similarity", f"{ours:,.0f}", f"{duck:,.0f}", f"{ours / duck:.1f}x")

    flt = {"cat": 3}
    filtered, unfiltered = _qps_pair(
        lambda q: store.query("bench", q, top_k=K, filter=flt),
        lambda q: store.query("bench", q, top_k=K),
        queries,
    )
    _row(
        "filtered (10 %) qps vs unfiltered",
        f"{filtered:,.0f}",
        f"{unfiltered:,.0f}",
        f"{filtered / unfiltered:.2f}x",
    )
    appended, updated = _after_write_qps(store, queries, dim)
    _row(
        "filtered qps, one-row append before each",
        f"{appended:,.1f}",
        f"{filtered:,.0f}",
        f"{appended / filtered:.2f}x",
    )
    _row(
        "filtered qps, metadata update before each",
        f"{updated:,.1f}",
        f"{filtered:,.0f}",
        f"{updated / filtered:.2f}x",
    )
    bench_duckdb_store(x, meta, queries, store, dim)


def _after_write_qps(store: InMemoryVector, queries: np.ndarray, dim: int) -> tuple[float, float]:
    """Filtered queries each preceded by a write: a one-row append (columns extended) or a metadata update
    (columns rebuilt)."""
    rounds, extra = 5, normalised_random(5, dim, seed=7)
    start = time.perf_counter()
    for i in range(rounds):
        store.upsert("bench", extra[i : i + 1], metadata=[{"cat": 3, "source": "new"}])
        store.query("bench", queries[i], top_k=K, filter={"cat": 3})
    appended = rounds / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(rounds):
        store.update_vector("bench", store.query("bench", queries[i], top_k=1)[0].id, metadata={"cat": 3})
        store.query("bench", queries[i], top_k=K, filter={"cat": 3})
    return appended, rounds / (time.perf_counter() - start)


def _numpy_append(x: np.ndarray) -> np.ndarray:
    parts = [x[s : s + 10_000].copy() for s in range(0, len(x), 10_000)]
    return np.concatenate(parts)


def bench_duckdb_store(
    x: np.ndarray, meta: list[dict[str, Any]], queries: np.ndarray, mem: InMemoryVector, dim: int
) -> None:
    n = len(x)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        with DuckDBVector(path) as store:
            store.create_index("bench", dim)
            up = _timed(lambda: _batched_upsert(store, x, meta))
        raw = _timed(lambda: _duckdb_append(Path(tmp) / "raw.duckdb", x, meta))
        _row(
            "DuckDBVector upsert rows/s vs raw Arrow insert",
            f"{n / up:,.0f}",
            f"{n / raw:,.0f}",
            f"{raw / up:.2f}x",
        )
        with DuckDBVector(path) as store:
            load = _timed(lambda: store.query("bench", queries[0], top_k=K))
            _row("DuckDBVector first query (lazy load) ms", f"{load * 1000:,.0f}", "", "")
            qps, mem_qps = _qps_pair(
                lambda q: store.query("bench", q, top_k=K), lambda q: mem.query("bench", q, top_k=K), queries
            )
            _row(
                "DuckDBVector qps vs InMemoryVector",
                f"{qps:,.0f}",
                f"{mem_qps:,.0f}",
                f"{qps / mem_qps:.2f}x",
            )
            fq = _qps(lambda q: store.query("bench", q, top_k=K, filter={"cat": 3}), queries)
            _row(
                "DuckDBVector filtered 10 % (mask cached) qps",
                f"{fq:,.0f}",
                f"{qps:,.0f}",
                f"{fq / qps:.2f}x",
            )
            sources = iter(range(10**9))
            cold = _qps(
                lambda q: store.query("bench", q, top_k=K, filter={"source": f"doc{next(sources) % 1000}"}),
                queries,
            )
            _row(
                "DuckDBVector new filter each query (SQL) qps",
                f"{cold:,.1f}",
                f"{qps:,.0f}",
                f"{cold / qps:.3f}x",
            )


def _batched_upsert(store: InMemoryVector | DuckDBVector, x: np.ndarray, meta: list[dict[str, Any]]) -> None:
    for s in range(0, len(x), 10_000):
        store.upsert("bench", x[s : s + 10_000], metadata=meta[s : s + 10_000])


def _duckdb_append(path: Path, x: np.ndarray, meta: list[dict[str, Any]]) -> None:
    import json

    dim = x.shape[1]
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE t (id VARCHAR, vector FLOAT[{dim}], metadata JSON)")
    for s in range(0, len(x), 10_000):
        part = x[s : s + 10_000]
        tbl = pa.table(
            {
                "id": [str(i) for i in range(s, s + len(part))],
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(part.ravel()), dim),
                "metadata": [json.dumps(m) for m in meta[s : s + len(part)]],
            }
        )
        con.register("src", tbl)
        con.execute("INSERT INTO t SELECT id, vector, CAST(metadata AS JSON) FROM src")
        con.unregister("src")
    con.close()


# ------------------------------------------------------------------------------------------- HNSW


def bench_hnsw(n: int, dim: int, efs: list[int]) -> None:
    from usearch.index import Index

    print(f"\nHNSW, {n:,} x {dim} embedding-like vectors (M=16, ef_construction=128), top_k={K}")
    print(f"  {'':<44} {'ours':>16} {'baseline':>16} {'ratio':>10}")
    x = embeddings_like(n + 200, dim)
    data, queries = x[:n], x[n:]
    raw = Index(ndim=dim, metric="cos", dtype="i8", connectivity=16, expansion_add=128)  # same graph as ours
    raw_build = _timed(lambda: raw.add(np.arange(n, dtype=np.uint64), data))
    exact = InMemoryVector()
    exact.create_index("e", dim)
    exact.upsert("e", data, ids=[str(i) for i in range(n)])
    ann = InMemoryVector()
    ann.create_index("a", dim, index="hnsw", m=16, ef_construction=128)
    build = _timed(lambda: ann.upsert("a", data, ids=[str(i) for i in range(n)]))
    _row(
        "build seconds vs raw usearch (both i8 graph)",
        f"{build:,.1f}",
        f"{raw_build:,.1f}",
        f"{raw_build / build:.2f}x",
    )
    truth = [{h.id for h in exact.query("e", q, top_k=K)} for q in queries]
    exact_qps = _qps(lambda q: exact.query("e", q, top_k=K), queries)
    _row("exact qps (reference)", f"{exact_qps:,.0f}", "", "")
    for ef in efs:
        hits = sum(
            len(t & {h.id for h in ann.query("a", q, top_k=K, ef=ef)})
            for t, q in zip(truth, queries, strict=True)
        )
        recall = hits / (K * len(queries))
        qps, exact_qps = _qps_pair(
            lambda q, ef=ef: ann.query("a", q, top_k=K, ef=ef),
            lambda q: exact.query("e", q, top_k=K),
            queries,
        )
        raw.expansion_search = ef
        qps, raw_qps = _qps_pair(
            lambda q, ef=ef: ann.query("a", q, top_k=K, ef=ef), lambda q: raw.search(q, K), queries
        )
        _row(
            f"ef={ef}: recall@10 {recall:.3f}; qps vs exact",
            f"{qps:,.0f}",
            f"{exact_qps:,.0f}",
            f"{qps / exact_qps:.1f}x",
        )
        _row(
            f"ef={ef}: qps vs raw usearch (k=10, no re-rank)",
            f"{qps:,.0f}",
            f"{raw_qps:,.0f}",
            f"{qps / raw_qps:.2f}x",
        )
    flt_qps = _qps(lambda q: ann.query("a", q, top_k=K, filter={"nothing": None}, ef=64), queries)
    _row("ef=64 with a filter matching all rows, qps", f"{flt_qps:,.0f}", "", "")
    bench_hnsw_reopen(data[: max(n // 4, 1000)], queries, dim)


def bench_hnsw_reopen(data: np.ndarray, queries: np.ndarray, dim: int) -> None:
    n = len(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ann.duckdb"
        with DuckDBVector(path) as store:
            store.create_index("a", dim, index="hnsw", m=16, ef_construction=128)
            build = _timed(lambda: store.upsert("a", data, ids=[str(i) for i in range(n)]))
            save = _timed(store.flush)
        _row(f"DuckDBVector HNSW {n:,} rows: build + save seconds", f"{build + save:,.1f}", "", "")
        with DuckDBVector(path) as store:
            reopen = _timed(lambda: store.query("a", queries[0], top_k=K))
            origin = store._resident["a"].ann_origin
            qps = _qps(lambda q: store.query("a", q, top_k=K, ef=64), queries)
        _row(f"reopen + first query seconds (graph {origin})", f"{reopen:,.2f}", "", "")
        _row("DuckDBVector HNSW ef=64 qps", f"{qps:,.0f}", "", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    parser.add_argument("--size", type=int, default=100_000, help="exact-search rows (default 100k)")
    parser.add_argument("--ann-size", type=int, default=200_000, help="HNSW rows (default 200k)")
    parser.add_argument("--large", action="store_true", help="HNSW at 1M rows")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--skip-ann", action="store_true")
    parser.add_argument("--skip-exact", action="store_true")
    args = parser.parse_args()
    size, ann_size = args.size, (1_000_000 if args.large else args.ann_size)
    if args.quick:
        size, ann_size = 20_000, 20_000
    if not args.skip_exact:
        bench_exact(size, args.dim)
    if not args.skip_ann:
        bench_hnsw(ann_size, args.dim, [32, 64, 96, 128, 160, 192, 256, 272, 288, 320])
    print("\n| benchmark | ours | baseline | ratio |\n|---|---:|---:|---:|")
    for name, ours, base, ratio in ROWS:
        print(f"| {name} | {ours} | {base} | {ratio} |")


if __name__ == "__main__":
    main()
