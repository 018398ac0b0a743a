"""Workflows: steps composed into sequences, parallel fan-outs, branches, loops and ``foreach``, whose runs
suspend, resume (in a later process too) and stream their events.

:class:`Workflow` builds the graph; :class:`WorkflowRun` drives one run through the engine in
:mod:`mastra_lab.workflow.engine`, which saves a snapshot after every step.
"""

from __future__ import annotations

import typing

from mastra_lab import _lazy

if typing.TYPE_CHECKING:
    from mastra_lab.workflow.builder import Workflow
    from mastra_lab.workflow.context import StepContext
    from mastra_lab.workflow.events import WorkflowEvent
    from mastra_lab.workflow.plots import plot_workflow
    from mastra_lab.workflow.run import WorkflowResult, WorkflowRun
    from mastra_lab.workflow.snapshot import StepResult
    from mastra_lab.workflow.steps import Step, step

__all__ = [
    "Step",
    "StepContext",
    "StepResult",
    "Workflow",
    "WorkflowEvent",
    "WorkflowResult",
    "WorkflowRun",
    "plot_workflow",
    "step",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "Step": "mastra_lab.workflow.steps",
        "step": "mastra_lab.workflow.steps",
        "StepContext": "mastra_lab.workflow.context",
        "StepResult": "mastra_lab.workflow.snapshot",
        "Workflow": "mastra_lab.workflow.builder",
        "WorkflowEvent": "mastra_lab.workflow.events",
        "WorkflowResult": "mastra_lab.workflow.run",
        "WorkflowRun": "mastra_lab.workflow.run",
        "plot_workflow": "mastra_lab.workflow.plots",
    },
)
