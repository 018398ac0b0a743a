"""The background event loop behind every ``*_sync`` method.

Jupyter already runs an asyncio loop in the kernel's main thread, so ``asyncio.run`` fails there and
``nest_asyncio`` patches asyncio in ways that break other libraries. Instead, one daemon thread owns a
private loop for the whole process; ``run_sync`` submits a coroutine to it and blocks the caller until the
result is ready. That works the same from a script, from a notebook cell and from inside a running loop.
``iterate_sync`` does the same for an async iterator (a streamed answer), handing its items over one by one.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import queue
import threading
from collections.abc import AsyncIterable, Coroutine, Generator
from typing import Any, Literal, TypeVar

__all__ = ["get_loop", "iterate_sync", "run_sync", "shutdown", "status"]

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _run_forever(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    loop.run_forever()


def get_loop() -> asyncio.AbstractEventLoop:
    """The runtime's loop, started on first use in a daemon thread named ``mastra-runtime``."""
    global _loop, _thread
    with _lock:
        if _loop is None or _loop.is_closed() or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            ready = threading.Event()
            thread = threading.Thread(
                target=_run_forever, args=(loop, ready), name="mastra-runtime", daemon=True
            )
            thread.start()
            ready.wait()
            _loop, _thread = loop, thread
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on the background loop and return its result (or raise its exception).

    Calling this from the runtime thread itself would deadlock, so that is refused with a clear error.
    """
    loop = get_loop()
    if threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError(
            "run_sync() was called from inside the mastra runtime loop; await the async method instead"
        )
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


_UNWIND_SECONDS = 5.0
"""How long closing an :func:`iterate_sync` generator early waits for the producer to run its cleanup."""


def iterate_sync(aiterable: AsyncIterable[T]) -> Generator[T, None, None]:
    """Iterate ``aiterable`` on the background loop and yield its items in the calling thread as they arrive.

    This is ``async for`` for code that cannot await (a magic, a script): the producer runs ahead on the
    loop and hands each item over through a queue, so the caller sees the first item as soon as it exists,
    however slowly the caller handles items. Ending early — ``break``, ``close()``, an exception in the
    caller, Ctrl-C while waiting for the next item — cancels the producer and waits (briefly) for its
    cleanup, so a streamed HTTP response is closed before this returns. An exception of the producer is
    raised here.

    Args:
        aiterable: The async iterable to drain, such as ``model.stream(messages)``.
    """
    loop = get_loop()
    if threading.current_thread() is _thread:
        raise RuntimeError(
            "iterate_sync() was called from inside the mastra runtime loop; use async for instead"
        )
    items: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()

    async def produce() -> None:
        try:
            async for item in aiterable:
                items.put(("item", item))
        except asyncio.CancelledError:
            items.put(("error", RuntimeError("the stream was cancelled (the runtime loop stopped)")))
            raise
        except Exception as exc:
            items.put(("error", exc))
        else:
            items.put(("done", None))

    async def start() -> asyncio.Task[None]:
        return asyncio.ensure_future(produce())

    task = asyncio.run_coroutine_threadsafe(start(), loop).result()
    ended = False
    try:
        while True:
            kind, value = items.get()
            if kind == "item":
                yield value
                continue
            ended = True
            if kind == "error":
                raise value
            return
    finally:
        if not ended:
            _stop(task, loop)


def _stop(task: asyncio.Task[None], loop: asyncio.AbstractEventLoop) -> None:
    """Cancel ``task`` and wait until it has finished unwinding (its ``finally`` blocks ran)."""

    async def stop() -> None:
        task.cancel()
        await asyncio.wait([task])

    with contextlib.suppress(TimeoutError):
        asyncio.run_coroutine_threadsafe(stop(), loop).result(timeout=_UNWIND_SECONDS)


def status() -> Literal["running", "stopped"]:
    """``"running"`` while the background loop thread is alive, else ``"stopped"``."""
    alive = _loop is not None and _loop.is_running() and _thread is not None and _thread.is_alive()
    return "running" if alive else "stopped"


def shutdown() -> None:
    """Stop the background loop; a later ``run_sync`` starts a new one."""
    global _loop, _thread
    with _lock:
        loop, thread = _loop, _thread
        _loop = _thread = None
    if loop is not None and thread is not None and thread.is_alive():
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        loop.close()


atexit.register(shutdown)
