"""``mastra_lab.storage`` stays light: the backends (and duckdb, pandas) load only when used."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mastra_lab.storage as storage

ROOT = Path(__file__).resolve().parents[2]


def test_importing_storage_does_not_import_duckdb_or_pandas() -> None:
    code = (
        "import sys, mastra_lab.storage as s\n"
        "assert 'duckdb' not in sys.modules and 'pandas' not in sys.modules, sorted(sys.modules)\n"
        "s.InMemoryStore().create('notes', {})\n"
        "assert 'duckdb' not in sys.modules and 'pandas' not in sys.modules\n"
        "s.PostgresStore\n"
        "assert 'psycopg' not in sys.modules, 'naming PostgresStore must not connect or import psycopg'\n"
        "print('light')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "light"


def test_all_lists_exactly_the_public_names() -> None:
    assert sorted(storage.__all__) == sorted(
        [
            "DuckDBStore",
            "InMemoryStore",
            "PostgresStore",
            "SQLiteStore",
            "Storage",
            "Record",
            "Thread",
            "StoredMessage",
            "Resource",
            "WorkflowRun",
        ]
    )
    for name in storage.__all__:
        assert getattr(storage, name).__name__ == name


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, including imports inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_backends_do_not_import_each_other() -> None:
    package = ROOT / "mastra_lab" / "storage"
    backends = {"memory", "duckdb", "sqlite", "postgres"}
    for name in backends:
        imported = _imported_modules(package / f"{name}.py")
        others = {f"mastra_lab.storage.{other}" for other in backends - {name}}
        assert not imported & others, f"{name}.py imports {sorted(imported & others)}"
    shared = "mastra_lab.storage._duckdb_sql"
    assert shared in _imported_modules(package / "memory.py")
    assert shared in _imported_modules(package / "duckdb.py")
