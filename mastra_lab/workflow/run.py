"""Runs of a workflow: :class:`WorkflowRun` (start, resume, stream, watch, cancel), :class:`WorkflowResult`.

A run is identified by its ``run_id``; its whole progress lives in the snapshot stored under the workflow's
id, so ``workflow.create_run(run_id=...)`` in a new process picks up a suspended run where it stopped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra_lab import _runtime
from mastra_lab.errors import WorkflowError
from mastra_lab.storage.records import utcnow
from mastra_lab.workflow.engine import Env, node_input, node_output, record_failure, run_nodes
from mastra_lab.workflow.events import WorkflowEvent
from mastra_lab.workflow.graph import Node
from mastra_lab.workflow.snapshot import RunState, RunStatus, StepResult
from mastra_lab.workflow.steps import Step, jsonable, validate

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.workflow.builder import Workflow

__all__ = ["WorkflowResult", "WorkflowRun"]


@dataclass
class WorkflowResult:
    """How a run ended (or where it stands).

    Attributes:
        status: ``success``, ``failed``, ``suspended``, ``canceled``, ``running``, ``pending`` (not started).
        result: The workflow's output, on success.
        error: What failed (naming the step), on failure.
        steps: Step path → :class:`~mastra_lab.workflow.StepResult`, in the order they started; the steps of
            a nested workflow follow it as ``outer.inner``.
        suspended: Paths of the steps waiting for ``resume``.
        suspend_payload: Step path → what it passed to ``ctx.suspend``, for each suspended step.
        run_id: The run.
        state: The run's shared state as it ended.
        workflow: The workflow's id.
        inputs: Top-level step id → the input it received (rebuilt from the stored outputs, not stored).
        origin: For a run made by ``time_travel``: ``{"run_id": ..., "step": ...}`` it came from.
    """

    status: RunStatus
    result: Any = None
    error: str | None = None
    steps: dict[str, StepResult] = field(default_factory=dict)
    suspended: list[str] = field(default_factory=list)
    suspend_payload: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""
    state: Any = None
    workflow: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] | None = None

    @classmethod
    def of(cls, state: RunState, nodes: tuple[Node, ...] = ()) -> WorkflowResult:
        suspended = state.suspended
        steps = dict(state.flat_steps())
        result = state.result
        if state.result_from_steps and result is None and nodes:
            try:
                result = node_output(nodes, state, len(nodes) - 1)
            except WorkflowError:
                result = None
        return cls(
            status=state.status,
            result=result,
            error=state.error,
            steps=steps,
            suspended=suspended,
            suspend_payload={path: steps[path].suspend_payload for path in suspended if path in steps},
            run_id=state.run_id,
            state=state.state,
            workflow=state.workflow,
            inputs=_inputs(state, nodes),
            origin=state.origin,
        )

    def steps_df(self) -> pd.DataFrame:
        """One row per step path: step, status, attempts, started_at, ended_at, duration_s, input, output,
        error and suspend_payload."""
        import pandas as pd

        rows = [
            {
                "step": path,
                "status": r.status,
                "attempts": r.attempts,
                "started_at": r.started_at,
                "ended_at": r.ended_at,
                "duration_s": r.duration,
                "input": self.inputs.get(path),
                "output": r.output,
                "error": r.error,
                "suspend_payload": r.suspend_payload,
            }
            for path, r in self.steps.items()
        ]
        columns = ["step", "status", "attempts", "started_at", "ended_at", "duration_s", "input", "output"]
        columns += ["error", "suspend_payload"]
        return pd.DataFrame(rows, columns=columns)

    def raise_for_status(self) -> WorkflowResult:
        """This result, or — when the run failed — a :class:`~mastra_lab.errors.WorkflowError` with its error.

        A failed run is a result rather than an exception (it is stored, and can be inspected or
        time-travelled); call this where a failure should stop the caller.
        """
        if self.status == "failed":
            raise WorkflowError(
                f"run {self.run_id!r} of workflow {self.workflow!r} failed: {self.error}",
                code="WORKFLOW_FAILED",
                details={"run_id": self.run_id, "workflow": self.workflow},
            )
        return self

    def __repr__(self) -> str:
        extra = ""
        if self.error is not None:
            extra = f", error={self.error!r}"
        elif self.suspended:
            extra = f", suspended={self.suspended!r}"
        elif self.status == "success":
            extra = f", result={self.result!r}"
        return f"WorkflowResult(status={self.status!r}{extra})"


def _inputs(state: RunState, nodes: tuple[Node, ...]) -> dict[str, Any]:
    """The input of every top-level step that ran; unknown (``None``) when an earlier output was not kept."""
    inputs: dict[str, Any] = {}
    for index, node in enumerate(nodes):
        ran = [s for s in node.steps if s.id in state.steps]
        if not ran:
            continue
        try:
            value = node_input(nodes, state, index)
        except WorkflowError:
            value = None
        for s in ran:
            inputs[s.id] = value
    return inputs


def _keep_unstored_outputs(stored: RunState, memory: RunState) -> None:
    """Give ``stored`` the outputs this process still holds of steps with ``persist_output=False``."""
    for sid, r in stored.steps.items():
        mine = memory.steps.get(sid)
        if r.lost and mine is not None and mine.status == "success" and not mine.lost:
            stored.steps[sid] = mine


def _forget_in_flight(state: RunState) -> None:
    """Drop the results of steps that were running when their process died, so they run again; a nested
    workflow that was running keeps its finished steps and forgets only its own steps in flight."""
    for sid, r in list(state.steps.items()):
        if r.status != "running":
            continue
        if r.run is None:
            del state.steps[sid]
            continue
        child = RunState.from_snapshot("", r.run)
        _forget_in_flight(child)
        r.run = child.to_snapshot()


class WorkflowRun:
    """One run of a workflow; made by ``Workflow.create_run``."""

    def __init__(self, workflow: Workflow, run_id: str | None = None, resource_id: str | None = None) -> None:
        self.workflow = workflow
        self.run_id = run_id or uuid.uuid4().hex
        snap = workflow.storage.load_snapshot(workflow.id, self.run_id)
        if snap is None:
            self._state = RunState(self.run_id, workflow.id, resource_id=resource_id)
        else:
            self._state = RunState.from_snapshot(self.run_id, dict(snap))
        self._watchers: list[Callable[[WorkflowEvent], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._canceled = False

    def __repr__(self) -> str:
        return f"WorkflowRun(workflow={self.workflow.id!r}, run_id={self.run_id!r}, status={self.status!r})"

    @property
    def status(self) -> RunStatus:
        """The run's status as this object last saw it."""
        return self._state.status

    @property
    def result(self) -> WorkflowResult:
        """Where the run stands now."""
        return WorkflowResult.of(self._state, self.workflow.nodes)

    def watch(self, callback: Callable[[WorkflowEvent], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event of this run; returns a function that stops watching."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback)

    # -- driving --------------------------------------------------------------------------------------

    def _save(self) -> None:
        self.workflow.storage.save_snapshot(self.workflow.id, self.run_id, self._state.to_snapshot())

    def _emit(self, event: WorkflowEvent) -> None:
        for watcher in list(self._watchers):
            watcher(event)

    def _claim(self, check: Callable[[RunState | None], RunState]) -> None:
        """Replace the stored run with ``check(stored)`` in one atomic step; ``check`` raises to refuse.

        Two processes claiming the same run are serialised by storage, so the second sees what the
        first wrote (``running``) and is refused.
        """
        wf = self.workflow

        def change(snap: dict[str, Any] | None) -> dict[str, Any]:
            stored = None if snap is None else RunState.from_snapshot(self.run_id, dict(snap))
            if stored is not None:
                _keep_unstored_outputs(stored, self._state)
            self._state = check(stored)
            return self._state.to_snapshot()

        wf.storage.modify_snapshot(wf.id, self.run_id, change)

    def _env(self, resume: dict[str, Any]) -> Env:
        wf = self.workflow
        return Env(
            state=self._state,
            nodes=wf.nodes,
            save=self._save,
            emit=self._emit,
            step_ids=wf.step_ids,
            state_schema=wf.state_schema,
            mastra=wf._mastra,
            retry_attempts=wf.retry_attempts,
            retry_delay=wf.retry_delay,
            resume=resume,
            execute=wf.executor,
            tracer=wf.tracer,
            watched=lambda: bool(self._watchers),
        )

    async def _drive(self, resume: dict[str, Any]) -> WorkflowResult:
        wf = self.workflow
        wf._check_committed("run")
        self._emit(WorkflowEvent("workflow-start", self.run_id, data=self._state.input))
        attributes = {"mastra.workflow": wf.id, "mastra.run_id": self.run_id}
        with wf.tracer.span(
            f"workflow_run {wf.id}", "workflow_run", input=self._state.input, attributes=attributes
        ) as span:
            self._task = asyncio.create_task(run_nodes(self._env(resume), wf.output_schema))
            try:
                await asyncio.shield(self._task)
            except asyncio.CancelledError:
                if not self._canceled:
                    self._task.cancel()
                    raise
                await asyncio.gather(self._task, return_exceptions=True)
            if self._canceled:
                self._mark_canceled()
            span.set_attribute("mastra.status", self._state.status)
            span.set_output(self._state.result)
            if self._state.status == "failed":
                record_failure(span, str(self._state.error), "WorkflowFailed")
        result = self.result
        log = wf.logger.bind(workflow=wf.id, run_id=self.run_id, status=result.status)
        if result.status == "failed":
            log.warning("workflow run failed: %s", result.error)
        else:
            log.info("workflow run %s", result.status)
        self._emit(WorkflowEvent("workflow-finish", self.run_id, data=result))
        return result

    def _mark_canceled(self) -> None:
        state = self._state
        state.status = "canceled"
        for r in state.steps.values():
            if r.status in ("running", "suspended"):
                r.status, r.ended_at = "canceled", utcnow()
        self._save()

    def _busy(self, status: str) -> WorkflowError:
        return WorkflowError(
            f"run {self.run_id!r} of workflow {self.workflow.id!r} is {status!r}: another caller (maybe "
            "another process) is running it; wait for it to suspend or finish (or restart() it if its "
            "process died)",
            code="WORKFLOW_RUN_BUSY",
            details={"run_id": self.run_id, "status": status},
        )

    def _prepare_start(self, input_data: Any, initial_state: Any) -> None:
        wf = self.workflow
        wf._check_committed("run")
        value = validate(input_data, wf.input_schema, f"input of workflow {wf.id!r}", "WORKFLOW_INPUT")
        state = validate(
            initial_state or {},
            wf.state_schema,
            f"initial state of workflow {wf.id!r}",
            "WORKFLOW_STATE_INVALID",
        )
        fresh = self._state

        def check(stored: RunState | None) -> RunState:
            status = fresh.status if stored is None else stored.status
            if status != "pending":
                if status == "running":
                    raise self._busy(status)
                raise WorkflowError(
                    f"run {self.run_id!r} of workflow {wf.id!r} was already started (status {status!r}); "
                    "use resume() or create a new run",
                    code="WORKFLOW_RUN_STARTED",
                    details={"run_id": self.run_id, "status": status},
                )
            run = stored or fresh
            run.input = jsonable(value)
            run.state = jsonable(state)
            run.created_at = utcnow()
            run.status = "running"
            run.record_state()
            return run

        self._claim(check)

    async def start(self, input_data: Any = None, initial_state: Any = None) -> WorkflowResult:
        """Run the workflow on ``input_data`` until it succeeds, fails, suspends or is canceled.

        Raises:
            WorkflowError: the input does not match ``input_schema`` (before any step runs, nothing stored),
                or this run was already started.
        """
        self._prepare_start(input_data, initial_state)
        return await self._drive({})

    def start_sync(self, input_data: Any = None, initial_state: Any = None) -> WorkflowResult:
        """:meth:`start` for code that cannot ``await``."""
        return _runtime.run_sync(self.start(input_data, initial_state))

    def _prepare_resume(self, step: Any, resume_data: Any) -> dict[str, Any]:
        wf = self.workflow
        chosen: list[str] = []

        def check(stored: RunState | None) -> RunState:
            run = stored or self._state
            suspended = run.suspended
            if run.status == "running":
                raise self._busy(run.status)
            if run.status != "suspended" or not suspended:
                raise WorkflowError(
                    f"run {self.run_id!r} of workflow {wf.id!r} is {run.status!r}, not suspended; "
                    "only a suspended run can be resumed",
                    code="WORKFLOW_NOT_SUSPENDED",
                    details={"run_id": self.run_id, "status": run.status},
                )
            path = _resolve(self.run_id, suspended, step)
            where = f"resume data of step {path!r}"
            validate(resume_data, wf.step(path).resume_schema, where, "WORKFLOW_RESUME_INVALID")
            node_input(wf.nodes, run, run.position)  # raises when that input was not stored
            chosen.append(path)
            run.status = "running"
            return run

        self._claim(check)
        return {chosen[0]: resume_data}

    async def resume(self, step: Any = None, resume_data: Any = None) -> WorkflowResult:
        """Continue a suspended run: ``step`` runs again with ``ctx.resume_data``.

        ``step`` is a :class:`Step`, a step id, or a path into nested workflows (``"outer.inner"`` or
        ``["outer", "inner"]``); it may be left out when exactly one step is suspended, and a nested
        workflow's id stands for its one suspended step. Steps that completed are not run again. When two
        callers resume the same run at once (in two processes, say), one wins and the other is refused.

        Raises:
            WorkflowError: the run is not suspended, is being run by another caller
                (``WORKFLOW_RUN_BUSY``), the step is unknown or not suspended, several are and none was
                named, or ``resume_data`` does not match the step's ``resume_schema`` — in each case before
                anything changes.
        """
        resume = self._prepare_resume(step, resume_data)
        return await self._drive(resume)

    def resume_sync(self, step: Any = None, resume_data: Any = None) -> WorkflowResult:
        """:meth:`resume` for code that cannot ``await``."""
        return _runtime.run_sync(self.resume(step, resume_data))

    async def restart(self) -> WorkflowResult:
        """Continue a run stored as ``running`` whose process died (killed, crashed, kernel restarted).

        Steps that finished keep their output (inside nested workflows too); a step that was in flight
        runs again from its start. Only call it when no process is still running the run: storage cannot
        tell a live run from a dead one.

        Raises:
            WorkflowError: the stored run is not ``running`` (use :meth:`resume` for a suspended one).
        """
        wf = self.workflow
        snap = wf.storage.load_snapshot(wf.id, self.run_id)
        if snap is None or snap.get("status") != "running":
            status = None if snap is None else snap.get("status")
            raise WorkflowError(
                f"run {self.run_id!r} of workflow {wf.id!r} is {status!r}, not running; only a run whose "
                "process stopped mid-way can be restarted",
                code="WORKFLOW_NOT_RUNNING",
                details={"run_id": self.run_id, "status": status},
            )
        self._state = RunState.from_snapshot(self.run_id, dict(snap))
        _forget_in_flight(self._state)
        return await self._drive({})

    def restart_sync(self) -> WorkflowResult:
        """:meth:`restart` for code that cannot ``await``."""
        return _runtime.run_sync(self.restart())

    def _travel_state(self, step: Any, input_data: Any, resume_data: Any) -> tuple[RunState, dict[str, Any]]:
        wf = self.workflow
        snap = wf.storage.load_snapshot(wf.id, self.run_id)
        source = self._state if snap is None else RunState.from_snapshot(self.run_id, dict(snap))
        if source.status == "pending":
            raise WorkflowError(
                f"run {self.run_id!r} of workflow {wf.id!r} never started; there is nothing to travel to",
                code="WORKFLOW_NOT_STARTED",
            )
        sid = step.id if isinstance(step, Step) else step
        index = next((i for i, n in enumerate(wf.nodes) if any(s.id == sid for s in n.steps)), None)
        if not isinstance(sid, str) or index is None:
            top = [s.id for n in wf.nodes for s in n.steps]
            raise WorkflowError(
                f"workflow {wf.id!r} has no top-level step {sid!r} to travel to; its steps are: "
                f"{', '.join(top)}",
                code="WORKFLOW_UNKNOWN_STEP",
                details={"workflow": wf.id, "step": sid},
            )
        target = wf.step(sid)
        if resume_data is not None:
            validate(
                resume_data, target.resume_schema, f"resume data of step {sid!r}", "WORKFLOW_RESUME_INVALID"
            )
        node = wf.nodes[index]
        value = node_input(wf.nodes, source, index) if input_data is None else jsonable(input_data)
        kept = {s.id for n in wf.nodes[:index] for s in n.steps}
        if node.kind in ("parallel", "branch"):
            done = {k for k, r in source.steps.items() if r.status == "success"}
            kept |= {s.id for s in node.steps if s.id != sid and s.id in done}
        new = RunState(
            uuid.uuid4().hex,
            wf.id,
            "running",
            input=source.input,
            state=source.state_before(index),
            resource_id=source.resource_id,
            position=index,
            steps={k: r for k, r in source.steps.items() if k in kept},
            created_at=utcnow(),
            state_at={k: v for k, v in source.state_at.items() if int(k) <= index},
            origin={"run_id": self.run_id, "step": sid},
        )
        new.inputs[str(index)] = value
        if node.kind == "branch":
            new.node["taken"] = sorted(kept & {s.id for s in node.steps} | {sid})
        return new, ({} if resume_data is None else {sid: resume_data})

    async def time_travel(self, step: Any, input_data: Any = None, resume_data: Any = None) -> WorkflowResult:
        """Re-run this run from ``step`` as a new run that starts with this one's results before it.

        The steps before ``step`` are not executed again — their stored outputs (and the shared state as it
        was then) are copied — so their side effects are not repeated. ``step`` runs on ``input_data``, or on
        the input it had; with ``resume_data`` it runs as if resumed. Siblings of ``step`` in a ``parallel``
        or ``branch`` that succeeded are kept too. The new run is linked to this one by ``origin``; this one
        is left as it is.

        Returns:
            The new run's result (``result.run_id`` names it; ``workflow.create_run(run_id)`` reopens it).

        Raises:
            WorkflowError: the run never started, ``step`` is not a top-level step of the workflow, or
                ``resume_data`` does not match its ``resume_schema`` — before anything is stored.
        """
        state, resume = self._travel_state(step, input_data, resume_data)
        run = WorkflowRun(self.workflow, state.run_id)
        run._state = state
        run._watchers = self._watchers
        run._save()
        return await run._drive(resume)

    def time_travel_sync(self, step: Any, input_data: Any = None, resume_data: Any = None) -> WorkflowResult:
        """:meth:`time_travel` for code that cannot ``await``."""
        return _runtime.run_sync(self.time_travel(step, input_data, resume_data))

    async def _events(self, drive: Awaitable[WorkflowResult]) -> AsyncIterator[WorkflowEvent]:
        queue: asyncio.Queue[WorkflowEvent | None] = asyncio.Queue()
        stop = self.watch(queue.put_nowait)
        task = asyncio.ensure_future(drive)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
            task.result()
        finally:
            stop()
            if not task.done():
                task.cancel()

    async def stream(self, input_data: Any = None, initial_state: Any = None) -> AsyncIterator[WorkflowEvent]:
        """Start the run and yield its events as they happen, ``workflow-start`` to ``workflow-finish``."""
        self._prepare_start(input_data, initial_state)
        async for event in self._events(self._drive({})):
            yield event

    def stream_sync(
        self, input_data: Any = None, initial_state: Any = None
    ) -> Generator[WorkflowEvent, None, None]:
        """:meth:`stream` for code that cannot ``async for``."""
        return _runtime.iterate_sync(self.stream(input_data, initial_state))

    async def resume_stream(self, step: Any = None, resume_data: Any = None) -> AsyncIterator[WorkflowEvent]:
        """:meth:`resume`, yielding the events of the resumed run as :meth:`stream` does.

        Raises:
            WorkflowError: as :meth:`resume`, when the first event is asked for and before anything changes.
        """
        resume = self._prepare_resume(step, resume_data)
        async for event in self._events(self._drive(resume)):
            yield event

    def resume_stream_sync(
        self, step: Any = None, resume_data: Any = None
    ) -> Generator[WorkflowEvent, None, None]:
        """:meth:`resume_stream` for code that cannot ``async for``."""
        return _runtime.iterate_sync(self.resume_stream(step, resume_data))

    async def cancel(self) -> WorkflowResult:
        """Stop the run: a step in flight is interrupted, and the run is stored as ``canceled``."""
        self._canceled = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._mark_canceled()
            return self.result
        snap = self.workflow.storage.load_snapshot(self.workflow.id, self.run_id)
        if snap is not None:
            self._state = RunState.from_snapshot(self.run_id, dict(snap))
        if self._state.status in ("pending", "running", "suspended"):
            self._mark_canceled()
        return self.result

    def cancel_sync(self) -> WorkflowResult:
        """:meth:`cancel` for code that cannot ``await``."""
        return _runtime.run_sync(self.cancel())


def _resolve(run_id: str, suspended: list[str], step: Any) -> str:
    """The suspended path ``step`` names: exact, a nested workflow's id for its one suspended step, or the
    one path ending in that step id; ``None`` when exactly one step is suspended."""
    if isinstance(step, Step):
        step = step.id
    elif isinstance(step, list | tuple):
        step = ".".join(str(part) for part in step)
    if step is None:
        if len(suspended) > 1:
            raise WorkflowError(
                f"run {run_id!r} has several suspended steps ({', '.join(suspended)}); "
                "pass step= to say which one to resume",
                code="WORKFLOW_AMBIGUOUS_RESUME",
                details={"suspended": suspended},
            )
        return suspended[0]
    if step in suspended:
        return str(step)
    near = [p for p in suspended if p.startswith(f"{step}.") or p.endswith(f".{step}")]
    if len(near) == 1:
        return near[0]
    raise WorkflowError(
        f"step {step!r} is not suspended in run {run_id!r}; suspended: {', '.join(suspended)}",
        code="WORKFLOW_UNKNOWN_STEP",
        details={"step": step, "suspended": suspended},
    )
