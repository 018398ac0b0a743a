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

And the read that metrics, cost tables and plots start from:

* **query_spans** — ``query_spans()`` of 100,000 stored spans (10 per trace, GenAI attributes, a log event on
  one span in five) into a DataFrame with decoded JSON columns, UTC times and durations, vs. raw DuckDB
  fetching the same rows with ``.df()`` and decoding each JSON cell with ``json.loads``. Median latency;
  ratio ours / raw (target ≤ 1, and well under 2 s absolute).

Run: ``python benchmarks/storage_bench.py`` (``--quick`` for small sizes).
"""

from __future__ import annotations

import argparse
import gc
import json
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


_SPAN_FILL = (
    "INSERT INTO mastra_spans (span_id, trace_id, parent_span_id, name, type, status, attributes, input, "
    "output, error, start_time, end_time, seq, events) SELECT 's' || i, 't' || (i // 10), "
    "CASE WHEN i % 10 = 0 THEN NULL ELSE 's' || (i - i % 10) END, 'chat gpt-4o-mini', 'llm_generation', "
    "'ok', json_object('gen_ai.request.model', 'gpt-4o-mini', 'gen_ai.usage.input_tokens', i % 900, "
    "'gen_ai.usage.output_tokens', i % 300), 'null', 'null', NULL, "
    "TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_milliseconds(i * 10), "
    "TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_milliseconds(i * 10 + 7), i + 1, "
    "CASE WHEN i % 5 = 0 THEN ? ELSE '[]' END FROM range(?) t(i)"
)
_LOG_EVENT = json.dumps(
    [
        {
            "name": "log",
            "time": "2025-01-01T00:00:00.000001+00:00",
            "attributes": {"level": "INFO", "message": "retrying"},
        }
    ]
)


def bench_query_spans(total: int, repeats: int, tmp: Path) -> tuple[float, float]:
    """Median seconds to read ``total`` spans into a decoded DataFrame: (ours, raw DuckDB + json.loads)."""
    store = DuckDBStore(tmp / "spans.duckdb")
    with store.lock:
        store.connection.execute(_SPAN_FILL, [_LOG_EVENT, total])
    sql = (
        "SELECT trace_id, span_id, parent_span_id, name, type, status, start_time, end_time, attributes, "
        "input, output, error, events FROM mastra_spans ORDER BY start_time, seq"
    )

    def raw() -> object:
        with store.lock:
            frame = store.connection.execute(sql).df()
        for column in ("attributes", "input", "output", "error", "events"):
            frame[column] = [None if t is None else json.loads(t) for t in frame[column]]
        frame["duration_ms"] = (frame["end_time"] - frame["start_time"]).dt.total_seconds() * 1000.0
        return frame

    assert len(store.query_spans()) == total == len(raw())  # type: ignore[arg-type]
    ours_times, raw_times = [], []
    for _ in range(repeats):
        gc.collect()
        ours_times.append(_median_time(store.query_spans, 1))
        gc.collect()
        raw_times.append(_median_time(raw, 1))
    store.close()
    return statistics.median(ours_times), statistics.median(raw_times)


def main(argv: list[str] | None = None) -> int:
    """Run both benchmarks and print a table of ours vs. raw with ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds, for a smoke run)")
    args = parser.parse_args(argv)
    batch, total, threads, repeats, queries = (
        (1_000, 50_000, 100, 5, 50) if args.quick else (10_000, 1_000_000, 1_000, 15, 300)
    )
    creates, sync_batch = (50, 1_000) if args.quick else (300, 1_000)
    spans = 10_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        save_ours, save_raw = bench_save(batch, repeats, Path(tmp))
        get_ours, get_raw = bench_last20(total, threads, queries, Path(tmp))
        sync = bench_sqlite_sync(creates, sync_batch, repeats, Path(tmp))
        query_ours, query_raw = bench_query_spans(spans, min(repeats, 7), Path(tmp))
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
        (
            f"DuckDBStore query_spans ({spans:,} spans) vs raw DuckDB + json.loads",
            f"{query_ours * 1e3:.0f} ms",
            f"{query_raw * 1e3:.0f} ms",
            f"{query_ours / query_raw:.2f}x latency",
            "≤ 1x, < 2 s",
        ),
    ]
    header = ("benchmark", "ours", "baseline", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
