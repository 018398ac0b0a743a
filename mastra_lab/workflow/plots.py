"""``plot_workflow``: a workflow's step graph, left to right, each step coloured by its status in a run.

The picture follows :attr:`Workflow.nodes`: a sequence of boxes joined by arrows; ``parallel`` and
``branch`` fan out from a split point and back into a join point (a branch's edges name their conditions);
``dowhile`` / ``dountil`` get a back-edge over their step; ``foreach`` shows stacked copies of its step with
the item count and concurrency; sleeps are small grey boxes; a step that runs a nested workflow is a
dashed group box holding that workflow's own graph. matplotlib is imported inside :func:`plot_workflow`,
and the figure is a :class:`matplotlib.figure.Figure` made without ``pyplot``, so it renders headless.

Every artist that stands for something carries a ``gid``: ``step:<path>`` for a step box (``path`` is the
dotted key of :attr:`WorkflowResult.steps`, ``outer.inner`` inside a nested workflow), ``group:<path>``
for a nested workflow, ``loop:<path>``, ``foreach:<path>``, ``sleep:<key>``; tests and panels find the
parts of the picture by them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import WorkflowError
from mastra_lab.workflow.builder import Workflow
from mastra_lab.workflow.graph import Node
from mastra_lab.workflow.run import WorkflowResult, WorkflowRun
from mastra_lab.workflow.steps import Step

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["NEUTRAL_COLOR", "STATUS_COLORS", "plot_workflow"]

STATUS_COLORS: dict[str, str] = {
    "success": "#8fd19e",
    "failed": "#ef9a9a",
    "suspended": "#ffd54f",
    "running": "#90caf9",
    "canceled": "#bdbdbd",
    "not run": "#ffffff",
}
"""Face colour of a step box for each status of the step in the plotted run."""

NEUTRAL_COLOR = "#e3eaf2"
"""Face colour of step boxes when no run is plotted."""

_EDGE = "#455a64"
_STEP_W, _STEP_H = 2.3, 0.8
_SMALL_W, _SMALL_H = 1.4, 0.5
_GAP_X, _GAP_Y = 0.8, 0.35
_FAN = 0.6  # from a split point to its steps, and from them to the join point
_PAD, _TITLE = 0.25, 0.45  # group box padding and title strip
_ARC = 0.6  # room above a loop for its back-edge
_LABEL = 0.35  # room above a foreach for its label
_SHADOW = 0.12  # offset of each stacked copy behind a foreach box
_MAX_LABEL = 20

Point = tuple[float, float]


def _short(text: str, limit: int = _MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Canvas:
    """The axes being drawn on, the statuses of the plotted run (``None``: no run), what was drawn."""

    ax: Axes
    statuses: Mapping[str, str] | None
    attempts: Mapping[str, int] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)

    def status(self, path: str) -> str | None:
        if self.statuses is None:
            return None
        status = self.statuses.get(path, "not run")
        self.shown.add(status)
        return status

    def face(self, path: str) -> str:
        status = self.status(path)
        return NEUTRAL_COLOR if status is None else STATUS_COLORS.get(status, STATUS_COLORS["not run"])

    def box(self, x: float, top: float, w: float, h: float, **style: Any) -> None:
        from matplotlib.patches import FancyBboxPatch

        style.setdefault("boxstyle", "round,pad=0,rounding_size=0.12")
        style.setdefault("edgecolor", _EDGE)
        self.ax.add_patch(FancyBboxPatch((x, top), w, h, **style))

    def arrow(self, a: Point, b: Point, head: bool = True, **style: Any) -> None:
        from matplotlib.patches import FancyArrowPatch

        style.setdefault("color", _EDGE)
        arrowstyle = "-|>" if head else "-"
        patch = FancyArrowPatch(a, b, arrowstyle=arrowstyle, mutation_scale=10, linewidth=1, **style)
        self.ax.add_patch(patch)

    def text(self, x: float, y: float, text: str, **style: Any) -> None:
        style.setdefault("ha", "center")
        style.setdefault("va", "center")
        style.setdefault("fontsize", 8)
        self.ax.text(x, y, text, **style)


class _Block:
    """A drawable piece of the graph: its size, and the height (from its top) of its entry and exit."""

    width: float
    height: float
    anchor: float

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        """Draw with the top-left corner at ``(x, top)``; the entry and exit points."""
        raise NotImplementedError


class _StepBox(_Block):
    def __init__(self, step: Step, path: str) -> None:
        self.step, self.path = step, path
        self.width, self.height, self.anchor = _STEP_W, _STEP_H, _STEP_H / 2

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        status = canvas.status(self.path)
        canvas.box(x, top, self.width, self.height, facecolor=canvas.face(self.path), gid=f"step:{self.path}")
        mid = top + self.anchor
        label = _short(self.step.id)
        if status is None:
            canvas.text(x + self.width / 2, mid, label, fontsize=9)
        else:
            tries = canvas.attempts.get(self.path, 0)
            detail = status if tries <= 1 else f"{status} · {tries} attempts"
            canvas.text(x + self.width / 2, mid - 0.13, label, fontsize=9)
            canvas.text(x + self.width / 2, mid + 0.2, detail, fontsize=7, color="#37474f")
        return (x, mid), (x + self.width, mid)


class _Small(_Block):
    """A sleep: a small grey box with what it waits for."""

    def __init__(self, label: str, gid: str) -> None:
        self.label, self.gid = label, gid
        self.width = max(_SMALL_W, 0.09 * len(label) + 0.3)
        self.height, self.anchor = _SMALL_H, _SMALL_H / 2

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        canvas.box(
            x,
            top,
            self.width,
            self.height,
            facecolor="#eceff1",
            edgecolor="#90a4ae",
            linestyle=":",
            gid=self.gid,
        )
        mid = top + self.anchor
        canvas.text(x + self.width / 2, mid, self.label, fontsize=7, color="#546e7a")
        return (x, mid), (x + self.width, mid)


class _Sequence(_Block):
    """Blocks left to right, joined by arrows, their entries and exits on one line."""

    def __init__(self, blocks: Sequence[_Block]) -> None:
        self.blocks = list(blocks)
        above = max((b.anchor for b in self.blocks), default=_STEP_H / 2)
        below = max((b.height - b.anchor for b in self.blocks), default=_STEP_H / 2)
        self.width = sum(b.width for b in self.blocks) + _GAP_X * max(len(self.blocks) - 1, 0)
        self.height, self.anchor = above + below, above

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        entry = exit_ = (x, top + self.anchor)
        for i, block in enumerate(self.blocks):
            start, end = block.draw(canvas, x, top + self.anchor - block.anchor)
            if i == 0:
                entry = start
            else:
                canvas.arrow(exit_, start)
            exit_ = end
            x += block.width + _GAP_X
        return entry, exit_


class _Fan(_Block):
    """``parallel`` / ``branch``: a split point, the steps stacked, a join point."""

    def __init__(self, kind: str, key: str, blocks: Sequence[_Block], labels: Sequence[str] = ()) -> None:
        self.kind, self.key, self.blocks, self.labels = kind, key, list(blocks), list(labels)
        self.fan = _FAN * 2 if self.labels else _FAN
        self.width = max(b.width for b in self.blocks) + 2 * self.fan
        self.height = sum(b.height for b in self.blocks) + _GAP_Y * (len(self.blocks) - 1)
        self.anchor = self.height / 2

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        split, join = (x, top + self.anchor), (x + self.width, top + self.anchor)
        inner = self.width - 2 * self.fan
        y = top
        for i, block in enumerate(self.blocks):
            left = x + self.fan + (inner - block.width) / 2
            start, end = block.draw(canvas, left, y)
            canvas.arrow(split, start)
            canvas.arrow(end, join, head=False)
            if i < len(self.labels):
                at = (split[0] + 0.6 * (start[0] - split[0]), split[1] + 0.6 * (start[1] - split[1]) - 0.1)
                canvas.text(*at, self.labels[i], fontsize=6, color="#37474f")
            y += block.height + _GAP_Y
        for point in (split, join):
            canvas.ax.plot(*point, marker="o", markersize=5, color=_EDGE, gid=f"{self.kind}:{self.key}")
        canvas.text(split[0], split[1] + 0.2, self.kind, fontsize=6, color="#546e7a", ha="center", va="top")
        return split, join


class _Loop(_Block):
    """``dowhile`` / ``dountil``: the step with a back-edge over it, labelled with the loop's kind."""

    def __init__(self, kind: str, path: str, inner: _Block) -> None:
        self.kind, self.path, self.inner = kind, path, inner
        self.width, self.height = inner.width, inner.height + _ARC
        self.anchor = inner.anchor + _ARC

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        entry, exit_ = self.inner.draw(canvas, x, top + _ARC)
        inset = min(0.4, self.width / 4)
        canvas.arrow(
            (x + self.width - inset, top + _ARC),
            (x + inset, top + _ARC),
            connectionstyle="arc3,rad=0.35",
            gid=f"loop:{self.path}",
        )
        canvas.text(x + self.width / 2, top + 0.12, self.kind, fontsize=7, style="italic", color="#37474f")
        return entry, exit_


