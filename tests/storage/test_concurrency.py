"""Many threads writing through one store: every message lands, nothing raises (DuckDB and SQLite files, and
PostgreSQL, where the threads take connections of the store's pool)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from mastra_lab.storage import Storage, StoredMessage, Thread

THREADS, CALLS = 10, 200


def test_ten_threads_saving_messages_lose_nothing(shared_store: Storage) -> None:
    store = shared_store
    store.save_thread(Thread("t", "r"))

    def worker(w: int) -> int:
        for i in range(CALLS):
            store.save_messages([StoredMessage(f"w{w}-{i}", "t", "user", f"message {i} of worker {w}")])
        return w

    with ThreadPoolExecutor(THREADS) as pool:
        assert sorted(pool.map(worker, range(THREADS))) == list(range(THREADS))

    messages = store.get_messages("t")
    assert len(messages) == THREADS * CALLS
    assert {m.id for m in messages} == {f"w{w}-{i}" for w in range(THREADS) for i in range(CALLS)}
    for w in range(THREADS):  # each worker's messages keep their order
        mine = [m.id for m in messages if m.id.startswith(f"w{w}-")]
        assert mine == [f"w{w}-{i}" for i in range(CALLS)]
