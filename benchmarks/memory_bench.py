"""Memory benchmark: one agent-style memory turn, and recall latency, on a DuckDB file with many messages.

* **turn** — what an agent does with memory per run: ``prepare`` (load the last 10 messages, embed the user
  text, one semantic-recall query with its neighbour expansion) then ``save`` of 2 messages (embedded once,
  one ``save_messages``, one vector upsert), on a ``DuckDBStore`` file holding ``--messages`` messages over
  1,000 threads (target ≤ 10 ms).
* **recall** — ``Memory.recall(thread, query)`` at each size of ``--recall-sizes``.

The store is filled in bulk (``save_messages`` and ``upsert`` in batches) with the hashing embedder, so
loading stays quick; the per-turn work is the same for any embedder except the one query embedding.

Run: ``python benchmarks/memory_bench.py`` (``--quick`` for small sizes).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from mastra_lab.embed import HashingEmbedder
from mastra_lab.llm import Message
from mastra_lab.llm.base import to_dict
from mastra_lab.memory import Memory
from mastra_lab.storage import DuckDBStore, StoredMessage, Thread
from mastra_lab.storage.records import utcnow

THREADS = 1000
BATCH = 20_000


def _fill(memory: Memory, n: int) -> None:
    store, embedder, now = memory.storage, memory.embedder, utcnow()
    for t in range(THREADS):
        store.save_thread(Thread(f"t{t}", f"r{t % 100}"))
    memory.vector.create_index(memory.index, embedder=embedder)
    for start in range(0, n, BATCH):
        ids = range(start, min(n, start + BATCH))
        texts = [f"message {i} about topic {i % 97} and word{i % 1013}" for i in ids]
        rows = [
            StoredMessage(
                f"m{i}",
                f"t{i % THREADS}",
                "user" if i % 2 == 0 else "assistant",
                to_dict(Message.user(text).parts),
                now - timedelta(seconds=n - i),
                f"r{i % THREADS % 100}",
                "message",
                {"importance": 0.5},
            )
            for i, text in zip(ids, texts, strict=True)
        ]
        store.save_messages(rows)
        memory.vector.upsert(
            memory.index,
            embedder.embed(texts),
            metadata=[
                {"thread_id": r.thread_id, "resource_id": r.resource_id, "message_id": r.id} for r in rows
            ],
            ids=[r.id for r in rows],
        )


def _median_ms(fn: object, rounds: int) -> float:
    times = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i)  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _open(folder: Path, n: int) -> Memory:
    store = DuckDBStore(folder / f"memory_{n}.duckdb")
    memory = Memory(store, embedder=HashingEmbedder(), semantic_recall=dict(top_k=2, message_range=2))
    _fill(memory, n)
    return memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--recall-sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="10,000 messages, 10 rounds")
    args = parser.parse_args()
    if args.quick:
        args.messages, args.recall_sizes, args.rounds = 10_000, [10_000], 10
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        memory = _open(folder, args.messages)

        def turn(i: int) -> None:
            text = f"what did we say about topic {i % 97}?"
            memory.prepare_sync("t1", "r1", [Message.user(text)])
            memory.save_sync("t1", "r1", [Message.user(text), Message.assistant("we said a lot")])

        turn(-1)
        ms = _median_ms(turn, args.rounds)
        print(f"memory turn ({args.messages:,} messages, DuckDB): {ms:.2f} ms  (target <= 10 ms)")
        for n in args.recall_sizes:
            m = memory if n == args.messages else _open(folder, n)
            ms = _median_ms(lambda i, m=m: m.recall("t1", f"topic {i % 97}"), args.rounds)
            print(f"recall ({n:,} messages): {ms:.2f} ms")
            if m is not memory:
                m.storage.close()
        memory.storage.close()


if __name__ == "__main__":
    main()
