"""The response cache answers repeated requests from DuckDB or SQLite files without asking the model again."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
from inline_snapshot import snapshot
from pydantic import BaseModel

from mastra_lab.errors import ConfigError, ProviderError, StorageError
from mastra_lab.llm.base import (
    ErrorEvent,
    FinishEvent,
    Message,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEvent,
    ToolDefinition,
    Usage,
    to_dict,
)
from mastra_lab.llm.cache import CachedModel, CacheStats, ResponseCache, request_key
from mastra_lab.llm.testing import AgentInfo, FunctionModel, TestModel, capture_messages

ADD = ToolDefinition("add", "Add two integers", {"type": "object", "properties": {"a": {"type": "integer"}}})
HELLO = [Message.system("Be brief."), Message.user("hello")]


class Counting:
    """A scripted model that counts how often it was really asked (generate and stream separately)."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls = 0
        self.streams = 0
        self.fail_times = fail_times
        self.model = FunctionModel(self.answer, self.stream, model_name="counting")

    def answer(self, messages: list[Message], info: AgentInfo) -> ModelResponse:
        self.calls += 1
        if self.calls <= self.fail_times:
            raise ProviderError("provider down")
        return ModelResponse(
            text=f"answer {self.calls}",
            tool_calls=[ToolCall("c1", "add", {"a": 1, "kind_of": ["x"]})],
            usage=Usage(7, 3, cached_input_tokens=2),
        )

    def stream(self, messages: list[Message], info: AgentInfo) -> Iterator[str | StreamEvent]:
        self.streams += 1
        yield f"streamed {self.streams} "
        yield "words"
        yield ToolCallDelta(0, "c1", "add", '{"a": 1}')
        yield ToolCallEvent(ToolCall("c1", "add", {"a": 1}))
        yield FinishEvent("tool_calls", Usage(4, 2))


@pytest.fixture(params=["duckdb", "sqlite"])
def cache_file(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    yield tmp_path / f"responses.{request.param}", request.param


@pytest.fixture
def cache(cache_file: tuple[Path, str]) -> Iterator[ResponseCache]:
    path, backend = cache_file
    with ResponseCache(path, backend=backend) as opened:  # type: ignore[arg-type]
        yield opened


async def collect(events: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in events]


async def test_second_identical_generate_is_a_hit_and_does_not_call_the_model(cache: ResponseCache) -> None:
    counting = Counting()
    model = CachedModel(counting.model, cache)

    first = await model.generate(HELLO, tools=[ADD], temperature=0)
    second = await model.generate(HELLO, tools=[ADD], temperature=0)

    assert counting.calls == 1
    assert (
        second
        == first
        == snapshot(
            ModelResponse(
                text="answer 1",
                tool_calls=[ToolCall(id="c1", name="add", arguments={"a": 1, "kind_of": ["x"]})],
                usage=Usage(input_tokens=7, output_tokens=3, total_tokens=10, cached_input_tokens=2),
                finish_reason="tool_calls",
                model="counting",
            )
        )
    )
    assert cache.stats() == CacheStats(hits=1, misses=1, entries=1)


async def test_second_identical_stream_replays_events_without_calling_the_model(cache: ResponseCache) -> None:
    counting = Counting()
    model = CachedModel(counting.model, cache)

    first = await collect(model.stream(HELLO, tools=[ADD]))
    second = await collect(model.stream(HELLO, tools=[ADD]))

    assert counting.streams == 1
    assert (
        second
        == first
        == snapshot(
            [
                TextDelta(text="streamed 1 "),
                TextDelta(text="words"),
                ToolCallDelta(index=0, id="c1", name="add", arguments_delta='{"a": 1}'),
                ToolCallEvent(tool_call=ToolCall(id="c1", name="add", arguments={"a": 1})),
                FinishEvent(
                    finish_reason="tool_calls",
                    usage=Usage(input_tokens=4, output_tokens=2, total_tokens=6),
                    model="counting",
                ),
            ]
        )
    )
    assert cache.stats() == CacheStats(hits=1, misses=1, entries=1)


async def test_generate_and_stream_of_the_same_request_are_cached_separately(cache: ResponseCache) -> None:
    counting = Counting()
    model = CachedModel(counting.model, cache)

    await model.generate(HELLO)
    await collect(model.stream(HELLO))

    assert (counting.calls, counting.streams) == (1, 1)
    assert cache.stats() == CacheStats(hits=0, misses=2, entries=2)


async def test_a_reopened_cache_file_still_answers(cache_file: tuple[Path, str]) -> None:
    path, backend = cache_file
    counting = Counting()
    with ResponseCache(path, backend=backend) as first:  # type: ignore[arg-type]
        stored = await CachedModel(counting.model, first).generate(HELLO)
        streamed = await collect(CachedModel(counting.model, first).stream(HELLO))

    with ResponseCache(path, backend=backend) as reopened:  # type: ignore[arg-type]
        again = await CachedModel(counting.model, reopened).generate(HELLO)
        replayed = await collect(CachedModel(counting.model, reopened).stream(HELLO))
        assert reopened.stats() == CacheStats(hits=2, misses=0, entries=2)

    assert (again, replayed) == (stored, streamed)
    assert (counting.calls, counting.streams) == (1, 1)


def test_a_rerun_notebook_cell_does_not_pay_twice(cache: ResponseCache) -> None:
    counting = Counting()
    model = CachedModel(counting.model, cache)

    for _ in range(3):  # the same cell, run three times
        answer = model.generate_sync([Message.user("summarise this")], max_tokens=20)

    assert answer.text == "answer 1"
    assert counting.calls == 1


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [Message.user("hello!")]},
        {"tools": [ADD]},
        {"tool_choice": "required"},
        {"output_schema": {"type": "object"}},
        {"temperature": 0.5},
    ],
    ids=["messages", "tools", "tool_choice", "output_schema", "settings"],
)
async def test_any_change_to_the_request_is_a_miss(change: dict[str, Any]) -> None:
    counting = Counting()
    model = CachedModel(counting.model, ResponseCache())
    request: dict[str, Any] = {"messages": HELLO, "temperature": 0}

    await model.generate(**request)
    await model.generate(**{**request, **change})

    assert counting.calls == 2


