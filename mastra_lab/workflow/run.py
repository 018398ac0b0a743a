"""Runs of a workflow: :class:`WorkflowRun` (start, resume, stream, watch, cancel), :class:`WorkflowResult`.

A run is identified by its ``run_id``; its whole progress lives in the snapshot stored under the workflow's
id, so ``workflow.create_run(run_id=...)`` in a new process picks up a suspended run where it stopped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra_lab import _runtime
from mastra_lab.errors import WorkflowError
from mastra_lab.storage.records import utcnow
from mastra_lab.workflow.engine import Env, run_nodes
from mastra_lab.workflow.events import WorkflowEvent
from mastra_lab.workflow.snapshot import RunState, RunStatus, StepResult
from mastra_lab.workflow.steps import jsonable, validate

if TYPE_CHECKING:
    from mastra_lab.workflow.builder import Workflow

__all__ = ["WorkflowResult", "WorkflowRun"]


@dataclass
class WorkflowResult:
    """How a run ended (or where it stands).

    Attributes:
        status: ``success``, ``failed``, ``suspended``, ``canceled``, ``running``, ``pending`` (not started).
        result: The workflow's output, on success.
        error: What failed (naming the step), on failure.
        steps: Step id → :class:`~mastra_lab.workflow.StepResult`, in the order they started.
        suspended: Ids of the steps waiting for ``resume``.
        suspend_payload: Step id → what it passed to ``ctx.suspend``, for each suspended step.
        run_id: The run.
        state: The run's shared state as it ended.
    """

    status: RunStatus
    result: Any = None
    error: str | None = None
    steps: dict[str, StepResult] = field(default_factory=dict)
    suspended: list[str] = field(default_factory=list)
    suspend_payload: dict[str, Any] = field(default_factory=dict)
    run_id: str = ""
    state: Any = None

    @classmethod
    def of(cls, state: RunState) -> WorkflowResult:
        suspended = state.suspended
        return cls(
            status=state.status,
            result=state.result,
            error=state.error,
            steps=dict(state.steps),
            suspended=suspended,
            suspend_payload={sid: state.steps[sid].suspend_payload for sid in suspended},
            run_id=state.run_id,
            state=state.state,
        )

    def __repr__(self) -> str:
        extra = ""
        if self.error is not None:
            extra = f", error={self.error!r}"
        elif self.suspended:
            extra = f", suspended={self.suspended!r}"
        elif self.status == "success":
            extra = f", result={self.result!r}"
        return f"WorkflowResult(status={self.status!r}{extra})"


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
        return WorkflowResult.of(self._state)

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
        )

    async def _drive(self, resume: dict[str, Any]) -> WorkflowResult:
        wf = self.workflow
        wf._check_committed("run")
        self._emit(WorkflowEvent("workflow-start", self.run_id, data=self._state.input))
        attributes = {"mastra.span": "workflow_run", "mastra.workflow": wf.id, "mastra.run_id": self.run_id}
        with wf.tracer.span(
            f"workflow_run {wf.id}", "workflow", input=self._state.input, attributes=attributes
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
        result = WorkflowResult.of(self._state)
        self._emit(WorkflowEvent("workflow-finish", self.run_id, data=result))
        return result

    def _mark_canceled(self) -> None:
        state = self._state
        state.status = "canceled"
        for r in state.steps.values():
            if r.status in ("running", "suspended"):
                r.status, r.ended_at = "canceled", utcnow()
        self._save()

    def _prepare_start(self, input_data: Any, initial_state: Any) -> None:
        wf = self.workflow
        wf._check_committed("run")
        if self._state.status != "pending":
            raise WorkflowError(
                f"run {self.run_id!r} of workflow {wf.id!r} was already started (status "
                f"{self._state.status!r}); use resume() or create a new run",
                code="WORKFLOW_RUN_STARTED",
                details={"run_id": self.run_id, "status": self._state.status},
            )
        value = validate(input_data, wf.input_schema, f"input of workflow {wf.id!r}", "WORKFLOW_INPUT")
        state = validate(
            initial_state or {},
            wf.state_schema,
            f"initial state of workflow {wf.id!r}",
            "WORKFLOW_STATE_INVALID",
        )
        self._state.input = self._state.last_output = jsonable(value)
        self._state.state = jsonable(state)
        self._state.created_at = utcnow()
        self._state.status = "running"
        self._save()

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
        snap = wf.storage.load_snapshot(wf.id, self.run_id)
        if snap is not None:
            self._state = RunState.from_snapshot(self.run_id, dict(snap))
        suspended = self._state.suspended
        if self._state.status != "suspended" or not suspended:
            raise WorkflowError(
                f"run {self.run_id!r} of workflow {wf.id!r} is {self._state.status!r}, not suspended; "
                "only a suspended run can be resumed",
                code="WORKFLOW_NOT_SUSPENDED",
                details={"run_id": self.run_id, "status": self._state.status},
            )
        sid = getattr(step, "id", step)
        if sid is None:
            if len(suspended) > 1:
                raise WorkflowError(
                    f"run {self.run_id!r} has several suspended steps ({', '.join(suspended)}); "
                    "pass step= to say which one to resume",
                    code="WORKFLOW_AMBIGUOUS_RESUME",
                    details={"suspended": suspended},
                )
            sid = suspended[0]
        if sid not in suspended:
            raise WorkflowError(
                f"step {sid!r} is not suspended in run {self.run_id!r}; suspended: {', '.join(suspended)}",
                code="WORKFLOW_UNKNOWN_STEP",
                details={"step": sid, "suspended": suspended},
            )
        schema = wf.step(sid).resume_schema
        validate(resume_data, schema, f"resume data of step {sid!r}", "WORKFLOW_RESUME_INVALID")
        self._state.status = "running"
        self._save()
        return {sid: resume_data}

    async def resume(self, step: Any = None, resume_data: Any = None) -> WorkflowResult:
        """Continue a suspended run: ``step`` (a :class:`Step` or id) runs again with ``ctx.resume_data``.

        ``step`` may be left out when exactly one step is suspended. Steps that completed are not run again.

        Raises:
            WorkflowError: the run is not suspended, the step is unknown or not suspended, several are and
                none was named, or ``resume_data`` does not match the step's ``resume_schema`` — in each case
                before anything changes.
        """
        resume = self._prepare_resume(step, resume_data)
        return await self._drive(resume)

    def resume_sync(self, step: Any = None, resume_data: Any = None) -> WorkflowResult:
        """:meth:`resume` for code that cannot ``await``."""
        return _runtime.run_sync(self.resume(step, resume_data))

    async def restart(self) -> WorkflowResult:
        """Continue a run stored as ``running`` whose process died (killed, crashed, kernel restarted).

        Steps that finished keep their output; a step that was in flight runs again from its start. Only
        call it when no process is still running the run: storage cannot tell a live run from a dead one.

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
        for sid in [sid for sid, r in self._state.steps.items() if r.status == "running"]:
            del self._state.steps[sid]
        return await self._drive({})

    def restart_sync(self) -> WorkflowResult:
        """:meth:`restart` for code that cannot ``await``."""
        return _runtime.run_sync(self.restart())

    async def stream(self, input_data: Any = None, initial_state: Any = None) -> AsyncIterator[WorkflowEvent]:
        """Start the run and yield its events as they happen, ``workflow-start`` to ``workflow-finish``."""
        self._prepare_start(input_data, initial_state)
        queue: asyncio.Queue[WorkflowEvent | None] = asyncio.Queue()
        stop = self.watch(queue.put_nowait)
        task = asyncio.create_task(self._drive({}))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
            task.result()
        finally:
            stop()
            if not task.done():
                task.cancel()

    def stream_sync(
        self, input_data: Any = None, initial_state: Any = None
    ) -> Generator[WorkflowEvent, None, None]:
        """:meth:`stream` for code that cannot ``async for``."""
        return _runtime.iterate_sync(self.stream(input_data, initial_state))

    async def cancel(self) -> WorkflowResult:
        """Stop the run: a step in flight is interrupted, and the run is stored as ``canceled``."""
        self._canceled = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._mark_canceled()
            return WorkflowResult.of(self._state)
        snap = self.workflow.storage.load_snapshot(self.workflow.id, self.run_id)
        if snap is not None:
            self._state = RunState.from_snapshot(self.run_id, dict(snap))
        if self._state.status in ("pending", "running", "suspended"):
            self._mark_canceled()
        return WorkflowResult.of(self._state)

    def cancel_sync(self) -> WorkflowResult:
        """:meth:`cancel` for code that cannot ``await``."""
        return _runtime.run_sync(self.cancel())
