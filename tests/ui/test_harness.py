"""The browser harness itself: what it sees of a notebook that works, and that it reports one that fails."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab, wait_until

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow


def test_widgets_plots_and_live_displays_render_and_respond(page: Page, run_notebook: RunNotebook) -> None:
    run = run_notebook(page, "widgets_smoke.ipynb")
    run.assert_clean()

    widgets = page.locator(".jupyter-widgets.smoke-widgets")
    assert widgets.count() == 1
    label = widgets.locator(".smoke-label")
    assert label.inner_text() == "not clicked"
    widgets.locator(".widget-button", has_text="Click me").click()
    wait_until(lambda: label.inner_text() == "clicked 1 time(s)", 30, "the label to change after a click")
    widgets.locator(".widget-button").click()
    wait_until(lambda: label.inner_text() == "clicked 2 time(s)", 30, "the label to change again")
    run.screenshot(page, "after-clicks")

    assert page.locator(".jp-OutputArea-output img").count() == 1
    image = page.locator(".jp-OutputArea-output img").first
    assert image.get_attribute("src", timeout=5_000).startswith("data:image/png")  # type: ignore[union-attr]
    assert page.locator(".smoke-live").all_inner_texts() == ["done after 3 steps"]
    assert run.problems == []


def _failing_notebook(lab: JupyterLab) -> str:
    """A notebook with one of each failure the harness collects, then a cell that never runs."""
    name = "fails.ipynb"
    ghost = {"model_id": "no-such-model", "version_major": 2, "version_minor": 0}
    cells = [
        ("ok", "x = 1\nx"),
        ("ghost", f"display({{'application/vnd.jupyter.widget-view+json': {ghost!r}}}, raw=True)"),
        (
            "console",
            "from IPython.display import Javascript\nJavascript('console.error(\"front-end failure\")')",
        ),
        ("boom", "raise ValueError('the harness must see this')"),
        ("after", "y = 2"),
    ]
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": i,
                "metadata": {},
                "outputs": [],
                "source": s,
            }
            for i, s in cells
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lab.root / name).write_text(json.dumps(notebook))
    return name


def test_errors_widget_failures_and_console_errors_are_reported(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    run = run_notebook(page, _failing_notebook(jupyterlab))
    assert run.cell_errors == ["cell 3: ValueError: the harness must see this"]
    assert run.not_run == [4]
    assert len(run.widget_failures) == 1 and "model not found" in run.widget_failures[0]
    assert [e for e in run.console_errors if "front-end failure" in e] != []
    with pytest.raises(AssertionError, match="ValueError: the harness must see this"):
        run.assert_clean()
