"""mastra_lab: agents, workflows, storage, vector search, LLM providers and telemetry, made for Jupyter.

Importing the package is cheap: names are resolved on first access, so ``import mastra_lab`` does not pull in
pandas, DuckDB, matplotlib or the notebook stack until something actually uses them.
"""

from __future__ import annotations

import typing

from mastra_lab import _lazy

if typing.TYPE_CHECKING:
    from mastra_lab.agent import Agent
    from mastra_lab.batch import run_batch
    from mastra_lab.errors import MastraError
    from mastra_lab.mastra import Mastra
    from mastra_lab.memory import Memory
    from mastra_lab.tools import Tool, tool
    from mastra_lab.workflow import Step, Workflow, step

__version__ = "0.1.0"

__all__ = [
    "Agent",
    "Mastra",
    "MastraError",
    "Memory",
    "Step",
    "Tool",
    "Workflow",
    "load_ipython_extension",
    "run_batch",
    "step",
    "tool",
    "unload_ipython_extension",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "Agent": "mastra_lab.agent",
        "Mastra": "mastra_lab.mastra",
        "Memory": "mastra_lab.memory",
        "Tool": "mastra_lab.tools",
        "tool": "mastra_lab.tools",
        "Workflow": "mastra_lab.workflow",
        "Step": "mastra_lab.workflow",
        "step": "mastra_lab.workflow",
        "MastraError": "mastra_lab.errors",
        "run_batch": "mastra_lab.batch",
        # `%load_ext mastra_lab` looks these up on the package; they resolve to the notebook layer only then.
        "load_ipython_extension": "mastra_lab.lab.magics",
        "unload_ipython_extension": "mastra_lab.lab.magics",
    },
)
