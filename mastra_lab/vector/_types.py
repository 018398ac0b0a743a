"""The value types of the vector API: query hits, index statistics, and what a backend is handed.

``QueryResult``, ``QueryResults`` and ``IndexStats`` are public (re-exported by :mod:`mastra_lab.vector`);
``IndexSpec`` and ``UpsertBatch`` are what :class:`~mastra_lab.vector.base.VectorStore` passes to a
backend's hooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mastra_lab.vector._checks import IndexKind, Metric

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["IndexSpec", "IndexStats", "QueryResult", "QueryResults", "UpsertBatch"]


@dataclass
class QueryResult:
    """One hit of a vector query; ``score`` is higher-is-better for every metric."""

    id: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None
    document: str | None = None


class QueryResults(list[QueryResult]):
    """The hits of one query, best first: a plain list that also turns into a DataFrame."""

    def to_df(self) -> pd.DataFrame:
        """One row per hit: ``id``, ``score``, ``document``, a ``metadata.<key>`` column per top-level key."""
        import pandas as pd

        rows = []
        for r in self:
            row: dict[str, Any] = {"id": r.id, "score": r.score, "document": r.document}
            row.update({f"metadata.{k}": v for k, v in r.metadata.items()})
            if r.vector is not None:
                row["vector"] = r.vector
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else ["id", "score", "document"])


@dataclass(frozen=True, repr=False)
class IndexStats:
    """Size and shape of one index: ``IndexStats(dimension=384, count=10, metric='cosine')``.

    ``embedder`` is the name of the embedder recorded on the index (see
    :meth:`~mastra_lab.vector.base.VectorStore.create_index`); the repr shows it only when there is one.
    """

    dimension: int
    count: int
    metric: str
    embedder: str | None = None

    def __repr__(self) -> str:
        extra = "" if self.embedder is None else f", embedder={self.embedder!r}"
        return f"IndexStats(dimension={self.dimension}, count={self.count}, metric={self.metric!r}{extra})"


@dataclass(frozen=True)
class IndexSpec:
    """Everything recorded about one index (a backend persists it; ``embedder`` may be recorded later)."""

    name: str
    dimension: int
    metric: Metric
    kind: IndexKind = "flat"
    m: int = 16
    ef_construction: int = 128
    embedder: str | None = None


@dataclass(frozen=True)
class UpsertBatch:
    """One validated upsert and the slot each row takes: ``slots[i]`` for ``ids[i]``.

    Rows with ``is_old[i]`` replace the row already at that slot; the others are appended, in order, at
    the slots after the current last one.
    """

    ids: list[str]
    slots: np.ndarray
    is_old: np.ndarray
    vectors: np.ndarray
    metadata: list[dict[str, Any]]
    documents: list[str | None]
