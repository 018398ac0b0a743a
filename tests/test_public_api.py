"""The public surface is curated: every module declares ``__all__``, and importing the package stays light."""

from __future__ import annotations

import importlib
import inspect
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
        "import mastra_lab.storage; mastra_lab.storage.PostgresStore;"
        "heavy = ['pandas', 'duckdb', 'IPython', 'ipywidgets', 'matplotlib', 'psycopg'];"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def _shape(fn: object) -> list[tuple[str, object, object]]:
    """Parameter names, kinds and defaults: what a caller relies on (annotations are strings here)."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]  # type: ignore[arg-type]


def _bare(fn: object) -> str:
    """The signature without annotations: ``(self, key, value='')``."""
    sig = inspect.signature(fn)  # type: ignore[arg-type]
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


TWIN_NAMES = {"aembed": "embed"}
"""Coroutines whose sync twin is not ``<name>_sync``: embedders keep the ``embed``/``aembed`` pair that
LangChain and LlamaIndex users know (DESIGN §3 names ``embed(texts)``)."""

NO_TWIN = {
    "mastra_lab.llm.http.HTTPClient.post_json": "transport that provider models await inside their own "
    "coroutines; users call Model.generate or generate_sync",
}
"""Public coroutines that are not user-facing API, with the reason."""


def _public_classes() -> list[type]:
    found = []
    for name in _MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            value = getattr(module, attr)
            if inspect.isclass(value) and value.__module__ == name and not attr.startswith("_"):
                found.append(value)
    return found


def twin_problems(classes: list[type]) -> list[str]:
    """Every public coroutine method without a sync twin taking the same parameters, one line each.

    Async iterators (``stream``) are not coroutines, so this check leaves them out: a Jupyter cell can
    ``async for`` at top level, and code that cannot (a magic) uses ``Model.stream_sync``.
    """
    problems = []
    for cls in classes:
        for attr, fn in vars(cls).items():
            where = f"{cls.__module__}.{cls.__qualname__}.{attr}"
            if attr.startswith("_") or not inspect.iscoroutinefunction(fn) or where in NO_TWIN:
                continue
            twin_name = TWIN_NAMES.get(attr, f"{attr}_sync")
            twin = getattr(cls, twin_name, None)
            if twin is None or inspect.iscoroutinefunction(twin):
                problems.append(f"{where} has no sync twin {twin_name}()")
            elif _shape(twin) != _shape(fn):
                problems.append(f"{where}: {twin_name}{_bare(twin)} != {attr}{_bare(fn)}")
    return problems


def test_every_public_coroutine_has_a_sync_twin_with_the_same_parameters() -> None:
    assert twin_problems(_public_classes()) == []


def test_the_twin_check_reports_a_missing_or_different_twin() -> None:
    class Service:
        async def fetch(self, key: str) -> str:
            return key

        async def store(self, key: str, value: str = "") -> None:
            return None

        def store_sync(self, key: str) -> None:
            return None

        async def _private(self) -> None:
            return None

    where = f"{Service.__module__}.{Service.__qualname__}"
    assert twin_problems([Service]) == [
        f"{where}.fetch has no sync twin fetch_sync()",
        f"{where}.store: store_sync(self, key) != store(self, key, value='')",
    ]


def test_the_exemptions_name_real_coroutines() -> None:
    for where in NO_TWIN:
        module, cls, attr = where.rsplit(".", 2)
        assert inspect.iscoroutinefunction(getattr(getattr(importlib.import_module(module), cls), attr)), (
            where
        )
