"""Fixtures for the storage tests: one ``store`` fixture per backend, on real files and a real server.

Adding a backend to the conformance suite means adding one entry to ``BACKENDS``. Each entry opens a store
at a :class:`Place`: a fresh temporary directory, and for PostgreSQL a fresh schema on the session's real
server (``pg_server``), dropped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_server import PgServer, fresh_schema

from mastra_lab.storage import DuckDBStore, InMemoryStore, PostgresStore, SQLiteStore, Storage

__all__ = ["BACKENDS", "FILE_BACKENDS", "Place"]


class Place:
    """Where a test's stores live: its temporary directory, and (asked for lazily) a PostgreSQL schema."""

    def __init__(self, tmp: Path, request: pytest.FixtureRequest) -> None:
        self.tmp = tmp
        self._request = request

    def postgres(self) -> tuple[str, str]:
        """The test server's DSN and this test's own schema (the same one for every store of the test)."""
        server: PgServer = self._request.getfixturevalue("pg_server")
        schema: str = self._request.getfixturevalue("pg_schema")
        return server.dsn, schema


def _postgres(place: Place, **kw: Any) -> Storage:
    dsn, schema = place.postgres()
    return PostgresStore(dsn, schema=schema, **kw)


BACKENDS: dict[str, Callable[..., Storage]] = {
    "memory": lambda place, **kw: InMemoryStore(**kw),
    "duckdb": lambda place, **kw: DuckDBStore(place.tmp / "store.duckdb", **kw),
    "sqlite": lambda place, **kw: SQLiteStore(place.tmp / "store.sqlite", **kw),
    "postgres": _postgres,
}
FILE_BACKENDS: dict[str, type[Storage]] = {"duckdb": DuckDBStore, "sqlite": SQLiteStore}


@pytest.fixture
def pg_schema(pg_server: PgServer) -> Iterator[str]:
    """A new schema on the session's PostgreSQL server, dropped with its tables after the test."""
    with fresh_schema(pg_server) as schema:
        yield schema


@pytest.fixture
def place(tmp_path: Path, request: pytest.FixtureRequest) -> Place:
    """This test's place for stores."""
    return Place(tmp_path, request)


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, place: Place) -> Iterator[Storage]:
    """A fresh, empty store of each backend."""
    with BACKENDS[request.param](place) as s:
        yield s


@pytest.fixture(params=["duckdb", "postgres", "sqlite"])
def shared_store(request: pytest.FixtureRequest, place: Place) -> Iterator[Storage]:
    """A fresh store of each backend that other connections can share: a file, or a PostgreSQL schema."""
    with BACKENDS[request.param](place) as s:
        yield s


@pytest.fixture(params=sorted(BACKENDS))
def make_store(request: pytest.FixtureRequest, place: Place) -> Iterator[Callable[..., Storage]]:
    """A factory for a store of each backend taking constructor keywords (``id_factory=`` …)."""
    made: list[Storage] = []

    def make(**kwargs: Any) -> Storage:
        made.append(BACKENDS[request.param](place, **kwargs))
        return made[-1]

    yield make
    for s in made:
        s.close()


@pytest.fixture(params=sorted(FILE_BACKENDS))
def file_backend(request: pytest.FixtureRequest) -> type[Storage]:
    """Each backend class that keeps its data in a file."""
    return FILE_BACKENDS[request.param]


@pytest.fixture
def open_store(place: Place) -> Iterator[Callable[[str], Storage]]:
    """Opens a store of the named backend (for tests whose cases differ per backend's SQL dialect)."""
    made: list[Storage] = []

    def open_(backend: str) -> Storage:
        made.append(BACKENDS[backend](place))
        return made[-1]

    yield open_
    for s in made:
        s.close()
