"""Storage benchmark: our DuckDBStore beside raw DuckDB doing the same work, and what durability costs.

Two measurements against the fastest honest raw-DuckDB equivalent on an identical table (same columns,
primary key and thread index, also in a file):

* **save** — ``save_messages`` of a batch of ``StoredMessage`` objects (10,000 by default; they carry their
  ``resource_id``, as the Memory layer's do) vs. building a DataFrame from the same Python values and
  ``INSERT … SELECT`` from it. Ours also validates every message, serialises content to JSON, checks the
  thread exists and upserts. Reported as throughput (messages/s); the ratio is ours / raw (target ≥ 0.5).
  Rounds alternate ours/raw so that machine noise hits both alike; medians are reported.
* **last-20** — ``get_messages(thread, last=20)`` among 1,000,000 stored messages over 1,000 threads vs.
  ``SELECT … WHERE thread_id = ? ORDER BY created_at DESC LIMIT 20`` with ``fetchall()``. Reported as median
  latency; the ratio is ours / raw (target ≤ 2).

And the price of ``SQLiteStore``'s default ``synchronous="full"`` (an fsync at every commit, so a returned
write survives a power loss) against the opt-out ``synchronous="normal"``, on two files side by side:

* **sqlite create** — one ``create()`` (one commit); median latency, ratio full / normal.
* **sqlite save** — ``save_messages`` of a 1,000-message batch (one commit); median latency, ratio full /
  normal. The fsync is paid once per commit, so batching amortises it.

Calls alternate between the two files so that machine noise hits both alike. Absolute numbers depend
mostly on how fast the disk completes an fsync.

Run: ``python benchmarks/storage_bench.py`` (``--quick`` for small sizes).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb
import pandas as pd

from mastra_lab.storage import DuckDBStore, SQLiteStore, StoredMessage, Thread

__all__ = ["main"]

COLUMNS = ["id", "thread_id", "resource_id", "role", "type", "content", "metadata", "created_at", "seq"]
RAW_SCHEMA = (
    "CREATE TABLE messages (id VARCHAR PRIMARY KEY, thread_id VARCHAR NOT NULL, resource_id VARCHAR, "
    "role VARCHAR NOT NULL, type VARCHAR NOT NULL, content JSON NOT NULL, metadata JSON NOT NULL, "
    "created_at TIMESTAMPTZ NOT NULL, seq BIGINT NOT NULL); "
    "CREATE INDEX messages_thread ON messages (thread_id)"
)
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fill(conn: duckdb.DuckDBPyConnection, table: str, total: int, threads: int) -> None:
    """Bulk-load ``total`` messages spread over ``threads`` threads (setup, not measured)."""
    conn.execute(
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) SELECT 'seed' || i, 'thread' || (i % {threads}), 'r', "
        "CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END, 'text', '\"seed message ' || i || '\"', '{}', "
        f"TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 1000), i + 1 FROM range({total}) t(i)"
    )


def bench_save(batch: int, repeats: int, tmp: Path) -> tuple[float, float]:
    """Median seconds to store ``batch`` new messages: (ours, raw), measured alternately."""
    store = DuckDBStore(tmp / "save_ours.duckdb")
    raw = duckdb.connect(str(tmp / "save_raw.duckdb"))
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute(RAW_SCHEMA)
    ours_times, raw_times = [], []
    for r in range(repeats):
        # ours: the StoredMessage objects a caller (the Memory layer) holds
        store.save_thread(Thread(f"t{r}", "r"))
        msgs = [
            StoredMessage(f"{r}-{i}", f"t{r}", "user", f"message {i}", T0 + timedelta(microseconds=i))
            for i in range(batch)
        ]
        start = time.perf_counter()
        store.save_messages(msgs)
        ours_times.append(time.perf_counter() - start)
        # raw: the same values as Python lists; building the DataFrame is part of the raw cost
        ids = [f"{r}-{i}" for i in range(batch)]
        created = [T0 + timedelta(microseconds=i) for i in range(batch)]
        contents = [f'"message {i}"' for i in range(batch)]
        gc.collect()
        start = time.perf_counter()
        frame = pd.DataFrame(
            {
                "id": ids,
                "thread_id": f"t{r}",
                "resource_id": "r",
                "role": "user",
                "type": "text",
                "content": contents,
                "metadata": "{}",
                "created_at": created,
                "seq": range(r * batch, (r + 1) * batch),
            }
        )
        raw.register("batch", frame)
        raw.execute(f"INSERT INTO messages ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM batch")
        raw.unregister("batch")
        raw_times.append(time.perf_counter() - start)
    store.close()
    raw.close()
    return statistics.median(ours_times), statistics.median(raw_times)


def bench_last20(total: int, threads: int, queries: int, tmp: Path) -> tuple[float, float]:
    """Median seconds for one last-20 query among ``total`` messages: (ours, raw)."""
    store = DuckDBStore(tmp / "get_ours.duckdb")
    with store.lock:
        store.connection.execute(
            "INSERT INTO mastra_threads SELECT 'thread' || i, 'r', NULL, '{}', "
            "TIMESTAMPTZ '2024-01-01 00:00:00+00', TIMESTAMPTZ '2024-01-01 00:00:00+00', i + 1 "
            f"FROM range({threads}) t(i)"
        )
        _fill(store.connection, "mastra_messages", total, threads)
    raw = duckdb.connect(str(tmp / "get_raw.duckdb"))
    raw.execute("SET TimeZone = 'UTC'")
    raw.execute(RAW_SCHEMA)
    _fill(raw, "messages", total, threads)
    rng = random.Random(7)
    picks = [f"thread{rng.randrange(threads)}" for _ in range(queries)]
    assert len(store.get_messages(picks[0], last=20)) == min(20, total // threads)
    sql = (
        f"SELECT {', '.join(COLUMNS[:8])} FROM messages WHERE thread_id = ? "
        "ORDER BY created_at DESC, seq DESC LIMIT 20"
    )
    for thread in picks[:10]:  # warm both caches equally
        store.get_messages(thread, last=20)
        raw.execute(sql, [thread]).fetchall()
    ours_times, raw_times = [], []
    for thread in picks:  # interleaved, so that machine noise hits both sides alike
        start = time.perf_counter()
        store.get_messages(thread, last=20)
        ours_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        raw.execute(sql, [thread]).fetchall()
        raw_times.append(time.perf_counter() - start)
    ours_t, raw_t = statistics.median(ours_times), statistics.median(raw_times)
    store.close()
    raw.close()
    return ours_t, raw_t


def bench_sqlite_sync(creates: int, batch: int, repeats: int, tmp: Path) -> dict[str, tuple[float, float]]:
    """Median seconds per ``create()`` and per ``save_messages`` batch: {kind: (full, normal)}."""
    stores = {mode: SQLiteStore(tmp / f"sync_{mode}.sqlite", synchronous=mode) for mode in ("full", "normal")}
    times: dict[tuple[str, str], list[float]] = {}
    for store in stores.values():
        store.save_thread(Thread("t", "r"))
        store.create("notes", {"warm": True})
    for i in range(creates):
        for mode, store in stores.items():
            start = time.perf_counter()
            store.create("notes", {"i": i, "text": "a note"})
            times.setdefault(("create", mode), []).append(time.perf_counter() - start)
    for r in range(repeats):
        msgs = [StoredMessage(f"{r}-{i}", "t", "user", f"message {i}") for i in range(batch)]
        for mode, store in stores.items():
            start = time.perf_counter()
            store.save_messages(msgs)
            times.setdefault(("save", mode), []).append(time.perf_counter() - start)
    for store in stores.values():
        store.close()
    return {
        kind: (statistics.median(times[(kind, "full")]), statistics.median(times[(kind, "normal")]))
        for kind in ("create", "save")
    }


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print a table of ours vs. raw with ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, for a smoke run)")
    args = parser.parse_args(argv)
    batch, total, threads, repeats, queries = (
        (1_000, 50_000, 100, 5, 50) if args.quick else (10_000, 1_000_000, 1_000, 15, 300)
    )
    creates, sync_batch = (50, 1_000) if args.quick else (300, 1_000)
    with tempfile.TemporaryDirectory() as tmp:
        save_ours, save_raw = bench_save(batch, repeats, Path(tmp))
        get_ours, get_raw = bench_last20(total, threads, queries, Path(tmp))
        sync = bench_sqlite_sync(creates, sync_batch, repeats, Path(tmp))
    rows = [
        (
            f"DuckDBStore save_messages ({batch:,} msgs) vs raw DuckDB",
            f"{batch / save_ours:,.0f} msg/s",
            f"{batch / save_raw:,.0f} msg/s",
            f"{save_raw / save_ours:.2f}x throughput",
            "≥ 0.5x",
        ),
        (
            f"DuckDBStore get_messages last=20 (of {total:,}) vs raw DuckDB",
            f"{get_ours * 1e3:.2f} ms",
            f"{get_raw * 1e3:.2f} ms",
            f"{get_ours / get_raw:.2f}x latency",
            "≤ 2x",
        ),
        *(
            (
                f"SQLiteStore {label}, synchronous full vs normal",
                f"{full * 1e3:.2f} ms",
                f"{normal * 1e3:.2f} ms",
                f"{full / normal:.2f}x latency",
                "—",
            )
            for label, (full, normal) in (
                ("create()", sync["create"]),
                (f"save_messages ({sync_batch:,} msgs)", sync["save"]),
            )
        ),
    ]
    header = ("benchmark", "ours", "baseline", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
