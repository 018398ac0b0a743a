"""How much a response-cache hit costs, against an in-process dict memo and a model that answers instantly.

A cache hit replaces a network call of hundreds of milliseconds, so what matters is that a hit stays in the
sub-millisecond range even for long conversations. Rows: the time per ``generate`` call served from
``ResponseCache`` (DuckDB and SQLite, in memory and in a file), the baseline ``dict`` memo keyed the same
way, and the baseline of calling an instant ``FunctionModel`` with no cache at all.

Run: ``python benchmarks/cache_bench.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mastra_lab.llm.base import Message, ModelResponse, to_dict
from mastra_lab.llm.cache import CachedModel, ResponseCache, request_key
from mastra_lab.llm.testing import AgentInfo, FunctionModel


def _conversation(turns: int) -> list[Message]:
    messages = [Message.system("You are a helpful assistant. " * 5)]
    for i in range(turns):
        messages.append(Message.user(f"Question {i}: what is the weather like in city number {i}?"))
        messages.append(Message.assistant(f"Answer {i}: it is sunny with a light breeze. " * 3))
    messages.append(Message.user("And tomorrow?"))
    return messages


def _instant(messages: list[Message], info: AgentInfo) -> ModelResponse:
    return ModelResponse(text="Tomorrow looks the same. " * 10)


async def _time_per_call(fn: Callable[[], Awaitable[Any]], repeat: int) -> float:
    await fn()  # warm up (and fill the cache)
    start = time.perf_counter()
    for _ in range(repeat):
        await fn()
    return (time.perf_counter() - start) / repeat


async def _from_database(cached: CachedModel, messages: list[Message]) -> ModelResponse:
    cached.cache._recent.clear()  # forget the in-process copies, as a reopened cache would
    return await cached.generate(messages)


async def _bench(turns: int, repeat: int, tmp: Path) -> list[tuple[str, float]]:
    messages = _conversation(turns)
    model = FunctionModel(_instant)
    memo: dict[str, Any] = {}

    async def dict_memo() -> Any:
        key = request_key(model, "generate", messages)
        if key not in memo:
            memo[key] = to_dict(await model.generate(messages))
        return memo[key]

    rows = [
        ("no cache: instant FunctionModel", await _time_per_call(lambda: model.generate(messages), repeat)),
        ("baseline: dict memo, same key", await _time_per_call(dict_memo, repeat)),
    ]
    for backend in ("duckdb", "sqlite"):
        for path in (":memory:", str(tmp / f"bench_{turns}.{backend}")):
            with ResponseCache(path, backend=backend) as cache:  # type: ignore[arg-type]
                cached = CachedModel(model, cache)
                where = "memory" if path == ":memory:" else "file"
                seconds = await _time_per_call(lambda cached=cached: cached.generate(messages), repeat)
                rows.append((f"ResponseCache hit: {backend} {where}", seconds))
                if where == "file":  # what the first hit after reopening the file costs
                    seconds = await _time_per_call(
                        lambda cached=cached: _from_database(cached, messages), repeat
                    )
                    rows.append((f"  … read from the {backend} file", seconds))
    return rows


def main() -> None:
    """Print one table per conversation length, with each row's ratio to the dict memo."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    sizes, repeat = ((2, 20), 50) if args.quick else ((2, 20, 200), 500)
    with tempfile.TemporaryDirectory() as tmp:
        for turns in sizes:
            rows = asyncio.run(_bench(turns, repeat, Path(tmp)))
            baseline = rows[1][1]
            print(f"\nconversation of {2 * turns + 2} messages, {repeat} calls each")
            print(f"{'case':<36} {'µs/call':>10} {'× dict memo':>12}")
            for name, seconds in rows:
                print(f"{name:<36} {seconds * 1e6:>10.1f} {seconds / baseline:>12.2f}")


if __name__ == "__main__":
    main()
