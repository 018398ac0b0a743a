"""Fixtures for the real-browser tests: one JupyterLab server and one Chromium per session, a page per test.

The tests skip, saying why, only where Chromium is not installed on a developer's machine; in CI (``CI`` set,
or ``MASTRA_REQUIRE_BROWSER=1``) a missing browser or Playwright is a failure, so these tests cannot quietly
stop running. Screenshots go to ``tests/ui/artifacts/`` (or ``$MASTRA_UI_ARTIFACTS``).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import browser_harness` under any pytest import mode

from browser_harness import JupyterLab, NotebookRun, find_chromium, launch_chromium, start_jupyterlab

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
UI_NOTEBOOKS = Path(__file__).parent / "notebooks"

# Read at import: the suite's autouse fixture strips MASTRA_* variables from each test's environment.
REQUIRE_BROWSER = bool(os.environ.get("CI")) or os.environ.get("MASTRA_REQUIRE_BROWSER") == "1"
ARTIFACTS = Path(os.environ.get("MASTRA_UI_ARTIFACTS") or Path(__file__).parent / "artifacts")

RunNotebook = Callable[["Page", str], NotebookRun]


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}; the browser tests are required here (CI or MASTRA_REQUIRE_BROWSER=1)")
    pytest.skip(f"{reason}; install it (apt-get install chromium) to run the browser tests")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, or a skip (a failure in CI) when it is not installed."""
    path = find_chromium()
    if path is None:
        _unavailable("Chromium is not installed")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for the session, driven by Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable('Playwright is not installed (pip install -e ".[dev]")')
        raise
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright, chromium_path)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[JupyterLab]:
    """JupyterLab serving a copy of ``notebooks/`` (data included) and of the harness's own notebooks."""
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(ROOT / "notebooks", root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
    for notebook in UI_NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    with start_jupyterlab(root, tmp_path_factory.mktemp("lab-home"), python_path=ROOT) as lab:
        yield lab


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page per test, tall enough that a screenshot shows several cells."""
    context = browser.new_context(viewport={"width": 1280, "height": 1600})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


@pytest.fixture
def artifacts() -> Path:
    """Where screenshots go (kept after the run, ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def run_notebook(jupyterlab: JupyterLab, artifacts: Path) -> Iterator[RunNotebook]:
    """``run_notebook(page, name) -> NotebookRun``: open ``name`` on the session's server and run it all.

    The kernels it started are shut down after the test.
    """
    import browser_harness

    def run(page: Page, name: str) -> NotebookRun:
        return browser_harness.run_notebook(page, jupyterlab, name, artifacts)

    yield run
    jupyterlab.shut_down_sessions()
