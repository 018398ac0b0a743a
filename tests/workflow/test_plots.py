"""The step graph, checked on the artists of the Figure ``plot_workflow`` returns."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from mastra_lab.errors import WorkflowError
from mastra_lab.mastra import Mastra
from mastra_lab.storage import DuckDBStore
from mastra_lab.workflow import Step, StepContext, Workflow, plot_workflow
from mastra_lab.workflow.plots import NEUTRAL_COLOR, STATUS_COLORS


def _patches(figure: Figure, kind: str) -> dict[str, Patch]:
    """``{path: patch}`` of the patches whose gid is ``kind:path``."""
    (ax,) = figure.axes
    prefix = f"{kind}:"
    return {str(p.get_gid())[len(prefix) :]: p for p in ax.patches if str(p.get_gid()).startswith(prefix)}


def _faces(figure: Figure) -> dict[str, str]:
    return {path: to_hex(p.get_facecolor()) for path, p in _patches(figure, "step").items()}


def _texts(figure: Figure) -> list[str]:
    return [t.get_text() for t in figure.axes[0].texts]


def _gate(ctx: StepContext) -> str:
    if ctx.resume_data is None:
        ctx.suspend({"why": "needs approval"})
    return f"opened {ctx.resume_data}"


def _count(ctx: StepContext) -> int:
    return ctx.input + 1 if isinstance(ctx.input, int) else 1


def _every_shape() -> Workflow:
    def is_big(value: Any) -> bool:
        return True

    return (
        Workflow("shapes")
        .then(Step("fetch", lambda ctx: [1, 2, 3, 4, 5]))
        .foreach(Step("each", lambda ctx: ctx.input * 2), concurrency=2)
        .parallel([Step("fast", lambda ctx: "fast"), Step("gate", _gate)])
        .branch([(is_big, Step("big", lambda ctx: 1)), (lambda value: False, Step("small", lambda ctx: 2))])
        .dountil(Step("count", _count), lambda out, i: out >= 3)
        .sleep(0)
        .map(lambda ctx: "done", id="finish")
        .commit()
    )


def test_without_a_run_every_step_is_one_neutral_box_and_each_shape_is_drawn() -> None:
    wf = _every_shape()
    figure = plot_workflow(wf)
    assert isinstance(figure, Figure)
    faces = _faces(figure)
    assert (
        set(faces) == set(wf.step_ids) == {"fetch", "each", "fast", "gate", "big", "small", "count", "finish"}
    )
    assert set(faces.values()) == {NEUTRAL_COLOR}
    assert set(_patches(figure, "loop")) == {"count"}
    assert set(_patches(figure, "foreach")) == {"each"}
    assert set(_patches(figure, "sleep")) == {"sleep:5"}
    texts = _texts(figure)
    assert {"foreach, c=2", "dountil", "parallel", "branch", "if is_big", "if #2", "sleep 0s"} <= set(texts)
    assert figure.axes[0].get_legend() is None
    fans = {str(line.get_gid()) for line in figure.axes[0].lines}
    assert fans == {"parallel:parallel:2", "branch:branch:3"}


def test_step_colours_follow_a_real_run_that_suspends_one_parallel_branch(tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(str(tmp_path / "runs.duckdb"))) as m:
        wf = _every_shape()
        m.add_workflow(wf)
        run = wf.create_run()
        result = run.start_sync()
        assert (result.status, result.suspended) == ("suspended", ["gate"])
        expected = {
            "fetch": "success",
            "each": "success",
            "fast": "success",
            "gate": "suspended",
            "big": "not run",
            "small": "not run",
            "count": "not run",
            "finish": "not run",
        }
        for given in (result, run, run.run_id):
            figure = plot_workflow(wf, given)
            assert _faces(figure) == {k: STATUS_COLORS[v] for k, v in expected.items()}
            legend = figure.axes[0].get_legend()
            assert [t.get_text() for t in legend.get_texts()] == ["success", "suspended", "not run"]
            assert "foreach ×5, c=2" in _texts(figure)
            assert figure.axes[0].get_title(loc="left").endswith(f"run {run.run_id[:12]} · suspended")
        done = run.resume_sync(resume_data="ok")
        figure = plot_workflow(wf, run.run_id)
        assert done.status == "success"
        ran = {k: STATUS_COLORS["success"] for k in expected if k != "small"}
        assert _faces(figure) == {**ran, "small": STATUS_COLORS["not run"]}


def test_a_failed_step_is_red_and_shows_its_attempts() -> None:
    def broken(ctx: StepContext) -> None:
        raise RuntimeError("boom")

    wf = Workflow("breaks").then(Step("ok", lambda ctx: 1)).then(Step("broken", broken, retries=1)).commit()
    result = wf.create_run().start_sync()
    figure = plot_workflow(wf, result)
    assert _faces(figure) == {"ok": STATUS_COLORS["success"], "broken": STATUS_COLORS["failed"]}
    assert "failed · 2 attempts" in _texts(figure)


def test_an_unknown_run_id_or_a_wrong_run_argument_is_a_workflow_error() -> None:
    wf = Workflow("tiny").then(Step("a", lambda ctx: 1)).commit()
    with pytest.raises(WorkflowError, match="workflow 'tiny' has no stored run 'nope'") as info:
        plot_workflow(wf, "nope")
    assert info.value.code == "WORKFLOW_UNKNOWN_RUN"
    with pytest.raises(
        WorkflowError, match="run must be a WorkflowResult, a WorkflowRun or a run id, got 42"
    ):
        plot_workflow(wf, 42)  # type: ignore[arg-type]


def _centre(patch: Patch) -> tuple[float, float]:
    x, y = patch.get_window_extent().get_points().mean(axis=0)
    return float(x), float(y)


def test_a_nested_workflow_is_a_group_box_holding_its_steps_coloured_from_a_real_run(tmp_path: Path) -> None:
    def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({"draft": ctx.input})
        return ctx.resume_data

    child = Workflow("review").then(Step("polish", lambda ctx: str(ctx.input).strip())).then(Step("ask", ask))
    wf = Workflow("publish").then(Step("write", lambda ctx: " draft "))
    wf.parallel([child.commit(), Step("notify", lambda ctx: "sent")]).then(Step("ship", lambda ctx: "ok"))
    with Mastra(storage=DuckDBStore(str(tmp_path / "runs.duckdb"))) as m:
        m.add_workflow(wf.commit())
        result = wf.create_run().start_sync()
        assert result.suspended == ["review.ask"]
        figure = plot_workflow(wf, result.run_id)
    groups = _patches(figure, "group")
    assert set(groups) == {"review"}
    assert to_hex(groups["review"].get_facecolor()) == STATUS_COLORS["suspended"]
    assert _faces(figure) == {
        "write": STATUS_COLORS["success"],
        "review.polish": STATUS_COLORS["success"],
        "review.ask": STATUS_COLORS["suspended"],
        "notify": STATUS_COLORS["success"],
        "ship": STATUS_COLORS["not run"],
    }
    assert "workflow review · suspended" in _texts(figure)
    box, boxes = groups["review"].get_window_extent(), _patches(figure, "step")
    assert all(box.contains(*_centre(boxes[k])) == k.startswith("review.") for k in boxes)


def test_it_draws_into_given_axes_and_renders_to_png_with_agg() -> None:
    wf = _every_shape()
    figure = Figure()
    ax = figure.add_subplot()
    assert plot_workflow(wf, ax=ax) is figure
    assert len(_faces(figure)) == len(wf.step_ids)
    png = io.BytesIO()
    FigureCanvasAgg(plot_workflow(wf)).print_png(png)
    assert png.getvalue().startswith(b"\x89PNG\r\n\x1a\n") and len(png.getvalue()) > 5_000


def test_importing_the_workflow_package_and_the_name_does_not_import_matplotlib() -> None:
    code = (
        "import sys, mastra_lab.workflow as w; w.Workflow; w.plot_workflow;print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
