"""Batches: one agent or workflow over many inputs, in this process or on Ray, as one DataFrame.

:func:`run_batch` checks every input before the first run, then runs them ``concurrency`` at a time and
records each outcome as a row — a failing input is a ``failed`` row, never the end of the batch.

On Ray the target travels to the workers as pickled bytes (once per worker, not once per input). What a run
writes must still reach the driver's storage:

- a store that pickles as a recipe to reopen it (``PostgresStore``) is shared: workers write threads,
  messages, snapshots there themselves;
- any other store (in-memory, a DuckDB or SQLite file) cannot be opened by another process, so each worker
  run uses a private in-memory store, and the snapshots it wrote come back and are saved in the driver's
  store (a suspended run can be resumed from there). Memory cannot work that way — a worker's thread would
  be lost — so an agent with memory on such a store is refused before anything runs.

Either way, the spans of every worker run come back and go through the target's tracer's exporters, so
``trace_id`` points at a trace the notebook can open.
"""

from __future__ import annotations

import asyncio
import copy
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from mastra_lab import _runtime, _ship
from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError
from mastra_lab.llm.base import Message
from mastra_lab.telemetry._context import current_span
from mastra_lab.workflow import Workflow

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.workflow import WorkflowEvent

__all__ = ["BATCH_COLUMNS", "run_batch"]

BATCH_COLUMNS = ["input", "output", "status", "error", "usage", "trace_id", "run_id", "duration"]
"""The columns of :func:`run_batch`'s DataFrame, in order."""

Executor = Literal["local", "ray"]
Target = Agent | Workflow

_AGENT_KEYS = frozenset({"prompt", "thread_id", "resource_id", "output", "max_steps"})
_AGENT_OPTIONS = _AGENT_KEYS - {"prompt"}
_WORKFLOW_OPTIONS = frozenset({"resource_id", "initial_state"})
_LOCAL_CONCURRENCY = 4


def _error(message: str, code: str, **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="batch", details=details)


def _describe(target: Target) -> str:
    return f"agent {target.name!r}" if isinstance(target, Agent) else f"workflow {target.id!r}"


# -- checking what was given -------------------------------------------------------------------------------


def _check_target(target: Any) -> Target:
    if isinstance(target, Agent):
        return target
    if isinstance(target, Workflow):
        if not target.committed:
            raise _error(f"workflow {target.id!r} is not committed; call .commit() first", "BATCH_BAD_TARGET")
        return target
    raise _error(f"run_batch runs an Agent or a Workflow, got {target!r}", "BATCH_BAD_TARGET")


def _items(inputs: Any, column: str | None) -> list[Any]:
    """The inputs as a list: a list or tuple as is; a DataFrame's ``column``, or its rows as dicts."""
    if isinstance(inputs, list | tuple):
        return list(inputs)
    import pandas as pd

    if isinstance(inputs, pd.Series):
        return list(inputs.tolist())
    if isinstance(inputs, pd.DataFrame):
        if column is None:
            return [dict(row) for row in inputs.to_dict(orient="records")]
        if column not in inputs.columns:
            raise _error(
                f"column={column!r} is not a column of the inputs; the columns are {list(inputs.columns)}",
                "BATCH_BAD_INPUT",
            )
        return list(inputs[column].tolist())
    raise _error(
        f"inputs must be a list, a pandas Series or a DataFrame, got {type(inputs).__name__}",
        "BATCH_BAD_INPUT",
    )


def _check_agent_item(i: int, item: Any) -> None:
    if isinstance(item, str | Message) or (
        isinstance(item, list) and all(isinstance(m, Message) for m in item)
    ):
        return
    if isinstance(item, Mapping) and "prompt" in item and not set(item) - _AGENT_KEYS:
        return
    problem = (
        f"has keys {sorted(set(item) - _AGENT_KEYS)} an agent run does not take"
        if isinstance(item, Mapping) and "prompt" in item
        else f"is {type(item).__name__} {item!r}"
    )
    raise _error(
        f"input {i} {problem}; an agent's input is a prompt (str or Messages) or a dict with 'prompt' and "
        f"optionally {', '.join(sorted(_AGENT_OPTIONS))}",
        "BATCH_BAD_INPUT",
        index=i,
    )


