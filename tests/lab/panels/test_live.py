"""Background runs for panels: redraws on a worker thread, and mistakes raised before a run begins."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mastra_lab.lab.panels._live import BackgroundRun, Redrawer
from mastra_lab.workflow import StepContext, Workflow, step


def test_redraws_happen_after_each_poke_and_a_failure_does_not_stop_them() -> None:
    drawn: list[int] = []
    failures: list[BaseException] = []

    def redraw() -> None:
        drawn.append(len(drawn))
        if len(drawn) == 1:
            raise ValueError("first redraw broke")

    redrawer = Redrawer(redraw, failures.append)
    redrawer.poke()
    redrawer.wait_idle()
    redrawer.poke()
    redrawer.wait_idle()
    assert drawn == [0, 1]
    assert [str(f) for f in failures] == ["first redraw broke"]


def test_begin_raises_what_the_run_raised_before_its_first_event() -> None:
    ended: list[BaseException | None] = []

    async def refused() -> None:
        raise ValueError("bad resume data")

    redrawer = Redrawer(lambda: None, lambda exc: None)
    background = BackgroundRun(refused(), lambda _cb: lambda: None, redrawer, ended.append)
    with pytest.raises(ValueError, match="bad resume data"):
        background.begin()
    background.wait()
    assert ended == [None] and not background.running and not background.started


def test_begin_returns_once_the_run_has_begun_and_wait_until_it_ended() -> None:
    gate = threading.Event()
    redraws: list[str] = []

    @step
    def held(ctx: StepContext) -> Any:
        gate.wait(60)
        return "done"

    wf = Workflow("held").then(held).commit()
    run = wf.create_run()
    redrawer = Redrawer(lambda: redraws.append(run.status), lambda exc: None)
    ended: list[BaseException | None] = []
    background = BackgroundRun(run.start(None), run.watch, redrawer, ended.append)
    background.begin()
    assert background.started and background.running and background.run_id == run.run_id
    gate.set()
    background.wait()
    assert ended == [None] and not background.running
    assert redraws[-1] == "success" and run.status == "success"
