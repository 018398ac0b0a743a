"""Fixtures for the notebook layer: a real IPython shell with the extension loaded, and a Mastra on each
backend (a DuckDB file, PostgreSQL) for the panels and commands that must work on both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.agent import Agent
from mastra_lab.errors import ToolError
from mastra_lab.lab._testing import TestingShell
from mastra_lab.llm import TestModel
from mastra_lab.telemetry.metrics import ModelPrice
from mastra_lab.tools import tool


@pytest.fixture
def ip() -> Iterator[TestingShell]:
    """A fresh ``InteractiveShell`` with ``%load_ext mastra_lab`` done."""
    shell = TestingShell()
    yield shell
    shell.close()


@tool
def broken(order: str) -> str:
    """Look an order up; the service is down."""
    raise ToolError("the order service is down")


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def traced(backend: Backend, ip: TestingShell) -> TestingShell:
    """A notebook whose Mastra (on a DuckDB file or PostgreSQL) ran the offline agents ``calc`` twice and
    ``support`` (whose tool fails) once; the test model is priced at $1000/$2000 per million tokens."""
    m = Mastra(
        storage=backend.storage("agents"),
        agents=[
            Agent("calc", "You add.", TestModel(), tools=[add]),
            Agent("support", "You look orders up.", TestModel(), tools=[broken]),
        ],
        prices={"test": ModelPrice(1000.0, 2000.0)},
    )
    m.agents["calc"].generate_sync("1 + 2?")
    m.agents["calc"].generate_sync("3 + 4?")
    m.agents["support"].generate_sync("Where is A-1?")
    ip.magics.replace_mastra(m, owned=True)  # closed with the shell
    return ip


@pytest.fixture(params=["duckdb", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend a notebook's Mastra may sit on; a test that only makes sense on one says so with
    ``@pytest.mark.parametrize("backend", ["duckdb"], indirect=True)`` and a reason."""
    with ExitStack() as stack:
        yield Backend(request.param, tmp_path, request, stack)
