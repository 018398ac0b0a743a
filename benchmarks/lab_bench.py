"""What the notebook layer costs: time to a first result in a fresh kernel, and the overhead of a magic.

Three comparisons, each measured in this one run:

* **First result.** In a new Python process with an IPython shell, the time from ``%load_ext`` through
  connecting to an in-memory DuckDB to the result of ``SELECT 42`` — ``%load_ext mastra_lab`` +
  ``%mastra init`` + ``%mastra sql SELECT 42`` against jupysql's ``%load_ext sql`` + ``%sql duckdb://`` +
  ``%sql SELECT 42``. Interpreter and shell start-up are the same for both and are not counted. jupysql
  (with duckdb-engine) is needed here only: ``pip install jupysql duckdb-engine``.
* **``%mastra sql``** over a 1,000,000-row table against calling ``store.sql()`` with the same text.
* **``%mastra vector search``** against ``query_text`` on the same index, with the same embedder.

Run: ``python benchmarks/lab_bench.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_FIRST_RESULT = """
import json, sys, time
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

config = Config()
config.HistoryManager.hist_file = ":memory:"
ip = InteractiveShell(config=config)
lines = {lines}
marks = [time.perf_counter()]
for magic, line in lines:
    result = ip.run_line_magic(magic, line)
    marks.append(time.perf_counter())
assert "42" in repr(result), repr(result)
print("TIMES", json.dumps([b - a for a, b in zip(marks, marks[1:])]))
"""

_OURS = [("load_ext", "mastra_lab"), ("mastra", "init"), ("mastra", "sql SELECT 42 AS answer")]
_JUPYSQL = [("load_ext", "sql"), ("sql", "duckdb://"), ("sql", "SELECT 42 AS answer")]
# the same, returning a DataFrame as %mastra sql does (jupysql's default is its own ResultSet)
_JUPYSQL_PANDAS = [
    ("load_ext", "sql"),
    ("config", "SqlMagic.autopandas = True"),
    ("sql", "duckdb://"),
    ("sql", "SELECT 42 AS answer"),
]


def _first_result(lines: list[tuple[str, str]], runs: int) -> list[float]:
    """Median seconds of each step over ``runs`` fresh processes."""
    env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false", "MPLBACKEND": "Agg"}
    script = _FIRST_RESULT.format(lines=repr(lines))
    samples = []
    with tempfile.TemporaryDirectory() as cwd:  # neither reads a config file from this checkout
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=cwd
            )
            if done.returncode:
                raise SystemExit(f"the first-result script failed:\n{done.stderr[-2000:]}")
            timed = next(line for line in done.stdout.splitlines() if line.startswith("TIMES "))
            samples.append(json.loads(timed.removeprefix("TIMES ")))
    return [statistics.median(step) for step in zip(*samples, strict=True)]


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _paired(ours: Callable[[], object], base: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median times of both, measured in alternating rounds so that drift hits both alike."""
    a, b = [], []
    for _ in range(3):
        a.append(_median_seconds(ours, repeat))
        b.append(_median_seconds(base, repeat))
    return statistics.median(a), statistics.median(b)


def _row(name: str, ours: float, base: float, unit: str = "ms") -> None:
    scale = 1e3 if unit == "ms" else 1.0
    print(f"{name:<58} {ours * scale:>10.2f} {base * scale:>10.2f} {ours / base:>7.2f}×")


