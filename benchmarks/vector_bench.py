"""Vector search benchmark: our stores against the obvious baselines, measured in the same run.

    python benchmarks/vector_bench.py              # 100k x 384 exact + filters + DuckDB, 200k x 384 HNSW
    python benchmarks/vector_bench.py --no-ann     # everything but the (long) HNSW build
    python benchmarks/vector_bench.py --quick      # small sizes, a smoke run
    python benchmarks/vector_bench.py --sections filters duckdb --no-ann
    python benchmarks/vector_bench.py --ann-size 50000
    python benchmarks/vector_bench.py --large      # HNSW at 1M (slow: tens of minutes)

exact: our ``query`` vs numpy ``X @ q`` + ``argpartition`` on the same matrix (target >= 0.8x), vs DuckDB SQL
``ORDER BY array_cosine_similarity`` (target >= 8x); upsert throughput vs raw numpy appends.
filters (InMemoryVector, 10 % selectivity), each against the unfiltered query measured in the same run:
a filter used before, a filter never seen before (a new one each query, target >= 1.0x), a one-row append
and a metadata update before each filtered query (target >= 0.8x).
duckdb: DuckDBVector upsert vs a raw Arrow insert, its first query (the load of the whole index) vs reading
the same floats through Arrow, its query vs InMemoryVector's, and the filter rows above on DuckDB.
HNSW: on embedding-like data (32-d latent Gaussian projected to 384-d plus noise, normalised), recall@10
against exact and qps at several ``ef`` (target recall >= 0.95 at >= 10x exact qps), build time vs raw
usearch.
"""

from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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
    print(f"  {name:<52} {ours:>14} {baseline:>14} {ratio:>8}", flush=True)


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


def bench_exact(x: np.ndarray, meta: list[dict[str, Any]], queries: np.ndarray) -> InMemoryVector:
    n, dim = x.shape
    print(f"\nExact search, {n:,} x {dim} normalised float32, top_k={K}")
    print(f"  {'':<52} {'ours':>14} {'baseline':>14} {'ratio':>8}")
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
    bare.close()

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
    con.close()
    return store


# ---------------------------------------------------------------------------------------- filters


def _new_filters() -> Iterator[dict[str, Any]]:
    """A filter never used before on every call, each letting through 10 % of the rows (``cat`` is i % 10)."""
    for k in itertools.count():
        cat = k % 10
        yield [
            {"cat": cat, "source": {"$ne": f"never{k}"}},
            {"cat": {"$in": [cat, 100 + k]}},
            {"$and": [{"cat": {"$gte": cat}}, {"cat": {"$lt": cat + 1}}, {"n": {"$ne": -k}}]},
            {"$or": [{"cat": cat}, {"source": f"missing{k}"}]},
        ][k % 4]


def bench_filters(label: str, store: InMemoryVector | DuckDBVector, queries: np.ndarray, dim: int) -> None:
    """Filtered queries (10 % selectivity) against the unfiltered query, interleaved in the same run."""

    def plain(q: np.ndarray) -> Any:
        return store.query("bench", q, top_k=K)

    def warm(q: np.ndarray) -> Any:
        return store.query("bench", q, top_k=K, filter={"cat": 3})

    fresh = _new_filters()

    def cold(q: np.ndarray) -> Any:
        return store.query("bench", q, top_k=K, filter=next(fresh))

    extra = itertools.count()

    def appended(q: np.ndarray) -> Any:
        store.upsert("bench", q[None, :], metadata=[{"cat": 3, "source": f"new{next(extra)}"}])
        return warm(q)

    ids = [h.id for h in store.query("bench", queries[0], top_k=1000)]
    edits = itertools.count()

    def updated(q: np.ndarray) -> Any:
        i = next(edits)
        # each row keeps its category (selectivity stays 10 %) and gets a string no row had before
        store.update_vector(
            "bench", ids[i % len(ids)], metadata={"cat": (i % len(ids)) % 10, "source": f"ed{i}"}
        )
        return warm(q)

    rows = [
        ("filtered 10 %, same filter", warm),
        ("filtered 10 %, never-seen filter", cold),
        ("filtered 10 %, one-row append before each", appended),
        ("filtered 10 %, metadata update before each", updated),
    ]
    for name, fn in rows:
        ours, base = _qps_pair(fn, plain, queries)
        _row(f"{label}{name} vs unfiltered", f"{ours:,.0f}", f"{base:,.0f}", f"{ours / base:.2f}x")


def _numpy_append(x: np.ndarray) -> np.ndarray:
    parts = [x[s : s + 10_000].copy() for s in range(0, len(x), 10_000)]
    return np.concatenate(parts)


