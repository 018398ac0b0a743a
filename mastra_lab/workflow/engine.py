"""The engine: walks a workflow's nodes over a :class:`RunState`, saving a snapshot after every step.

Every step, whatever node it sits in, runs through :func:`execute_step` (via ``Env.execute``), which takes
the step and its context and returns a :class:`StepResult`. It has no access to the run's bookkeeping, so a
different executor (another process, a queue) can replace it without touching the builder or the nodes.

Nodes signal the end of the walk with private exceptions: a failed step or condition, ``ctx.bail``, or a
suspended step. Completed work is never repeated: nodes before ``position`` are skipped, and inside the
current node steps that already succeeded keep their stored output.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import WorkflowError
from mastra_lab.storage.records import utcnow
from mastra_lab.workflow.context import StepContext, _Bail, _Suspend
from mastra_lab.workflow.events import WorkflowEvent
from mastra_lab.workflow.graph import Node
from mastra_lab.workflow.snapshot import RunState, StepResult
from mastra_lab.workflow.steps import Step, jsonable, validate

if TYPE_CHECKING:
    from mastra_lab.telemetry.tracer import Tracer

__all__ = ["Env", "Executor", "execute_step", "run_nodes"]

Executor = Callable[[Step, StepContext, int, float], Awaitable[StepResult]]
"""``(step, ctx, attempts, delay) -> StepResult``: how one step is executed."""


class _Halt(Exception):
    """The walk stops here (failure, bail or suspension)."""


class _Failed(_Halt):
    pass


class _Suspended(_Halt):
    pass


class _Bailed(_Halt):
    def __init__(self, result: Any) -> None:
        super().__init__("bailed")
        self.result = result


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _call(fn: Callable[..., Any], *args: Any) -> Any:
    value = fn(*args)
    return await value if inspect.isawaitable(value) else value


async def execute_step(step: Step, ctx: StepContext, attempts: int, delay: float) -> StepResult:
    """Run ``step.execute(ctx)`` up to ``attempts`` times; input and output checked against its schemas.

    A schema problem fails at once (retrying cannot fix it); an exception from ``execute`` is retried after
    ``delay`` seconds. ``ctx.suspend`` and ``ctx.bail`` end the step with ``suspended`` or ``bailed``.
    """
    started = utcnow()
    try:
        ctx.input = validate(
            ctx.input, step.input_schema, f"input of step {step.id!r}", "WORKFLOW_STEP_INPUT"
        )
        if ctx.resume_data is not None:
            where = f"resume data of step {step.id!r}"
            ctx.resume_data = validate(ctx.resume_data, step.resume_schema, where, "WORKFLOW_RESUME_INVALID")
    except WorkflowError as exc:
        return StepResult("failed", error=_error_text(exc), started_at=started, ended_at=utcnow())
    tries = 0
    while True:
        tries += 1
        try:
            output = await _call(step.execute, ctx)
        except _Suspend as signal:
            return StepResult(
                "suspended",
                suspend_payload=signal.payload,
                started_at=started,
                ended_at=utcnow(),
                attempts=tries,
            )
        except _Bail as signal:
            return StepResult(
                "success",
                output=signal.result,
                started_at=started,
                ended_at=utcnow(),
                attempts=tries,
                bailed=True,
            )
        except Exception as exc:
            if tries < attempts:
                await asyncio.sleep(delay)
                continue
            return StepResult(
                "failed", error=_error_text(exc), started_at=started, ended_at=utcnow(), attempts=tries
            )
        break
    try:
        output = validate(output, step.output_schema, f"output of step {step.id!r}", "WORKFLOW_STEP_OUTPUT")
    except WorkflowError as exc:
        return StepResult(
            "failed", error=_error_text(exc), started_at=started, ended_at=utcnow(), attempts=tries
        )
    return StepResult(
        "success", output=jsonable(output), started_at=started, ended_at=utcnow(), attempts=tries
    )


@dataclass
class Env:
    """What the nodes of one run share: its state, the services, and how to save and report."""

    state: RunState
    nodes: tuple[Node, ...]
    save: Callable[[], None]
    emit: Callable[[WorkflowEvent], None]
    step_ids: frozenset[str]
    state_schema: Any = None
    mastra: Any = None
    retry_attempts: int = 0
    retry_delay: float = 0.0
    resume: dict[str, Any] = field(default_factory=dict)
    """Step id → resume data, for the steps this execution resumes."""
    execute: Executor | None = None
    tracer: Tracer | None = None
    """Where ``workflow_step`` and node spans go; ``None`` records none."""
    """How each step is executed; ``None`` means :func:`execute_step` in this process."""


async def _run_one(
    step: Step, value: Any, env: Env, *, reuse: bool = True, iteration: int | None = None
) -> Any:
    """Run one step of the current node, record its result, save, report; the step's output."""
    state = env.state
    prior = state.steps.get(step.id)
    if prior is not None and reuse and prior.status == "success":
        return _outcome(step, prior)
    resuming = step.id in env.resume
    if prior is not None and prior.status == "suspended" and not resuming:
        raise _Suspended
    result = await _execute(step, value, env, env.resume.pop(step.id, None), iteration)
    state.steps[step.id] = result
    env.save()
    return _outcome(step, result)


