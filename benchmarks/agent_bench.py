"""Agent and memory benchmark: one agent turn against pydantic-ai, memory turns and recall at scale.

    python benchmarks/agent_bench.py            # agent turn, memory turn at 100k, recall at 100k and 1M
    python benchmarks/agent_bench.py --quick    # small sizes, a smoke run
    python benchmarks/agent_bench.py --recall-sizes 100000

turn: the framework overhead of one agent turn with one tool call, both frameworks driven by a scripted
``FunctionModel`` (no network, no tokens), so all that is measured is the loop: building the request,
validating tool arguments, calling the tool, assembling the result. pydantic-ai is installed only in the
benchmark environment (``pip install pydantic-ai-slim``); without it the row says so. Target: ≤ 0.5× its time.
memory: a memory turn on a DuckDB file holding 100k messages (1,000 threads, 100 users; filled in bulk the way
``Memory.save`` stores them): load the last 10, semantic recall over the user's messages (top 2, ±2
neighbours), save a user and an assistant message (each embedded once) — against the same work written with
raw DuckDB SQL and a numpy top-k over the embedding matrix. Target: ≤ 10 ms.
recall: ``Memory.recall`` (what a turn would add to the prompt) at each size.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from mastra_lab import Agent, Mastra, Memory, tool
from mastra_lab.embed import HashingEmbedder
from mastra_lab.llm import FunctionModel, Message, ModelResponse, ToolCall
from mastra_lab.llm.base import to_dict
from mastra_lab.storage import DuckDBStore, StoredMessage, Thread
from mastra_lab.storage.records import utcnow

ROWS: list[tuple[str, str, str, str]] = []
TOPICS = ["invoice", "refund", "password", "shipping", "upgrade", "printer", "login", "export", "billing"]


def _row(name: str, ours: str, baseline: str, ratio: str) -> None:
    ROWS.append((name, ours, baseline, ratio))
    print(f"  {name:<56} {ours:>12} {baseline:>12} {ratio:>8}", flush=True)


def _ms_per_call(fn: Callable[[], Any], seconds: float = 2.0, warmup: int = 20) -> float:
    """Median of per-call times over about ``seconds``, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 5:
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def _ms_per_async_call(fn: Callable[[], Any], seconds: float = 2.0, warmup: int = 20) -> float:
    for _ in range(warmup):
        await fn()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(times) < 5:
        start = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


# -- one agent turn ---------------------------------------------------------------------------------------


def _weather(city: str) -> str:
    """The weather in a city.

    Args:
        city: The city's name.
    """
    return f"21 degrees in {city}"


def _our_turn_agent() -> Agent:
    def script(messages: list[Message], info: Any) -> ModelResponse:
        if messages[-1].role == "tool":
            return ModelResponse(text="It is 21 degrees.")
        return ModelResponse(tool_calls=[ToolCall("call_1", "weather", {"city": "Paris"})])

    return Agent(
        "weather", "You answer questions about the weather.", FunctionModel(script), tools=[tool(_weather)]
    )


def _pydantic_ai_turn() -> Callable[[], Any] | None:
    try:
        from pydantic_ai import Agent as PAIAgent
        from pydantic_ai.messages import ModelResponse as PAIResponse
        from pydantic_ai.messages import TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import FunctionModel as PAIFunctionModel
    except ImportError:
        return None

    def script(messages: list[Any], info: Any) -> Any:
        if any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            return PAIResponse(parts=[TextPart("It is 21 degrees.")])
        return PAIResponse(parts=[ToolCallPart("weather", {"city": "Paris"}, tool_call_id="call_1")])

    agent = PAIAgent(PAIFunctionModel(script), instructions="You answer questions about the weather.")
    agent.tool_plain(name="weather")(_weather)
    return lambda: agent.run("What is the weather in Paris?")


async def bench_turn(seconds: float) -> None:
    print("one agent turn with one tool call (FunctionModel)")
    agent = _our_turn_agent()
    result = await agent.generate("What is the weather in Paris?")
    assert result.text == "It is 21 degrees." and len(result.tool_results) == 1, result
    ours = await _ms_per_async_call(lambda: agent.generate("What is the weather in Paris?"), seconds)
    peer = _pydantic_ai_turn()
    if peer is None:
        _row("agent turn vs pydantic-ai (not installed)", f"{ours:.2f} ms", "-", "-")
        return
    theirs = await _ms_per_async_call(peer, seconds)
    _row(
        "agent turn, ours vs pydantic-ai (target <= 0.5x)",
        f"{ours:.2f} ms",
        f"{theirs:.2f} ms",
        f"{ours / theirs:.2f}x",
    )

    with Mastra() as m:
        traced = _our_turn_agent()
        m.add_agent(traced)
        traced_ms = await _ms_per_async_call(
            lambda: traced.generate("What is the weather in Paris?"), seconds
        )
    _row(
        "agent turn on a Mastra, traced to storage",
        f"{traced_ms:.2f} ms",
        f"{theirs:.2f} ms",
        f"{traced_ms / theirs:.2f}x",
    )


# -- memory at scale ----------------------------------------------------------------------------------------


THREADS = 1000
BATCH = 20_000


def _text(i: int) -> str:
    return f"message {i}: a question about my {TOPICS[i % len(TOPICS)]} number {i % 977} and what to do next"


