"""Examples in the README and in docstrings run, and what they print is compared, so they cannot drift.

Fenced blocks whose info string is exactly ``python`` run; blocks that need an API key or a local server are
fenced as ``py`` and shown only.

A trailing comment on a line that prints is the expected output of that print: ``print(x)  # ['Hello']``.
What the line printed (every call on it, a loop's calls too) must match the comment once runs of whitespace
are collapsed, with ``...`` matching anything, as doctest's ELLIPSIS does. A remark that is not output goes
on its own line. To know what each line printed, the example's syntax tree is rewritten so that every
``print(...)`` call reports the line it ends on to a recorder.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import io
import pkgutil
import re
import sys
import tokenize
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mastra_lab
from mastra_lab.storage import Storage

_FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<code>.*?)^(?P=indent)```", re.M | re.S)
_ROOT = Path(__file__).resolve().parents[1]
_RECORDER = "__print_at_line__"


# -- the runner ---------------------------------------------------------------------------------------------


def blocks(text: str) -> list[tuple[int, str]]:
    """``(line of the first code line, code)`` of each fenced ``python`` block, dedented to its fence."""
    out = []
    for match in _FENCE.finditer(text):
        indent = match["indent"]
        lines = [line.removeprefix(indent) for line in match["code"].splitlines()]
        out.append((text.count("\n", 0, match.start("code")) + 1, "\n".join(lines)))
    return out


def _trailing_comments(code: str) -> dict[int, str]:
    """Line → text of a comment that follows code on that line (comments alone on a line are remarks)."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.COMMENT and token.line[: token.start[1]].strip():
            found[token.start[0]] = token.string.removeprefix("#").strip()
    return found


