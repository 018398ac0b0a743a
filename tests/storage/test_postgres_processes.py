"""Several processes on one PostgreSQL schema: nothing lost, one order, runs and memories handed between them.

Each test starts real Python processes that open their own ``PostgresStore`` on the session's server; the
DSN travels in the environment (``FLOW_PG_DSN``), never on the command line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pg_server import PgServer

from mastra_lab.memory import Memory
from mastra_lab.storage import PostgresStore, Thread
from mastra_lab.storage._migrations import MIGRATIONS

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "tests" / "workflow" / "flow_proc.py"
PROCESSES, CALLS = 4, 1000

_WRITER = """
import os, sys
from mastra_lab.storage import PostgresStore, StoredMessage, Thread

schema, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()  # every writer starts at once, so they open the new schema and write together
with PostgresStore(os.environ["FLOW_PG_DSN"], schema=schema) as store:
    store.save_thread(Thread("shared", "everyone"))
    for i in range(n):
        store.save_messages([StoredMessage(f"{tag}-{i}", "shared", "user", f"{tag} says {i}")])
print("done", flush=True)
"""

_MEMORY = """
import os, sys
from mastra_lab.memory import Memory
from mastra_lab.storage import PostgresStore

schema, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
with PostgresStore(os.environ["FLOW_PG_DSN"], schema=schema) as store:
    memory = Memory(store, working_memory=dict(template="# Facts"))
    for i in range(n):
        memory.update_working_memory(f"- {tag}{i}: value {i}", resource_id="shared")
print("done", flush=True)
"""

_KILLED = """
import os
from mastra_lab.storage import PostgresStore, StoredMessage, Thread

store = PostgresStore(os.environ["FLOW_PG_DSN"], schema=os.environ["SCHEMA"])
store.save_thread(Thread("t", "r"))
i = 0
while True:
    rid = store.create("notes", {"i": i})
    print("record", rid, flush=True)
    store.save_messages([StoredMessage(f"b{i}-{k}", "t", "user", "bulk") for k in range(50)])
    print("batch", f"b{i}", flush=True)  # 50 messages: the COPY path
    i += 1
"""


def _env(pg_server: PgServer, **extra: str) -> dict[str, str]:
    """The test's environment with this checkout first on the path and the DSN to reach the server."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, "FLOW_PG_DSN": pg_server.dsn, **extra}


def _together(pg_server: PgServer, script: str, args: list[list[str]]) -> list[str]:
    """Start one process per argument list, release them at once, and return what each printed."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), *a],
            env=_env(pg_server),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for a in args
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline() == "ready\n"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        results = [p.communicate(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for p, (_out, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    return [out for out, _err in results]


def test_four_processes_saving_to_one_thread_lose_nothing_and_agree_on_one_order(
    pg_server: PgServer, pg_schema: str
) -> None:
    tags = [f"p{k}" for k in range(PROCESSES)]
    assert _together(pg_server, _WRITER, [[pg_schema, tag, str(CALLS)] for tag in tags]) == ["done\n"] * 4
    with (
        PostgresStore(pg_server.dsn, schema=pg_schema) as a,
        PostgresStore(pg_server.dsn, schema=pg_schema) as b,
    ):
        messages = a.get_messages("shared")
        assert [m.id for m in b.get_messages("shared")] == [
            m.id for m in messages
        ]  # one order for all readers
        seqs = a.sql("SELECT count(DISTINCT seq) AS n, count(*) AS total FROM mastra_messages")
        newest = [m.id for m in a.get_messages("shared", last=20)]
    assert len(messages) == PROCESSES * CALLS
    assert {m.id for m in messages} == {f"{t}-{i}" for t in tags for i in range(CALLS)}
    for tag in tags:  # each writer's messages in the order it wrote them
        assert [m.id for m in messages if m.id.startswith(f"{tag}-")] == [f"{tag}-{i}" for i in range(CALLS)]
    assert seqs.to_dict("records") == [{"n": PROCESSES * CALLS, "total": PROCESSES * CALLS}]  # no tie
    assert newest == [m.id for m in messages[-20:]]


def test_processes_opening_a_new_schema_at_once_migrate_it_exactly_once(
    pg_server: PgServer, pg_schema: str
) -> None:
    schema = f"{pg_schema}_race"  # does not exist yet: every process wants to create and migrate it
    try:
        _together(pg_server, _WRITER, [[schema, f"p{k}", "1"] for k in range(PROCESSES)])
        with psycopg.connect(pg_server.dsn) as conn:
            applied = conn.execute(f"SELECT name FROM {schema}._mastra_migrations ORDER BY name").fetchall()
            n = conn.execute(f"SELECT count(*) FROM {schema}.mastra_messages").fetchone()
    finally:
        with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    assert [r[0] for r in applied] == [fn.__name__ for fn in MIGRATIONS]
    assert n == (PROCESSES,)


def test_working_memory_updates_from_two_processes_both_survive(pg_server: PgServer, pg_schema: str) -> None:
    n = 100
    assert _together(pg_server, _MEMORY, [[pg_schema, tag, str(n)] for tag in "ab"]) == ["done\n"] * 2
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        text = Memory(store, working_memory=dict(template="# Facts")).get_working_memory(resource_id="shared")
    assert isinstance(text, str)
    lines = set(text.splitlines())
    assert {f"- {tag}{i}: value {i}" for tag in "ab" for i in range(n)} <= lines
    assert len(lines) == 2 * n + 1


# -- workflow runs handed between processes ------------------------------------------------------------


def _flow_argv(schema: str, log: Path, action: str, run_id: str, data: Any) -> list[str]:
    return [sys.executable, str(FLOW), "postgres", schema, str(log), action, run_id, json.dumps(data)]


def _flow(pg_server: PgServer, schema: str, log: Path, action: str, run_id: str, data: Any) -> dict[str, Any]:
    out = subprocess.run(
        _flow_argv(schema, log, action, run_id, data),
        capture_output=True,
        text=True,
        env=_env(pg_server),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_a_run_suspended_by_one_process_is_resumed_by_another(
    pg_server: PgServer, pg_schema: str, tmp_path: Path
) -> None:
    log = tmp_path / "steps.log"
    first = _flow(pg_server, pg_schema, log, "start", "run-1", 1)
    assert first == {"status": "suspended", "result": None, "suspended": ["gate"]}
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:  # a third process watches it
        assert [(r.run_id, r.status) for r in store.list_runs("proc")] == [("run-1", "suspended")]
    second = _flow(pg_server, pg_schema, log, "resume", "run-1", "yes")
    assert second == {"status": "success", "result": {"fast": 20, "gate": "yes"}, "suspended": []}
    assert log.read_text().split()[3:] == ["gate", "hang", "finish"]  # prepare and fast did not run again


def test_two_processes_resuming_one_run_at_once_one_wins(
    pg_server: PgServer, pg_schema: str, tmp_path: Path
) -> None:
    log = tmp_path / "steps.log"
    assert _flow(pg_server, pg_schema, log, "start", "run-c", 1)["status"] == "suspended"
    first = subprocess.Popen(
        _flow_argv(pg_schema, log, "resume", "run-c", "hold"),
        env=_env(pg_server),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        while "holding" not in log.read_text().split():  # the first resume has claimed the run
            if first.poll() is not None:
                pytest.fail(f"the first resume ended early with {first.returncode}")
            time.sleep(0.02)
        assert _flow(pg_server, pg_schema, log, "resume", "run-c", "again") == {"error": "WORKFLOW_RUN_BUSY"}
        log.with_suffix(".release").touch()
        out, _ = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert json.loads(out.strip().splitlines()[-1])["result"] == {"fast": 20, "gate": "hold"}
    assert log.read_text().split().count("gate") == 2  # the refused resume ran nothing


_CLAIM = """
import os, sys, time
from pathlib import Path
from mastra_lab.storage import PostgresStore

