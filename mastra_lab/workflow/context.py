"""What a running step sees: :class:`StepContext`, and the signals that end a step early.

``ctx.suspend(payload)`` and ``ctx.bail(result)`` raise (they never return), so a sync step can use them
as well as an async one. The signals derive from :class:`BaseException`, so a step's own
``except Exception`` cannot swallow them by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from mastra_lab.errors import WorkflowError
from mastra_lab.workflow.steps import Step, jsonable, validate

if TYPE_CHECKING:
    from mastra_lab.workflow.snapshot import RunState

__all__ = ["StepContext"]


class _Suspend(BaseException):
    def __init__(self, payload: Any) -> None:
        super().__init__("step suspended")
        self.payload = payload


class _Bail(BaseException):
    def __init__(self, result: Any) -> None:
        super().__init__("workflow bailed")
        self.result = result


class StepContext:
    """The ``ctx`` a step's ``execute(ctx)`` receives.

    Attributes:
        input: The step's input (a pydantic instance when its ``input_schema`` is a model class).
        resume_data: What ``run.resume(resume_data=...)`` sent, when this execution resumes; else ``None``.
        suspend_data: What this step passed to ``ctx.suspend`` before, when this execution resumes it.
        run_id: The run's id.
        resource_id: The run's resource (user), as given to ``create_run``.
        mastra: The :class:`~mastra_lab.Mastra` the workflow is registered on, else ``None``.
        step_id: The running step's id.
        iteration: The loop iteration (0-based) inside ``dowhile``/``dountil``, the item index inside
            ``foreach``, else ``None``.
    """

    def __init__(
        self,
        step: Step,
        input: Any,
        state: RunState,
        *,
        resume_data: Any = None,
        suspend_data: Any = None,
        mastra: Any = None,
        emit: Callable[[Any], None] | None = None,
        step_ids: frozenset[str] = frozenset(),
        state_schema: Any = None,
        iteration: int | None = None,
    ) -> None:
        self.input = input
        self.resume_data = resume_data
        self.suspend_data = suspend_data
        self.run_id = state.run_id
        self.resource_id = state.resource_id
        self.mastra = mastra
        self.step_id = step.id
        self.iteration = iteration
        self._step = step
        self._run = state
        self._emit = emit
        self._step_ids = step_ids
        self._state_schema = state_schema

    def __repr__(self) -> str:
        return f"StepContext(step_id={self.step_id!r}, run_id={self.run_id!r})"

    def suspend(self, payload: Any = None) -> NoReturn:
        """Stop here and wait for ``run.resume(...)``; the step then runs again with ``ctx.resume_data``.

        Raises:
            WorkflowError: ``payload`` does not match the step's ``suspend_schema``.
        """
        where = f"suspend payload of step {self.step_id!r}"
        payload = validate(payload, self._step.suspend_schema, where, "WORKFLOW_SUSPEND_INVALID")
        raise _Suspend(jsonable(payload))

    def bail(self, result: Any = None) -> NoReturn:
        """End the whole run now, successfully, with ``result`` as the workflow's result."""
        raise _Bail(jsonable(result))

    def get_step_result(self, step_or_id: Step | str) -> Any:
        """The output of a step that already succeeded in this run, else ``None``.

        Raises:
            WorkflowError: the workflow has no step with that id.
        """
        sid = step_or_id.id if isinstance(step_or_id, Step) else step_or_id
        if sid not in self._step_ids:
            known = ", ".join(sorted(self._step_ids))
            raise WorkflowError(
                f"no step {sid!r} in this workflow; its steps are: {known}",
                code="WORKFLOW_UNKNOWN_STEP",
                details={"step": sid},
            )
        result = self._run.steps.get(sid)
        return None if result is None or result.status != "success" else result.output

    def get_init_data(self) -> Any:
        """The run's input data, as given to ``run.start``."""
        return self._run.input

    @property
    def state(self) -> Any:
        """The run's shared state (a dict unless set otherwise), persisted with each snapshot."""
        return self._run.state

    def set_state(self, state: Any) -> None:
        """Replace the run's shared state (checked against the workflow's ``state_schema``)."""
        where = f"state set by step {self.step_id!r}"
        state = validate(state, self._state_schema, where, "WORKFLOW_STATE_INVALID")
        self._run.state = jsonable(state)

    def emit(self, event: Any) -> None:
        """Send ``event`` (any JSON-able value) to the run's stream and watchers as a ``custom`` event."""
        if self._emit is not None:
            self._emit(jsonable(event))
