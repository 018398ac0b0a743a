"""``WorkflowPanel``: a workflow's runs, the step graph and step details of one, and resuming it by form.

Pick a workflow (and a status to filter by) → its runs, newest first → for the selected run, the step
graph coloured by status (:func:`~mastra_lab.workflow.plots.plot_workflow`), a step picker with what that
step received and produced, its error, attempts and times. A suspended run shows a form built from the
suspended step's ``resume_schema`` (see :mod:`mastra_lab.lab.panels._form`); **Resume** sends it through
:meth:`~mastra_lab.workflow.WorkflowRun.resume`, which checks the data before anything changes. **Run**
starts a new run with JSON input.

Runs the panel starts or resumes go to the runtime loop in the background, so the notebook stays usable;
each event of the run redraws the statuses and the graph (:mod:`mastra_lab.lab.panels._live`). Runs
started elsewhere (a magic, another process over the same storage) appear on **Refresh**. Widgets carry
CSS classes ``mastra-workflow-<part>`` for tests and browsers.
"""

from __future__ import annotations

import html
import json
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.errors import MastraError
from mastra_lab.lab.panels._base import Panel
from mastra_lab.lab.panels._form import SchemaForm, parse_json
from mastra_lab.lab.panels._live import BackgroundRun, Redrawer

if TYPE_CHECKING:
    from mastra_lab.mastra import Mastra
    from mastra_lab.workflow import StepResult, Workflow, WorkflowResult, WorkflowRun

__all__ = ["ALL_STATUSES", "WorkflowPanel"]

ALL_STATUSES = ""
"""The status filter's value for "every run"."""

_STATUSES = ["running", "suspended", "success", "failed", "canceled"]
_CELL = "style='text-align:left;vertical-align:top;padding:2px 8px'"
_NO_WORKFLOWS = (
    "<i>no workflows yet: register one with <code>Mastra(workflows=[wf])</code> or "
    "<code>m.add_workflow(wf)</code>, then press Refresh</i>"
)


def _when(value: Any) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _run_label(row: Any) -> str:
    suspended = f" · waiting: {row.suspended}" if row.suspended and row.status == "suspended" else ""
    return f"{_when(row.created_at)} · {row.status} · {row.run_id}{suspended}"


def _json(value: Any) -> str:
    text = json.dumps(value, indent=1, ensure_ascii=False, default=str)
    return f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>"


def _parse_json(text: str, what: str, example: str) -> Any:
    """``text`` as JSON (``None`` when empty)."""
    return parse_json(text, what, example) if text.strip() else None


def _fields_html(rows: list[tuple[str, str]], css: str) -> str:
    body = "".join(f"<tr><th {_CELL}>{html.escape(k)}</th><td {_CELL}>{v}</td></tr>" for k, v in rows)
    return f"<table class='{css}'>{body}</table>"


def _step_html(step_id: str, result: StepResult, inputs: dict[str, Any]) -> str:
    duration = "" if result.duration is None else f"{result.duration * 1000:.1f} ms"
    rows = [
        ("step", f"<code>{html.escape(step_id)}</code>"),
        ("status", html.escape(result.status)),
        ("attempts", str(result.attempts)),
        ("started", _when(result.started_at)),
        ("ended", _when(result.ended_at)),
        ("duration", duration),
    ]
    if step_id in inputs:
        rows.append(("input", _json(inputs[step_id])))
    if result.status == "success":
        rows.append(("output", _json(result.output)))
    if result.error is not None:
        rows.append(("error", f"<span style='color:#b00020'>{html.escape(result.error)}</span>"))
    if result.status == "suspended":
        rows.append(("waits with", _json(result.suspend_payload)))
    return _fields_html(rows, "mastra-workflow-step-fields")


def _summary_html(wf: Workflow, result: WorkflowResult) -> str:
    rows = [
        ("workflow", f"<code>{html.escape(wf.id)}</code>"),
        ("run", f"<code>{html.escape(result.run_id)}</code>"),
        ("status", f"<b class='mastra-workflow-run-status'>{html.escape(result.status)}</b>"),
    ]
    if result.status == "success":
        rows.append(("result", _json(result.result)))
    if result.error is not None:
        rows.append(("error", f"<span style='color:#b00020'>{html.escape(result.error)}</span>"))
    if result.suspended and result.status == "suspended":
        rows.append(("waiting", html.escape(", ".join(result.suspended))))
    if result.origin is not None:
        origin = f"run {result.origin.get('run_id')}, from step {result.origin.get('step')}"
        rows.append(("time travel of", f"<code>{html.escape(origin)}</code>"))
    return _fields_html(rows, "mastra-workflow-summary-fields")


