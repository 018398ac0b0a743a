"""mastra_lab: agents, workflows, storage, vector search, LLM providers and telemetry, made for Jupyter.

Importing the package is cheap: names are resolved on first access, so ``import mastra_lab`` does not pull in
pandas, DuckDB, matplotlib or the notebook stack until something actually uses them.
"""

from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from mastra_lab.errors import MastraError
    from mastra_lab.mastra import Mastra

__version__ = "0.1.0"

__all__ = ["Mastra", "MastraError"]

_LAZY = {
    "Mastra": "mastra_lab.mastra",
    "MastraError": "mastra_lab.errors",
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mastra_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
