"""Fixtures for the vector tests: one ``store`` fixture parametrized over every backend.

Besides the two stores, ``duckdb-sql`` is a backend written the way a database-native one (PostgreSQL with
``jsonb``) would be: a DuckDBVector that answers every filter with SQL compiled by ``_filter_sql`` instead of
the in-memory view, by overriding the one ``_mask`` hook. It passing the whole conformance suite shows that
such a backend needs nothing but hooks. ``pgvector`` is the real one: a :class:`PgVector` in a fresh schema of
the session's PostgreSQL server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from pg_server import PgServer, fresh_schema

from mastra_lab.vector import DuckDBVector, InMemoryVector, PgVector, VectorStore
from mastra_lab.vector._filter_sql import compile_sql
from mastra_lab.vector._rows import Rows
from mastra_lab.vector._types import IndexSpec
from mastra_lab.vector.filter import FilterNode

BACKENDS = ["memory", "duckdb", "duckdb-sql", "pgvector"]


class SQLFilterDuckDBVector(DuckDBVector):
    """Filters answered by SQL over the JSON column, returned as a mask over the slots."""

    def _mask(self, spec: IndexSpec, rows: Rows, node: FilterNode) -> np.ndarray:
        sql, params = compile_sql(node)
        got = self.con.execute(f"SELECT slot FROM vec_{spec.name} WHERE {sql}", params).fetchnumpy()["slot"]
        mask = np.zeros(rows.n, dtype=bool)
        mask[np.asarray(got, dtype=np.int64)] = True
        return mask


def make_store(kind: str, tmp_path: Path) -> VectorStore:
    """A fresh store of an embedded backend (DuckDB: a file in ``tmp_path``)."""
    if kind == "memory":
        return InMemoryVector()
    if kind == "duckdb-sql":
        return SQLFilterDuckDBVector(tmp_path / "vectors.duckdb")
    if kind == "duckdb":
        return DuckDBVector(tmp_path / "vectors.duckdb")
    raise ValueError(f"{kind!r} needs a server: use the make_vector_store fixture")


@pytest.fixture
def make_vector_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], VectorStore]]:
    """``make(kind)``: a fresh store of any backend in ``BACKENDS`` (PgVector: in a new schema), closed
    afterwards."""
    with contextlib.ExitStack() as stack:

        def make(kind: str) -> VectorStore:
            if kind == "pgvector":
                server: PgServer = request.getfixturevalue("pg_server")
                schema = stack.enter_context(fresh_schema(server))
                made: VectorStore = PgVector(server.dsn, schema=schema)
            else:
                made = make_store(kind, tmp_path)
            stack.callback(made.close)
            return made

        yield make


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    if request.param == "pgvector":
        server: PgServer = request.getfixturevalue("pg_server")
        with fresh_schema(server) as schema:
            s: VectorStore = PgVector(server.dsn, schema=schema)
            yield s
            s.close()
        return
    s = make_store(request.param, tmp_path)
    yield s
    s.close()
