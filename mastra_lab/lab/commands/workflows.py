"""``%mastra workflows | run | runs | resume | graph``: shapes and runs of the registered workflows.

``run`` starts a run and shows how it ended; with ``--watch`` it shows one table of the steps, updated in
place as each starts, finishes or suspends (the run's own events drive it, as ``%%mastra chat`` streams).
``resume`` continues a suspended run by id — the run is read from the Mastra's storage, so it works in a
new kernel that registered the same workflow — and ``last`` stands for the latest suspended run.
``graph`` draws the workflow with each step coloured by its status in a run.

Every mistake (an unknown workflow or run, input that is not JSON, a status that does not exist) is a
one-line error raised before anything runs; input or resume data that a schema rejects is the library's
:class:`~mastra_lab.errors.WorkflowError`, whose message names the step and the field.
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from mastra_lab.lab.display import LiveDisplay, Table, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.lab.commands.plot import PlotView
    from mastra_lab.mastra import Mastra
    from mastra_lab.workflow import StepResult, Workflow, WorkflowEvent, WorkflowResult

__all__ = ["RunView"]

_REGISTER_HINT = "register one with current_mastra().add_workflow(wf), or Mastra(workflows=[...])"
_STATUSES = ("pending", "running", "success", "failed", "suspended", "canceled")
_STEP_COLUMNS = ["step", "status", "attempts", "duration_ms", "detail"]


def _workflow(mastra: Mastra, name: str, where: str) -> Workflow:
    """The registered workflow ``name``; a "did you mean" ``UsageError`` listing the known ones otherwise."""
    workflows = mastra.workflows
    if name in workflows:
        found: Workflow = workflows[name]
        return found
    close = difflib.get_close_matches(name, workflows, n=1)
    known = f"the workflows are: {', '.join(sorted(workflows))}" if workflows else _REGISTER_HINT
    hint = f"did you mean {close[0]}? {known}" if close else known
    raise usage_error(f"%mastra {where}: no workflow named {name!r} in this notebook's Mastra", hint)


def _json(text: str, option: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise usage_error(
            f"%mastra {where}: {option} is not JSON: {exc.msg} at character {exc.pos + 1} of {text!r}",
            f"""quote the whole value, e.g. {option} '{{"name": "Ada"}}'""",
        ) from None


def _stored_run(workflow: Workflow, run_id: str, where: str, status: str | None = None) -> WorkflowResult:
    """The stored run ``run_id`` of ``workflow`` (``last``: the latest, of ``status`` when given)."""
    listing = f"%mastra runs {workflow.id} lists its runs"
    if run_id == "last":
        runs = workflow.list_runs(status=status)
        if not runs:
            which = f"{status} run" if status else "run"
            raise usage_error(f"%mastra {where}: workflow {workflow.id!r} has no {which} stored", listing)
        return runs[-1]
    found = workflow.get_run(run_id)
    if found is None:
        raise usage_error(f"%mastra {where}: workflow {workflow.id!r} has no run {run_id!r}", listing)
    return found


# -- what a run looks like -------------------------------------------------------------------------------


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if value is not None else ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _step_row(step_id: str, result: StepResult) -> dict[str, Any]:
    if result.status == "failed":
        detail = result.error or ""
    elif result.status == "suspended":
        detail = f"waiting: {_short(result.suspend_payload)}"
    else:
        detail = _short(result.output)
    duration = None if result.duration is None else round(result.duration * 1000, 1)
    return {
        "step": step_id,
        "status": result.status,
        "attempts": result.attempts,
        "duration_ms": duration,
        "detail": detail,
    }


def _planned(workflow: Workflow) -> Iterator[str]:
    """The ids of the workflow's steps in the order its nodes run them."""
    for node in workflow.nodes:
        yield from (s.id for s in node.steps)


