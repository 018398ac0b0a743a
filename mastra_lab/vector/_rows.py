"""The slot-aligned rows of one index in memory: matrix, optional HNSW graph, ids, metadata, documents, and
the columnar metadata view that answers filters.

Both stores search these: InMemoryVector keeps its whole index here, DuckDBVector keeps a copy of its table
here (loaded on first use), so that a query - filtered or not - touches no SQL. Every write goes through
:meth:`Rows.apply_upsert`, :meth:`Rows.set_vector`, :meth:`Rows.set_metadata` or :meth:`Rows.remove`, which
keep all slot-aligned parts - the graph and the view included - consistent, with work proportional to the
rows written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mastra_lab.vector._filter_np import ColumnCache
from mastra_lab.vector._matrix import Matrix, plan_removal
from mastra_lab.vector._types import IndexSpec, QueryResult, QueryResults, UpsertBatch
from mastra_lab.vector.ann import HnswIndex

__all__ = ["Rows", "plan_slots"]


def plan_slots(known: Mapping[str, int], n: int, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(slots, is_old)`` for upserting ``ids`` into ``n`` rows whose slots by id are ``known``: the known
    ids keep their slot, the others are appended in order."""
    slots = np.fromiter(map(known.get, ids, [-1] * len(ids)), dtype=np.int64, count=len(ids))
    is_old = slots >= 0
    slots[~is_old] = np.arange(n, n + int((~is_old).sum()))
    return slots, is_old


class Rows:
    """Matrix + graph + per-slot ids, metadata and documents + the metadata view.

    Args:
        matrix: The vectors.
        ann: The HNSW graph, or ``None`` for exact-only indexes.
    """

    def __init__(self, matrix: Matrix, ann: HnswIndex | None = None) -> None:
        self.matrix = matrix
        self.ann = ann
        self.ann_origin = ""  # "file" when a store loaded the graph from disk, "built" when built from rows
        self.ann_dirty = False  # the graph changed since it was last saved
        self.ids: list[str] = []
        self.pos: dict[str, int] = {}
        self.metas: list[dict[str, Any]] = []
        self.docs: list[str | None] = []
        self.view = ColumnCache(self.metas)

    @classmethod
    def empty(cls, spec: IndexSpec) -> Rows:
        """No rows yet, with an (empty) graph when the index is ``hnsw``."""
        ann = (
            HnswIndex(spec.dimension, spec.metric, spec.m, spec.ef_construction)
            if spec.kind == "hnsw"
            else None
        )
        return cls(Matrix(spec.dimension, spec.metric), ann)

    @property
    def n(self) -> int:
        """How many rows."""
        return self.matrix.n

    def load(self, ids: list[str], metas: list[dict[str, Any]], docs: list[str | None]) -> None:
        """Fill the slot-aligned lists (after the matrix has been filled in slot order)."""
        self.ids.extend(ids)
        self.metas.extend(metas)
        self.docs.extend(docs)
        self.pos.update(zip(ids, range(len(ids)), strict=True))
        self.view.appended()

    def plan_upsert(self, ids: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Slots for ``ids``: existing slots for known ids, new slots after the end for the rest."""
        return plan_slots(self.pos, self.matrix.n, ids)

    def apply_upsert(self, batch: UpsertBatch) -> None:
        """Write the rows of ``batch`` (planned by :meth:`plan_upsert`): replacements first, then appends."""
        slots, ids, metas, docs = batch.slots, batch.ids, batch.metadata, batch.documents
        old = np.flatnonzero(batch.is_old)
        if len(old):
            at = slots[old]
            self.matrix.assign(at, batch.vectors[old])
            for j, s in zip(old.tolist(), at.tolist(), strict=True):
                self.metas[s], self.docs[s] = metas[j], docs[j]
            self.view.replaced(at)
            if self.ann is not None:
                self.ann.replace(at, self.matrix.data[at])
        if len(old) < len(ids):
            new = np.flatnonzero(~batch.is_old)
            every = not len(old)
            added = self.matrix.append(batch.vectors if every else batch.vectors[new])
            picked = new.tolist()
            new_ids = ids if every else [ids[j] for j in picked]
            self.ids.extend(new_ids)
            self.metas.extend(metas if every else [metas[j] for j in picked])
            self.docs.extend(docs if every else [docs[j] for j in picked])
            self.pos.update(zip(new_ids, added.tolist(), strict=True))
            self.view.appended()
            if self.ann is not None:
                self.ann.add(added, self.matrix.data[added])
        self.ann_dirty = self.ann is not None

    def set_vector(self, slot: int, vector: np.ndarray) -> None:
        """Replace the vector at ``slot`` (``vector`` shaped ``(1, dim)``)."""
        where = np.array([slot], dtype=np.int64)
        self.matrix.assign(where, vector)
        if self.ann is not None:
            self.ann.replace(where, self.matrix.data[where])
            self.ann_dirty = True

    def set_metadata(self, slot: int, meta: dict[str, Any]) -> None:
        """Replace the metadata at ``slot``."""
        self.metas[slot] = meta
        self.view.replaced([slot])

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
        self.view.moved(holes, sources)
        if self.ann is not None:
            self.ann.move(dead, holes, sources, self.matrix.data[holes])
            self.ann_dirty = True
        return dead, holes, sources

    def rebuild_ann(self) -> None:
        """Build the HNSW graph afresh from the rows (same parameters); a no-op without a graph."""
        if self.ann is None:
            return
        ann = HnswIndex(self.matrix.dimension, self.matrix.metric, self.ann.m, self.ann.ef_construction)
        ann.add(np.arange(self.matrix.n), self.matrix.data)
        self.ann, self.ann_origin, self.ann_dirty = ann, "built", True

    def results(self, slots: np.ndarray, scores: np.ndarray, include_vector: bool) -> QueryResults:
        """Build the hits for ``slots`` (metadata copied, so callers cannot change the stored objects)."""
        vecs = self.matrix.vectors(slots) if include_vector else None
        out = QueryResults()
        for i, (s, sc) in enumerate(zip(slots.tolist(), scores.tolist(), strict=True)):
            out.append(
                QueryResult(
                    id=self.ids[s],
                    score=float(sc),
                    metadata=_copy_json(self.metas[s]),
                    vector=None if vecs is None else vecs[i].tolist(),
                    document=self.docs[s],
                )
            )
        return out


def _copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (dicts, lists, immutable scalars): ten times faster than ``deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {k: _copy_json(v) for k, v in value.items()}
    if kind is list:
        return [_copy_json(v) for v in value]
    return value
