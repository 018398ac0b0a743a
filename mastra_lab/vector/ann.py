"""Opt-in approximate search: an HNSW graph (``usearch``, the engine of DuckDB's vss) over an index's slots.

The graph's keys *are* the matrix slots, so no key map has to be kept in sync or persisted: when a delete
moves a row to another slot the moved rows are re-added under their new slot. The graph only proposes
candidates; their exact scores come from the :class:`~mastra_lab.vector._matrix.Matrix`, so HNSW and exact
queries report the same scores. Filtered queries stay correct: a selective filter is answered exactly over
the rows it lets through; otherwise the graph is searched for more candidates (widening ``count`` and ``ef``)
until ``top_k`` of them pass, and exact search is the fallback.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from mastra_lab.errors import VectorError
from mastra_lab.vector._matrix import Matrix

__all__ = ["HnswIndex", "filtered_ann_search", "search_slots"]

_USEARCH_METRIC = {"cosine": "cos", "euclidean": "l2sq", "dotproduct": "ip"}
EXACT_FRACTION = 0.05
EXACT_MIN_ROWS = 2048
I8_OVERSAMPLE = 3


def _usearch() -> Any:
    try:
        from usearch.index import Index
    except ImportError as exc:  # pragma: no cover - usearch is installed in dev
        raise ImportError('HNSW indexes need usearch: pip install "mastra-lab[ann]"') from exc
    return Index


class HnswIndex:
    """An HNSW graph over slots ``0..n-1`` of one index.

    Args:
        dimension: Vector length.
        metric: ``cosine``, ``euclidean`` or ``dotproduct``.
        m: Graph connectivity (edges per node); more is better recall and more memory.
        ef_construction: Candidate-list size while building; more is a better graph, built slower.
        ef_search: Default candidate-list size while searching (``query(..., ef=...)`` overrides it).
        dtype: How the graph stores vectors; default ``i8`` for cosine (rows are unit vectors, so 8-bit
            quantisation is safe) and ``f16`` otherwise. The graph only proposes candidates: with ``i8`` it
            proposes :data:`I8_OVERSAMPLE` times ``top_k`` and the float32 matrix re-ranks them, which gives
            ``f32`` recall at about twice the speed. Final scores always come from the float32 matrix.
    """

    def __init__(
        self,
        dimension: int,
        metric: str,
        m: int = 16,
        ef_construction: int = 128,
        ef_search: int = 64,
        dtype: str | None = None,
    ) -> None:
        self.dimension, self.metric, self.m, self.ef_construction = dimension, metric, m, ef_construction
        self.ef_search = ef_search
        dtype = dtype or ("i8" if metric == "cosine" else "f16")
        self.oversample = I8_OVERSAMPLE if dtype == "i8" else 1
        self.index = _usearch()(
            ndim=dimension,
            metric=_USEARCH_METRIC[metric],
            dtype=dtype,
            connectivity=m,
            expansion_add=ef_construction,
            expansion_search=ef_search,
        )

    def __len__(self) -> int:
        return len(self.index)

    def add(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Insert rows (``vectors`` as stored in the matrix) under their slots."""
        if len(slots):
            self.index.add(
                np.asarray(slots, dtype=np.uint64), np.ascontiguousarray(vectors, dtype=np.float32)
            )

    def remove(self, slots: np.ndarray) -> None:
        """Remove rows by slot (slots not in the graph are ignored)."""
        keys = np.asarray(slots, dtype=np.uint64)
        if len(keys):
            present = keys[np.asarray(self.index.contains(keys), dtype=bool).reshape(-1)]
            if len(present):
                self.index.remove(present)

    def replace(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Give existing slots new vectors."""
        self.remove(slots)
        self.add(slots, vectors)

    def move(self, dead: np.ndarray, holes: np.ndarray, sources: np.ndarray, vectors: np.ndarray) -> None:
        """Mirror :meth:`Matrix.remove`: ``dead`` slots go away, ``sources`` rows now live at ``holes``."""
        self.remove(np.union1d(np.asarray(dead, dtype=np.int64), sources))
        self.add(holes, vectors)

    def search(self, q: np.ndarray, count: int, ef: int | None = None) -> np.ndarray:
        """Up to ``count`` candidate slots, nearest first."""
        if len(self.index) == 0:
            return np.empty(0, dtype=np.int64)
        self.index.expansion_search = max(int(ef or self.ef_search), count)
        matches = self.index.search(np.ascontiguousarray(q, dtype=np.float32), count)
        return np.asarray(matches.keys, dtype=np.int64)

    def save(self, path: str | Path) -> None:
        """Write the graph to ``path`` (atomically: a temp file, then rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        self.index.save(str(tmp))
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path, dimension: int, metric: str, m: int, ef_construction: int) -> HnswIndex:
        """Load a graph saved by :meth:`save` (no rebuild)."""
        self = cls.__new__(cls)
        self.dimension, self.metric, self.m, self.ef_construction = dimension, metric, m, ef_construction
        self.ef_search = 64
        index = _usearch().restore(str(path))
        if index is None or index.ndim != dimension:
            raise VectorError(
                f"HNSW file {str(path)!r} does not hold a {dimension}-d index; "
                "call rebuild_index() to rebuild it",
                code="VECTOR_ANN_FILE",
            )
        self.index = index
        self.oversample = I8_OVERSAMPLE if "I8" in str(index.dtype) else 1
        return self


def filtered_ann_search(
    ann: HnswIndex, q: np.ndarray, k: int, mask: np.ndarray | None, ef: int | None
) -> np.ndarray | None:
    """Candidate slots (up to ``k`` x oversampling) from the graph that pass ``mask``, or ``None`` when
    exact search should answer.

    Args:
        ann: The graph.
        q: The query (as stored: normalised for cosine).
        k: Results wanted.
        mask: Rows the filter lets through (``None``: no filter).
        ef: Search breadth (default: the index's ``ef_search``).
    """
    n, want = len(ann), k * ann.oversample
    if mask is None:
        return ann.search(q, min(want, n), ef)
    allowed = int(mask.sum())
    if allowed <= max(EXACT_MIN_ROWS, EXACT_FRACTION * n):
        return None  # selective filter: exact search over the allowed rows is both cheaper and exact
    count = min(n, max(want, math.ceil(1.5 * want * n / allowed)))
    breadth = max(ef or ann.ef_search, count)
    while True:
        slots = ann.search(q, count, breadth)
        slots = slots[(slots >= 0) & (slots < len(mask))]
        passed = slots[mask[slots]]
        if len(passed) >= k or count >= n:
            return passed[:want] if len(passed) >= k else None
        count, breadth = min(n, count * 2), breadth * 2


def search_slots(
    matrix: Matrix, ann: HnswIndex | None, q: np.ndarray, k: int, mask: np.ndarray | None, ef: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` slots and exact scores, best first: through the graph when there is one, else exact.

    Args:
        matrix: The index's rows.
        ann: Its HNSW graph, or ``None`` for a flat (exact) index.
        q: The query vector.
        k: Results wanted.
        mask: Rows the filter lets through (``None``: no filter).
        ef: HNSW search breadth.
    """
    if mask is not None and not mask.any():
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    if ann is not None and len(ann):
        slots = filtered_ann_search(ann, matrix.prepare_query(q), k, mask, ef)
        if slots is not None:
            scores = matrix.scores(slots, q)
            order = np.argsort(-scores, kind="stable")[:k]
            return slots[order], scores[order]
    return matrix.search(q, k, None if mask is None else np.flatnonzero(mask))
