"""Fixtures for the vector tests: one ``store`` fixture parametrized over every backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_lab.vector import InMemoryVector, VectorStore

BACKENDS = ["memory", "duckdb"]


def make_store(kind: str, tmp_path: Path) -> VectorStore:
    """A fresh store of the given backend (DuckDB: a file in ``tmp_path``)."""
    if kind == "memory":
        return InMemoryVector()
    from mastra_lab.vector import DuckDBVector

    return DuckDBVector(tmp_path / "vectors.duckdb")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    s = make_store(request.param, tmp_path)
    yield s
    s.close()
