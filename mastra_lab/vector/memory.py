"""InMemoryVector: the numpy vector store, for notebooks, tests and small collections.

Each index keeps its vectors in one :class:`~mastra_lab.vector._matrix.Matrix` and, aligned with the
matrix slots, the ids, metadata and documents. Filters are evaluated vectorised over cached metadata columns
(:mod:`mastra_lab.vector._filter_np`) into a boolean mask *before* scoring. Nothing is persisted.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mastra_lab.errors import VectorError
from mastra_lab.vector._filter_np import ColumnCache
from mastra_lab.vector._matrix import Matrix
from mastra_lab.vector._rows import Rows
from mastra_lab.vector.ann import HnswIndex, search_slots
from mastra_lab.vector.base import (
    IndexKind,
    IndexStats,
    Metric,
    QueryResults,
    VectorStore,
    check_delete_filter,
    check_index_spec,
    check_metadata_one,
    check_query_vector,
    check_top_k,
    check_upsert,
    index_exists,
    unknown_index,
)
from mastra_lab.vector.filter import parse_filter

__all__ = ["InMemoryVector"]


@dataclass
class _Index:
    dimension: int
    metric: Metric
    kind: IndexKind
    rows: Rows[dict[str, Any]]
    columns: ColumnCache = field(init=False)

    def __post_init__(self) -> None:
        self.columns = ColumnCache(self.rows.metas)


class InMemoryVector(VectorStore):
    """Vector indexes held in process memory (numpy).

    Example:
        ```python
        from mastra_lab.vector import InMemoryVector

        store = InMemoryVector()
        store.create_index("docs", dimension=3)
        store.upsert("docs", [[1, 0, 0], [0, 1, 0]], metadata=[{"k": "a"}, {"k": "b"}], ids=["a", "b"])
        assert store.query("docs", [1, 0.1, 0], top_k=1)[0].id == "a"
        ```
    """

    def __init__(self) -> None:
        self._indexes: dict[str, _Index] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"InMemoryVector(indexes={sorted(self._indexes)!r})"

    def _get(self, name: str) -> _Index:
        ix = self._indexes.get(name)
        if ix is None:
            raise unknown_index(name, self._indexes)
        return ix

    def create_index(
        self,
        name: str,
        dimension: int,
        metric: Metric = "cosine",
        index: IndexKind = "flat",
        m: int = 16,
        ef_construction: int = 128,
    ) -> None:
        """Create an index (a no-op if it exists with the same dimension and metric).

        Args:
            name: An identifier (letters, digits, ``_``).
            dimension: Vector length.
            metric: ``cosine`` (default), ``euclidean`` or ``dotproduct``.
            index: ``flat`` (exact, default) or ``hnsw`` (approximate, for large collections).
            m: HNSW connectivity.
            ef_construction: HNSW build breadth.
        """
        check_index_spec(name, dimension, metric, index, m, ef_construction)
        with self._lock:
            old = self._indexes.get(name)
            if index_exists(name, None if old is None else (old.dimension, old.metric), dimension, metric):
                return
            ann = HnswIndex(dimension, metric, m, ef_construction) if index == "hnsw" else None
            self._indexes[name] = _Index(dimension, metric, index, Rows(Matrix(dimension, metric), ann))

    def upsert(
        self,
        name: str,
        vectors: Any,
        metadata: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
        documents: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Insert vectors, replacing those whose id already exists; returns the ids.

        Args:
            name: The index.
            vectors: ``(n, dimension)`` numbers.
            metadata: One JSON object per vector (default ``{}``).
            ids: One string id per vector (default: new uuid4 hex ids).
            documents: Optional text per vector.
        """
        with self._lock:
            ix = self._get(name)
            arr, out_ids, metas, docs = check_upsert(name, ix.dimension, vectors, metadata, ids, documents)
            slots, is_old = ix.rows.plan_upsert(out_ids)
            ix.rows.apply_upsert(slots, is_old, arr, out_ids, metas, docs)
            ix.columns.replaced(slots[is_old].tolist())
            ix.columns.appended()
            return out_ids

    def query(
        self,
        name: str,
        vector: Any,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
        ef: int | None = None,
    ) -> QueryResults:
        """The ``top_k`` nearest vectors, best first (higher score is better for every metric).

        Args:
            name: The index.
            vector: The query, ``(dimension,)``.
            top_k: How many results at most.
            filter: Mongo-style metadata filter, applied before scoring.
            include_vector: Also return each stored vector.
            min_score: Drop results scoring below this.
            ef: HNSW search breadth (ignored by flat indexes).
        """
        node = parse_filter(filter)
        with self._lock:
            ix = self._get(name)
            q = check_query_vector(vector, name, ix.dimension)
            check_top_k(top_k)
            mask = ix.columns.mask(node) if filter else None
            slots, scores = search_slots(ix.rows.matrix, ix.rows.ann, q, top_k, mask, ef)
            if min_score is not None:
                keep = scores >= min_score
                slots, scores = slots[keep], scores[keep]
            return ix.rows.results(slots, scores, include_vector)

    def update_vector(
        self, name: str, id: str, vector: Any = None, metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Replace the vector and/or the metadata of one existing id.

        Args:
            name: The index.
            id: An existing id.
            vector: New vector (optional).
            metadata: New metadata, replacing the old object (optional).
        """
        with self._lock:
            ix = self._get(name)
            slot = ix.rows.pos.get(id)
            if slot is None:
                raise VectorError(f"no vector with id {id!r} in index {name!r}", code="VECTOR_UNKNOWN_ID")
            arr = None if vector is None else check_query_vector(vector, name, ix.dimension)[None, :]
            meta = None if metadata is None else check_metadata_one(metadata, name)
            if arr is not None:
                ix.rows.set_vector(slot, arr)
            if meta is not None:
                ix.rows.set_metadata(slot, meta)
                ix.columns.replaced([slot])

    def delete_vector(self, name: str, id: str) -> bool:
        """Delete one id; returns whether it existed."""
        with self._lock:
            ix = self._get(name)
            slot = ix.rows.pos.get(id)
            if slot is None:
                return False
            _, holes, sources = ix.rows.remove(np.array([slot], dtype=np.int64))
            ix.columns.moved(holes, sources)
            return True

    def delete_vectors(self, name: str, filter: Mapping[str, Any]) -> int:
        """Delete every vector whose metadata matches ``filter``; returns how many.

        Args:
            name: The index.
            filter: A non-empty Mongo-style filter.
        """
        check_delete_filter(filter)
        node = parse_filter(filter)
        with self._lock:
            ix = self._get(name)
            slots = np.flatnonzero(ix.columns.mask(node))
            if len(slots):
                _, holes, sources = ix.rows.remove(slots)
                ix.columns.moved(holes, sources)
            return len(slots)

    def list_indexes(self) -> list[str]:
        """Names of all indexes, sorted."""
        return sorted(self._indexes)

    def describe_index(self, name: str) -> IndexStats:
        """``IndexStats(dimension, count, metric)`` of one index."""
        ix = self._get(name)
        return IndexStats(dimension=ix.dimension, count=ix.rows.matrix.n, metric=ix.metric)

    def delete_index(self, name: str) -> None:
        """Drop an index and everything in it."""
        with self._lock:
            self._get(name)
            del self._indexes[name]

    def rebuild_index(self, name: str) -> None:
        """Rebuild the HNSW graph of ``name`` from its vectors (no-op for flat indexes)."""
        with self._lock:
            ix = self._get(name)
            old = ix.rows.ann
            if old is not None:
                ann = HnswIndex(ix.dimension, ix.metric, old.m, old.ef_construction)
                ann.add(np.arange(ix.rows.matrix.n), ix.rows.matrix.data)
                ix.rows.ann = ann
