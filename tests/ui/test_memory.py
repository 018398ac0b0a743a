"""``notebooks/07_memory.ipynb`` in a real browser: it runs cleanly; its memory panel renders and responds.

Hooks shared with the code: the panel carries ``mastra-memory-panel`` and its parts ``mastra-memory-<part>``
(``query``, ``recall``, ``half-life``, ``preview-prune``, ``prune``, ``prune-result``, ``decay``); a decay
plot display is ``<div class="mastra-plot mastra-plot-decay">`` with the figure as an image, and a recall
preview ``<div class="mastra-recall">``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab, click_until, wait_until

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

NOTEBOOK = "07_memory.ipynb"


def test_memory_notebook_runs_and_its_panel_previews_then_prunes(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    assert (jupyterlab.root / NOTEBOOK).exists(), f"notebooks/{NOTEBOOK} is missing"
    run = run_notebook(page, NOTEBOOK)
    run.assert_clean()

    assert page.locator(".jp-OutputArea-output .mastra-plot-decay img").count() >= 1, "no decay plot"
    assert page.locator(".jp-OutputArea-output .mastra-recall").count() >= 1, "no recall preview"
    panel = page.locator(".mastra-memory-panel").first
    panel.wait_for(state="visible")
    assert panel.locator(".mastra-memory-decay img, img.mastra-memory-decay").count() >= 1, "no panel plot"

    recall = panel.locator(".mastra-memory-recall")
    panel.locator(".mastra-memory-query input").fill("a vegetarian idea for tonight")
    click_until(
        panel.locator(".widget-button", has_text="Preview recall"),
        lambda: "a vegetarian idea for tonight" in recall.inner_text(),
        "the recall preview",
    )
    assert "remembered" in recall.inner_text()

    result = panel.locator(".mastra-memory-prune-result")
    prune = panel.locator(".mastra-memory-prune")
    for part, value in (("half-life", "1d"), ("keep-last", "1")):
        box = panel.locator(f".mastra-memory-{part} input")
        box.fill(value)
        box.press("Tab")  # number boxes send their value when they lose focus
    rule = "half-life 1d, min score 0.1, keep last 1"
    click_until(
        panel.locator(".widget-button", has_text="Preview prune"),
        lambda: rule in result.inner_text(),
        "a dry-run preview with the new settings",
    )
    shown = wait_until(lambda: result.inner_text(), 30, "the dry-run preview")
    assert shown.startswith("would remove") and rule in shown, shown
    wait_until(lambda: prune.is_enabled(), 30, "the Prune button after a preview")
    prune.click()
    wait_until(lambda: result.inner_text().startswith("removed"), 60, "the prune report")
    run.screenshot(page, "after-prune")
    errors = panel.locator(".mastra-error").all_inner_texts()
    assert not any(e.strip() for e in errors), f"the memory panel showed an error: {errors}"
