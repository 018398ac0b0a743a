"""Storage: records, conversations, workflow snapshots and spans behind one API, three backends.

``InMemoryStore`` (tests, demos), ``DuckDBStore`` (the default; a file or ``:memory:``) and ``SQLiteStore``
all implement :class:`Storage`. The backends are loaded lazily so that ``import mastra_lab`` never imports
duckdb or pandas.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab.storage.base import Storage
from mastra_lab.storage.records import Record, Resource, StoredMessage, Thread, WorkflowRun

if _typing.TYPE_CHECKING:
    from mastra_lab.storage.duckdb import DuckDBStore
    from mastra_lab.storage.memory import InMemoryStore
    from mastra_lab.storage.sqlite import SQLiteStore

__all__ = [
    "DuckDBStore",
    "InMemoryStore",
    "Record",
    "Resource",
    "SQLiteStore",
    "Storage",
    "StoredMessage",
    "Thread",
    "WorkflowRun",
]

_LAZY = {
    "DuckDBStore": "mastra_lab.storage.duckdb",
    "InMemoryStore": "mastra_lab.storage.memory",
    "SQLiteStore": "mastra_lab.storage.sqlite",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mastra_lab.storage' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