async def _execute(step: Step, value: Any, env: Env, resume_data: Any, iteration: int | None) -> StepResult:
    run_id = env.state.run_id

    def custom(data: Any) -> None:
        env.emit(WorkflowEvent("custom", run_id, step.id, data))

    ctx = StepContext(
        step,
        value,
        env.state,
        resume_data=resume_data,
        mastra=env.mastra,
        emit=custom,
        step_ids=env.step_ids,
        state_schema=env.state_schema,
        iteration=iteration,
    )
    env.state.steps[step.id] = StepResult("running", started_at=utcnow())
    env.emit(WorkflowEvent("step-start", run_id, step.id, value))
    attempts = 1 + (step.retries or env.retry_attempts)
    with _span(env, "workflow_step", step.id, value) as span:
        try:
            result = await (env.execute or execute_step)(step, ctx, attempts, env.retry_delay)
        except asyncio.CancelledError:
            started = env.state.steps[step.id].started_at
            env.state.steps[step.id] = StepResult("canceled", started_at=started, ended_at=utcnow())
            raise
        span.set_attribute("mastra.step.status", result.status)
        span.set_attribute("mastra.step.attempts", result.attempts)
        if result.status == "success":
            span.set_output(result.output)
        elif result.error is not None:
            span.set_attribute("error.message", result.error)
    if result.status == "suspended":
        env.emit(WorkflowEvent("step-suspended", run_id, step.id, result.suspend_payload))
    else:
        env.emit(WorkflowEvent("step-result", run_id, step.id, result))
    return result


def _outcome(step: Step, result: StepResult) -> Any:
    if result.status == "failed":
        raise _Failed(f"step {step.id!r} failed: {result.error}")
    if result.status == "suspended":
        raise _Suspended
    if result.bailed:
        raise _Bailed(result.output)
    return result.output


