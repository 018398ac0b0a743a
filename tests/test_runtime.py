from __future__ import annotations

import asyncio
import threading

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
