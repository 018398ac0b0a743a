"""Run every ```python example in the docstrings of mastra_lab.embed and mastra_lab.rag."""

from __future__ import annotations

import importlib
import inspect
import re
import textwrap

import pytest

MODULES = [
    "mastra_lab.embed.base",
    "mastra_lab.embed.hashing",
    "mastra_lab.embed.openai",
    "mastra_lab.rag.chunking",
    "mastra_lab.rag.document",
    "mastra_lab.rag.ingestion",
]
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str]]:
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        objects = [module, *(getattr(module, n) for n in module.__all__)]
        for obj in objects:
            doc = inspect.getdoc(obj) or ""
            for i, block in enumerate(_BLOCK.findall(doc)):
                found.append((f"{name}.{getattr(obj, '__name__', '')}[{i}]", textwrap.dedent(block)))
    return found


EXAMPLES = _examples()


def test_there_are_examples_to_run() -> None:
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize(("where", "code"), EXAMPLES, ids=[w for w, _ in EXAMPLES])
def test_docstring_example_runs(where: str, code: str) -> None:
    exec(compile(code, where, "exec"), {})
