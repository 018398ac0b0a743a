"""A Mastra on either backend a notebook may use, for the panel and command tests that must pass on both."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pg_server import PgServer, fresh_schema

from mastra_lab import Mastra
from mastra_lab.storage import DuckDBStore, Storage
from mastra_lab.vector import InMemoryVector, VectorStore

__all__ = ["Backend"]


class Backend:
    """Where one test's Mastra keeps its data: a DuckDB file in the test's directory, or a fresh schema on
    the session's PostgreSQL server (``PostgresStore`` storage, ``PgVector`` vectors).

    The panels and commands are meant to work unchanged on either, so the fixtures that build their Mastra
    ask this object instead of naming a backend. Everything it opens is closed, and every schema dropped,
    when the test ends.
    """

    def __init__(self, name: str, tmp: Path, request: pytest.FixtureRequest, stack: ExitStack) -> None:
        self.name = name
        self._tmp = tmp
        self._request = request
        self._stack = stack

    def _schema(self) -> tuple[str, str]:
        server: PgServer = self._request.getfixturevalue("pg_server")
        return server.dsn, self._stack.enter_context(fresh_schema(server))

    def storage(self, name: str = "app") -> Storage:
        """A new, empty store: ``name``.duckdb, or a ``PostgresStore`` in a schema of its own."""
        if self.name == "postgres":
            from mastra_lab.storage import PostgresStore

            dsn, schema = self._schema()
            store: Storage = PostgresStore(dsn, schema=schema)
        else:
            store = DuckDBStore(self._tmp / f"{name}.duckdb")
        self._stack.callback(store.close)
        return store

    def vectors(self) -> VectorStore:
        """A new, empty vector store: in memory, or a ``PgVector`` in a schema of its own."""
        if self.name == "postgres":
            from mastra_lab.vector import PgVector

            dsn, schema = self._schema()
            store: VectorStore = PgVector(dsn, schema=schema)
        else:
            store = InMemoryVector()
        self._stack.callback(store.close)
        return store

    def open(self, name: str = "app", **kwargs: Any) -> Mastra:
        """``Mastra.open`` on this backend (``name``.duckdb, or the server's DSN and a new schema), with
        its default vector store beside the data; ``kwargs`` go to :class:`Mastra`."""
        if self.name == "postgres":
            dsn, schema = self._schema()
            mastra = Mastra.open(dsn=dsn, schema=schema, **kwargs)
        else:
            mastra = Mastra.open(self._tmp / f"{name}.duckdb", **kwargs)
        self._stack.callback(mastra.close)
        return mastra
