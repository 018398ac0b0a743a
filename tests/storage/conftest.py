"""Fixtures for the storage tests: one ``store`` fixture per backend, on real files where there are files.

Adding a backend (PostgreSQL…) to the conformance suite means adding one entry to ``BACKENDS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore, Storage

__all__ = ["BACKENDS", "FILE_BACKENDS"]

BACKENDS: dict[str, Callable[..., Storage]] = {
    "memory": lambda tmp, **kw: InMemoryStore(**kw),
    "duckdb": lambda tmp, **kw: DuckDBStore(tmp / "store.duckdb", **kw),
    "sqlite": lambda tmp, **kw: SQLiteStore(tmp / "store.sqlite", **kw),
}
FILE_BACKENDS: dict[str, type[Storage]] = {"duckdb": DuckDBStore, "sqlite": SQLiteStore}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A fresh, empty store of each backend."""
    with BACKENDS[request.param](tmp_path) as s:
        yield s


@pytest.fixture(params=sorted(BACKENDS))
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Storage]]:
    """A factory for a store of each backend taking constructor keywords (``id_factory=`` …)."""
    made: list[Storage] = []

    def make(**kwargs: Any) -> Storage:
        made.append(BACKENDS[request.param](tmp_path, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.fixture(params=sorted(FILE_BACKENDS))
def file_backend(request: pytest.FixtureRequest) -> type[Storage]:
    """Each backend class that keeps its data in a file."""
    return FILE_BACKENDS[request.param]


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Callable[[str], Storage]]:
    """Opens a store of the named backend (for tests whose cases differ per backend's SQL dialect)."""
    made: list[Storage] = []

    def open_(backend: str) -> Storage:
        made.append(BACKENDS[backend](tmp_path))
        return made[-1]

    yield open_
    for s in made:
        s.close()
