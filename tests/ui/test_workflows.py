"""The workflow panel in a real browser: a suspended run is resumed from the panel's form, goes on in the
background while the kernel stays free, and its status becomes success in the page as it ends.

Hooks shared with the code: the panel carries ``mastra-workflow-panel``; the selected run's status is
``<b class="mastra-workflow-run-status">`` in ``mastra-workflow-summary``; the step graph is the image
``mastra-workflow-graph``; each resume-form field is ``mastra-form-field-<name>``, and the button
``mastra-workflow-resume``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab, click_until, wait_until

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

NOTEBOOK = "workflow_panel.ipynb"

_EXECUTE_JS = """async (code) => {
  const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  const reply = await kernel.requestExecute({code}).done;
  return reply.content.status;
}"""


def test_the_panel_resumes_a_suspended_run_and_shows_it_succeed(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    run = run_notebook(page, NOTEBOOK)
    run.assert_clean()

    panel = page.locator(".mastra-workflow-panel").first
    panel.wait_for(state="visible")
    panel.scroll_into_view_if_needed()
    status = panel.locator(".mastra-workflow-run-status")
    assert status.inner_text() == "suspended"
    assert panel.locator("img.mastra-workflow-graph, .mastra-workflow-graph img").count() == 1, "no graph"
    assert "publish 'Bees in winter'?" in panel.locator(".mastra-workflow-resume-payload").inner_text()
    resume = panel.locator(".mastra-workflow-resume")
    errors = panel.locator(".mastra-error")

    reviewer = panel.locator(".mastra-form-field-reviewer input")
    reviewer.fill("x")
    reviewer.press("Tab")
    click_until(resume, lambda: "field 'reviewer'" in errors.inner_text(), "the error for a short reviewer")
    assert status.inner_text() == "suspended"
    run.screenshot(page, "bad-resume")

    panel.locator(".mastra-form-field-approved input").check()
    reviewer.fill("grace")
    reviewer.press("Tab")
    click_until(resume, lambda: status.inner_text() == "running", "the resumed run to show as running")
    detail = panel.locator(".mastra-workflow-step-detail")
    wait_until(lambda: "status\trunning" in detail.inner_text(), 60, "the step to show as running")
    run.screenshot(page, "running")
    # The run waits in the background: the kernel is free to run code, and what it runs lets the run finish.
    assert page.evaluate(_EXECUTE_JS, "gate.set()") == "ok"
    wait_until(lambda: status.inner_text() == "success", 60, "the run's status to become success")
    summary = panel.locator(".mastra-workflow-summary").inner_text()
    assert "grace" in summary and "Bees in winter" in summary, summary
    assert not panel.locator(".mastra-workflow-resume-box").is_visible()
    assert not errors.inner_text().strip(), f"the workflow panel showed an error: {errors.inner_text()}"
    run.screenshot(page, "resumed")