class RunView:
    """A run as a notebook shows it: one summary line, then the table of its steps.

    The same object is the content of ``run --watch``'s live display, where it changes with each event,
    and the cell's result; after a watched run the result shows only the summary line (the table is
    already on screen above it).

    Attributes:
        workflow: The workflow's id.
        run_id: The run.
        result: How the run ended (``None`` while a watched run is still going).
        live: The steps table was shown by a live display.
    """

    def __init__(self, workflow: Workflow, run_id: str, result: WorkflowResult | None = None) -> None:
        self.workflow = workflow.id
        self.run_id = run_id
        self.result = result
        self.live = False
        self.updates = 0
        self._rows: dict[str, dict[str, Any]] = {
            sid: {"step": sid, "status": "pending", "attempts": 0, "duration_ms": None, "detail": ""}
            for sid in _planned(workflow)
        }
        self._foreach = {n.steps[0].id for n in workflow.nodes if n.kind == "foreach"}
        self._items: dict[str, int] = {}
        self.note: str | None = None
        """Set when the watched run was interrupted (Ctrl-C)."""
        if result is not None:
            self._take(result)

    def _take(self, result: WorkflowResult) -> None:
        self.result = result
        for sid, step_result in result.steps.items():
            self._rows[sid] = _step_row(sid, step_result)

    def add(self, event: WorkflowEvent) -> None:
        """Fold one event of the run into the view."""
        sid = event.step
        if event.type == "workflow-finish":
            self._take(event.data)
        elif sid is None or event.type == "custom":
            return
        elif event.type == "step-start":
            row = self._rows.setdefault(sid, _step_row(sid, _running()))
            row["status"] = "running"
        elif event.type == "step-suspended":
            row = self._rows.setdefault(sid, _step_row(sid, _running()))
            row |= {"status": "suspended", "detail": f"waiting: {_short(event.data)}"}
        elif event.type == "step-result":
            self._rows[sid] = _step_row(sid, event.data)
            if sid in self._foreach:  # one result per item: the step goes on until the run says otherwise
                done = self._items[sid] = self._items.get(sid, 0) + 1
                self._rows[sid] |= {
                    "status": "running",
                    "detail": f"{done} item{'' if done == 1 else 's'} done",
                }
        self.updates += 1

    @property
    def status(self) -> str:
        """The run's status (``running`` until the watched run has finished)."""
        return "running" if self.result is None else self.result.status

    @property
    def steps(self) -> pd.DataFrame:
        """One row per step: step, status, attempts, duration_ms, detail (output, error or awaited data)."""
        import pandas as pd

        return pd.DataFrame(list(self._rows.values()), columns=_STEP_COLUMNS)

    def summary(self) -> str:
        """``workflow greet · run 3f2a… · success · result {"text": "Hi"}`` — the one-line form."""
        line = f"workflow {self.workflow} · run {self.run_id} · {self.status}"
        if self.note is not None:
            return f"{line} · {self.note}"
        result = self.result
        if result is None:
            return line
        if result.status == "success":
            return f"{line} · result {_short(result.result, 80)}"
        if result.error:
            return f"{line} · {result.error}"
        if result.suspended:
            return (
                f"{line} · waiting: {', '.join(result.suspended)} · "
                f"%mastra resume {self.workflow} {self.run_id} --data JSON"
            )
        return line

    def _table(self) -> Table:
        return Table(self.steps, limit=200)

    def __repr__(self) -> str:
        if self.live and self.result is not None:
            return self.summary()
        return f"{self.summary()}\n{self._table()!r}"

    def _repr_html_(self) -> str:
        head = f"<div><b>{html.escape(self.summary())}</b></div>"
        if self.live and self.result is not None:
            return f"<div class='mastra-run-footer' style='color:gray'>{html.escape(self.summary())}</div>"
        return f"<div class='mastra-run'>{head}{self._table()._repr_html_()}</div>"


def _running() -> StepResult:
    from mastra_lab.workflow import StepResult

    return StepResult("running")


class _Frame:
    """The live display's content at one moment: the view's full form (never the footer)."""

    def __init__(self, view: RunView) -> None:
        self.text = f"{view.summary()}\n{view._table()!r}"
        self.html = f"<div class='mastra-run'><div><b>{html.escape(view.summary())}</b></div>"
        self.html += f"{view._table()._repr_html_()}</div>"

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html


