"""The package's import graph has no circles and every import runs down the layers of DESIGN.md §1.

The graph is read from the source with :mod:`ast`, imports inside functions included. Imports under
``if TYPE_CHECKING:`` are left out: they never run, so they can neither form a circle nor pull a higher
layer in. Importing ``a.b.c`` also runs the ``__init__`` of ``a.b`` and ``a``, so those count as imported
too — except the importing module's own ancestors, which are already running when it is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import mastra_lab

PACKAGE = Path(mastra_lab.__file__).resolve().parent

# Lowest first; a module may import its own layer and the ones below, never above. The longest matching
# prefix decides; package ``__init__`` files that only resolve names lazily sit at the bottom.
LAYERS: dict[str, int] = {
    "mastra_lab": 0,
    "mastra_lab._lazy": 0,
    "mastra_lab._runtime": 0,
    "mastra_lab._secret": 0,
    "mastra_lab._ship": 0,
    "mastra_lab.config": 0,
    "mastra_lab.errors": 0,
    "mastra_lab.telemetry": 0,  # the package __init__ resolves its names lazily
    "mastra_lab.telemetry.logger": 0,
    "mastra_lab.telemetry._context": 0,
    "mastra_lab.telemetry._span": 0,
    "mastra_lab.storage": 1,
    "mastra_lab.llm": 2,
    "mastra_lab.vector": 2,
    "mastra_lab.embed": 2,
    "mastra_lab.rag": 2,
    "mastra_lab.telemetry.": 2,  # tracer, exporters, metrics, plots
    "mastra_lab.tools": 3,
    "mastra_lab.agent": 3,
    "mastra_lab.memory": 3,
    "mastra_lab.workflow": 3,
    "mastra_lab.mastra": 4,
    "mastra_lab.batch": 4,
    "mastra_lab.cli": 5,
    "mastra_lab.__main__": 5,
    "mastra_lab.lab": 5,
}
LAYER_NAMES = ["bottom", "storage", "services", "core", "registry", "front ends"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
PACKAGES = {name for name, path in MODULES.items() if path.name == "__init__.py"}


def layer(module: str) -> int:
    """The layer of ``module``: the value of the longest prefix in :data:`LAYERS` that matches it."""
    best = max(
        (p for p in LAYERS if module == p or module.startswith(p if p.endswith(".") else p + ".")),
        key=len,
    )
    return LAYERS[best]


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package modules one import statement runs."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        anchor = module if module in PACKAGES else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            anchor = anchor.rpartition(".")[0]
        base = f"{anchor}.{base}".rstrip(".")
    out = set()
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.add(sub if sub in MODULES else base)
    return out


def _with_ancestors(module: str, target: str) -> set[str]:
    parts = target.split(".")
    found = {".".join(parts[:i]) for i in range(1, len(parts) + 1)}
    own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    if module in PACKAGES:
        own.add(module)
    return {m for m in found if m in MODULES and (m == target or m not in own)}


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports at run time."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges: set[str] = set()
        for node in _runtime_imports(tree):
            for target in _targets(name, node):
                if target == "mastra_lab" or target.startswith("mastra_lab."):
                    edges |= _with_ancestors(name, target)
        edges.discard(name)
        graph[name] = edges
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_graph_sees_imports_inside_functions_and_skips_type_checking_blocks() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from mastra_lab.storage import Storage\n"
        "def f():\n    from mastra_lab.errors import MastraError\n"
    )
    targets = {t for n in _runtime_imports(tree) for t in _targets("mastra_lab.x", n)}
    assert targets == {"typing", "mastra_lab.errors"}


def test_a_circle_is_found() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_every_module_has_a_layer() -> None:
    assert all(layer(m) in range(len(LAYER_NAMES)) for m in MODULES)


def test_there_are_no_import_circles() -> None:
    assert find_cycles(import_graph()) == []


def test_no_import_runs_up_the_layers() -> None:
    upward = [
        f"{src} ({LAYER_NAMES[layer(src)]}) imports {dst} ({LAYER_NAMES[layer(dst)]})"
        for src, targets in sorted(import_graph().items())
        for dst in sorted(targets)
        if layer(dst) > layer(src)
    ]
    assert upward == []


@pytest.mark.parametrize("module", ["mastra_lab.storage.base", "mastra_lab.telemetry.logger"])
def test_low_layers_reach_nothing_above_them(module: str) -> None:
    seen, todo = set(), [module]
    graph = import_graph()
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(graph[current])
    assert max(layer(m) for m in seen) <= layer(module)
