"""What a run reports while it runs: :class:`WorkflowEvent`, for ``run.stream()`` and ``run.watch()``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["EventType", "WorkflowEvent"]

EventType = Literal[
    "workflow-start", "step-start", "step-result", "step-suspended", "custom", "workflow-finish"
]


@dataclass(frozen=True)
class WorkflowEvent:
    """One thing that happened in a run.

    Attributes:
        type: ``workflow-start``, ``step-start``, ``step-result``, ``step-suspended``, ``custom`` (from
            ``ctx.emit``) or ``workflow-finish``.
        run_id: The run.
        step: The step's id, for step and custom events.
        data: ``step-result``: the :class:`~mastra_lab.workflow.StepResult`; ``step-suspended``: the suspend
            payload; ``custom``: what the step emitted; ``workflow-finish``: the
            :class:`~mastra_lab.workflow.WorkflowResult`; ``workflow-start``: the input.
    """

    type: EventType
    run_id: str
    step: str | None = None
    data: Any = None

    def __repr__(self) -> str:
        step = "" if self.step is None else f", step={self.step!r}"
        return f"WorkflowEvent(type={self.type!r}{step})"
