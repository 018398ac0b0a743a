from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import closing

import pytest

from mastra_lab import _runtime


async def _where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_run_sync_runs_the_coroutine_on_the_background_loop() -> None:
    assert _runtime.run_sync(_where()) == "mastra-runtime"
    assert _runtime.status() == "running"


def test_run_sync_works_inside_an_already_running_loop_as_in_jupyter() -> None:
    async def cell() -> str:
        # A notebook cell runs while the kernel's loop is running; asyncio.run would fail here.
        return _runtime.run_sync(_where())

    assert asyncio.run(cell()) == "mastra-runtime"


def test_exceptions_cross_back_to_the_caller() -> None:
    async def boom() -> None:
        raise ValueError("inside the loop")

    with pytest.raises(ValueError, match="inside the loop"):
        _runtime.run_sync(boom())


def test_calling_run_sync_from_the_runtime_thread_is_refused_instead_of_deadlocking() -> None:
    async def nested() -> None:
        _runtime.run_sync(_where())

    with pytest.raises(RuntimeError, match="await the async method instead"):
        _runtime.run_sync(nested())


def test_shutdown_stops_the_loop_and_the_next_call_starts_a_new_one() -> None:
    _runtime.run_sync(_where())
    _runtime.shutdown()
    assert _runtime.status() == "stopped"
    assert _runtime.run_sync(_where()) == "mastra-runtime"
    assert _runtime.status() == "running"


async def _numbers(upto: int) -> AsyncIterator[tuple[int, str]]:
    for i in range(upto):
        await asyncio.sleep(0)
        yield i, threading.current_thread().name


def test_iterate_sync_yields_the_items_in_order_from_the_background_loop() -> None:
    assert list(_runtime.iterate_sync(_numbers(3))) == [(i, "mastra-runtime") for i in range(3)]


def test_iterate_sync_works_inside_an_already_running_loop_as_in_jupyter() -> None:
    async def cell() -> list[int]:
        return [i for i, _ in _runtime.iterate_sync(_numbers(2))]

    assert asyncio.run(cell()) == [0, 1]


def test_iterate_sync_hands_over_each_item_before_the_producer_goes_on() -> None:
    seen_first = threading.Event()

    async def waits_for_the_caller() -> AsyncIterator[str]:
        yield "first"
        # The caller sets seen_first only once it holds "first": a buffering bridge would wait here forever.
        ok = await asyncio.to_thread(seen_first.wait, 10)
        yield "second" if ok else "the caller never saw the first item"

    items = _runtime.iterate_sync(waits_for_the_caller())
    assert next(items) == "first"
    seen_first.set()
    assert list(items) == ["second"]


def test_ending_iterate_sync_early_cancels_the_producer_and_waits_for_its_cleanup() -> None:
    cleaned: list[str] = []

    async def endless() -> AsyncIterator[int]:
        try:
            i = 0
            while True:
                yield i
                i += 1
                await asyncio.sleep(0.01)
        finally:
            cleaned.append(threading.current_thread().name)

    with closing(_runtime.iterate_sync(endless())) as items:
        for i in items:
            if i == 2:
                break
    # close() returns only after the producer was cancelled and its finally block ran.
    assert cleaned == ["mastra-runtime"]


def test_iterate_sync_raises_the_producers_exception_after_its_items() -> None:
    async def fails() -> AsyncIterator[int]:
        yield 1
        raise ValueError("mid-stream")

    got: list[int] = []
    with pytest.raises(ValueError, match="mid-stream"):
        for i in _runtime.iterate_sync(fails()):
            got.append(i)
    assert got == [1]


def test_calling_iterate_sync_from_the_runtime_thread_is_refused() -> None:
    async def nested() -> None:
        next(_runtime.iterate_sync(_numbers(1)))

    with pytest.raises(RuntimeError, match="use async for instead"):
        _runtime.run_sync(nested())
