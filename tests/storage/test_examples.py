"""The fenced ``python`` examples in the storage docstrings run (STYLE #18)."""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap

import pytest

MODULES = ["mastra_lab.storage.memory", "mastra_lab.storage.duckdb", "mastra_lab.storage.sqlite"]
FENCE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _examples() -> list[tuple[str, str]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        for obj_name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == name:
                for code in FENCE.findall(inspect.getdoc(obj) or ""):
                    found.append((f"{name}.{obj_name}", code))
    return found


@pytest.mark.parametrize(("where", "code"), _examples(), ids=[w for w, _ in _examples()])
def test_docstring_example_runs(where: str, code: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(textwrap.dedent(code), where, "exec"), {})


def test_every_backend_has_an_example() -> None:
    assert len(_examples()) == len(MODULES)
