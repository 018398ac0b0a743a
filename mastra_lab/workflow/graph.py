"""The shape of a workflow: a sequence of :class:`Node` values, one per builder call.

Nodes are plain frozen data so the engine, plots and listings read the same description; a node never
runs anything itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mastra_lab.workflow.steps import Step

__all__ = ["Node", "NodeKind"]

NodeKind = Literal[
    "step", "parallel", "branch", "dowhile", "dountil", "foreach", "map", "sleep", "sleep_until"
]


@dataclass(frozen=True)
class Node:
    """One builder call.

    Attributes:
        kind: Which builder call made it.
        key: A name unique in the workflow (the step id, or ``kind:index`` for nodes without one).
        steps: The steps it runs (one, or several for ``parallel``/``branch``).
        conditions: ``branch``'s conditions, one per step.
        fn: ``map``'s function or a loop's condition.
        concurrency: ``foreach``'s maximum of items in flight.
        executor: Where ``foreach`` runs its items: ``local`` (this process) or ``ray`` (Ray tasks).
        seconds: ``sleep``'s duration.
        until: ``sleep_until``'s moment.
    """

    kind: NodeKind
    key: str
    steps: tuple[Step, ...] = ()
    conditions: tuple[Callable[..., Any], ...] = ()
    fn: Callable[..., Any] | None = None
    concurrency: int = 1
    executor: Literal["local", "ray"] = "local"
    seconds: float = 0.0
    until: datetime | None = None