class _Foreach(_Block):
    """``foreach``: stacked copies of the step, labelled ``foreach ×N, c=C``."""

    def __init__(self, path: str, inner: _Block, concurrency: int, count: int | None) -> None:
        self.path, self.inner = path, inner
        items = "" if count is None else f" ×{count}"
        self.label = f"foreach{items}, c={concurrency}"
        self.width = inner.width + 2 * _SHADOW
        self.height = inner.height + _LABEL + 2 * _SHADOW
        self.anchor = _LABEL + inner.anchor

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        body = top + _LABEL
        for k in (2, 1):
            canvas.box(
                x + k * _SHADOW,
                body + k * _SHADOW,
                self.inner.width,
                self.inner.height,
                facecolor="#f5f5f5",
                gid=f"foreach:{self.path}" if k == 2 else None,
            )
        entry, exit_ = self.inner.draw(canvas, x, body)
        canvas.text(x, top + _LABEL / 2, self.label, fontsize=7, ha="left", color="#37474f")
        return entry, exit_


class _Group(_Block):
    """A step running a nested workflow: a dashed box titled with it, holding its graph."""

    def __init__(self, step: Step, path: str, child: Workflow, inner: _Block) -> None:
        self.step, self.path, self.child, self.inner = step, path, child, inner
        self.width = inner.width + 2 * _PAD
        self.height = inner.height + 2 * _PAD + _TITLE
        self.anchor = _TITLE + _PAD + inner.anchor

    def draw(self, canvas: _Canvas, x: float, top: float) -> tuple[Point, Point]:
        status = canvas.status(self.path)
        face = NEUTRAL_COLOR if status is None else STATUS_COLORS.get(status, STATUS_COLORS["not run"])
        canvas.box(
            x,
            top,
            self.width,
            self.height,
            facecolor=face,
            alpha=0.35,
            linestyle="--",
            gid=f"group:{self.path}",
        )
        title = self.step.id if self.child.id == self.step.id else f"{self.step.id} ({self.child.id})"
        suffix = "" if status is None else f" · {status}"
        canvas.text(x + 0.12, top + _TITLE / 2 + 0.04, f"workflow {_short(title, 40)}{suffix}", ha="left")
        start, end = self.inner.draw(canvas, x + _PAD, top + _TITLE + _PAD)
        mid = top + self.anchor
        canvas.arrow((x, mid), start)
        canvas.arrow(end, (x + self.width, mid), head=False)
        return (x, mid), (x + self.width, mid)