async def _gather(calls: list[Awaitable[Any]]) -> list[Any]:
    """All calls concurrently; a failure cancels the others at once, and then wins over a bail or a
    suspension (siblings that suspend or finish are kept: a suspension waits for the rest)."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    pending: set[asyncio.Future[Any]] = set(tasks)
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
            if any(isinstance(t.exception(), _Failed) for t in done if not t.cancelled()):
                break
    finally:
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    outcomes = [t.exception() or t.result() if not t.cancelled() else None for t in tasks]
    for kind in (_Failed, _Bailed, _Suspended, BaseException):
        for outcome in outcomes:
            if isinstance(outcome, kind):
                raise outcome
    return outcomes


async def _condition(fn: Callable[..., Any], args: tuple[Any, ...], where: str) -> bool:
    try:
        return bool(await _call(fn, *args))
    except Exception as exc:
        raise _Failed(f"{where} raised {_error_text(exc)}") from exc


async def _node_step(node: Node, value: Any, env: Env) -> Any:
    return await _run_one(node.steps[0], value, env)


async def _node_parallel(node: Node, value: Any, env: Env) -> Any:
    outputs = await _gather([_run_one(s, value, env) for s in node.steps])
    return {s.id: out for s, out in zip(node.steps, outputs, strict=True)}


async def _node_branch(node: Node, value: Any, env: Env) -> Any:
    taken = env.state.node.get("taken")
    if taken is None:
        taken = []
        for i, (cond, s) in enumerate(zip(node.conditions, node.steps, strict=True)):
            if await _condition(cond, (value,), f"condition {i} of branch {node.key!r} (step {s.id!r})"):
                taken.append(s.id)
        env.state.node = {"taken": taken}
        env.save()
    chosen = [s for s in node.steps if s.id in taken]
    outputs = await _gather([_run_one(s, value, env) for s in chosen])
    return {s.id: out for s, out in zip(chosen, outputs, strict=True)}


async def _node_loop(node: Node, value: Any, env: Env) -> Any:
    step, fn = node.steps[0], node.fn
    assert fn is not None
    saved = env.state.node
    iteration = int(saved.get("iteration", 0))
    if "input" in saved:
        value = saved["input"]
    while True:
        output = await _run_one(step, value, env, reuse=False, iteration=iteration)
        where = f"condition of {node.kind} {step.id!r} (iteration {iteration})"
        again = await _condition(fn, (output, iteration), where)
        if node.kind == "dountil":
            again = not again
        if not again:
            return output
        iteration += 1
        value = output
        env.state.node = {"iteration": iteration, "input": output}
        env.save()


async def _node_foreach(node: Node, value: Any, env: Env) -> Any:
    step = node.steps[0]
    if not isinstance(value, list):
        raise _Failed(
            f"foreach {step.id!r} needs a list from the previous step, got {type(value).__name__} {value!r}"
        )
    node_state = env.state.node
    done: dict[str, Any] = node_state.setdefault("done", {})
    waiting: dict[str, Any] = node_state.setdefault("suspended", {})
    resuming = step.id in env.resume
    resume_data = env.resume.pop(step.id, None)
    gate = asyncio.Semaphore(node.concurrency)
    failures: list[str] = []
    env.state.steps[step.id] = StepResult("running", started_at=utcnow())

    async def item(i: int, x: Any) -> None:
        key = str(i)
        if key in done or (key in waiting and not resuming):
            return
        async with gate:
            result = await _execute(step, x, env, resume_data if key in waiting else None, i)
        waiting.pop(key, None)
        if result.status == "success":
            done[key] = result.output
        elif result.status == "suspended":
            waiting[key] = result.suspend_payload
        else:
            failures.append(f"step {step.id!r} failed on item {i}: {result.error}")
        env.save()

    await asyncio.gather(*(item(i, x) for i, x in enumerate(value)))
    return _foreach_outcome(step, env, len(value), failures)


def _foreach_outcome(step: Step, env: Env, count: int, failures: list[str]) -> Any:
    node_state, state = env.state.node, env.state
    first = state.steps[step.id]
    if failures:
        state.steps[step.id] = StepResult(
            "failed", error=failures[0], started_at=first.started_at, ended_at=utcnow()
        )
        env.save()
        raise _Failed(failures[0])
    waiting = node_state["suspended"]
    if waiting:
        payload = waiting[min(waiting, key=int)]
        state.steps[step.id] = StepResult("suspended", suspend_payload=payload, started_at=first.started_at)
        env.save()
        raise _Suspended
    output = [node_state["done"][str(i)] for i in range(count)]
    state.steps[step.id] = StepResult(
        "success", output=output, started_at=first.started_at, ended_at=utcnow()
    )
    return output


async def _node_sleep(node: Node, value: Any, env: Env) -> Any:
    until = env.state.node.get("until")
    if until is None:
        moment = node.until if node.kind == "sleep_until" else utcnow() + timedelta(seconds=node.seconds)
        assert moment is not None
        until = moment.isoformat()
        env.state.node = {"until": until}
        env.save()
    delay = (datetime.fromisoformat(until) - utcnow()).total_seconds()
    if delay > 0:
        await asyncio.sleep(delay)
    return value


_NODES: dict[str, Callable[[Node, Any, Env], Awaitable[Any]]] = {
    "step": _node_step,
    "map": _node_step,
    "parallel": _node_parallel,
    "branch": _node_branch,
    "dowhile": _node_loop,
    "dountil": _node_loop,
    "foreach": _node_foreach,
    "sleep": _node_sleep,
    "sleep_until": _node_sleep,
}


_NODE_SPANS = {
    "parallel": "workflow_parallel",
    "branch": "workflow_parallel",
    "foreach": "workflow_parallel",
    "dowhile": "workflow_loop",
    "dountil": "workflow_loop",
    "sleep": "workflow_sleep",
    "sleep_until": "workflow_sleep",
}


def _span(env: Env, kind: str, key: str, value: Any) -> contextlib.AbstractContextManager[Any]:
    if env.tracer is None:
        return contextlib.nullcontext(_NO_SPAN)
    span_type = "step" if kind == "workflow_step" else "workflow"
    attributes = {"mastra.span": kind, "mastra.run_id": env.state.run_id, "mastra.node": key}
    return env.tracer.span(f"{kind} {key}", span_type, input=value, attributes=attributes)


class _NoSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        pass

    def set_output(self, output: Any) -> None:
        pass


_NO_SPAN = _NoSpan()


async def _run_node(node: Node, value: Any, env: Env) -> Any:
    """One node; composite ones get their own span (a halt is not an error of the span)."""
    kind = _NODE_SPANS.get(node.kind)
    if kind is None:
        return await _NODES[node.kind](node, value, env)
    halt: _Halt | None = None
    with _span(env, kind, node.key, value) as span:
        try:
            output = await _NODES[node.kind](node, value, env)
            span.set_output(output)
        except _Halt as exc:
            span.set_attribute("mastra.halt", type(exc).__name__.strip("_").lower())
            halt = exc
    if halt is not None:
        raise halt
    return output


async def run_nodes(env: Env, output_schema: Any = None) -> None:
    """Walk the nodes from ``state.position`` until the run succeeds, fails or suspends; save at the end."""
    state = env.state
    state.status = "running"
    try:
        while state.position < len(env.nodes):
            node = env.nodes[state.position]
            output = await _run_node(node, state.last_output, env)
            state.last_output, state.position, state.node = output, state.position + 1, {}
            env.save()
        result = validate(
            state.last_output, output_schema, f"output of workflow {state.workflow!r}", "WORKFLOW_OUTPUT"
        )
        state.status, state.result = "success", jsonable(result)
    except _Suspended:
        state.status = "suspended"
    except _Bailed as bail:
        state.status, state.result = "success", bail.result
    except (_Failed, WorkflowError) as exc:
        state.status, state.error = "failed", str(exc)
    env.save()
