"""The slot-aligned rows of one index in memory: matrix, optional HNSW graph, ids, metadata, documents.

InMemoryVector keeps its whole index here; DuckDBVector keeps a lazily loaded mirror of its table here
(metadata as JSON text), so that a query touches no SQL unless it filters. Every write goes through
:meth:`Rows.apply_upsert`, :meth:`Rows.set_vector`, :meth:`Rows.set_metadata` or :meth:`Rows.remove`,
which keep all slot-aligned parts - and the graph - consistent.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from mastra_lab.vector._matrix import Matrix, plan_removal
from mastra_lab.vector.ann import HnswIndex
from mastra_lab.vector.base import QueryResult, QueryResults

__all__ = ["Rows"]

M = TypeVar("M")


class Rows(Generic[M]):
    """Matrix + graph + per-slot ids, metadata (type ``M``) and documents.

    Args:
        matrix: The vectors.
        ann: The HNSW graph, or ``None`` for exact-only indexes.
    """

    def __init__(self, matrix: Matrix, ann: HnswIndex | None = None) -> None:
        self.matrix = matrix
        self.ann = ann
        self.ids: list[str] = []
        self.pos: dict[str, int] = {}
        self.metas: list[M] = []
        self.docs: list[str | None] = []

    def load(self, ids: list[str], metas: list[M], docs: list[str | None]) -> None:
        """Fill the slot-aligned lists (after the matrix has been filled in slot order)."""
        self.ids, self.metas, self.docs = ids, metas, docs
        self.pos = {i: s for s, i in enumerate(ids)}

    def plan_upsert(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Slots for ``ids``: existing slots for known ids, new slots after the end for the rest."""
        slots = np.array([self.pos.get(i, -1) for i in ids], dtype=np.int64)
        is_old = slots >= 0
        slots[~is_old] = np.arange(self.matrix.n, self.matrix.n + int((~is_old).sum()))
        return slots, is_old

    def apply_upsert(
        self,
        slots: np.ndarray,
        is_old: np.ndarray,
        vectors: np.ndarray,
        ids: Sequence[str],
        metas: Sequence[M],
        docs: Sequence[str | None],
    ) -> None:
        """Write rows at the slots from :meth:`plan_upsert` (replacements first, then appends)."""
        old = np.flatnonzero(is_old)
        if len(old):
            self.matrix.assign(slots[old], vectors[old])
            for j in old.tolist():
                self.metas[slots[j]], self.docs[slots[j]] = metas[j], docs[j]
            if self.ann is not None:
                self.ann.replace(slots[old], self.matrix.data[slots[old]])
        new = np.flatnonzero(~is_old)
        if len(new):
            added = self.matrix.append(vectors[new])
            for s, j in zip(added.tolist(), new.tolist(), strict=True):
                self.ids.append(ids[j])
                self.pos[ids[j]] = s
                self.metas.append(metas[j])
                self.docs.append(docs[j])
            if self.ann is not None:
                self.ann.add(added, self.matrix.data[added])

    def set_vector(self, slot: int, vector: np.ndarray) -> None:
        """Replace the vector at ``slot`` (``vector`` shaped ``(1, dim)``)."""
        where = np.array([slot], dtype=np.int64)
        self.matrix.assign(where, vector)
        if self.ann is not None:
            self.ann.replace(where, self.matrix.data[where])

    def set_metadata(self, slot: int, meta: M) -> None:
        """Replace the metadata at ``slot``."""
        self.metas[slot] = meta

    def remove(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Delete rows, compacting the slots; returns :func:`plan_removal`'s ``(dead, holes, sources)``."""
        dead, holes, sources = plan_removal(self.matrix.n, slots)
        for s in dead.tolist():
            del self.pos[self.ids[s]]
        self.matrix.remove(dead)
        for h, s in zip(holes.tolist(), sources.tolist(), strict=True):
            self.ids[h], self.metas[h], self.docs[h] = self.ids[s], self.metas[s], self.docs[s]
            self.pos[self.ids[h]] = h
        n = self.matrix.n
        del self.ids[n:], self.metas[n:], self.docs[n:]
        if self.ann is not None:
            self.ann.move(dead, holes, sources, self.matrix.data[holes])
        return dead, holes, sources

    def results(self, slots: np.ndarray, scores: np.ndarray, include_vector: bool) -> QueryResults:
        """Build the hits for ``slots`` (metadata copied, or decoded when it is JSON text)."""
        vecs = self.matrix.vectors(slots) if include_vector else None
        out = QueryResults()
        for i, (s, sc) in enumerate(zip(slots.tolist(), scores.tolist(), strict=True)):
            meta: Any = self.metas[s]
            out.append(
                QueryResult(
                    id=self.ids[s],
                    score=float(sc),
                    metadata=json.loads(meta) if isinstance(meta, str) else copy.deepcopy(meta),
                    vector=None if vecs is None else vecs[i].tolist(),
                    document=self.docs[s],
                )
            )
        return out
