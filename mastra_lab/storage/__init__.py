"""Storage: records, conversations, workflow snapshots and spans behind one API, four backends.

``InMemoryStore`` (tests, demos), ``DuckDBStore`` (the default; a file or ``:memory:``), ``SQLiteStore`` and
``PostgresStore`` (extra ``postgres``: several processes sharing one database) all implement
:class:`Storage`. The backends are loaded lazily so that ``import mastra_lab`` never imports duckdb, pandas
or psycopg.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab import _lazy
from mastra_lab.storage.base import Storage
from mastra_lab.storage.records import Record, Resource, StoredMessage, Thread, WorkflowRun

if _typing.TYPE_CHECKING:
    from mastra_lab.storage.duckdb import DuckDBStore
    from mastra_lab.storage.memory import InMemoryStore
    from mastra_lab.storage.postgres import PostgresStore
    from mastra_lab.storage.sqlite import SQLiteStore

__all__ = [
    "DuckDBStore",
    "InMemoryStore",
    "PostgresStore",
    "Record",
    "Resource",
    "SQLiteStore",
    "Storage",
    "StoredMessage",
    "Thread",
    "WorkflowRun",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "DuckDBStore": "mastra_lab.storage.duckdb",
        "InMemoryStore": "mastra_lab.storage.memory",
        "PostgresStore": "mastra_lab.storage.postgres",
        "SQLiteStore": "mastra_lab.storage.sqlite",
    },
)