class WorkflowPanel(Panel):
    """A Mastra's workflows: runs, the step graph and details of one, resume by form, new runs.

    Args:
        mastra: Whose workflows (``m.workflows``) and storage (their runs).
        workflow: Start on this workflow (default: the first by id).

    Attributes:
        workflows: The workflow picker (ids).
        status: The status filter (:data:`ALL_STATUSES` or a run status).
        refresh: Reloads workflows and runs (for runs started elsewhere).
        count: How many runs are listed.
        runs: The runs, newest first (a ``Select``; its value is the run id).
        summary: The selected run's id, status, result or error (HTML).
        graph: The selected run's step graph (PNG).
        steps: The step picker (ids of the steps that ran, in order).
        step_detail: The picked step's status, input, output, error, attempts and times (HTML).
        travel_input, travel: Time travel: a new run from the picked step (on this JSON input, or the
            input the step had), with the stored results of the steps before it.
        resume_box: Shown for a suspended run: :attr:`resume_step`, the form, :attr:`resume`.
        resume_step: Which suspended step to resume (hidden when only one is).
        form: The :class:`~mastra_lab.lab.panels._form.SchemaForm` of that step's ``resume_schema``.
        resume: Sends the form to the run.
        run_input: JSON input for a new run; **start** starts it.
        shown: The run on display (its id), or ``None``.
        result: The :class:`~mastra_lab.workflow.WorkflowResult` on display, or ``None``.
    """

    def __init__(self, mastra: Mastra, *, workflow: str | None = None) -> None:
        super().__init__()
        self.add_class("mastra-workflow-panel")
        self.mastra = mastra
        self.shown: str | None = None
        self.result: WorkflowResult | None = None
        self.form: SchemaForm | None = None
        self._form_key: tuple[str, str] | None = None
        self._loading = False
        self._lock = threading.RLock()
        self._live: WorkflowRun | None = None
        self._background: BackgroundRun | None = None
        self._background_error: BaseException | None = None
        self._redrawer = Redrawer(self._redraw, self._failed_in_background)
        self._build()
        if workflow is not None:
            mastra.get_workflow(workflow)  # an unknown workflow fails here, by name
        self.guard(self.reload)(workflow)

    def _build(self) -> None:
        self.workflows = widgets.Dropdown(description="workflow", options=[])
        self.status = widgets.Dropdown(
            description="status", options=[("all", ALL_STATUSES), *((s, s) for s in _STATUSES)]
        )
        self.refresh = widgets.Button(description="Refresh", icon="refresh", tooltip="reload the runs")
        self.count = widgets.HTML()
        self.runs = widgets.Select(options=[], rows=6, layout=widgets.Layout(width="100%"))
        self.summary = widgets.HTML()
        self.graph = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.steps = widgets.Dropdown(description="step", options=[])
        self.step_detail = widgets.HTML()
        self.travel_input = widgets.Text(
            description="input", placeholder="JSON for the step (empty: the input it had)"
        )
        self.travel = widgets.Button(
            description="Re-run from step",
            icon="history",
            tooltip="time travel: a new run from this step, with the stored results of the steps before it",
        )
        self.resume_step = widgets.Dropdown(description="resume", options=[])
        self.resume_payload = widgets.HTML()
        self.form_box = widgets.VBox()
        self.resume = widgets.Button(description="Resume", button_style="primary", icon="play")
        self.resume_box = widgets.VBox(
            [
                widgets.HTML("<b>resume the suspended step</b>"),
                self.resume_step,
                self.resume_payload,
                self.form_box,
                self.resume,
            ],
            layout=widgets.Layout(display="none"),
        )
        self.run_input = widgets.Textarea(
            description="input",
            placeholder='JSON input, e.g. {"amount": 5}',
            layout=widgets.Layout(width="100%"),
        )
        self.start = widgets.Button(description="Run", icon="play", tooltip="start a new run with this input")
        self._wire()

    def _wire(self) -> None:
        for widget, name in (
            (self.workflows, "workflows"),
            (self.status, "status"),
            (self.refresh, "refresh"),
            (self.count, "count"),
            (self.runs, "runs"),
            (self.summary, "summary"),
            (self.graph, "graph"),
            (self.steps, "steps"),
            (self.step_detail, "step-detail"),
            (self.travel_input, "travel-input"),
            (self.travel, "travel"),
            (self.resume_box, "resume-box"),
            (self.resume_step, "resume-step"),
            (self.resume_payload, "resume-payload"),
            (self.resume, "resume"),
            (self.run_input, "input"),
            (self.start, "start"),
        ):
            widget.add_class(f"mastra-workflow-{name}")
        self.workflows.observe(self.guard(self._on_filter), names="value")
        self.status.observe(self.guard(self._on_filter), names="value")
        self.refresh.on_click(self.guard(lambda _button: self.reload()))
        self.runs.observe(self.guard(self._on_run), names="value")
        self.steps.observe(self.guard(self._on_step), names="value")
        self.resume_step.observe(self.guard(self._on_resume_step), names="value")
        self.resume.on_click(self.guard(lambda _button: self.resume_run()))
        self.start.on_click(self.guard(lambda _button: self.start_run()))
        self.travel.on_click(self.guard(lambda _button: self.travel_run()))
        self.set_body(
            widgets.HBox([self.workflows, self.status, self.refresh, self.count]),
            self.runs,
            self.summary,
            self.graph,
            self.steps,
            self.step_detail,
            widgets.HBox([self.travel_input, self.travel]),
            self.resume_box,
            widgets.HTML("<b>start a new run</b>"),
            self.run_input,
            self.start,
        )

    @property
    def workflow(self) -> Workflow | None:
        """The workflow picked (``None`` while the Mastra has none)."""
        name = self.workflows.value
        return None if name is None else self.mastra.get_workflow(name)

    def _require(self) -> Workflow:
        wf = self.workflow
        if wf is None:
            raise MastraError(
                "there is no workflow to run; register one with m.add_workflow(wf), then Refresh"
            )
        return wf

    # -- loading ---------------------------------------------------------------------------------------

    def reload(self, workflow: str | None = None, select: str | None = None) -> None:
        """Read the workflows and runs again and select ``select`` (default: keep the selection, else the
        newest run)."""
        with self._lock:
            names = sorted(self.mastra.workflows)
            keep = workflow or self.workflows.value
            self._loading = True
            try:
                self.workflows.options = names
                self.workflows.value = keep if keep in names else (names[0] if names else None)
            finally:
                self._loading = False
            self._list_runs(select)

    def _list_runs(self, select: str | None) -> None:
        wf = self.workflow
        if wf is None:
            self.count.value = _NO_WORKFLOWS
            self._set_runs([], None)
            self.show(None)
            return
        frame = wf.runs_df(status=self.status.value or None)
        rows = sorted(
            frame.itertuples(), key=lambda r: (r.created_at is not None, r.created_at), reverse=True
        )
        wanted = select or self.runs.value
        ids = [r.run_id for r in rows]
        self._set_runs([(_run_label(r), r.run_id) for r in rows], wanted if wanted in ids else None)
        self.count.value = f"{len(ids)} runs" if ids else "<i>no runs yet: start one below</i>"
        self.show(self.runs.value)

    def _set_runs(self, options: list[tuple[str, str]], value: str | None) -> None:
        self._loading = True
        try:
            self.runs.options = options
            self.runs.value = value if value is not None else (options[0][1] if options else None)
        finally:
            self._loading = False

    def _result(self, wf: Workflow, run_id: str) -> WorkflowResult | None:
        live = self._live
        if live is not None and live.run_id == run_id and live.workflow is wf:
            return live.result  # steps in flight are only in memory until they finish
        return wf.get_run(run_id)

    # -- the selected run ------------------------------------------------------------------------------

    def show(self, run_id: str | None) -> None:
        """Show ``run_id``'s summary, graph, steps and, if it is suspended, the resume form."""
        with self._lock:
            wf = self.workflow
            result = None if wf is None or run_id is None else self._result(wf, run_id)
            self.shown, self.result = (run_id, result) if result is not None else (None, None)
            if wf is None or result is None:
                self.summary.value = self.step_detail.value = ""
                self.graph.value, self.graph.layout.display = b"", "none"
                self._set_steps([])
                self._show_resume(None, None)
                return
            self.summary.value = _summary_html(wf, result)
            self._draw(wf, result)
            self._set_steps(list(result.steps))
            self.show_step(self.steps.value)
            self._show_resume(wf, result)

    def _draw(self, wf: Workflow, result: WorkflowResult) -> None:
        from mastra_lab.telemetry.plots import figure_png
        from mastra_lab.workflow.plots import plot_workflow

        self.graph.value = figure_png(plot_workflow(wf, result))
        self.graph.layout.display = None

    def _set_steps(self, ids: list[str]) -> None:
        keep = self.steps.value
        suspended = self.result.suspended if self.result is not None else []
        default = suspended[0] if suspended else (ids[-1] if ids else None)
        self._loading = True
        try:
            self.steps.options = ids
            self.steps.value = keep if keep in ids else default
        finally:
            self._loading = False

    def show_step(self, step_id: str | None) -> None:
        """Show what step ``step_id`` of the run on display did."""
        result = self.result
        if result is None or step_id is None or step_id not in result.steps:
            self.step_detail.value = ""
            return
        self.step_detail.value = _step_html(step_id, result.steps[step_id], result.inputs)

    def _show_resume(self, wf: Workflow | None, result: WorkflowResult | None) -> None:
        suspended = result.suspended if result is not None and result.status == "suspended" else []
        self.resume_box.layout.display = None if suspended else "none"
        keep = self.resume_step.value
        self._loading = True
        try:
            self.resume_step.options = suspended
            self.resume_step.value = keep if keep in suspended else (suspended[0] if suspended else None)
        finally:
            self._loading = False
        self.resume_step.layout.display = None if len(suspended) > 1 else "none"
        if wf is None or result is None or not suspended:
            self.form, self._form_key = None, None
            self.form_box.children = ()
            self.resume_payload.value = ""
            return
        self._build_form(wf, result, self.resume_step.value)

    def _build_form(self, wf: Workflow, result: WorkflowResult, step_id: str) -> None:
        payload = result.suspend_payload.get(step_id)
        self.resume_payload.value = (
            f"<code>{html.escape(step_id)}</code> waits with: {_json(payload)}" if payload is not None else ""
        )
        key = (result.run_id, step_id)
        if key == self._form_key:
            return  # a redraw keeps what the user has typed so far
        self.form = SchemaForm(wf.step(step_id).resume_schema)
        self._form_key = key
        self.form_box.children = (self.form.box,)

    def _on_filter(self, _change: dict[str, Any]) -> None:
        if not self._loading:
            with self._lock:
                self._list_runs(None)

    def _on_run(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show(change["new"])

    def _on_step(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show_step(change["new"])

    def _on_resume_step(self, change: dict[str, Any]) -> None:
        if not self._loading and self.result is not None and change["new"] is not None:
            self._build_form(self._require(), self.result, change["new"])

    # -- running ---------------------------------------------------------------------------------------

    def resume_run(self) -> None:
        """Resume the run on display with the form's data; it goes on in the background.

        Raises:
            MastraError: no suspended run is on display, a run of this panel is still going, or the form
                does not parse; ``WorkflowError`` when the data does not match the step's ``resume_schema``
                (the run stays suspended).
        """
        wf, result = self._require(), self.result
        if result is None or result.status != "suspended" or self.form is None:
            raise MastraError("select a suspended run first: only a suspended run can be resumed")
        step_id, data = self.resume_step.value, self.form.value()
        run = wf.create_run(result.run_id)
        self._launch(run, lambda: run.resume(step_id, data))

    def start_run(self) -> None:
        """Start a new run of the picked workflow on the JSON in :attr:`run_input`, in the background."""
        wf = self._require()
        data = _parse_json(self.run_input.value, "the input", '{"amount": 5}')
        run = wf.create_run()
        self._launch(run, lambda: run.start(data))

    def travel_run(self) -> None:
        """Time travel: re-run the run on display from the picked step, as a new run, in the background.

        The steps before it keep their stored results (they do not run again); the step runs on the JSON
        in :attr:`travel_input`, or on the input it had when that is empty.
        """
        wf, result, step_id = self._require(), self.result, self.steps.value
        if result is None or step_id is None:
            raise MastraError("select a run and one of its steps first")
        data = _parse_json(self.travel_input.value, "the step's input", '{"amount": 5}')
        run = wf.create_run(result.run_id)
        self._launch(run, lambda: run.time_travel(step_id, data))

    def _launch(self, run: WorkflowRun, coro: Any) -> None:
        if self.running:
            raise MastraError("a run started in this panel is still going; wait for it to finish")
        self._background_error = None
        self._live = run
        try:
            background = BackgroundRun(coro(), run.watch, self._redrawer, self._ended)
            background.begin()
        except BaseException:
            self._live = None
            raise
        self._background = background
        if background.run_id != run.run_id:
            self._live = None  # a time-travel run: its steps are read from storage as they finish
        if self.status.value not in (ALL_STATUSES, "running"):  # the run must stay in the list
            self._loading = True
            try:
                self.status.value = ALL_STATUSES
            finally:
                self._loading = False
        self.reload(select=background.run_id or run.run_id)

    @property
    def running(self) -> bool:
        """Whether a run this panel started or resumed is still going."""
        return self._background is not None and self._background.running

    def _ended(self, error: BaseException | None) -> None:
        self._live = None
        if error is not None:
            self._failed_in_background(error)

    def _redraw(self) -> None:
        with self._lock:
            self._list_runs(None)

    def _failed_in_background(self, exc: BaseException) -> None:
        self._background_error = exc
        self.show_error(exc)

    def settle(self) -> None:
        """Block until the panel has redrawn for every event of its run so far (the run may go on)."""
        self._redrawer.wait_idle()

    def wait(self) -> None:
        """Block until the run this panel started or resumed has ended and the panel shows its outcome.

        Raises:
            Exception: what the run, or a redraw while it ran, raised.
        """
        if self._background is not None:
            self._background.wait()
        self._redrawer.wait_idle()
        error, self._background_error = self._background_error, None
        if error is not None:
            raise error
