"""The engine: walks a workflow's nodes over a :class:`RunState`, saving a snapshot after every step.

Every step, whatever node it sits in, runs through :func:`execute_step` (via ``Env.execute``), which takes
the step and its context and returns a :class:`StepResult`. It has no access to the run's bookkeeping, so a
different executor (another process, a queue) can replace it without touching the builder or the nodes.

Nodes signal the end of the walk with private exceptions: a failed step or condition, ``ctx.bail``, or a
suspended step. Completed work is never repeated: nodes before ``position`` are skipped, and inside the
current node steps that already succeeded keep their stored output.

A nested workflow (a step whose ``workflow`` is set) is walked by the same engine over a child
:class:`RunState` that lives inside the parent's step result; its events and resume paths are named
``outer.inner``. Sync steps run in a worker thread, so a blocking step does not stall its siblings.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
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

__all__ = ["Env", "Executor", "execute_step", "node_input", "node_output", "run_nodes"]

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


async def _call_step(fn: Callable[..., Any], ctx: StepContext) -> Any:
    """A coroutine function is awaited on the loop; a plain function runs in a worker thread."""
    if inspect.iscoroutinefunction(fn):
        return await fn(ctx)
    value = await asyncio.to_thread(fn, ctx)
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
            output = await _call_step(step.execute, ctx)
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
    """Store the snapshot now."""
    emit: Callable[[WorkflowEvent], None]
    step_ids: frozenset[str]
    state_schema: Any = None
    mastra: Any = None
    retry_attempts: int = 0
    retry_delay: float = 0.0
    resume: dict[str, Any] = field(default_factory=dict)
    """Path of a suspended step (``outer.inner`` inside nested workflows) → its resume data."""
    execute: Executor | None = None
    """How each step is executed; ``None`` means :func:`execute_step` in this process."""
    tracer: Tracer | None = None
    """Where ``workflow_step`` and node spans go; ``None`` records none."""
    watched: Callable[[], bool] = lambda: True
    """Whether anyone listens to events (when not, per-item events of a ``foreach`` are not built)."""
    _save_pending: bool = False

    def save_soon(self) -> None:
        """Save once the steps finishing in this turn of the event loop have all been recorded.

        ``foreach`` items finish in bursts; one snapshot per burst instead of one per item keeps the
        stored bytes linear in the number of items rather than quadratic.
        """
        if not self._save_pending:
            self._save_pending = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        if self._save_pending:
            self._save_pending = False
            self.save()


def _output_of(state: RunState, step: Step) -> Any:
    result = state.steps.get(step.id)
    if result is None:
        return None
    if result.lost:
        raise WorkflowError(
            f"the output of step {step.id!r} is not stored (persist_output=False) and this process does not "
            f"hold it, so run {state.run_id!r} cannot continue past it; start a new run, or keep the output "
            "with persist_output=True",
            code="WORKFLOW_OUTPUT_NOT_STORED",
            details={"run_id": state.run_id, "step": step.id},
        )
    return result.output


def node_output(nodes: tuple[Node, ...], state: RunState, index: int) -> Any:
    """The output of node ``index`` (a finished one), rebuilt from its steps' stored results.

    Sleeps pass their input through; before the first node there is the run's input.
    """
    while index >= 0:
        node = nodes[index]
        if node.kind in ("sleep", "sleep_until"):
            index -= 1
            continue
        if node.kind == "parallel":
            return {s.id: _output_of(state, s) for s in node.steps}
        if node.kind == "branch":
            ran = [s for s in node.steps if s.id in state.steps]
            return {s.id: _output_of(state, s) for s in ran}
        return _output_of(state, node.steps[0])
    return state.input


def node_input(nodes: tuple[Node, ...], state: RunState, index: int) -> Any:
    """The input of node ``index``: the previous node's output, unless a loop is past its first iteration
    or a time-travel run gave this node its own input."""
    if index == state.position and "input" in state.node:
        return state.node["input"]
    if str(index) in state.inputs:
        return state.inputs[str(index)]
    return node_output(nodes, state, index - 1)


def _take_resume(env: Env, step: Step) -> tuple[bool, Any, dict[str, Any]]:
    """``(resuming, resume_data, child_resume)`` for ``step``; the entries are used up."""
    sid = step.id
    keys = [k for k in env.resume if k == sid or k.startswith(sid + ".")]
    if not keys:
        return False, None, {}
    taken = {k: env.resume.pop(k) for k in keys}
    if step.workflow is None:
        return True, taken.get(sid), {}
    return True, None, {k[len(sid) + 1 :]: v for k, v in taken.items() if k != sid}


async def _run_one(
    step: Step, value: Any, env: Env, *, reuse: bool = True, iteration: int | None = None, save: bool = True
) -> Any:
    """Run one step of the current node, record its result, save, report; the step's output.

    ``save=False`` when the node is this one step: the walk saves once the node is done.
    """
    state = env.state
    prior = state.steps.get(step.id)
    if prior is not None and reuse and prior.status == "success":
        return _outcome(step, prior)
    resuming, resume_data, child_resume = _take_resume(env, step)
    if prior is not None and prior.status == "suspended" and not resuming:
        raise _Suspended
    carry = prior if prior is not None and prior.status in ("suspended", "running") else None

    def progress(result: StepResult) -> None:
        state.steps[step.id] = result
        env.save()

    started = utcnow() if carry is None or carry.started_at is None else carry.started_at
    state.steps[step.id] = StepResult("running", started_at=started, run=None if carry is None else carry.run)
    try:
        result = await _execute(step, value, env, resume_data, iteration, carry, child_resume, progress)
    except asyncio.CancelledError:
        current = state.steps[step.id]
        state.steps[step.id] = StepResult("canceled", started_at=started, ended_at=utcnow(), run=current.run)
        raise
    state.steps[step.id] = result
    if save:
        env.save()
    return _outcome(step, result)


def _event(env: Env, kind: Any, step: str, data: Any) -> None:
    env.emit(WorkflowEvent(kind, env.state.run_id, step, data))


async def _execute(
    step: Step,
    value: Any,
    env: Env,
    resume_data: Any,
    iteration: int | None,
    prior: StepResult | None = None,
    child_resume: dict[str, Any] | None = None,
    progress: Callable[[StepResult], None] | None = None,
) -> StepResult:
    """One execution of ``step`` on ``value`` with its span and events; ``prior`` is what it left when it
    suspended (or, for a nested workflow, stopped mid-way)."""
    quiet = iteration is not None and not env.watched()
    if not quiet:
        _event(env, "step-start", step.id, value)
    with _span(env, "workflow_step", step.id, value) as span:
        if step.workflow is not None:
            result = await _run_child(step, value, env, prior, child_resume or {}, progress)
        else:
            result = await _run_leaf(step, value, env, resume_data, iteration, prior)
        span.set_attribute("mastra.step.status", result.status)
        span.set_attribute("mastra.attempt", result.attempts)
        if result.status == "success":
            span.set_output(result.output)
        elif result.error is not None:
            record_failure(span, result.error)
    if not step.persist_output:
        result.persisted = False
    if result.status == "suspended":
        _event(env, "step-suspended", step.id, result.suspend_payload)
    elif not quiet:
        _event(env, "step-result", step.id, result)
    return result


async def _run_leaf(
    step: Step, value: Any, env: Env, resume_data: Any, iteration: int | None, prior: StepResult | None
) -> StepResult:
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    run_id = env.state.run_id

    def custom(data: Any) -> None:
        event = WorkflowEvent("custom", run_id, step.id, data)
        if threading.get_ident() == loop_thread:
            env.emit(event)
        else:
            loop.call_soon_threadsafe(env.emit, event)

    ctx = StepContext(
        step,
        value,
        env.state,
        resume_data=resume_data,
        suspend_data=None if prior is None else prior.suspend_payload,
        mastra=env.mastra,
        emit=custom,
        step_ids=env.step_ids,
        state_schema=env.state_schema,
        iteration=iteration,
    )
    attempts = 1 + (step.retries or env.retry_attempts)
    return await (env.execute or execute_step)(step, ctx, attempts, env.retry_delay)


async def _run_child(
    step: Step,
    value: Any,
    env: Env,
    prior: StepResult | None,
    resume: dict[str, Any],
    progress: Callable[[StepResult], None] | None,
) -> StepResult:
    """Walk a nested workflow; its run is stored in the step's result, saved with the parent's snapshot."""
    wf = step.workflow
    assert wf is not None
    child_id = f"{env.state.run_id}/{step.id}"
    if prior is not None and prior.run is not None:
        child = RunState.from_snapshot(child_id, prior.run)
        started = prior.started_at or utcnow()
    else:
        started = utcnow()
        try:
            checked = validate(
                value, wf.input_schema, f"input of nested workflow {wf.id!r}", "WORKFLOW_INPUT"
            )
        except WorkflowError as exc:
            return StepResult("failed", error=_error_text(exc), started_at=started, ended_at=utcnow())
        child = RunState(child_id, wf.id, "running", input=jsonable(checked), created_at=started)
        child.record_state()
    for path in resume:
        if path not in child.suspended:
            raise _Failed(f"step {step.id}.{path} is not suspended")

    def save() -> None:
        if progress is not None:
            progress(StepResult("running", started_at=started, run=child.to_snapshot()))

    def emit(event: WorkflowEvent) -> None:
        if event.step is not None:
            env.emit(replace(event, run_id=env.state.run_id, step=f"{step.id}.{event.step}"))

    child_env = Env(
        state=child,
        nodes=wf.nodes,
        save=save,
        emit=emit,
        step_ids=wf.step_ids,
        state_schema=wf.state_schema,
        mastra=env.mastra,
        retry_attempts=wf.retry_attempts,
        retry_delay=wf.retry_delay,
        resume=resume,
        execute=wf.executor or env.execute,
        tracer=env.tracer,
        watched=env.watched,
    )
    await run_nodes(child_env, wf.output_schema)
    snap = child.to_snapshot()
    ended = utcnow()
    if child.status == "success":
        return StepResult(
            "success", output=child.result, started_at=started, ended_at=ended, attempts=1, run=snap
        )
    if child.status == "suspended":
        payload = {path: _payload_at(child, path) for path in child.suspended}
        return StepResult("suspended", suspend_payload=payload, started_at=started, ended_at=ended, run=snap)
    error = f"nested workflow {wf.id!r}: {child.error}"
    return StepResult("failed", error=error, started_at=started, ended_at=ended, attempts=1, run=snap)


def _payload_at(state: RunState, path: str) -> Any:
    head, _, rest = path.partition(".")
    result = state.steps[head]
    if rest and result.run is not None:
        return _payload_at(RunState.from_snapshot("", result.run), rest)
    return result.suspend_payload


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
    return await _run_one(node.steps[0], value, env, save=False)


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
        env.state.node["taken"] = taken
        env.save()
    chosen = [s for s in node.steps if s.id in taken]
    outputs = await _gather([_run_one(s, value, env) for s in chosen])
    return {s.id: out for s, out in zip(chosen, outputs, strict=True)}


async def _node_loop(node: Node, value: Any, env: Env) -> Any:
    step, fn = node.steps[0], node.fn
    assert fn is not None
    iteration = int(env.state.node.get("iteration", 0))
    while True:
        output = await _run_one(step, value, env, reuse=False, iteration=iteration, save=False)
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
    resuming, resume_data, child_resume = _take_resume(env, step)
    gate = asyncio.Semaphore(node.concurrency)
    run_env = env
    if node.executor == "ray":
        from mastra_lab.workflow.remote import RayExecutor

        run_env = replace(env, execute=RayExecutor(step, execute_step))
    failures: list[str] = []
    first = env.state.steps.get(step.id)
    started = first.started_at if first is not None and first.started_at else utcnow()
    env.state.steps[step.id] = StepResult("running", started_at=started)

    async def item(i: int, x: Any) -> None:
        key = str(i)
        if key in done or (key in waiting and not resuming):
            return
        prior = StepResult.from_dict(waiting[key]) if key in waiting else None
        async with gate:
            data = resume_data if prior is not None else None
            result = await _execute(step, x, run_env, data, i, prior, dict(child_resume))
        waiting.pop(key, None)
        if result.status == "success":
            done[key] = result.output
        elif result.status == "suspended":
            waiting[key] = result.to_dict()
        else:
            failures.append(f"step {step.id!r} failed on item {i}: {result.error}")
        env.save_soon()

    await asyncio.gather(*(item(i, x) for i, x in enumerate(value)))
    return _foreach_outcome(step, env, len(value), failures, started)


def _foreach_outcome(step: Step, env: Env, count: int, failures: list[str], started: Any) -> Any:
    node_state, state = env.state.node, env.state
    if failures:
        state.steps[step.id] = StepResult("failed", error=failures[0], started_at=started, ended_at=utcnow())
        env.save()
        raise _Failed(failures[0])
    waiting = node_state["suspended"]
    if waiting:
        first = StepResult.from_dict(waiting[min(waiting, key=int)])
        state.steps[step.id] = StepResult(
            "suspended", suspend_payload=first.suspend_payload, started_at=started, run=first.run
        )
        env.save()
        raise _Suspended
    output = [node_state["done"][str(i)] for i in range(count)]
    state.steps[step.id] = StepResult(
        "success",
        output=output,
        started_at=started,
        ended_at=utcnow(),
        attempts=count,
        persisted=step.persist_output,
    )
    return output


async def _node_sleep(node: Node, value: Any, env: Env) -> Any:
    until = env.state.node.get("until")
    if until is None:
        moment = node.until if node.kind == "sleep_until" else utcnow() + timedelta(seconds=node.seconds)
        assert moment is not None
        until = moment.isoformat()
        env.state.node["until"] = until
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
    if env.tracer is None or not env.tracer.enabled:
        return contextlib.nullcontext(_NO_SPAN)
    attributes = {
        "mastra.workflow": env.state.workflow,
        "mastra.run_id": env.state.run_id,
        "mastra.node": key,
    }
    return env.tracer.span(f"{kind} {key}", kind, input=value, attributes=attributes)


def record_failure(span: Any, error: str, kind: str | None = None) -> None:
    """Mark ``span`` failed for a step or run that failed as a result, not as an exception leaving it.

    ``error.type`` is ``kind``, else the exception class that the ``"Class: message"`` text starts with.
    """
    if span is _NO_SPAN:
        return
    head = error.partition(":")[0]
    kind = kind or (head if head.isidentifier() else "StepFailed")
    span.error = {"type": kind, "message": error}
    span.set_attribute("error.type", kind)


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
    ran = False
    try:
        while state.position < len(env.nodes):
            node = env.nodes[state.position]
            output = await _run_node(node, node_input(env.nodes, state, state.position), env)
            state.position, state.node, ran = state.position + 1, {}, True
            state.record_state()
            env.save()
        if not ran:  # continued at its end (a restart after the last node finished)
            output = node_output(env.nodes, state, len(env.nodes) - 1)
        result = validate(output, output_schema, f"output of workflow {state.workflow!r}", "WORKFLOW_OUTPUT")
        state.status, state.result = "success", jsonable(result)
        state.result_from_steps = bool(env.nodes) and state.position > 0 and state.result == output
    except _Suspended:
        state.status = "suspended"
    except _Bailed as bail:
        state.status, state.result = "success", bail.result
    except (_Failed, WorkflowError) as exc:
        state.status, state.error = "failed", str(exc)
    env.save()
