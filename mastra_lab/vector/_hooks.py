"""The hooks a vector backend implements; ``VectorStore`` (in ``base.py``) calls them with validated input.

Kept apart from the public API so that a backend author sees, in one short file, everything to write. The
base class validates every argument, takes the store's lock, refuses calls after ``close()`` and wraps every
hook call in the backend's :meth:`VectorHooks._map_errors`.

A backend is one of two kinds:

* **Searched in memory** (InMemoryVector, DuckDBVector): it implements the *row hooks* below. The base plans
  each write against the index's in-memory :class:`~mastra_lab.vector._rows.Rows`, and a hook that persists
  a write (``_save_*``) runs *before* the rows change, so a write the backend refuses leaves both untouched.
  The rows come from :meth:`VectorHooks._load` the first time an index is used (an upsert into a flat index
  can skip that, see :meth:`VectorHooks._slots`). Every search - the filtered ones too - runs on them: the
  matrix, the HNSW graph and the columnar metadata view; a backend that answers filters better where its
  data lives overrides :meth:`VectorHooks._mask` (or :meth:`VectorHooks._search`).
* **Searched where the data lives** (PgVector): it overrides the *operations* of ``VectorStore`` instead -
  ``_write``, ``_update``, ``_delete_ids``, ``_delete_matching``, ``_find``, ``_rebuild`` - and ``_count``,
  so that no process ever holds a whole index; the row hooks are then never called.

Both kinds implement the registry hooks and ``_close``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np

from mastra_lab.vector._rows import Rows
from mastra_lab.vector._types import IndexSpec, UpsertBatch
from mastra_lab.vector.ann import search_slots
from mastra_lab.vector.filter import FilterNode

__all__ = ["VectorHooks"]


class VectorHooks(ABC):
    """What a backend writes: the abstract hooks, the row hooks (or ``VectorStore``'s operations instead),
    and optionally the ones with defaults."""

    # -- the registry of indexes --------------------------------------------------------------------

    @abstractmethod
    def _read_spec(self, name: str) -> IndexSpec | None:
        """The recorded spec of index ``name`` (a valid identifier), or ``None`` if there is no such index."""

    @abstractmethod
    def _index_names(self) -> Iterable[str]:
        """The names of every index."""

    @abstractmethod
    def _create(self, spec: IndexSpec) -> None:
        """Record a new, empty index (``spec.name`` is known not to exist)."""

    @abstractmethod
    def _save_embedder(self, spec: IndexSpec) -> None:
        """Record ``spec.embedder`` on the existing index ``spec.name``."""

    @abstractmethod
    def _drop(self, spec: IndexSpec) -> None:
        """Delete the index and everything kept for it."""

    # -- rows (a backend searched in memory) --------------------------------------------------------

    def _load(self, spec: IndexSpec) -> Rows:
        """The index's rows in slot order (``Rows.empty(spec)`` filled with ``matrix.adopt`` and ``load``);
        a store that keeps nothing elsewhere returns ``Rows.empty(spec)``."""
        raise _rows_not_kept(self, "_load")

    def _save_upsert(self, spec: IndexSpec, batch: UpsertBatch) -> None:
        """Persist an upsert: rows at ``batch.slots[batch.is_old]`` are replaced, the others appended."""
        raise _rows_not_kept(self, "_save_upsert")

    def _save_update(
        self, spec: IndexSpec, slot: int, vector: np.ndarray | None, metadata: dict[str, Any] | None
    ) -> None:
        """Persist a new vector (``(1, dim)``) and/or new metadata for the row at ``slot``."""
        raise _rows_not_kept(self, "_save_update")

    def _save_removal(
        self, spec: IndexSpec, dead: np.ndarray, holes: np.ndarray, sources: np.ndarray
    ) -> None:
        """Persist a compacting delete: rows at ``dead`` go away, the row at ``sources[i]`` moves to
        ``holes[i]`` (see :func:`~mastra_lab.vector._matrix.plan_removal`)."""
        raise _rows_not_kept(self, "_save_removal")

    @abstractmethod
    def _close(self) -> None:
        """Release connections and files (called once, after :meth:`_flush`)."""

    # -- hooks with defaults ------------------------------------------------------------------------

    def _map_errors(self, action: str) -> AbstractContextManager[None]:
        """Translate the driver's exceptions into :class:`~mastra_lab.errors.VectorError`; the base wraps
        every hook call in it. ``action`` says what was being done ("upsert into 'docs'"). The default
        translates nothing."""
        return _no_mapping()

    def _count(self, spec: IndexSpec) -> int | None:
        """The row count if it can be had without loading the rows; ``None`` (the default) loads them."""
        return None

    def _slots(self, spec: IndexSpec, ids: list[str]) -> tuple[dict[str, int], int] | None:
        """For an upsert into a flat index whose rows are not loaded: the slots of those ``ids`` already
        stored, and the row count, read where the rows are kept - so that bulk loading never loads the
        index. ``None`` (the default) loads the rows instead."""
        return None

    def _flush(self, spec: IndexSpec, rows: Rows) -> None:
        """Persist what is derived from the rows (a graph file); called by ``rebuild_index``, ``flush``
        and ``close``. The default keeps nothing."""
        return None

    def _mask(self, spec: IndexSpec, rows: Rows, node: FilterNode) -> np.ndarray:
        """Which rows match the filter ``node``, as a boolean array over the slots; the default reads the
        columnar metadata view."""
        return rows.view.mask(node)

    def _search(
        self, spec: IndexSpec, rows: Rows, q: np.ndarray, top_k: int, node: FilterNode | None, ef: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``top_k`` slots and scores, best first, among the rows matching ``node`` (all if ``None``)."""
        mask = None if node is None else self._mask(spec, rows, node)
        return search_slots(rows.matrix, rows.ann, q, top_k, mask, ef)


def _rows_not_kept(store: object, hook: str) -> NotImplementedError:
    """A backend reached a row hook it does not implement: it must implement all of them, or override
    every operation of ``VectorStore`` that calls them."""
    return NotImplementedError(
        f"{type(store).__name__} implements neither {hook} nor the VectorStore operations that call it"
    )


@contextmanager
def _no_mapping() -> Iterator[None]:
    yield
