"""A write is on disk when ``create``/``save_messages`` returns: a ``kill -9`` right after loses nothing.

A child process writes in a loop and prints each id as soon as the call returns; the parent kills it with
SIGKILL once it has read some of those lines, reopens the file, and finds every reported id. This holds for
SQLite's faster ``synchronous="normal"`` too (it gives up only power-loss safety, which no test here can
cut the power to check; the default fsyncs every commit, as DuckDB does).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mastra_lab.storage import DuckDBStore, SQLiteStore, Storage

ROOT = Path(__file__).resolve().parents[2]
REPORTED_BEFORE_KILL = 40

CHILD = textwrap.dedent(
    """
    import sys
    from mastra_lab.storage import DuckDBStore, SQLiteStore, StoredMessage, Thread

    kwargs = {"synchronous": sys.argv[3]} if len(sys.argv) > 3 else {}
    store = {"DuckDBStore": DuckDBStore, "SQLiteStore": SQLiteStore}[sys.argv[1]](sys.argv[2], **kwargs)
    store.save_thread(Thread("t", "r"))
    i = 0
    while True:
        rid = store.create("notes", {"i": i})
        print("record", rid, flush=True)
        store.save_messages([StoredMessage(f"m{i}", "t", "user", f"message {i}")])
        print("message", f"m{i}", flush=True)
        store.save_messages([StoredMessage(f"b{i}-{k}", "t", "user", "bulk") for k in range(50)])
        print("batch", f"b{i}", flush=True)  # 50 messages: the bulk (DataFrame/Arrow) path
        i += 1
    """
)


@pytest.mark.parametrize(
    ("backend", "options"),
    [(DuckDBStore, []), (SQLiteStore, []), (SQLiteStore, ["normal"])],
    ids=["duckdb", "sqlite", "sqlite-normal"],
)
def test_everything_reported_survives_kill_9(
    backend: type[Storage], options: list[str], tmp_path: Path
) -> None:
    path = tmp_path / "durable.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, backend.__name__, str(path), *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reported: list[tuple[str, str]] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            kind, ident = line.split()
            reported.append((kind, ident))
            if len(reported) >= REPORTED_BEFORE_KILL:
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.kill()
        _out, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err
    assert len(reported) == REPORTED_BEFORE_KILL

    with backend(path) as store:  # type: ignore[call-arg]
        records = {r.id for r in store.list("notes", limit=10_000)}
        messages = {m.id for m in store.get_messages("t")}
    assert {i for kind, i in reported if kind == "record"} <= records
    assert {i for kind, i in reported if kind == "message"} <= messages
    assert {f"{i}-{k}" for kind, i in reported if kind == "batch" for k in range(50)} <= messages
