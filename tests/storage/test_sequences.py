"""Insertion-order numbers (``seq``) come from the database, so writers that share a file never share one.

``seq`` breaks ties between rows with equal timestamps. Two processes writing to one SQLite file (the case
SQLite is offered for) must take distinct numbers in commit order; so must two stores opened on one file in
one process. The writers are interleaved deterministically: each child waits on a pipe for its next
command and answers when the write has returned.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mastra_lab.storage import DuckDBStore, SQLiteStore, Storage, StoredMessage, Thread

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("record", "thread", "message", "snapshot", "span")
# kind -> (table, the id column that tells whose write a row is)
TABLES = {
    "record": ("mastra_records", "id"),
    "thread": ("mastra_threads", "id"),
    "message": ("mastra_messages", "id"),
    "snapshot": ("mastra_workflow_snapshots", "run_id"),
    "span": ("mastra_spans", "span_id"),
}

CHILD = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from mastra_lab.storage import SQLiteStore, StoredMessage, Thread

    T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    store = SQLiteStore(sys.argv[1])
    print("ready", flush=True)
    for line in sys.stdin:
        kind, ident = line.split()
        if kind == "record":
            store.create("notes", {"who": ident}, id=ident)
        elif kind == "thread":
            store.save_thread(Thread(ident, "r", created_at=T0, updated_at=T0))
        elif kind == "message":
            store.save_messages([StoredMessage(ident, "shared", "user", ident, T0)])
        elif kind == "snapshot":
            store.save_snapshot("wf", ident, {"status": "running"})
        elif kind == "span":
            store.save_spans([{"trace_id": "tr", "span_id": ident, "parent_span_id": None, "name": ident,
                               "type": "agent", "attributes": {}, "input": None, "output": None,
                               "error": None, "start": T0, "end": None}])
        print("ok", kind, ident, flush=True)
    store.close()
    """
)


def _seqs(conn: Any, kind: str) -> list[tuple[str, int]]:
    table, column = TABLES[kind]
    query = f"SELECT {column}, seq FROM {table} WHERE {column} <> 'shared' ORDER BY seq"
    return [(str(a), int(b)) for a, b in conn.execute(query).fetchall()]


def _assert_distinct_and_in_write_order(seqs: list[tuple[str, int]], written: list[str]) -> None:
    numbers = [n for _, n in seqs]
    assert len(set(numbers)) == len(numbers), seqs
    assert [i for i, _ in seqs] == written


def _writer(path: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    return child


def _ask(child: subprocess.Popen[str], kind: str, ident: str) -> None:
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(f"{kind} {ident}\n")
    child.stdin.flush()
    assert child.stdout.readline().split() == ["ok", kind, ident]


def test_two_processes_on_one_sqlite_file_take_distinct_seqs_in_commit_order(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    with SQLiteStore(path) as setup:
        setup.save_thread(Thread("shared", "r"))
    writers = {"a": _writer(path), "b": _writer(path)}  # both open before either writes
    written: list[str] = []
    try:
        for kind in KINDS:
            for i in range(3):
                for name, child in writers.items():  # a1, b1, a2, b2, a3, b3
                    _ask(child, kind, f"{kind}-{name}{i}")
                    written.append(f"{kind}-{name}{i}")
    finally:
        for child in writers.values():
            _out, err = child.communicate("")
            assert child.returncode == 0, err
    conn = sqlite3.connect(path)
    try:
        for kind in KINDS:
            _assert_distinct_and_in_write_order(_seqs(conn, kind), [w for w in written if w.startswith(kind)])
    finally:
        conn.close()


def _write(store: Storage, kind: str, ident: str) -> None:
    if kind == "record":
        store.create("notes", {"who": ident}, id=ident)
    elif kind == "thread":
        store.save_thread(Thread(ident, "r"))
    elif kind == "message":
        store.save_messages([StoredMessage(f"{ident}-{k}", "shared", "user", ident) for k in range(40)])
    elif kind == "snapshot":
        store.save_snapshot("wf", ident, {"status": "running"})
    else:
        store.save_spans(
            [
                {
                    "trace_id": "tr",
                    "span_id": ident,
                    "name": ident,
                    "type": "agent",
                    "start": "2025-01-01T00:00:00Z",
                }
            ]
        )


@pytest.mark.parametrize("backend", [DuckDBStore, SQLiteStore])
def test_two_stores_on_one_file_in_one_process_take_distinct_seqs(
    backend: Callable[[Path], Storage], tmp_path: Path
) -> None:
    path = tmp_path / "shared.db"
    a, b = backend(path), backend(path)
    a.save_thread(Thread("shared", "r"))
    written: list[str] = []
    try:
        for kind in KINDS:
            for i in range(2):
                for name, store in (("a", a), ("b", b)):
                    _write(store, kind, f"{kind}-{name}{i}")
                    written.append(f"{kind}-{name}{i}")
        conn: Any = a.connection if isinstance(a, DuckDBStore) else sqlite3.connect(path)
        for kind in KINDS:
            seqs = _seqs(conn, kind)
            if kind == "message":  # 40 per batch: the bulk path; the batch keeps its own order too
                seqs = [(i, n) for i, n in seqs if i.endswith("-0")]
                seqs = [(i.removesuffix("-0"), n) for i, n in seqs]
            _assert_distinct_and_in_write_order(seqs, [w for w in written if w.startswith(kind)])
        numbers = [n for _, n in _seqs(conn, "message")]
        assert len(set(numbers)) == len(numbers) == 40 * 4
    finally:
        a.close()
        b.close()
