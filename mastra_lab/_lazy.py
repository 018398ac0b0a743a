"""Lazy package exports (PEP 562), shared by every package ``__init__``.

``import mastra_lab`` must not import pandas, DuckDB or numpy; packages therefore list where each public
name lives and resolve it on first attribute access. Resolved names are cached in the package's globals, so
the lookup happens once.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(package: str, where: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Module-level ``__getattr__`` and ``__dir__`` for ``package``, resolving names from ``where``.

    Args:
        package: The package's ``__name__``.
        where: Public name → module that defines it.
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(getattr(sys.modules[package], "__all__", where))

    return __getattr__, __dir__
