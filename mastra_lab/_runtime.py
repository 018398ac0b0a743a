"""The background event loop behind every ``*_sync`` method.

Jupyter already runs an asyncio loop in the kernel's main thread, so ``asyncio.run`` fails there and
``nest_asyncio`` patches asyncio in ways that break other libraries. Instead, one daemon thread owns a
private loop for the whole process; ``run_sync`` submits a coroutine to it and blocks the caller until the
result is ready. That works the same from a script, from a notebook cell and from inside a running loop.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

__all__ = ["get_loop", "run_sync", "shutdown", "status"]

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