def _watch(view: RunView, events: Generator[WorkflowEvent, None, None]) -> RunView:
    """Show ``events`` as one display that each event updates; the view, marked as already shown."""
    live = LiveDisplay(lambda _text: _Frame(view))
    try:
        for event in events:
            view.add(event)
            live.show(view.summary())
    except KeyboardInterrupt:
        view.note = (
            "interrupted: the step in flight was stopped and the run is stored as running; "
            "workflow.create_run(run_id).restart_sync() continues it"
        )
        live.show(view.summary())
    finally:
        events.close()  # Ctrl-C between two events leaves the stream open: stop its run now
    view.live = live.updates > 0 and view.note is None
    return view


# -- workflows ---------------------------------------------------------------------------------------------


def _workflows_arguments(parser: CommandParser) -> None:
    parser.add_argument("name", nargs="?", help="one workflow: its nodes, steps and schemas")


@command(
    "workflows",
    "the registered workflows (nodes, steps, runs by status), or one workflow's nodes: workflows [NAME]",
    arguments=_workflows_arguments,
    epilog="examples:\n  %mastra workflows\n  %mastra workflows orders",
)
def workflows_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    from mastra_lab.workflow.builder import schema_name

    mastra = invocation.mastra
    limit = invocation.magics.display_limit
    if args.name is None:
        df = mastra.workflows_df()
        title = f"{len(df)} workflows" if len(df) else f"no workflows yet; {_REGISTER_HINT}"
        return Table(df, title=title, limit=limit)
    wf = _workflow(mastra, args.name, "workflows")
    title = (
        f"workflow {args.name}: input {schema_name(wf.input_schema)} → output "
        f"{schema_name(wf.output_schema)}; {len(wf.nodes)} nodes, {len(wf.step_ids)} steps"
        + (f" — {wf.description}" if wf.description else "")
    )
    return Table(wf.nodes_df(), title=title, limit=limit)


# -- run ---------------------------------------------------------------------------------------------------


def _run_arguments(parser: CommandParser) -> None:
    parser.add_argument("workflow", help="a registered workflow (%%mastra workflows lists them)")
    parser.add_argument("--input", default="null", metavar="JSON", help="the run's input, as JSON")
    parser.add_argument("--watch", action="store_true", help="show the steps live as they run")
    parser.add_argument("--run-id", metavar="ID", help="the new run's id (default: a fresh one)")
    parser.add_argument("--resource", metavar="R", help="whose run it is (a user id)")


@command(
    "run",
    "start a run of a workflow and show its steps: run WORKFLOW --input JSON [--watch] [--run-id ID]",
    arguments=_run_arguments,
    traced=True,
    epilog=(
        'examples:\n  %mastra run orders --input \'{"item": "tea", "qty": 2}\'\n'
        '  %mastra run orders --input \'{"item": "tea", "qty": 2}\' --watch\n'
        '  result = %mastra run orders --input \'{"item": "tea", "qty": 2}\'\n'
        "  result.steps        (one row per step)"
    ),
)
def run_command(invocation: Invocation, args: argparse.Namespace) -> RunView:
    wf = _workflow(invocation.mastra, args.workflow, "run")
    data = _json(args.input, "--input", "run")
    if args.run_id is not None and wf.get_run(args.run_id) is not None:
        raise usage_error(
            f"%mastra run: workflow {wf.id!r} already has a run {args.run_id!r}",
            f"give another --run-id, or continue it with %mastra resume {args.workflow} {args.run_id}",
        )
    run = wf.create_run(args.run_id, args.resource)
    view = RunView(wf, run.run_id)
    if args.watch:
        return _watch(view, run.stream_sync(data))
    view._take(run.start_sync(data))
    return view


# -- resume ------------------------------------------------------------------------------------------------


