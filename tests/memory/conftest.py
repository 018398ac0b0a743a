"""Fixtures for the memory tests: real stores of every backend, a settable clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore, Storage

__all__ = ["T0", "Clock"]

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

BACKENDS: dict[str, Callable[[Path], Storage]] = {
    "memory": lambda tmp: InMemoryStore(),
    "duckdb": lambda tmp: DuckDBStore(tmp / "memory.duckdb"),
    "sqlite": lambda tmp: SQLiteStore(tmp / "memory.sqlite"),
}


class Clock:
    """A clock tests move by hand: ``clock.advance(hours=2)``."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A fresh store of each backend (DuckDB and SQLite on files in tmp_path)."""
    with BACKENDS[request.param](tmp_path) as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()