def _condition_label(fn: Any, i: int) -> str:
    name = getattr(fn, "__name__", "")
    return f"if {_short(name, 16)}" if name and name != "<lambda>" else f"if #{i + 1}"


def _item_count(result: WorkflowResult | None, path: str) -> int | None:
    if result is None:
        return None
    done = result.steps.get(path)
    if done is not None and isinstance(done.output, list):
        return len(done.output)
    given = (getattr(result, "inputs", None) or {}).get(path)
    return len(given) if isinstance(given, list) else None


def _step_block(step: Step, path: str, result: WorkflowResult | None) -> _Block:
    child = getattr(step, "workflow", None)
    if isinstance(child, Workflow):
        return _Group(step, path, child, _layout(child, f"{path}.", result))
    return _StepBox(step, path)


def _node_block(node: Node, prefix: str, result: WorkflowResult | None) -> _Block:
    if node.kind in ("sleep", "sleep_until"):
        if node.kind == "sleep":
            label = f"sleep {node.seconds:g}s"
        else:
            label = "until " + (node.until.strftime("%Y-%m-%d %H:%M") if node.until else "?")
        return _Small(label, f"sleep:{prefix}{node.key}")
    blocks = [_step_block(s, prefix + s.id, result) for s in node.steps]
    if node.kind in ("parallel", "branch"):
        labels = [_condition_label(c, i) for i, c in enumerate(node.conditions)]
        return _Fan(node.kind, prefix + node.key, blocks, labels)
    path = prefix + node.steps[0].id
    if node.kind in ("dowhile", "dountil"):
        return _Loop(node.kind, path, blocks[0])
    if node.kind == "foreach":
        return _Foreach(path, blocks[0], node.concurrency, _item_count(result, path))
    return blocks[0]