def test_request_key_is_a_stable_sha256_of_canonical_json() -> None:
    model = TestModel()

    key = request_key(model, "generate", HELLO, [ADD], settings={"temperature": 0, "max_tokens": 5})

    document = {
        "v": 1,
        "mode": "generate",
        "provider": "test",
        "model": "test",
        "messages": to_dict(HELLO),
        "tools": to_dict([ADD]),
        "tool_choice": "auto",
        "output_schema": None,
        "settings": {"max_tokens": 5, "temperature": 0},
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    assert key == hashlib.sha256(canonical.encode()).hexdigest()
    assert key == snapshot("1b37857d9e0409ce146d840388fa868e0de642a3dd5c42fbb7bdbae2c63283af")
    assert key == request_key(model, "generate", HELLO, [ADD], settings={"max_tokens": 5, "temperature": 0})
    assert key != request_key(model, "stream", HELLO, [ADD], settings={"temperature": 0, "max_tokens": 5})
    assert key != request_key(FunctionModel(lambda m, i: "", model_name="test"), "generate", HELLO, [ADD])


def test_request_key_treats_a_pydantic_class_like_its_json_schema() -> None:
    class Answer(BaseModel):
        value: int

    model = TestModel()

    assert request_key(model, "generate", HELLO, output_schema=Answer) == request_key(
        model, "generate", HELLO, output_schema=Answer.model_json_schema()
    )


async def test_cache_false_bypasses_and_refresh_overwrites(cache: ResponseCache) -> None:
    counting = Counting()
    model = CachedModel(counting.model, cache)
    await model.generate(HELLO)

    bypassed = await model.generate(HELLO, cache=False)
    assert (bypassed.text, cache.stats()) == ("answer 2", CacheStats(hits=0, misses=1, entries=1))

    refreshed = await model.generate(HELLO, cache="refresh")
    assert (await model.generate(HELLO)).text == refreshed.text == "answer 3"
    assert counting.calls == 3
    assert cache.stats() == CacheStats(hits=1, misses=2, entries=1)


async def test_cache_false_bypasses_streams_too(cache: ResponseCache) -> None:
    counting = Counting()
    model = CachedModel(counting.model, cache)

    await collect(model.stream(HELLO, cache=False))
    await collect(model.stream(HELLO, cache=False))

    assert counting.streams == 2
    assert cache.stats() == CacheStats(hits=0, misses=0, entries=0)


async def test_errors_are_never_cached(cache: ResponseCache) -> None:
    counting = Counting(fail_times=1)
    model = CachedModel(counting.model, cache)

    with pytest.raises(ProviderError, match="provider down"):
        await model.generate(HELLO)
    answer = await model.generate(HELLO)

    assert (answer.text, counting.calls) == ("answer 2", 2)
    assert cache.stats().entries == 1


async def test_error_finish_reason_is_not_cached(cache: ResponseCache) -> None:
    calls: list[int] = []

    def failing(messages: list[Message], info: AgentInfo) -> ModelResponse:
        calls.append(1)
        return ModelResponse(text="", finish_reason="error")

    model = CachedModel(FunctionModel(failing), cache)
    await model.generate(HELLO)
    await model.generate(HELLO)

    assert len(calls) == 2
    assert cache.stats().entries == 0


async def test_failed_and_abandoned_streams_are_not_cached(cache: ResponseCache) -> None:
    streams: list[int] = []

    def broken(messages: list[Message], info: AgentInfo) -> Iterator[str | StreamEvent]:
        streams.append(1)
        yield "partial"
        yield ErrorEvent(ProviderError("cut"), partial_text="partial")

    failing = CachedModel(FunctionModel(stream_fn=broken), cache)
    assert [e.kind for e in await collect(failing.stream(HELLO))] == ["text-delta", "error"]
    await collect(failing.stream(HELLO))
    assert len(streams) == 2

    counting = Counting()
    model = CachedModel(counting.model, cache)
    async with aclosing(model.stream(HELLO)) as events:
        async for _ in events:
            break  # the user stopped reading before the finish event
    await collect(model.stream(HELLO))
    assert counting.streams == 2
    assert cache.stats().entries == 1


async def test_capture_messages_sees_only_requests_that_reach_the_model(cache: ResponseCache) -> None:
    model = CachedModel(TestModel(text="hi"), cache)

    with capture_messages() as requests:
        await model.generate(HELLO)
        await model.generate(HELLO)

    assert [r.messages for r in requests] == [HELLO]


def test_cached_model_keeps_the_wrapped_models_identity() -> None:
    model = CachedModel(TestModel(), ResponseCache())

    assert (model.id, model.provider, model.model_name) == ("test:test", "test", "test")
    assert repr(model) == "CachedModel(TestModel(), cache=ResponseCache(path=':memory:', backend='duckdb'))"


def test_clear_and_to_df_list_entries(cache: ResponseCache) -> None:
    CachedModel(TestModel(text="a"), cache).generate_sync([Message.user("one")])
    CachedModel(TestModel(text="b"), cache).generate_sync([Message.user("two")])

    frame = cache.to_df()

    assert list(frame.columns) == ["key", "mode", "model", "created_at", "size"]
    assert frame[["mode", "model"]].to_dict("records") == [{"mode": "generate", "model": "test:test"}] * 2
    assert cache.clear() == 2
    assert cache.stats().entries == 0


def test_reprs_name_path_and_backend() -> None:
    assert repr(ResponseCache()) == "ResponseCache(path=':memory:', backend='duckdb')"
    assert repr(ResponseCache(backend="sqlite")) == "ResponseCache(path=':memory:', backend='sqlite')"
    assert repr(CacheStats(hits=2)) == "CacheStats(hits=2)"
    assert repr(CacheStats(1, 2, 3)) == "CacheStats(hits=1, misses=2, entries=3)"


def test_unknown_backend_names_the_choices() -> None:
    with pytest.raises(ConfigError, match="unknown response cache backend 'redis'; use 'duckdb' or 'sqlite'"):
        ResponseCache(backend="redis")  # type: ignore[arg-type]


def test_a_closed_cache_says_how_to_reopen_it() -> None:
    cache = ResponseCache()
    cache.close()

    with pytest.raises(StorageError, match=r"is closed; open a new ResponseCache\(':memory:'\)"):
        cache.stats()


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_a_file_that_is_not_a_database_raises_storage_error(tmp_path: Path, backend: str) -> None:
    path = tmp_path / "garbage.db"
    path.write_bytes(b"this is not a database file at all" * 200)

    with pytest.raises(StorageError, match=r"response cache at .*garbage\.db.* failed"):
        ResponseCache(path, backend=backend)  # type: ignore[arg-type]


def test_importing_the_cache_and_test_models_loads_no_database_or_pandas() -> None:
    code = (
        "import sys, mastra_lab.llm.cache, mastra_lab.llm.testing; "
        "print(sorted(m for m in ('duckdb', 'pandas', 'sqlite3', 'pydantic') if m in sys.modules))"
    )

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"
