"""Vector search: in-memory, DuckDB and PostgreSQL (pgvector) stores, Mongo-style metadata filters, HNSW.

The names are loaded lazily (PEP 562), so ``import mastra_lab`` pulls in neither numpy nor duckdb nor
psycopg; the first use of ``InMemoryVector`` imports numpy, of ``DuckDBVector`` duckdb, of ``PgVector``
psycopg (the ``postgres`` extra).
"""

from __future__ import annotations

import typing as _typing

from mastra_lab import _lazy

if _typing.TYPE_CHECKING:
    from mastra_lab.vector._types import IndexStats, QueryResult, QueryResults
    from mastra_lab.vector.base import VectorStore
    from mastra_lab.vector.duckdb import DuckDBVector
    from mastra_lab.vector.memory import InMemoryVector
    from mastra_lab.vector.pgvector import PgVector

__all__ = [
    "DuckDBVector",
    "InMemoryVector",
    "IndexStats",
    "PgVector",
    "QueryResult",
    "QueryResults",
    "VectorStore",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "DuckDBVector": "mastra_lab.vector.duckdb",
        "InMemoryVector": "mastra_lab.vector.memory",
        "PgVector": "mastra_lab.vector.pgvector",
        "IndexStats": "mastra_lab.vector._types",
        "QueryResult": "mastra_lab.vector._types",
        "QueryResults": "mastra_lab.vector._types",
        "VectorStore": "mastra_lab.vector.base",
    },
)
