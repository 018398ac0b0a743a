"""The builder: :class:`Workflow` — steps chained with ``then``, ``parallel``, ``branch``, loops, ``foreach``,
``map`` and sleeps, then ``commit()``-ed.

Mistakes in the shape fail where they are made: a duplicate step id at the call that adds it, a change
after ``commit()``, a run before it. A committed workflow is immutable, so every run of it (in this process
or a later one) walks the same nodes, which is what lets a snapshot say "continue at node 3".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from mastra_lab.errors import WorkflowError
from mastra_lab.telemetry.logger import MastraLogger, get_logger
from mastra_lab.workflow.engine import Executor
from mastra_lab.workflow.graph import Node, NodeKind
from mastra_lab.workflow.run import WorkflowResult, WorkflowRun
from mastra_lab.workflow.snapshot import RunState
from mastra_lab.workflow.steps import Step, _check_schema

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.tracer import Tracer

__all__ = ["Workflow", "schema_name"]


def _as_step(item: Any, where: str) -> Step:
    if isinstance(item, Step):
        return item
    if isinstance(item, Workflow):
        return _nested(item, where)
    raise WorkflowError(
        f"{where} takes a Step (made with Step(...) or @step) or a committed Workflow, got {item!r}",
        code="WORKFLOW_BAD_STEP",
    )


def _nested(child: Workflow, where: str) -> Step:
    """``child`` as a step of another workflow: the engine walks its nodes inside the parent's run."""
    if not child.committed:
        raise WorkflowError(
            f"{where}: workflow {child.id!r} must be committed before it is used as a step; call .commit()",
            code="WORKFLOW_NOT_COMMITTED",
        )

    def execute(ctx: Any) -> Any:
        raise WorkflowError(
            f"nested workflow {child.id!r} runs inside its parent's run, not as a plain step",
            code="WORKFLOW_BAD_STEP",
        )

    nested = Step(
        child.id,
        execute,
        input_schema=child.input_schema,
        output_schema=child.output_schema,
        description=child.description,
    )
    nested.workflow = child
    return nested


def schema_name(schema: Any) -> str:
    """A short name for a schema in listings: a model's class name, a JSON schema's ``{fields}``."""
    if schema is None:
        return "any"
    if isinstance(schema, dict):
        props = schema.get("properties")
        return f"{{{', '.join(props)}}}" if props else str(schema.get("type", "object"))
    return str(getattr(schema, "__name__", schema))


def _settings_of(node: Node) -> str:
    if node.kind == "foreach":
        on_ray = ", on Ray" if node.executor == "ray" else ""
        return f"concurrency {node.concurrency}{on_ray}"
    if node.kind == "sleep":
        return f"{node.seconds:g}s"
    if node.kind == "sleep_until" and node.until is not None:
        return node.until.isoformat()
    if node.kind == "branch":
        return f"{len(node.conditions)} conditions"
    return ""


def _schemas_of(step: Step) -> str:
    text = f"{step.id}: {schema_name(step.input_schema)} → {schema_name(step.output_schema)}"
    return text if step.resume_schema is None else f"{text}, resume {schema_name(step.resume_schema)}"


