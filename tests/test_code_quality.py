"""The house rules a tool can check: ruff (style, complexity ≤ 12) and mypy --strict on the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing() -> None:
    done = _run("ruff", "check", "mastra_lab", "tests", "benchmarks", "notebooks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_code_is_formatted() -> None:
    done = _run("ruff", "format", "--check", "mastra_lab", "tests", "benchmarks", "notebooks")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    done = _run("mypy", "mastra_lab", "--cache-dir", str(ROOT / ".mypy_cache"))
    assert done.returncode == 0, done.stdout + done.stderr
