"""Examples in the README and in docstrings are executed, so they cannot drift from the code.

Fenced blocks whose info string is exactly ``python`` run; blocks that need an API key or a local server are
fenced as ``py`` and shown only.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import mastra_lab

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)
_ROOT = Path(__file__).resolve().parents[1]


def _blocks(text: str) -> list[str]:
    out = []
    for match in _FENCE.finditer(text):
        indent = match["indent"]
        lines = [line.removeprefix(indent) for line in match["code"].splitlines()]
        out.append("\n".join(lines))
    return out


def _docstring_examples() -> list[tuple[str, str]]:
    found = []
    names = [m.name for m in pkgutil.walk_packages(mastra_lab.__path__, "mastra_lab.")]
    for name in sorted(n for n in names if not n.endswith("__main__")):
        module = importlib.import_module(name)
        for attr, obj in [("", module), *vars(module).items()]:
            if getattr(obj, "__module__", name) != name or not (inspect.getdoc(obj) or ""):
                continue
            for i, code in enumerate(_blocks(inspect.getdoc(obj) or "")):
                found.append((f"{name}.{attr or '<module>'}[{i}]", code))
    return found


_README = _blocks((_ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("code", _README, ids=[f"README[{i}]" for i in range(len(_README))])
def test_readme_examples_run(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "__readme__"})


_DOCS = _docstring_examples()


@pytest.mark.parametrize("code", [c for _, c in _DOCS], ids=[n for n, _ in _DOCS])
def test_docstring_examples_run(code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "<docstring>", "exec"), {"__name__": "__doc_example__"})