def _resume_arguments(parser: CommandParser) -> None:
    parser.add_argument("workflow", help="a registered workflow")
    parser.add_argument("run_id", metavar="RUN_ID", help="the suspended run, or 'last' for the latest one")
    parser.add_argument("--step", help="the suspended step to resume (needed when several wait)")
    parser.add_argument("--data", required=True, metavar="JSON", help="the resume data, as JSON")
    parser.add_argument("--watch", action="store_true", help="show the steps live as they run")


@command(
    "resume",
    "continue a suspended run (also one from an earlier kernel): resume WORKFLOW RUN_ID|last --data JSON",
    arguments=_resume_arguments,
    traced=True,
    epilog=(
        "examples:\n  %mastra resume orders last --data '{\"approved\": true}'\n"
        "  %mastra resume orders 3f2a… --step approve --data '{\"approved\": false}' --watch"
    ),
)
def resume_command(invocation: Invocation, args: argparse.Namespace) -> RunView:
    wf = _workflow(invocation.mastra, args.workflow, "resume")
    data = _json(args.data, "--data", "resume")
    stored = _stored_run(wf, args.run_id, "resume", status="suspended")
    if stored.status != "suspended":
        raise usage_error(
            f"%mastra resume: run {stored.run_id!r} of workflow {wf.id!r} is {stored.status}, not suspended",
            f"%mastra runs {args.workflow} --status suspended lists the runs that wait",
        )
    run = wf.create_run(stored.run_id)
    view = RunView(wf, run.run_id, stored)
    view.result = None
    if args.watch:
        return _watch(view, run.resume_stream_sync(args.step, data))
    view._take(run.resume_sync(args.step, data))
    return view


# -- runs --------------------------------------------------------------------------------------------------


def _runs_arguments(parser: CommandParser) -> None:
    parser.add_argument("workflow", nargs="?", help="only this workflow's runs (default: every workflow's)")
    parser.add_argument("--status", choices=_STATUSES, help="only runs with this status")


@command(
    "runs",
    "stored workflow runs, oldest first: runs [WORKFLOW] [--status S]",
    arguments=_runs_arguments,
    epilog="examples:\n  %mastra runs\n  %mastra runs orders --status suspended",
)
def runs_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    mastra = invocation.mastra
    if args.workflow is not None:
        _workflow(mastra, args.workflow, "runs")
    df = mastra.workflow_runs_df(args.workflow, args.status)
    where = f"of {args.workflow}" if args.workflow else "of every workflow"
    noun = " ".join(w for w in (args.status, "run" if len(df) == 1 else "runs") if w)
    title = f"{len(df)} {noun} {where}" if len(df) else f"no {noun} {where} stored yet"
    return Table(df, title=title, limit=invocation.magics.display_limit)


# -- graph -------------------------------------------------------------------------------------------------


def _graph_arguments(parser: CommandParser) -> None:
    parser.add_argument("workflow", help="a registered workflow")
    parser.add_argument(
        "run_id", nargs="?", metavar="RUN_ID", help="colour the steps by this run's statuses ('last': latest)"
    )


@command(
    "graph",
    "a workflow's step graph, coloured by a run's step statuses: graph WORKFLOW [RUN_ID|last]",
    arguments=_graph_arguments,
    epilog="examples:\n  %mastra graph orders\n  %mastra graph orders last\n  view = %mastra graph orders ID",
)
def graph_command(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    from mastra_lab.lab.commands.plot import PlotView
    from mastra_lab.workflow.plots import plot_workflow

    wf = _workflow(invocation.mastra, args.workflow, "graph")
    run = None if args.run_id is None else _stored_run(wf, args.run_id, "graph")
    figure = plot_workflow(wf, run)
    limit = invocation.magics.display_limit
    if run is None:
        title = f"workflow {args.workflow}: {len(wf.nodes)} nodes, {len(wf.step_ids)} steps"
        return PlotView("workflow", title, figure, wf.nodes_df(), limit)
    view = RunView(wf, run.run_id, run)
    return PlotView("workflow", view.summary(), figure, view.steps, limit)
