"""``notebooks/05_workbench.ipynb`` in a real browser: it runs cleanly, its panels render and respond.

The notebook and the panels agree on these hooks: the dashboard and each panel carry a CSS class
(``mastra-dashboard``, ``mastra-storage-panel``, ``mastra-vector-panel``, ``mastra-traces-panel``), a trace
display wraps its HTML in ``<div class="mastra-trace">`` (with the waterfall as an image), the
``%%mastra ask`` cell streams its answer as Markdown above a ``mastra-answer`` footer, and the vector panel
shows its hits in ``.mastra-vector-results``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab, wait_until

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.slow

NOTEBOOK = "05_workbench.ipynb"
PANELS = (".mastra-dashboard", ".mastra-storage-panel", ".mastra-vector-panel", ".mastra-traces-panel")


def _cell_starting(page: Page, source: str) -> Locator:
    """The code cell whose source starts with ``source`` (its outputs may mention it too)."""
    cells = page.locator(".jp-CodeCell")
    for i in range(cells.count()):
        if cells.nth(i).locator(".jp-InputArea-editor").inner_text().lstrip().startswith(source):
            return cells.nth(i)
    raise AssertionError(f"no cell starts with {source!r}")


def _visible_vector_panel(page: Page) -> Locator:
    """A vector panel on screen: a standalone one, or the dashboard's once its tab is selected."""
    visible = page.locator(".mastra-vector-panel:visible")
    if visible.count() == 0:
        page.locator(".mastra-dashboard .lm-TabBar-tab", has_text="vectors").first.click()
        visible.first.wait_for(state="visible")
    return visible.first


def test_workbench_runs_and_its_panels_render_and_respond(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    assert (jupyterlab.root / NOTEBOOK).exists(), f"notebooks/{NOTEBOOK} is missing"
    run = run_notebook(page, NOTEBOOK)
    run.assert_clean()

    missing = [css for css in PANELS if page.locator(css).count() == 0]
    assert missing == [], f"panels that did not render: {missing}"
    assert page.locator(".jp-OutputArea-output .mastra-trace img").count() >= 1, "no waterfall image"
    ask = _cell_starting(page, "%%mastra ask")
    streamed = ask.locator(".jp-OutputArea-output.jp-RenderedMarkdown").all_inner_texts()
    assert any(text.strip() for text in streamed), f"no streamed answer: {streamed!r}"
    footer = ask.locator(".jp-OutputArea-output .mastra-answer").all_inner_texts()
    assert footer and footer[0].startswith("test · stop"), f"no answer footer: {footer!r}"

    panel = _visible_vector_panel(page)
    results = panel.locator(".mastra-vector-results")
    before = results.inner_text()
    panel.locator(".widget-text input, input[type=text]").first.fill("how do I search stored vectors?")
    panel.locator(".widget-button", has_text="Search").first.click()
    wait_until(lambda: results.inner_text() != before, 60, "the vector panel's results to change")
    run.screenshot(page, "after-search")
    assert results.inner_text().strip(), "the search showed no results"
    errors = panel.locator(".mastra-error").all_inner_texts()
    assert not any(e.strip() for e in errors), f"the vector panel showed an error: {errors}"