# ----------------------------------------------------------------------------------------- DuckDB


def bench_duckdb(
    x: np.ndarray, meta: list[dict[str, Any]], queries: np.ndarray, mem: InMemoryVector | None
) -> None:
    n, dim = x.shape
    print(f"\nDuckDBVector, {n:,} x {dim} in a file, top_k={K}")
    print(f"  {'':<52} {'ours':>14} {'baseline':>14} {'ratio':>8}")
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
        load, arrow = _load_times(path, dim)
        _row(
            "DuckDBVector first query (load) ms vs Arrow read",
            f"{load * 1000:,.0f}",
            f"{arrow * 1000:,.0f}",
            f"{arrow / load:.2f}x",
        )
        with DuckDBVector(path) as store:
            if mem is not None:
                qps, mem_qps = _qps_pair(
                    lambda q: store.query("bench", q, top_k=K),
                    lambda q: mem.query("bench", q, top_k=K),
                    queries,
                )
                _row(
                    "DuckDBVector qps vs InMemoryVector",
                    f"{qps:,.0f}",
                    f"{mem_qps:,.0f}",
                    f"{qps / mem_qps:.2f}x",
                )
            bench_filters("DuckDBVector ", store, queries, dim)


_LOAD_OURS = """
import sys, time
sys.path.insert(0, {root!r})
import numpy as np
from mastra_lab.vector import DuckDBVector
q = np.ones({dim}, dtype=np.float32)
store = DuckDBVector({path!r}, read_only=True)
start = time.perf_counter()
store.query("bench", q, top_k=10)
print(time.perf_counter() - start)
"""
_LOAD_ARROW = """
import time
import duckdb
con = duckdb.connect({path!r}, read_only=True)
start = time.perf_counter()
table = con.sql("SELECT vector FROM vec_bench").to_arrow_table()
table.column(0).combine_chunks().flatten().to_numpy().reshape(-1, {dim})
print(time.perf_counter() - start)
"""


def _load_times(path: Path, dim: int) -> tuple[float, float]:
    """Best of three, alternating, each in a new process (as a notebook's first query is): the first query
    (which loads vectors, ids, documents and the metadata view) vs the vector column read through Arrow
    and flattened to numpy. Imports and opening the file are outside both timings."""
    root = str(Path(__file__).resolve().parents[1])
    best_ours = best_arrow = float("inf")
    for _ in range(3):
        for code, is_ours in ((_LOAD_ARROW, False), (_LOAD_OURS, True)):
            script = code.format(root=root, path=str(path), dim=dim)
            out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
            took = float(out.stdout.strip())
            if is_ours:
                best_ours = min(best_ours, took)
            else:
                best_arrow = min(best_arrow, took)
    return best_ours, best_arrow


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
    print(f"  {'':<52} {'ours':>14} {'baseline':>14} {'ratio':>8}")
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
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=["exact", "filters", "duckdb", "ann"],
        default=["exact", "filters", "duckdb", "ann"],
        help="which parts to run (default: all)",
    )
    parser.add_argument("--no-ann", action="store_true", help="skip the HNSW section (its build is long)")
    args = parser.parse_args()
    size, ann_size = args.size, (1_000_000 if args.large else args.ann_size)
    if args.quick:
        size, ann_size = 20_000, 20_000
    sections = set(args.sections) - ({"ann"} if args.no_ann else set())
    x = normalised_random(size, args.dim)
    queries = normalised_random(64, args.dim, seed=1)
    meta = [{"cat": i % 10, "source": f"doc{i % 1000}", "n": i} for i in range(size)]
    mem = None
    if sections & {"exact", "filters"}:
        mem = bench_exact(x, meta, queries) if "exact" in sections else _filled(x, meta)
    if "filters" in sections and mem is not None:
        print(f"\nInMemoryVector filters, {size:,} x {args.dim}")
        bench_filters("", mem, queries, args.dim)
    if "duckdb" in sections:
        bench_duckdb(x, meta, queries, mem)
    if "ann" in sections:
        bench_hnsw(ann_size, args.dim, [32, 64, 96, 128, 160, 192, 256, 272, 288, 320])
    print("\n| benchmark | ours | baseline | ratio |\n|---|---:|---:|---:|")
    for name, ours, base, ratio in ROWS:
        print(f"| {name} | {ours} | {base} | {ratio} |")


def _filled(x: np.ndarray, meta: list[dict[str, Any]]) -> InMemoryVector:
    store = InMemoryVector()
    store.create_index("bench", x.shape[1])
    _batched_upsert(store, x, meta)
    return store


if __name__ == "__main__":
    main()
