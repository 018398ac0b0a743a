"""Vector search: in-memory and DuckDB stores, Mongo-style metadata filters, opt-in HNSW.

The names are loaded lazily (PEP 562), so ``import mastra_lab`` pulls in neither numpy nor duckdb; the first
use of ``InMemoryVector`` imports numpy, the first use of ``DuckDBVector`` imports duckdb.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab import _lazy

if _typing.TYPE_CHECKING:
    from mastra_lab.vector._types import IndexStats, QueryResult, QueryResults
    from mastra_lab.vector.base import VectorStore
    from mastra_lab.vector.duckdb import DuckDBVector
    from mastra_lab.vector.memory import InMemoryVector

__all__ = ["DuckDBVector", "InMemoryVector", "IndexStats", "QueryResult", "QueryResults", "VectorStore"]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "DuckDBVector": "mastra_lab.vector.duckdb",
        "InMemoryVector": "mastra_lab.vector.memory",
        "IndexStats": "mastra_lab.vector._types",
        "QueryResult": "mastra_lab.vector._types",
        "QueryResults": "mastra_lab.vector._types",
        "VectorStore": "mastra_lab.vector.base",
    },
)