def _layout(wf: Workflow, prefix: str, result: WorkflowResult | None) -> _Block:
    return _Sequence([_node_block(n, prefix, result) for n in wf.nodes])


def _resolve(wf: Workflow, run: Any) -> WorkflowResult | None:
    if run is None or isinstance(run, WorkflowResult):
        result = run
    elif isinstance(run, WorkflowRun):
        result = run.result
    elif isinstance(run, str):
        result = wf.get_run(run)
        if result is None:
            raise WorkflowError(
                f"workflow {wf.id!r} has no stored run {run!r}; list its runs with wf.list_runs()",
                code="WORKFLOW_UNKNOWN_RUN",
                details={"workflow": wf.id, "run_id": run},
            )
    else:
        raise WorkflowError(
            f"plot_workflow(): run must be a WorkflowResult, a WorkflowRun or a run id, got {run!r}",
            code="WORKFLOW_BAD_RUN",
        )
    owner = getattr(result, "workflow", None)
    if isinstance(owner, str) and owner and owner != wf.id:
        raise WorkflowError(
            f"run {result.run_id!r} belongs to workflow {owner!r}, not {wf.id!r}",  # type: ignore[union-attr]
            code="WORKFLOW_BAD_RUN",
            details={"workflow": wf.id, "run_workflow": owner},
        )
    return result


def _legend(canvas: _Canvas) -> None:
    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=color, edgecolor=_EDGE, label=status)
        for status, color in STATUS_COLORS.items()
        if status in canvas.shown
    ]
    canvas.ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def plot_workflow(
    wf: Workflow, run: WorkflowResult | WorkflowRun | str | None = None, *, ax: Axes | None = None
) -> Figure:
    """Draw ``wf``'s step graph left to right; with ``run``, each step coloured by its status in it.

    Args:
        wf: The workflow (committed or not).
        run: A :class:`~mastra_lab.workflow.WorkflowResult`, a :class:`~mastra_lab.workflow.WorkflowRun`
            (where it stands now), or the id of a stored run. Steps it has no result for are "not run".
        ax: Draw into these axes instead of a new figure.

    Raises:
        WorkflowError: ``run`` is an id the workflow's storage does not know, or belongs to another
            workflow.

    Example:
        ```python
        from mastra_lab.workflow import Step, Workflow
        from mastra_lab.workflow.plots import plot_workflow

        wf = Workflow("demo").then(Step("a", lambda ctx: [1, 2])).foreach(Step("b", lambda ctx: ctx.input))
        result = wf.commit().create_run().start_sync()
        figure = plot_workflow(wf, result)
        boxes = [p.get_gid() for p in figure.axes[0].patches if str(p.get_gid()).startswith("step:")]
        print(sorted(boxes))  # ['step:a', 'step:b']
        ```
    """
    result = _resolve(wf, run)
    statuses = None if result is None else {k: r.status for k, r in result.steps.items()}
    attempts = {} if result is None else {k: r.attempts for k, r in result.steps.items()}
    graph = _layout(wf, "", result)
    if ax is None:
        from matplotlib.figure import Figure

        width = min(max(4.0, graph.width * 0.62 + 2.2), 60.0)
        height = min(max(2.0, graph.height * 0.62 + 1.0), 40.0)
        figure = Figure(figsize=(width, height), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.get_figure(root=True)  # type: ignore[assignment]
    canvas = _Canvas(ax, statuses, attempts)
    graph.draw(canvas, 0.0, 0.0)
    ax.set_xlim(-0.3, graph.width + 0.3)
    ax.set_ylim(graph.height + 0.3, -0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    title = f"workflow {wf.id} · {len(wf.step_ids)} steps"
    if result is not None:
        title += f" · run {result.run_id[:12]} · {result.status}"
        _legend(canvas)
    ax.set_title(title, fontsize=10, loc="left")
    return figure
