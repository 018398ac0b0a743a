"""Running ``foreach`` items on Ray: the engine's one step function, in a worker process.

The driver keeps everything a run is made of — which items are done or suspended, the snapshots, spans and
events — and sends a Ray task only what one execution needs: the step (pickled once per node), the item,
resume data, and the run's shared state and finished step outputs so ``ctx.state`` and
``ctx.get_step_result`` read the same values as locally. The worker builds a :class:`StepContext` from them
and calls :func:`~mastra_lab.workflow.engine.execute_step`; the :class:`StepResult` comes back with the
events the step emitted and its shared state, which the driver replays and keeps. A run on Ray is therefore
stored, watched and resumed exactly like a local one, from any process that opens its store.

In a worker ``ctx.mastra`` is ``None``: a registry holds open storage and cannot travel.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from mastra_lab import _runtime, _ship
from mastra_lab.errors import WorkflowError
from mastra_lab.storage.records import utcnow
from mastra_lab.workflow.context import StepContext
from mastra_lab.workflow.snapshot import RunState, StepResult
from mastra_lab.workflow.steps import Step

__all__ = ["RayExecutor", "check_sendable"]

_FIX = (
    "a step sent to Ray must pickle: create clients and connections inside the step function, "
    'or use executor="local"'
)

Executor = Callable[[Step, StepContext, int, float], Coroutine[Any, Any, StepResult]]

_STEPS: dict[str, Step] = {}
"""In a worker: steps already unpickled, by the token of the node run that sent them."""

_REMOTE: list[Any] = []
"""The Ray remote function, made on first use (``ray.remote`` needs Ray imported)."""


def check_sendable(step: Step) -> bytes:
    """``step`` pickled for a worker.

    Raises:
        WorkflowError: naming the attribute or closure variable of the step that cannot be pickled.
    """
    return _ship.dumps(step, f"step {step.id!r}", WorkflowError, _FIX)


@dataclass
class _Call:
    """One execution, as the worker receives it."""

    value: Any
    resume_data: Any
    suspend_data: Any
    run_id: str
    workflow: str
    resource_id: str | None
    input_data: Any
    state: Any
    steps: dict[str, StepResult]
    step_ids: frozenset[str]
    state_schema: Any
    iteration: int | None
    attempts: int
    delay: float


def _run_in_worker(
    token: str, blob: bytes, call: _Call, execute: Executor
) -> tuple[StepResult, list[Any], Any]:
    """The worker's side: the step's result, the events it emitted, and the run's shared state after it."""
    step = _STEPS.get(token)
    if step is None:
        if len(_STEPS) > 64:
            _STEPS.clear()
        step = _STEPS[token] = _ship.loads(blob)
    state = RunState(
        call.run_id,
        call.workflow,
        "running",
        input=call.input_data,
        state=call.state,
        resource_id=call.resource_id,
        steps=call.steps,
    )
    events: list[Any] = []
    ctx = StepContext(
        step,
        call.value,
        state,
        resume_data=call.resume_data,
        suspend_data=call.suspend_data,
        emit=events.append,
        step_ids=call.step_ids,
        state_schema=call.state_schema,
        iteration=call.iteration,
    )
    result = _runtime.run_sync(execute(step, ctx, call.attempts, call.delay))
    return result, events, state.state


def _remote() -> Any:
    if not _REMOTE:
        _REMOTE.append(_ship.import_ray().remote(max_retries=0)(_run_in_worker))
    return _REMOTE[0]


class RayExecutor:
    """An :data:`~mastra_lab.workflow.engine.Executor` that runs each call in a Ray task.

    One instance serves one node run: its step is pickled and put in Ray's object store once, and every
    worker unpickles it once.

    Args:
        step: The step every call runs.
        execute: What the worker calls: the engine's
            :func:`~mastra_lab.workflow.engine.execute_step` (sent by reference, imported in the worker).
    """

    def __init__(self, step: Step, execute: Executor) -> None:
        self._execute = execute
        self._blob = check_sendable(step)
        self._token = uuid.uuid4().hex
        self._ref: Any = None

    async def __call__(self, step: Step, ctx: StepContext, attempts: int, delay: float) -> StepResult:
        ray = _ship.ray_ready(None)
        if self._ref is None:
            self._ref = ray.put(self._blob)
        run: RunState = ctx._run
        sent_state = run.state
        call = _Call(
            value=ctx.input,
            resume_data=ctx.resume_data,
            suspend_data=ctx.suspend_data,
            run_id=run.run_id,
            workflow=run.workflow,
            resource_id=run.resource_id,
            input_data=run.input,
            state=sent_state,
            steps={k: r for k, r in run.steps.items() if r.status == "success" and k != step.id},
            step_ids=ctx._step_ids,
            state_schema=ctx._state_schema,
            iteration=ctx.iteration,
            attempts=attempts,
            delay=delay,
        )
        started = utcnow()
        ref = _remote().remote(self._token, self._ref, call, self._execute)
        try:
            result, events, state = await asyncio.wrap_future(ref.future())
        except asyncio.CancelledError:
            ray.cancel(ref)
            raise
        except ray.exceptions.RayError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            error = f"{type(exc).__name__}: the Ray task of step {step.id!r} failed: {first}"
            return StepResult("failed", error=error, started_at=started, ended_at=utcnow(), attempts=1)
        for event in events:
            ctx.emit(event)
        if state != sent_state:
            run.state = state
        assert isinstance(result, StepResult)
        return result
