"""Runs in the background for a panel: start a coroutine on the runtime loop, redraw as its events arrive.

A workflow run may take minutes, and a panel that blocked the kernel for that long would freeze the
notebook. So a panel hands the run to the runtime loop and returns at once; each event of the run asks
for a redraw, and a worker thread does the redraws one at a time, folding the events that arrived
meanwhile into the next one (drawing a graph costs more than a fast step takes, and a redraw on the loop
itself would slow the run down). A mistake the library finds before the run begins (bad resume data, a
run that is not suspended) is still raised in the caller, since the caller waits until the run has
really begun.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any

from mastra_lab import _runtime

__all__ = ["BackgroundRun", "Redrawer"]


class Redrawer:
    """Calls ``redraw()`` on a worker thread after each :meth:`poke`, coalescing pokes that come in bursts.

    Args:
        redraw: What to call; it runs on the worker thread, never two at once.
        failed: Called with what ``redraw`` raised (the worker keeps going).
    """

    def __init__(self, redraw: Callable[[], None], failed: Callable[[BaseException], None]) -> None:
        self._redraw, self._failed = redraw, failed
        self._cond = threading.Condition()
        self._dirty = False
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        """Ask for a redraw (soon, on the worker thread)."""
        with self._cond:
            self._dirty = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="mastra-panel-redraw", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                if not self._dirty:
                    self._thread = None
                    self._cond.notify_all()
                    return
                self._dirty = False
            try:
                self._redraw()
            except Exception as exc:
                self._failed(exc)

    def wait_idle(self) -> None:
        """Block until every redraw asked for so far has been done."""
        with self._cond:
            self._cond.wait_for(lambda: self._thread is None)


class BackgroundRun:
    """One coroutine running on the runtime loop, with a redraw after each event and at the end.

    Args:
        coro: The run (``run.start(...)`` or ``run.resume(...)``).
        watch: Registers an event callback and returns the function that stops it (``run.watch``).
        redrawer: Poked on each event and when the run ends.
        ended: Called with the run's exception (``None`` when it returned), after the run ends.
    """

    def __init__(
        self,
        coro: Coroutine[Any, Any, Any],
        watch: Callable[[Callable[[Any], None]], Callable[[], None]],
        redrawer: Redrawer,
        ended: Callable[[BaseException | None], None],
    ) -> None:
        self._begun = threading.Event()
        self.started = False
        """The run sent its first event (so it got past the checks of its arguments)."""
        self.run_id: str | None = None
        """The id in the run's first event (a time-travel run has a new one)."""
        self._finished = threading.Event()
        self._redrawer, self._ended = redrawer, ended
        self._stop_watching = watch(self._on_event)
        self.future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, _runtime.get_loop())
        self.future.add_done_callback(self._on_done)

    def _on_event(self, event: Any) -> None:
        if getattr(event, "type", None) == "workflow-start" and not self.started:
            self.run_id = getattr(event, "run_id", None)
            self.started = True
            self._begun.set()
        self._redrawer.poke()

    def _on_done(self, future: Future[Any]) -> None:
        self._stop_watching()
        error = None if future.cancelled() else future.exception()
        try:
            self._ended(error if self.started else None)  # before the start, begin() raises it
        finally:
            self._begun.set()
            self._redrawer.poke()
            self._finished.set()

    def begin(self) -> None:
        """Wait until the run has begun (or ended); raise what it raised if it ended before beginning.

        ``start`` and ``resume`` check their arguments before the run's first event, so a mistake there
        arrives here, in the caller, with nothing changed.
        """
        self._begun.wait()
        if self.started:
            return
        self._finished.wait()
        error = None if self.future.cancelled() else self.future.exception()
        if error is not None:
            raise error

    @property
    def running(self) -> bool:
        return not self._finished.is_set()

    def wait(self) -> None:
        """Block until the run has ended and its last redraw is done."""
        self._finished.wait()
        self._redrawer.wait_idle()
