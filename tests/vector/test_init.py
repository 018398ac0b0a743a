"""The package surface: exactly the contract names, loaded lazily (no numpy/duckdb on import)."""

from __future__ import annotations

import subprocess
import sys

import mastra_lab.vector as vector


def test_all_lists_the_contract_names() -> None:
    assert vector.__all__ == [
        "DuckDBVector",
        "InMemoryVector",
        "IndexStats",
        "PgVector",
        "QueryResult",
        "QueryResults",
        "VectorStore",
    ]
    assert sorted(n for n in dir(vector) if not n.startswith("_")) == sorted(vector.__all__)
    for name in vector.__all__:
        assert getattr(vector, name).__name__ == name


def test_importing_the_package_imports_neither_numpy_nor_duckdb_nor_psycopg() -> None:
    code = (
        "import sys, mastra_lab.vector; "
        "print(sorted(m for m in ('numpy', 'duckdb', 'pandas', 'usearch', 'psycopg') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_store_implements_the_vector_store_seam() -> None:
    assert issubclass(vector.InMemoryVector, vector.VectorStore)
    assert issubclass(vector.DuckDBVector, vector.VectorStore)
    assert issubclass(vector.PgVector, vector.VectorStore)
