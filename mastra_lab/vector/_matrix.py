"""The exact-search engine both stores share: one contiguous float32 matrix, scored with one mat-vec.

Rows live in *slots* ``0..n-1`` of a growable matrix (capacity grows geometrically, so appends are
amortised O(1) copies, never a rebuild). Deleting moves the last rows into the holes, keeping the live rows
contiguous; the caller is told which slots moved so it can update its own slot-aligned data. For cosine the
rows are normalised once, on write, and the original norms are kept to give back the original vectors.
A query is ``X @ q`` (BLAS) plus ``argpartition``; the exact score of the k winners is recomputed
directly, so euclidean scores do not suffer from the ``|x|² - 2x·q + |q|²`` cancellation.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Matrix", "plan_removal"]


def plan_removal(n: int, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How deleting ``slots`` from ``n`` rows compacts them: ``(dead, holes, sources)``.

    The row at ``sources[i]`` moves to ``holes[i]``; afterwards the live rows are ``0..n-len(dead)-1``.
    """
    dead = np.unique(np.asarray(slots, dtype=np.int64))
    keep_n = n - len(dead)
    holes = dead[dead < keep_n]
    tail = np.arange(keep_n, n, dtype=np.int64)
    return dead, holes, tail[~np.isin(tail, dead)]


class Matrix:
    """Slot-addressed float32 rows for one index.

    Args:
        dimension: Length of every vector.
        metric: ``cosine``, ``euclidean`` or ``dotproduct``.
    """

    def __init__(self, dimension: int, metric: str) -> None:
        self.dimension = dimension
        self.metric = metric
        self.n = 0
        self._data = np.empty((0, dimension), dtype=np.float32)
        self._norms = np.empty(0, dtype=np.float32)

    @property
    def data(self) -> np.ndarray:
        """The live rows (a view, ``(n, dimension)``)."""
        return self._data[: self.n]

    @property
    def norms(self) -> np.ndarray:
        """Original L2 norm of each live row."""
        return self._norms[: self.n]

    def _prepare(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        norms = np.linalg.norm(vectors, axis=1).astype(np.float32)
        if self.metric != "cosine":
            return vectors, norms
        safe = np.where(norms > 0, norms, 1.0).astype(np.float32)
        return vectors / safe[:, None], norms

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._data):
            return
        cap = max(rows, int(len(self._data) * 1.5) + 16)
        # a fresh buffer, copied: growing in place with ndarray.resize was cheaper, but the mat-vec over
        # the grown buffer measured a few per cent slower, and queries matter more than appends
        data = np.empty((cap, self.dimension), dtype=np.float32)
        data[: self.n] = self._data[: self.n]
        norms = np.empty(cap, dtype=np.float32)
        norms[: self.n] = self._norms[: self.n]
        self._data, self._norms = data, norms

    def append(self, vectors: np.ndarray) -> np.ndarray:
        """Add rows at the end; returns their slots."""
        rows, norms = self._prepare(vectors)
        start = self.n
        self._reserve(start + len(rows))
        self._data[start : start + len(rows)] = rows
        self._norms[start : start + len(rows)] = norms
        self.n += len(rows)
        return np.arange(start, self.n, dtype=np.int64)

    def adopt(self, vectors: np.ndarray) -> None:
        """Take ``vectors`` (original rows in slot order, writable float32 ``(n, dimension)``) as the whole
        matrix, normalising them in place for cosine: loading costs one pass over the data, not three."""
        if self.n:
            raise ValueError("adopt() fills an empty matrix")
        norms = np.sqrt(np.einsum("ij,ij->i", vectors, vectors))  # no (n, dim) temporary, unlike norm()
        if self.metric == "cosine":
            vectors /= np.where(norms > 0, norms, 1.0).astype(np.float32)[:, None]
        self._data, self._norms, self.n = vectors, norms, len(vectors)

    def assign(self, slots: np.ndarray, vectors: np.ndarray) -> None:
        """Overwrite existing rows."""
        rows, norms = self._prepare(vectors)
        self._data[slots] = rows
        self._norms[slots] = norms

    def remove(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Delete rows; returns ``(holes, sources)``: the row at ``sources[i]`` now lives at ``holes[i]``."""
        dead, holes, sources = plan_removal(self.n, slots)
        self._data[holes] = self._data[sources]
        self._norms[holes] = self._norms[sources]
        self.n -= len(dead)
        return holes, sources

    def vectors(self, slots: np.ndarray) -> np.ndarray:
        """The original vectors stored at ``slots``."""
        rows = self._data[slots]
        if self.metric == "cosine":
            rows = rows * self._norms[slots][:, None]
        return np.asarray(rows)

    def prepare_query(self, q: np.ndarray) -> np.ndarray:
        """The query as the rows are stored (normalised for cosine)."""
        if self.metric == "cosine":
            norm = float(np.linalg.norm(q))
            return q / norm if norm > 0 else q
        return q

    def scores(self, slots: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Exact higher-is-better scores of the rows at ``slots`` against the query ``q``."""
        q = self.prepare_query(q)
        rows = self._data[slots]
        if self.metric == "euclidean":
            dist = np.linalg.norm(rows - q, axis=1)
            return np.asarray(1.0 / (1.0 + dist), dtype=np.float32)
        return np.asarray(rows @ q)

    def search(
        self, q: np.ndarray, k: int, candidates: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` slots and scores, best first, over all rows or over ``candidates`` (slots).

        Args:
            q: The query vector (float32, ``(dimension,)``).
            k: How many to return (fewer if fewer rows).
            candidates: Optional sorted slot array - the rows a filter let through.
        """
        q = self.prepare_query(q)
        gather = candidates is not None and len(candidates) <= self.n // 2
        data = (
            np.take(self._data, candidates, axis=0) if candidates is not None and gather else self.data
        )  # scoring all beats gathering most rows
        key = data @ q
        if self.metric == "euclidean":
            norms = self._norms[candidates] if gather else self._norms[: self.n]
            key = 2.0 * key - norms * norms
        if candidates is not None and not gather:
            k = min(k, len(candidates))
            masked = np.full(self.n, -np.inf, dtype=np.float32)
            masked[candidates] = key[candidates]
            key, candidates = masked, None
        k = min(k, len(key))
        if k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        top = np.argpartition(key, len(key) - k)[len(key) - k :] if k < len(key) else np.arange(len(key))
        top = top[np.argsort(-key[top], kind="stable")]
        slots = top if candidates is None else candidates[top]
        if self.metric == "euclidean":
            return slots, self.scores(slots, q)
        return slots, key[top]
