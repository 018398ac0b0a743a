"""HNSW (opt-in): recall against exact search, filtered queries, writes, persistence beside the file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mastra_lab.vector import DuckDBVector, InMemoryVector, VectorStore

from .conftest import BACKENDS

MakeStore = Callable[[str], VectorStore]

N, DIM, K = 3000, 48, 10


def embeddings_like(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """Vectors with the structure of real embeddings: a low-dimensional latent projected up, plus noise."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 8)).astype(np.float32)
    x = latent @ rng.normal(size=(8, dim)).astype(np.float32) + 0.3 * rng.normal(size=(n, dim)).astype(
        np.float32
    )
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return embeddings_like(N + 20, DIM)


def _pair(ann: VectorStore, x: np.ndarray) -> tuple[VectorStore, VectorStore]:
    exact = InMemoryVector()
    meta = [{"group": i % 20, "even": i % 2 == 0} for i in range(len(x))]
    ids = [f"v{i}" for i in range(len(x))]
    exact.create_index("docs", DIM)
    ann.create_index("docs", DIM, index="hnsw", m=16, ef_construction=64)
    exact.upsert("docs", x, ids=ids, metadata=meta)
    ann.upsert("docs", x, ids=ids, metadata=meta)
    return exact, ann


def _recall(exact: VectorStore, ann: VectorStore, queries: np.ndarray, **kw: object) -> float:
    hits = 0
    for q in queries:
        truth = {h.id for h in exact.query("docs", q, top_k=K, **kw)}
        hits += len(truth & {h.id for h in ann.query("docs", q, top_k=K, **kw)})
    return hits / (K * len(queries))


@pytest.mark.parametrize("kind", BACKENDS)
def test_hnsw_recall_at_10_is_high_against_exact(
    kind: str, make_vector_store: MakeStore, data: np.ndarray
) -> None:
    exact, ann = _pair(make_vector_store(kind), data[:N])
    assert _recall(exact, ann, data[N:], ef=64) >= 0.95
    # scores are the exact scores of the returned rows
    q = data[N]
    a, e = ann.query("docs", q, top_k=1)[0], exact.query("docs", q, top_k=1)[0]
    assert (a.id, a.score) == (e.id, pytest.approx(e.score, rel=1e-5))
    ann.close()


@pytest.mark.parametrize("kind", BACKENDS)
def test_filtered_hnsw_queries_only_return_matches_and_find_the_best(
    kind: str, make_vector_store: MakeStore, data: np.ndarray
) -> None:
    exact, ann = _pair(make_vector_store(kind), data[:N])
    for q in data[N : N + 5]:
        selective = {"group": 7}  # 5 %: answered exactly over the allowed rows
        assert [h.id for h in ann.query("docs", q, filter=selective)] == [
            h.id for h in exact.query("docs", q, filter=selective)
        ]
        broad = ann.query("docs", q, filter={"even": True}, ef=64)  # 50 %: search-and-filter
        assert len(broad) == K and all(h.metadata["even"] for h in broad)
    assert _recall(exact, ann, data[N:], filter={"even": True}, ef=64) >= 0.95
    ann.close()


@pytest.mark.parametrize("kind", BACKENDS)
def test_hnsw_follows_upserts_updates_and_deletes(
    kind: str, make_vector_store: MakeStore, data: np.ndarray
) -> None:
    _, ann = _pair(make_vector_store(kind), data[:500])
    ann.delete_vectors("docs", {"group": {"$lt": 10}})
    ann.upsert("docs", data[N : N + 3], ids=["n0", "n1", "n2"])
    ann.update_vector("docs", "v11", vector=data[N + 10])
    assert ann.query("docs", data[N + 1], top_k=1)[0].id == "n1"
    assert ann.query("docs", data[N + 10], top_k=1)[0].id == "v11"
    assert ann.query("docs", data[0], top_k=1)[0].id != "v0"  # v0 was deleted
    assert ann.query("docs", data[15], top_k=1)[0].id == "v15"  # moved into a hole, still found
    ann.close()


def test_hnsw_graph_is_saved_beside_the_file_and_loaded_on_reopen_without_rebuild(
    tmp_path: Path, data: np.ndarray
) -> None:
    path = tmp_path / "v.duckdb"
    with DuckDBVector(path) as store:
        store.create_index("docs", DIM, index="hnsw")
        store.upsert("docs", data[:1000], ids=[f"v{i}" for i in range(1000)])
        before = [h.id for h in store.query("docs", data[N], top_k=K)]
    graph = tmp_path / "v.duckdb.docs.usearch"
    assert graph.exists()
    stamp = graph.stat().st_mtime_ns
    with DuckDBVector(path) as store:
        assert [h.id for h in store.query("docs", data[N], top_k=K)] == before
        assert store._resident["docs"].ann_origin == "file"
    assert graph.stat().st_mtime_ns == stamp  # nothing changed, nothing rewritten


def test_stale_graph_file_is_rebuilt_and_rebuild_index_rewrites_it(tmp_path: Path, data: np.ndarray) -> None:
    path = tmp_path / "v.duckdb"
    with DuckDBVector(path) as store:
        store.create_index("docs", DIM, index="hnsw")
        store.upsert("docs", data[:300], ids=[f"v{i}" for i in range(300)])
    store = DuckDBVector(path)
    store.upsert("docs", data[N : N + 1], ids=["late"])
    store.connection.close()  # simulate a crash: the graph file was not saved after the last write
    with DuckDBVector(path) as store:
        assert store.query("docs", data[N], top_k=1)[0].id == "late"
        assert store._resident["docs"].ann_origin == "built"
    with DuckDBVector(path) as store:
        store.rebuild_index("docs")
        assert store._resident["docs"].ann_origin == "built"
    with DuckDBVector(path) as store:
        store.query("docs", data[0])
        assert store._resident["docs"].ann_origin == "file"
