"""The public surface is curated: every module declares ``__all__``, and importing the package stays light."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

import mastra_lab

_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(mastra_lab.__path__, "mastra_lab.")
    if m.name != "mastra_lab.__main__"
)


def _public_names(module: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and name != "annotations" and not isinstance(value, ModuleType)
    }


@pytest.mark.parametrize("name", ["mastra_lab", *_MODULES])
def test_module_declares_all_and_every_listed_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for member in exported:
        assert getattr(module, member, None) is not None, f"{name}.__all__ lists missing {member!r}"


_PACKAGES = [m for m in ["mastra_lab", *_MODULES] if hasattr(importlib.import_module(m), "__path__")]


@pytest.mark.parametrize("name", _PACKAGES)
def test_package_exports_exactly_its_public_names(name: str) -> None:
    module = importlib.import_module(name)
    for member in module.__all__:
        getattr(module, member)  # resolve lazy names so they count
    assert _public_names(module) == set(module.__all__)


def test_importing_the_package_does_not_import_the_heavy_stack() -> None:
    code = (
        "import sys, mastra_lab, mastra_lab.telemetry, mastra_lab.llm, mastra_lab.errors; mastra_lab.Mastra;"
        "heavy = ['pandas', 'duckdb', 'IPython', 'ipywidgets', 'matplotlib'];"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _shape(fn: object) -> list[tuple[str, object, object]]:
    """Parameter names, kinds and defaults: what a caller relies on (annotations are strings here)."""
    import inspect

    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


def test_every_sync_twin_takes_the_parameters_of_its_async_method() -> None:
    import inspect

    for name in _MODULES:
        module = importlib.import_module(name)
        for cls in [v for v in vars(module).values() if inspect.isclass(v) and v.__module__ == name]:
            for attr, fn in vars(cls).items():
                twin = getattr(cls, f"{attr}_sync", None)
                if attr.startswith("_") or not inspect.iscoroutinefunction(fn) or twin is None:
                    continue
                assert _shape(twin) == _shape(fn), f"{cls.__name__}.{attr}_sync differs from {attr}"