schema, name, release = sys.argv[1], sys.argv[2], Path(sys.argv[3])

def claim(old):
    if old["status"] != "suspended":
        raise RuntimeError("taken")
    if name == "first":  # hold the claim open until the parent has seen the second one arrive
        print("inside", flush=True)
        while not release.exists():
            time.sleep(0.01)
    return {"status": "running", "owner": name}

with PostgresStore(os.environ["FLOW_PG_DSN"], schema=schema) as store:
    try:
        store.modify_snapshot("wf", "r", claim)
        print("won", flush=True)
    except RuntimeError:
        print("lost", flush=True)
"""


def _waiting_for_a_lock(pg_server: PgServer) -> bool:
    with psycopg.connect(pg_server.admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()
    return bool(row and row[0])


def test_two_processes_claiming_one_run_through_modify_snapshot_one_wins(
    pg_server: PgServer, pg_schema: str, tmp_path: Path
) -> None:
    """The claim itself: the second process arrives while the first is inside its read-modify-write."""
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        store.save_snapshot("wf", "r", {"status": "suspended", "owner": None})
    release = tmp_path / "release"

    def start(name: str) -> subprocess.Popen[str]:
        argv = [sys.executable, "-c", _CLAIM, pg_schema, name, str(release)]
        return subprocess.Popen(argv, env=_env(pg_server), stdout=subprocess.PIPE, text=True)

    first = start("first")
    second = None
    try:
        assert first.stdout is not None and first.stdout.readline() == "inside\n"
        second = start("second")
        # no clock: go on once the second claim waits for the first, or (if nothing serialised them) ended
        while second.poll() is None and not _waiting_for_a_lock(pg_server):
            time.sleep(0.01)
        release.touch()
        outputs = [first.communicate(timeout=60)[0], second.communicate(timeout=60)[0]]
    finally:
        for p in (first, second):
            if p is not None and p.poll() is None:
                p.kill()
    assert outputs == ["won\n", "lost\n"]
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        assert store.load_snapshot("wf", "r") == {"status": "running", "owner": "first"}


# -- durability -------------------------------------------------------------------------------------------


def test_everything_reported_survives_kill_9(pg_server: PgServer, pg_schema: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_KILLED)],
        env=_env(pg_server, SCHEMA=pg_schema),
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
            if len(reported) >= 40:
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.kill()
        _out, err = child.communicate()
    assert child.returncode == -signal.SIGKILL, err
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        records = {r.id for r in store.list("notes", limit=10_000)}
        messages = {m.id for m in store.get_messages("t")}
        store.save_thread(Thread("after", "r"))  # the schema is usable after the writer died mid-write
    assert {i for kind, i in reported if kind == "record"} <= records
    assert {f"{i}-{k}" for kind, i in reported if kind == "batch" for k in range(50)} <= messages
