"""Workflow tests: each storage backend on a real file, and a Mastra registry over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_lab.mastra import Mastra
from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore, Storage


def open_store(kind: str, path: Path) -> Storage:
    if kind == "duckdb":
        return DuckDBStore(str(path / "runs.duckdb"))
    if kind == "sqlite":
        return SQLiteStore(str(path / "runs.sqlite"))
    return InMemoryStore()


@pytest.fixture(params=["memory", "duckdb", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    s = open_store(request.param, tmp_path)
    yield s
    s.close()


@pytest.fixture
def mastra(store: Storage) -> Iterator[Mastra]:
    with Mastra(storage=store) as m:
        yield m