class Workflow:
    """A graph of steps with typed input and output, whose runs can suspend and resume across processes.

    Args:
        id: The workflow's name; runs are stored under it.
        input_schema: What ``run.start(input_data)`` accepts (pydantic class or JSON schema); checked before
            any step runs.
        output_schema: What the last node must produce.
        state_schema: What ``ctx.set_state`` and ``initial_state`` must match.
        retry: ``{"attempts": n, "delay": seconds}``: extra attempts for every step without its own
            ``retries``.
        description: What the workflow is for, for listings.
        executor: How each step is executed (``(step, ctx, attempts, delay) -> StepResult``); the default
            :func:`~mastra_lab.workflow.engine.execute_step` runs it in this process.

    Example::

        wf = Workflow("greet", input_schema={"type": "object"}, output_schema=None)
        wf.then(fetch).parallel([a, b]).map(merge).commit()
        result = wf.create_run().start_sync({"name": "Ada"})
    """

    def __init__(
        self,
        id: str,
        input_schema: Any = None,
        output_schema: Any = None,
        state_schema: Any = None,
        retry: Mapping[str, float] | None = None,
        *,
        description: str = "",
        executor: Executor | None = None,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise WorkflowError(f"a workflow needs a non-empty string id, got {id!r}", code="WORKFLOW_BAD_ID")
        owner = f"workflow {id!r}"
        for name, schema in (
            ("input_schema", input_schema),
            ("output_schema", output_schema),
            ("state_schema", state_schema),
        ):
            _check_schema(schema, owner, name)
        self.id = id
        self.description = description
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.state_schema = state_schema
        self.retry_attempts, self.retry_delay = self._check_retry(retry)
        self.executor = executor
        self._nodes: list[Node] = []
        self._steps: dict[str, Step] = {}
        self._committed = False
        self._storage: Storage | None = None
        self._mastra: Any = None
        self._tracer: Tracer | None = None
        self.logger: MastraLogger = get_logger("workflow")

    def _check_retry(self, retry: Mapping[str, float] | None) -> tuple[int, float]:
        if retry is None:
            return 0, 0.0
        unknown = set(retry) - {"attempts", "delay"}
        attempts, delay = retry.get("attempts", 0), retry.get("delay", 0.0)
        if unknown or not isinstance(attempts, int) or attempts < 0 or delay < 0:
            raise WorkflowError(
                f"workflow {self.id!r}: retry must be {{'attempts': int >= 0, 'delay': seconds >= 0}}, "
                f"got {dict(retry)!r}",
                code="WORKFLOW_BAD_RETRY",
            )
        return attempts, float(delay)

    def __repr__(self) -> str:
        return f"Workflow(id={self.id!r}, steps={len(self._steps)}, committed={self._committed})"

    # -- services ---------------------------------------------------------------------------------------

    @property
    def storage(self) -> Storage:
        """Where snapshots go: the Mastra's storage, or a private in-memory store when unregistered."""
        if self._storage is None:
            from mastra_lab.storage import InMemoryStore

            self._storage = InMemoryStore()
        return self._storage

    @property
    def tracer(self) -> Tracer:
        """The Mastra's tracer (one trace per run), or a disabled one when unregistered (nobody could read
        its spans)."""
        if self._tracer is None:
            from mastra_lab.telemetry.tracer import Tracer

            self._tracer = Tracer(enabled=False)
        return self._tracer

    def _bind_mastra(self, mastra: Any) -> None:
        """Use ``mastra``'s storage, tracer and logger; steps see it as ``ctx.mastra``."""
        self._mastra = mastra
        self._storage = mastra.storage
        self._tracer = mastra.tracer
        self.logger = mastra.logger

    # -- shape ------------------------------------------------------------------------------------------

    @property
    def nodes(self) -> tuple[Node, ...]:
        """The nodes in order, one per builder call."""
        return tuple(self._nodes)

    @property
    def step_ids(self) -> frozenset[str]:
        """Every step id in the workflow."""
        return frozenset(self._steps)

    @property
    def committed(self) -> bool:
        return self._committed

    def step(self, step_id: str) -> Step:
        """The step with id ``step_id``, or at a path ``"outer.inner"`` into nested workflows.

        Raises:
            WorkflowError: there is none.
        """
        head, _, rest = step_id.partition(".")
        found = self._steps.get(head)
        if found is not None and not rest:
            return found
        if found is not None and found.workflow is not None:
            return found.workflow.step(rest)
        known = ", ".join(sorted(self._steps)) or "none"
        raise WorkflowError(
            f"workflow {self.id!r} has no step {step_id!r}; its steps are: {known}",
            code="WORKFLOW_UNKNOWN_STEP",
            details={"workflow": self.id, "step": step_id},
        )

    def _check_committed(self, action: str) -> None:
        if action == "run" and not self._committed:
            raise WorkflowError(
                f"workflow {self.id!r} is not committed; call .commit() before running it",
                code="WORKFLOW_NOT_COMMITTED",
            )
        if action != "run" and self._committed:
            raise WorkflowError(
                f"workflow {self.id!r} is committed and cannot change; cannot {action} after .commit()",
                code="WORKFLOW_COMMITTED",
            )

    def _add(self, kind: NodeKind, steps: Sequence[Step] = (), **fields: Any) -> Workflow:
        self._check_committed(f"add {kind}")
        seen: set[str] = set()
        for s in steps:
            if s.id in self._steps or s.id in seen:
                raise WorkflowError(
                    f"workflow {self.id!r} already has a step with id {s.id!r}; step ids must be unique",
                    code="WORKFLOW_DUPLICATE_STEP",
                    details={"workflow": self.id, "step": s.id},
                )
            seen.add(s.id)
        key = steps[0].id if len(steps) == 1 else f"{kind}:{len(self._nodes)}"
        self._nodes.append(Node(kind, key, tuple(steps), **fields))
        self._steps.update((s.id, s) for s in steps)
        return self

    def then(self, step: Step) -> Workflow:
        """Run ``step`` on the previous output (the workflow's input for the first node)."""
        return self._add("step", [_as_step(step, "then()")])

    def parallel(self, steps: Iterable[Step]) -> Workflow:
        """Run ``steps`` concurrently on the same input; the output is ``{step_id: output}``."""
        items = [_as_step(s, "parallel()") for s in steps]
        if not items:
            raise WorkflowError("parallel() needs at least one step", code="WORKFLOW_BAD_STEP")
        return self._add("parallel", items)

    def branch(self, branches: Iterable[tuple[Callable[[Any], Any], Step]]) -> Workflow:
        """Run, concurrently, every step whose ``cond(input)`` (sync or async) is true.

        The output is ``{step_id: output}`` of the steps that ran.
        """
        pairs = list(branches)
        for pair in pairs:
            if not (isinstance(pair, tuple) and len(pair) == 2 and callable(pair[0])):
                raise WorkflowError(
                    f"branch() takes (condition, step) pairs, got {pair!r}", code="WORKFLOW_BAD_STEP"
                )
        if not pairs:
            raise WorkflowError(
                "branch() needs at least one (condition, step) pair", code="WORKFLOW_BAD_STEP"
            )
        steps = [_as_step(s, "branch()") for _, s in pairs]
        return self._add("branch", steps, conditions=tuple(c for c, _ in pairs))

    def _loop(self, kind: NodeKind, step: Step, condition: Callable[[Any, int], Any]) -> Workflow:
        if not callable(condition):
            raise WorkflowError(
                f"{kind}() needs a callable condition, got {condition!r}", code="WORKFLOW_BAD_STEP"
            )
        return self._add(kind, [_as_step(step, f"{kind}()")], fn=condition)

    def dowhile(self, step: Step, condition: Callable[[Any, int], Any]) -> Workflow:
        """Run ``step`` again on its own output while ``condition(output, iteration)`` is true."""
        return self._loop("dowhile", step, condition)

    def dountil(self, step: Step, condition: Callable[[Any, int], Any]) -> Workflow:
        """Run ``step`` again on its own output until ``condition(output, iteration)`` is true."""
        return self._loop("dountil", step, condition)

    def foreach(
        self, step: Step, concurrency: int = 1, executor: Literal["local", "ray"] = "local"
    ) -> Workflow:
        """Run ``step`` on each item of the previous output (a list), ``concurrency`` at a time, in order.

        With ``executor="ray"`` each item runs in a Ray task (Ray is initialised locally if it is not
        yet); results, snapshots, spans and events stay with the run in this process, so the run is stored,
        watched and resumed as usual. The step must pickle (checked here), and ``ctx.mastra`` is ``None``
        in a worker.

        Raises:
            WorkflowError: a bad ``concurrency`` or ``executor``, or a step that cannot be sent to Ray.
        """
        if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
            raise WorkflowError(
                f"foreach(): concurrency must be an integer >= 1, got {concurrency!r}",
                code="WORKFLOW_BAD_STEP",
            )
        if executor not in ("local", "ray"):
            raise WorkflowError(
                f"foreach(): executor must be 'local' or 'ray', got {executor!r}", code="WORKFLOW_BAD_STEP"
            )
        item = _as_step(step, "foreach()")
        if executor == "ray":
            from mastra_lab.workflow.remote import check_sendable

            check_sendable(item)
        return self._add("foreach", [item], concurrency=concurrency, executor=executor)

    def map(self, fn: Callable[[Any], Any], id: str | None = None) -> Workflow:
        """Reshape data between steps: ``fn(ctx)`` (sync or async) returns the next node's input."""
        if not callable(fn):
            raise WorkflowError(f"map() needs a callable, got {fn!r}", code="WORKFLOW_BAD_STEP")
        return self._add("map", [Step(id or f"map-{len(self._nodes)}", fn)])

    def sleep(self, seconds: float) -> Workflow:
        """Wait ``seconds``; the input passes through. A resumed run waits only for what is left."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise WorkflowError(f"sleep() needs seconds >= 0, got {seconds!r}", code="WORKFLOW_BAD_STEP")
        return self._add("sleep", seconds=float(seconds))

    def sleep_until(self, moment: datetime) -> Workflow:
        """Wait until ``moment`` (timezone-aware; a naive one is taken as UTC); the input passes through."""
        if not isinstance(moment, datetime):
            raise WorkflowError(f"sleep_until() needs a datetime, got {moment!r}", code="WORKFLOW_BAD_STEP")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self._add("sleep_until", until=moment)

    def commit(self) -> Workflow:
        """Freeze the shape; the workflow can run from now on and no longer changes."""
        self._check_committed("commit")
        if not self._nodes:
            raise WorkflowError(
                f"workflow {self.id!r} has no steps; add one before commit()", code="WORKFLOW_EMPTY"
            )
        self._committed = True
        return self

    def nodes_df(self) -> pd.DataFrame:
        """One row per node: node (its position), kind, key, steps, settings (a foreach's concurrency, a
        sleep's length…) and schemas (each step's ``input → output``, and what resumes it)."""
        import pandas as pd

        rows = [
            {
                "node": i,
                "kind": node.kind,
                "key": node.key,
                "steps": ", ".join(s.id for s in node.steps),
                "settings": _settings_of(node),
                "schemas": "; ".join(_schemas_of(s) for s in node.steps),
            }
            for i, node in enumerate(self._nodes)
        ]
        return pd.DataFrame(rows, columns=["node", "kind", "key", "steps", "settings", "schemas"])

    # -- runs -------------------------------------------------------------------------------------------

    def create_run(self, run_id: str | None = None, resource_id: str | None = None) -> WorkflowRun:
        """A run: new, or — when ``run_id`` names a stored run — that run, ready to ``resume``.

        Raises:
            WorkflowError: the workflow is not committed.
        """
        self._check_committed("run")
        return WorkflowRun(self, run_id, resource_id)

    def get_run(self, run_id: str) -> WorkflowResult | None:
        """Where the stored run ``run_id`` stands, or ``None``."""
        snap = self.storage.load_snapshot(self.id, run_id)
        if snap is None:
            return None
        return WorkflowResult.of(RunState.from_snapshot(run_id, dict(snap)), self.nodes)

    def list_runs(self, status: str | None = None) -> list[WorkflowResult]:
        """The stored runs of this workflow, oldest first, optionally only those with ``status``."""
        return [
            WorkflowResult.of(RunState.from_snapshot(r.run_id, dict(r.snapshot)), self.nodes)
            for r in self.storage.list_runs(self.id, status=status)
        ]

    def runs_df(self, status: str | None = None) -> pd.DataFrame:
        """:meth:`list_runs` as a table: run_id, status, steps, suspended, error, origin (the run a
        time-travel run came from), created_at, updated_at."""
        import pandas as pd

        rows = [
            {
                "run_id": r.run_id,
                "status": r.status,
                "steps": len(r.snapshot.get("steps") or {}),
                "suspended": ", ".join(str(s) for s in r.snapshot.get("suspended") or []),
                "error": r.snapshot.get("error"),
                "origin": (r.snapshot.get("origin") or {}).get("run_id"),
                "created_at": r.created_at,
                "updated_at": r.updated_at,
            }
            for r in self.storage.list_runs(self.id, status=status)
        ]
        columns = ["run_id", "status", "steps", "suspended", "error", "origin", "created_at", "updated_at"]
        return pd.DataFrame(rows, columns=columns)
