"""mastra_lab: agents, workflows, storage, vector search, LLM providers and telemetry, made for Jupyter.

Importing the package is cheap: names are resolved on first access, so ``import mastra_lab`` does not pull in
pandas, DuckDB, matplotlib or the notebook stack until something actually uses them.
"""

from __future__ import annotations

import typing

from mastra_lab import _lazy

if typing.TYPE_CHECKING:
    from mastra_lab.errors import MastraError
    from mastra_lab.mastra import Mastra

__version__ = "0.1.0"

__all__ = ["Mastra", "MastraError", "load_ipython_extension", "unload_ipython_extension"]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "Mastra": "mastra_lab.mastra",
        "MastraError": "mastra_lab.errors",
        # `%load_ext mastra_lab` looks these up on the package; they resolve to the notebook layer only then.
        "load_ipython_extension": "mastra_lab.lab.magics",
        "unload_ipython_extension": "mastra_lab.lab.magics",
    },
)