def _check_options(target: Target, run_kwargs: Mapping[str, Any]) -> None:
    allowed = _AGENT_OPTIONS if isinstance(target, Agent) else _WORKFLOW_OPTIONS
    unknown = sorted(set(run_kwargs) - allowed)
    if unknown:
        raise _error(
            f"run_batch got {unknown}, which a run of {_describe(target)} does not take; it takes "
            f"{', '.join(sorted(allowed))}",
            "BATCH_BAD_OPTION",
        )


def _check_concurrency(value: Any, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise _error(f"{name}={value!r} must be an integer >= 1 (or None)", "BATCH_BAD_OPTION")


# -- one run -----------------------------------------------------------------------------------------------


def _usage(result: Any) -> dict[str, int]:
    u = result.usage
    return {"input_tokens": u.input_tokens, "output_tokens": u.output_tokens, "total_tokens": u.total_tokens}


async def _run_agent(agent: Agent, item: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    call = dict(options)
    if isinstance(item, Mapping):
        call.update(item)
        prompt = call.pop("prompt")
    else:
        prompt = item
    result = await agent.generate(prompt, **call)
    status = "suspended" if result.finish_reason == "approval" else "success"
    output = result.object if result.object is not None else result.text
    return {
        "output": output,
        "status": status,
        "usage": _usage(result),
        "trace_id": result.trace_id or None,
        "run_id": result.run_id,
    }


async def _run_workflow(wf: Workflow, item: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    run = wf.create_run(resource_id=options.get("resource_id"))
    traces: list[str] = []

    def trace_of(event: WorkflowEvent) -> None:
        span = current_span()
        if not traces and span is not None and span.recording:
            traces.append(span.trace_id)

    stop = run.watch(trace_of)
    try:
        result = await run.start(item, options.get("initial_state"))
    finally:
        stop()
    return {
        "output": result.result,
        "status": result.status,
        "error": result.error,
        "trace_id": traces[0] if traces else None,
        "run_id": result.run_id,
    }


async def _run_one(target: Target, item: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """One input's row; an exception becomes a ``failed`` row naming it."""
    started = time.perf_counter()
    row: dict[str, Any] = {"input": item, "output": None, "status": "failed", "error": None}
    try:
        if isinstance(target, Agent):
            row.update(await _run_agent(target, item, options))
        else:
            row.update(await _run_workflow(target, item, options))
    except Exception as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["duration"] = time.perf_counter() - started
    return row


# -- local -------------------------------------------------------------------------------------------------


async def _local(
    target: Target,
    items: list[Any],
    options: Mapping[str, Any],
    concurrency: int,
    done: Callable[[dict[str, Any]], None],
) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> dict[str, Any]:
        async with gate:
            row = await _run_one(target, item, options)
        done(row)
        return row

    return list(await asyncio.gather(*(one(item) for item in items)))


# -- Ray ---------------------------------------------------------------------------------------------------


@dataclass
class _Shipment:
    """What every worker task of one batch receives (through Ray's object store, once per worker)."""

    token: str
    target: bytes
    shared: bool
    tracing: dict[str, Any]


_TARGETS: dict[str, Target] = {}
"""In a worker: the batch targets already unpickled, by their batch's token."""

_REMOTE: list[Any] = []


def _worker_copy(target: Target, shared: bool) -> Target:
    """A copy of ``target`` without the registry, tracer and (unless ``shared``) storage of this process."""
    worker = copy.copy(target)
    if isinstance(worker, Agent) and isinstance(target, Agent):
        worker._model = target.model
    worker._mastra = None
    worker._tracer = None
    worker._storage = target._storage if shared else None
    return worker


def _shipment(target: Target) -> _Shipment:
    storage = target._storage
    shared = _ship.is_recipe(storage)
    if isinstance(target, Agent) and target.memory is not None and not shared:
        raise _error(
            f"agent {target.name!r} has memory, and its storage {type(storage).__name__} cannot be shared "
            "with Ray workers (each would remember into a copy that is lost); register it on a Mastra with "
            'PostgresStore storage, or use executor="local"',
            "BATCH_STORAGE_NOT_SHARED",
        )
    tracer = target.tracer
    tracing = {
        "enabled": tracer.enabled,
        "capture_content": tracer.capture_content,
        "redaction": tracer.redaction,
        "sampler": tracer.sampler,
    }
    fix = (
        "create clients and connections inside the tool or step function, keep storage in a PostgresStore, "
        'or use executor="local"'
    )
    blob = _ship.dumps(_worker_copy(target, shared), _describe(target), fix=fix)
    _ship.dumps(tracing, f"the tracer settings of {_describe(target)}", fix=fix)
    return _Shipment(uuid.uuid4().hex, blob, shared, tracing)


def _ray_chunk(
    shipment: _Shipment, items: list[Any], options: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """The worker's side of a few inputs, one after the other: their rows, the spans they made, and (on
    unshared storage) the snapshots they wrote."""
    from mastra_lab.storage import InMemoryStore
    from mastra_lab.telemetry.exporters import InMemoryExporter
    from mastra_lab.telemetry.tracer import Tracer

    target = _TARGETS.get(shipment.token)
    if target is None:
        if len(_TARGETS) > 16:
            _TARGETS.clear()
        target = _TARGETS[shipment.token] = _ship.loads(shipment.target)
    spans = InMemoryExporter()
    target._tracer = Tracer([spans], **shipment.tracing)
    if not shipment.shared:
        target._storage = InMemoryStore()
    rows = [_runtime.run_sync(_run_one(target, item, options)) for item in items]
    snapshots = (
        [] if shipment.shared else [(r.workflow, r.run_id, r.snapshot) for r in target.storage.list_runs()]
    )
    return rows, [replace(s, tracer=None) for s in spans.spans], snapshots


def _take_back(target: Target, spans: list[Any], snapshots: list[Any]) -> None:
    """Worker spans through this process's exporters; worker snapshots into this process's storage."""
    if spans:
        for exporter in target.tracer.exporters:
            exporter.export(spans)
    for workflow, run_id, snapshot in snapshots:
        target.storage.save_snapshot(workflow, run_id, snapshot)


def _chunks(count: int, width: int, chunk_size: int | None) -> list[range]:
    """Input positions per Ray task: ``chunk_size`` each, by default about 8 tasks per worker (at most 32
    inputs a task), so a task's fixed cost is shared by its inputs while every worker stays busy."""
    size = chunk_size or max(1, min(32, count // (8 * width)))
    return [range(i, min(i + size, count)) for i in range(0, count, size)]


def _on_ray(
    target: Target,
    items: list[Any],
    options: Mapping[str, Any],
    sizes: tuple[int | None, int | None],
    done: Callable[[dict[str, Any]], None],
) -> list[dict[str, Any]]:
    concurrency, chunk_size = sizes
    shipment = _shipment(target)
    ray = _ship.ray_ready(concurrency)
    if not _REMOTE:
        _REMOTE.append(ray.remote(max_retries=0)(_ray_chunk))
    cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
    # An explicit concurrency is a hard limit; by default Ray's CPUs limit what runs, and a queue of a few
    # tasks per CPU keeps a worker from waiting for the driver between two tasks.
    window = concurrency or 4 * cpus
    ref = ray.put(shipment)
    rows: list[dict[str, Any]] = [{} for _ in items]
    queue = iter(_chunks(len(items), concurrency or cpus, chunk_size))
    flying: dict[Any, range] = {}

    def submit() -> None:
        chunk = next(queue, None)
        if chunk is not None:
            flying[_REMOTE[0].remote(ref, [items[i] for i in chunk], dict(options))] = chunk

    for _ in range(window):
        submit()
    while flying:
        ready, _ = ray.wait(list(flying), num_returns=1)
        chunk = flying.pop(ready[0])
        submit()
        for i, row in zip(chunk, _collect(ray, target, ready[0], [items[i] for i in chunk]), strict=True):
            rows[i] = row
            done(row)
    return rows


def _collect(ray: Any, target: Target, ref: Any, items: list[Any]) -> list[dict[str, Any]]:
    """The rows of a finished task; a task that died is a failed row for each of its inputs."""
    try:
        rows, spans, snapshots = ray.get(ref)
    except ray.exceptions.RayError as exc:
        first = (str(exc).strip().splitlines() or [""])[0]
        return [
            {"input": item, "status": "failed", "error": f"{type(exc).__name__}: {first}"} for item in items
        ]
    _take_back(target, spans, snapshots)
    return list(rows)


# -- the function ------------------------------------------------------------------------------------------


def run_batch(
    target: Agent | Workflow,
    inputs: Iterable[Any] | pd.DataFrame,
    executor: Executor = "local",
    concurrency: int | None = None,
    progress: bool = True,
    *,
    column: str | None = None,
    chunk_size: int | None = None,
    **run_kwargs: Any,
) -> pd.DataFrame:
    """Run ``target`` once per input and return one row per input, in input order.

    Columns: ``input``, ``output`` (an agent's text, or its object with ``output=``; a workflow's result),
    ``status`` (``success``, ``failed``, ``suspended`` — an agent waiting for approval, a workflow waiting for
    resume — or ``canceled``), ``error``, ``usage`` (an agent's tokens), ``trace_id``, ``run_id`` and
    ``duration`` (seconds).

    Args:
        target: An :class:`~mastra_lab.agent.Agent` (one ``generate`` per input) or a committed
            :class:`~mastra_lab.workflow.Workflow` (one run per input).
        inputs: A list, a Series, or a DataFrame (its rows as dicts, or one ``column``). An agent's input is
            a prompt or a dict with ``prompt`` and optionally ``thread_id``, ``resource_id``, ``output``,
            ``max_steps``; a workflow's is its input data.
        executor: ``"local"`` (this process's event loop) or ``"ray"`` (one Ray task per input). When Ray is
            not initialised, a local Ray is started with ``num_cpus=concurrency`` (all CPUs when ``None``);
            call ``ray.init(...)`` first to use a cluster. See the module docstring for storage on Ray.
        concurrency: Runs in flight at once: 4 by default locally; on Ray, tasks in flight (by default the
            cluster's CPUs limit what runs, with a few tasks per CPU queued).
        progress: Show a progress bar (a widget in a notebook).
        column: With a DataFrame, the column holding the inputs.
        chunk_size: On Ray, inputs per task, run one after the other in the worker (default: about 8 tasks
            per worker, at most 32 inputs each); a task's fixed cost is shared by its inputs.
        **run_kwargs: Passed to every run: an agent's ``thread_id``, ``resource_id``, ``output``,
            ``max_steps``; a workflow's ``resource_id``, ``initial_state``.

    Raises:
        MastraError: before anything runs — an unknown target, executor, option or input shape, a target that
            cannot be sent to Ray workers (naming the attribute), memory on storage workers cannot share.

    Example:
        ```python
        from mastra_lab import run_batch
        from mastra_lab.agent import Agent
        from mastra_lab.llm import TestModel

        agent = Agent("echo", "You answer.", TestModel(text="ok"))
        df = run_batch(agent, ["a", "b", "c"], progress=False)
        assert list(df["status"]) == ["success"] * 3 and list(df["output"]) == ["ok"] * 3
        ```
    """
    import pandas as pd
    from tqdm.auto import tqdm

    checked = _check_target(target)
    if executor not in ("local", "ray"):
        raise _error(f"executor={executor!r} must be 'local' or 'ray'", "BATCH_BAD_OPTION")
    _check_concurrency(concurrency, "concurrency")
    _check_concurrency(chunk_size, "chunk_size")
    _check_options(checked, run_kwargs)
    items = _items(inputs, column)
    if isinstance(checked, Agent):
        for i, item in enumerate(items):
            _check_agent_item(i, item)
    bar = tqdm(total=len(items), desc=_describe(checked), disable=not progress, leave=True)
    failed = 0

    def done(row: dict[str, Any]) -> None:
        nonlocal failed
        failed += row.get("status") == "failed"
        bar.update(1)
        if failed:
            bar.set_postfix(failed=failed, refresh=False)

    try:
        if executor == "ray":
            rows = _on_ray(checked, items, run_kwargs, (concurrency, chunk_size), done)
        else:
            width = concurrency or _LOCAL_CONCURRENCY
            rows = _runtime.run_sync(_local(checked, items, run_kwargs, width, done))
    finally:
        bar.close()
    table = [{c: row.get(c) for c in BATCH_COLUMNS} for row in rows]
    df = pd.DataFrame(table, columns=BATCH_COLUMNS, dtype=object)
    df["duration"] = df["duration"].astype(float)
    return df
