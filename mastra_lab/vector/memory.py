"""InMemoryVector: the numpy vector store, for notebooks, tests and small collections.

Everything an index holds lives in its in-memory :class:`~mastra_lab.vector._rows.Rows` - the same
structure every store searches - so this backend only keeps the registry of index specs: its persistence
hooks have nothing to write, and nothing is kept after the process ends.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from mastra_lab.vector._rows import Rows
from mastra_lab.vector._types import IndexSpec, UpsertBatch
from mastra_lab.vector.base import VectorStore

__all__ = ["InMemoryVector"]


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

    db_system = "memory"

    def __init__(self) -> None:
        super().__init__()
        self._registry: dict[str, IndexSpec] = {}

    def __repr__(self) -> str:
        return f"InMemoryVector(indexes={sorted(self._registry)!r})" + (" closed" if self.closed else "")

    def _read_spec(self, name: str) -> IndexSpec | None:
        return self._registry.get(name)

    def _index_names(self) -> Iterable[str]:
        return self._registry

    def _create(self, spec: IndexSpec) -> None:
        self._registry[spec.name] = spec

    def _save_embedder(self, spec: IndexSpec) -> None:
        self._registry[spec.name] = spec

    def _drop(self, spec: IndexSpec) -> None:
        del self._registry[spec.name]

    def _load(self, spec: IndexSpec) -> Rows:
        return Rows.empty(spec)  # only reached for a new index: the rows are never kept anywhere else

    def _save_upsert(self, spec: IndexSpec, batch: UpsertBatch) -> None:
        return None

    def _save_update(
        self, spec: IndexSpec, slot: int, vector: np.ndarray | None, metadata: dict[str, Any] | None
    ) -> None:
        return None

    def _save_removal(
        self, spec: IndexSpec, dead: np.ndarray, holes: np.ndarray, sources: np.ndarray
    ) -> None:
        return None

    def _close(self) -> None:
        return None