def _fill(memory: Memory, n: int) -> None:
    """``n`` messages over :data:`THREADS` threads of 100 resources, written in bulk.

    Stored exactly as ``Memory.save`` stores them (rows through ``save_messages``, one vector per message
    with its thread, resource and message ids) but in batches, so filling a million takes a minute, not hours.
    """
    store, embedder, now = memory.storage, memory.embedder, utcnow()
    for t in range(THREADS):
        store.save_thread(Thread(f"thread-{t}", f"user-{t % 100}"))
    memory.vector.create_index(memory.index, embedder=embedder)
    for start in range(0, n, BATCH):
        ids = range(start, min(n, start + BATCH))
        texts = [_text(i) for i in ids]
        rows = [
            StoredMessage(
                f"m{i}",
                f"thread-{i % THREADS}",
                "user" if i % 2 == 0 else "assistant",
                to_dict(Message.user(text).parts),
                now - timedelta(seconds=n - i),
                f"user-{i % THREADS % 100}",
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


def _open_memory(path: Path, n: int) -> Memory:
    memory = Memory(
        DuckDBStore(str(path)),
        embedder=HashingEmbedder(),
        last_messages=10,
        semantic_recall={"top_k": 2, "message_range": 2, "scope": "resource"},
    )
    start = time.perf_counter()
    _fill(memory, n)
    print(f"    filled {n:,} messages in {time.perf_counter() - start:.1f} s", flush=True)
    return memory


def _raw_turn(
    con: duckdb.DuckDBPyConnection, matrix: np.ndarray, embedder: HashingEmbedder
) -> Callable[[], Any]:
    """A memory turn written directly: SQL for history, neighbours and inserts, numpy for top-k."""
    counter = itertools.count()

    def turn() -> None:
        n = next(counter)
        con.execute(
            "SELECT id, role, content FROM raw_messages WHERE thread_id = ? "
            "ORDER BY created_at DESC LIMIT 10",
            ["thread-1"],
        ).fetchall()
        scores = matrix @ embedder.embed([f"what about my refund? ({n})"])[0]
        top = [int(i) for i in np.argpartition(-scores, 2)[:2]]
        con.execute(
            "SELECT id, content FROM raw_messages WHERE seq BETWEEN ? AND ? OR seq BETWEEN ? AND ?",
            [top[0] - 2, top[0] + 2, top[1] - 2, top[1] + 2],
        ).fetchall()
        embedder.embed([f"what about my refund? ({n})", "here is what to do"])
        con.execute(
            "INSERT INTO raw_messages VALUES (-1, ?, 'thread-1', 'user', ?, now()), "
            "(-1, ?, 'thread-1', 'assistant', 'here is what to do', now())",
            [f"raw-{n}-u", f"what about my refund? ({n})", f"raw-{n}-a"],
        )

    return turn


def _raw_baseline(path: Path, n: int, embedder: HashingEmbedder, seconds: float) -> float:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE raw_messages (seq BIGINT, id VARCHAR PRIMARY KEY, thread_id VARCHAR, role VARCHAR, "
            "content VARCHAR, created_at TIMESTAMPTZ)"
        )
        texts = [_text(i) for i in range(n)]
        con.execute(
            f"INSERT INTO raw_messages SELECT i, 'm' || i, 'thread-' || (i % {THREADS}), "
            "CASE WHEN i % 2 = 0 THEN 'user' ELSE 'assistant' END, t, now() "
            "FROM (SELECT unnest(range(?)) AS i, unnest(?) AS t)",
            [n, texts],
        )
        return _ms_per_call(_raw_turn(con, embedder.embed(texts), embedder), seconds)
    finally:
        con.close()


def _memory_turn(memory: Memory) -> Callable[[], None]:
    counter = itertools.count()

    def turn() -> None:
        text = f"what about my refund? ({next(counter)})"
        prompt = memory.prepare_sync("thread-1", "user-1", [Message.user(text)])
        assert prompt.history and prompt.recalled, "history or recall came back empty"
        memory.save_sync("thread-1", "user-1", [*prompt.new, Message.assistant("here is what to do")])

    return turn


def bench_memory(turn_size: int, recall_sizes: list[int], seconds: float, workdir: Path) -> None:
    print("memory on a DuckDB file (HashingEmbedder, 384-d)")
    embedder = HashingEmbedder()
    for size in sorted({turn_size, *recall_sizes}):
        memory = _open_memory(workdir / f"memory-{size}.duckdb", size)
        if size == turn_size:
            ours = _ms_per_call(_memory_turn(memory), seconds)
            raw = _raw_baseline(workdir / f"raw-{size}.duckdb", size, embedder, seconds)
            _row(
                f"memory turn at {size:,} (target <= 10 ms)",
                f"{ours:.2f} ms",
                f"{raw:.2f} ms",
                f"{ours / raw:.2f}x",
            )
        if size in recall_sizes:
            recall = _ms_per_call(partial(memory.recall, "thread-1", "how do I get a refund?"), seconds)
            _row(f"recall at {size:,} messages", f"{recall:.2f} ms", "-", "-")
        memory.storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, short timings")
    parser.add_argument("--turn-size", type=int, help="messages stored for the memory turn (100,000)")
    parser.add_argument("--recall-sizes", type=int, nargs="+", help="message counts for recall (100k, 1M)")
    args = parser.parse_args()
    turn_size = args.turn_size or (10_000 if args.quick else 100_000)
    recall_sizes = args.recall_sizes or ([10_000] if args.quick else [100_000, 1_000_000])
    seconds = 0.5 if args.quick else 2.0
    print(f"{'':<58}{'ours':>12} {'baseline':>12} {'ratio':>8}")
    asyncio.run(bench_turn(seconds))
    with tempfile.TemporaryDirectory() as tmp:
        bench_memory(turn_size, recall_sizes, seconds, Path(tmp))
    print()
    print("| benchmark | ours | baseline | ratio |")
    print("|---|---:|---:|---:|")
    for name, ours, baseline, ratio in ROWS:
        print(f"| {name} | {ours} | {baseline} | {ratio} |")


if __name__ == "__main__":
    main()