def _bench_first_result(runs: int) -> None:
    import compileall

    import mastra_lab

    # pip byte-compiles installed packages (jupysql's among them); an editable checkout is compiled here so
    # that neither side pays for compiling its sources.
    compileall.compile_dir(Path(mastra_lab.__file__).parent, quiet=1)
    print(f"\nfirst result in a fresh kernel process (median of {runs} processes), ms")
    print(f"{'step':<58} {'ours':>10} {'jupysql':>10} {'ratio':>8}")
    ours = _first_result(_OURS, runs)
    try:
        theirs = _first_result(_JUPYSQL, runs)
    except SystemExit as exc:
        print(f"jupysql is not usable here ({str(exc).splitlines()[-1]}); pip install jupysql duckdb-engine")
        return
    for name, a, b in zip(
        ("%load_ext", "connect (%mastra init / %sql duckdb://)", "SELECT 42"), ours, theirs, strict=True
    ):
        _row(name, a, b)
    _row("total: load + connect + first query", sum(ours), sum(theirs))
    _row(
        "total, both returning a DataFrame (jupysql autopandas)",
        sum(ours),
        sum(_first_result(_JUPYSQL_PANDAS, runs)),
    )


def _bench_sql(rows: int, repeat: int, tmp: Path) -> None:
    from mastra_lab import Mastra
    from mastra_lab.lab._testing import TestingShell
    from mastra_lab.storage import DuckDBStore, StoredMessage, Thread

    store = DuckDBStore(str(tmp / "lab_bench.duckdb"))
    threads = [f"t{i}" for i in range(100)]
    for thread in threads:
        store.save_thread(Thread(thread, resource_id="bench"))
    batch = 100_000
    for start in range(0, rows, batch):
        store.save_messages(
            [
                StoredMessage(f"m{i}", threads[i % 100], ("user", "assistant")[i % 2], f"message number {i}")
                for i in range(start, min(start + batch, rows))
            ]
        )
    shell = TestingShell()
    shell.magics.replace_mastra(Mastra(storage=store), owned=True)
    queries = {
        "aggregate (GROUP BY over all rows)": (
            "SELECT thread_id, count(*) AS n, avg(length(content)) AS avg_len FROM mastra_messages GROUP BY 1"
        ),
        "10,000 rows to a DataFrame": "SELECT id, role, content FROM mastra_messages ORDER BY id LIMIT 10000",
    }
    print(f"\n%mastra sql vs store.sql() over {rows:,} rows (median of {repeat}), ms")
    print(f"{'query':<58} {'%mastra':>10} {'sql()':>10} {'ratio':>8}")
    for name, query in queries.items():
        ours, base = _paired(lambda q=query: shell.line(f"sql {q}"), lambda q=query: store.sql(q), repeat)
        _row(name, ours, base)
    shell.close()


def _bench_vector(docs: int, repeat: int) -> None:
    from mastra_lab import Mastra
    from mastra_lab.embed import HashingEmbedder
    from mastra_lab.lab._testing import TestingShell
    from mastra_lab.rag import ingest
    from mastra_lab.vector import InMemoryVector

    words = ["invoice", "refund", "password", "shipping", "parcel", "account", "login", "billing", "card"]
    texts = [" ".join(words[(i * k) % len(words)] for k in range(1, 12)) + f" note {i}" for i in range(docs)]
    embedder = HashingEmbedder()
    vector = InMemoryVector()
    ingest(texts, vector, "docs", embedder, progress=False)
    shell = TestingShell()
    shell.magics.replace_mastra(Mastra(vectors={"default": vector}), owned=True)
    question = "how do I get a refund for my parcel"
    print(f"\n%mastra vector search vs query_text over {docs:,} documents (median of {repeat}), ms")
    print(f"{'query':<58} {'%mastra':>10} {'query_text':>10} {'ratio':>8}")
    for top_k in (10, 100):
        ours, base = _paired(
            lambda k=top_k: shell.line(f'vector search docs "{question}" --top-k {k}'),
            lambda k=top_k: vector.query_text("docs", question, embedder, top_k=k),
            repeat,
        )
        _row(f"top {top_k}", ours, base)
    shell.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    runs, rows, docs, repeat = (3, 50_000, 2_000, 10) if args.quick else (9, 1_000_000, 50_000, 50)
    _bench_first_result(runs)
    with tempfile.TemporaryDirectory() as tmp:
        _bench_sql(rows, repeat, Path(tmp))
    _bench_vector(docs, repeat)


if __name__ == "__main__":
    main()