def _is_print(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"


class _RoutePrints(ast.NodeTransformer):
    """``print(a, b)`` → ``__print_at_line__(<line the call ends on>, a, b)``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if not _is_print(node):
            return node
        line = ast.Constant(node.end_lineno)
        call = ast.Call(ast.Name(_RECORDER, ast.Load()), [line, *node.args], node.keywords)
        return ast.copy_location(call, node)


class _Recorder:
    """Collects what each line printed to stdout; prints to another file pass through untouched."""

    def __init__(self) -> None:
        self.printed: dict[int, list[str]] = {}

    def __call__(self, line: int, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("file") is not None:
            print(*args, **kwargs)
            return
        out = io.StringIO()
        print(*args, **kwargs, file=out)
        self.printed.setdefault(line, []).append(out.getvalue())
        sys.stdout.write(out.getvalue())


def output_matches(expected: str, printed: str) -> bool:
    """Whether ``printed`` is what ``expected`` says: whitespace runs collapsed, ``...`` matching anything."""
    want, got = " ".join(expected.split()), " ".join(printed.split())
    return re.fullmatch(".*".join(re.escape(part) for part in want.split("...")), got, re.S) is not None


def run_example(code: str, filename: str, first_line: int = 1) -> list[str]:
    """Run ``code`` and return one line per print whose output differs from its trailing comment.

    Args:
        code: The example.
        filename: Shown in tracebacks and in the returned lines.
        first_line: Line of ``code``'s first line in ``filename``, so reports point into the file.
    """
    tree = ast.parse(code, filename)
    print_lines = {node.end_lineno for node in ast.walk(tree) if _is_print(node)}
    expected = {line: text for line, text in _trailing_comments(code).items() if line in print_lines}
    tree = ast.fix_missing_locations(_RoutePrints().visit(tree))
    ast.increment_lineno(tree, first_line - 1)
    recorder = _Recorder()
    exec(compile(tree, filename, "exec"), {"__name__": "__example__", _RECORDER: recorder})
    problems = []
    for line, text in sorted(expected.items()):
        where = f"{filename} line {line + first_line - 1}"
        printed = recorder.printed.get(line)  # recorded under the example's own numbering
        if printed is None:
            problems.append(f"{where}: expected output {text!r}, but the line never printed")
        elif not output_matches(text, "".join(printed)):
            problems.append(f"{where}: printed {''.join(printed).rstrip()!r}, the comment expects {text!r}")
    return problems


# -- what it runs -------------------------------------------------------------------------------------------


def _documented(module: Any) -> Iterator[tuple[str, Any]]:
    """The module and every class, function and method defined in it, each with its qualified name."""
    yield "<module>", module
    for value in vars(module).values():
        if (inspect.isclass(value) or inspect.isfunction(value)) and value.__module__ == module.__name__:
            yield value.__qualname__, value
            if inspect.isclass(value):
                for member in vars(value).values():
                    target = member.fget if isinstance(member, property) else member
                    if inspect.isfunction(target):
                        yield target.__qualname__, target


def _docstring_examples() -> list[tuple[str, str]]:
    found = []
    names = [m.name for m in pkgutil.walk_packages(mastra_lab.__path__, "mastra_lab.")]
    for name in sorted(n for n in names if not n.endswith("__main__")):
        for qualname, obj in _documented(importlib.import_module(name)):
            doc = inspect.getdoc(obj) or ""
            found.extend((f"{name}.{qualname}[{i}]", code) for i, (_, code) in enumerate(blocks(doc)))
    return found


_README = blocks((_ROOT / "README.md").read_text(encoding="utf-8"))
_DOCS = _docstring_examples()


@pytest.mark.parametrize(("line", "code"), _README, ids=[f"README.md:{line}" for line, _ in _README])
def test_readme_examples_print_what_their_comments_say(
    line: int, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_example(code, "README.md", line) == []


@pytest.mark.parametrize(("where", "code"), _DOCS, ids=[where for where, _ in _DOCS])
def test_docstring_examples_print_what_their_comments_say(
    where: str, code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_example(code, where) == []


def test_every_storage_backend_and_test_double_shows_an_example() -> None:
    storage = importlib.import_module("mastra_lab.storage")
    backends = [
        f"{cls.__module__}.{cls.__qualname__}[0]"
        for cls in (getattr(storage, name) for name in storage.__all__)
        if inspect.isclass(cls) and issubclass(cls, Storage) and cls is not Storage
    ]
    required = [
        *backends,
        "mastra_lab.llm.testing.TestModel[0]",
        "mastra_lab.llm._hooks.capture_messages[0]",
        "mastra_lab.llm.cache.ResponseCache[0]",
        "mastra_lab.embed.hashing.HashingEmbedder[0]",
        "mastra_lab.rag.chunking.chunk[0]",
        "mastra_lab.rag.ingestion.<module>[0]",
    ]
    assert len(backends) >= 3
    assert [name for name in required if name not in dict(_DOCS)] == []


# -- the runner itself --------------------------------------------------------------------------------------


def test_a_comment_that_is_not_the_output_is_reported_with_its_line() -> None:
    code = "x = 1\nprint(x + 1)  # 3\n"
    assert run_example(code, "README.md", 10) == ["README.md line 11: printed '2', the comment expects '3'"]


def test_matching_output_and_ellipsis_pass() -> None:
    code = (
        "print({'loop': 'running', 'agents': 0})  # {'loop': ..., 'agents': 0}\n"
        "print('a', 'b', sep='-')  # a-b\n"
        "print([1,\n       2])  # [1, 2]\n"
    )
    assert run_example(code, "x") == []


def test_every_print_of_a_line_counts_and_whitespace_runs_are_one() -> None:
    assert run_example("for i in range(3):\n    print(i)  # 0 1 2\n", "x") == []
    assert run_example("for i in range(3):\n    print(i)  # 0\n", "x") == [
        "x line 2: printed '0\\n1\\n2', the comment expects '0'"
    ]


def test_a_print_that_never_runs_cannot_claim_an_output() -> None:
    code = "if False:\n    print('never')  # never\n"
    assert run_example(code, "x") == ["x line 2: expected output 'never', but the line never printed"]


def test_remarks_on_their_own_line_or_after_other_code_are_not_outputs() -> None:
    code = "# prints the sum\ntotal = 1 + 1  # two\nprint(total)\n"
    assert run_example(code, "x") == []


def test_an_error_in_an_example_fails_with_the_file_line() -> None:
    with pytest.raises(ZeroDivisionError) as info:
        run_example("x = 1\nprint(1 / 0)  # 0\n", "README.md", 40)
    assert info.traceback[-1].lineno + 1 == 41
