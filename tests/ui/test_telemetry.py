"""The telemetry panel in a real browser: the status filter changes the traces table, and picking a trace
shows its waterfall.

Hooks shared with the code: the panel carries ``mastra-telemetry-panel``; its filters are the dropdowns
``mastra-telemetry-status`` (and ``-since``, ``-agent``, ``-model``), the traces list is the select
``mastra-telemetry-traces`` (one option per trace, the root span's name first), the waterfall is the image
``mastra-telemetry-waterfall`` and the selected trace's span table is in ``mastra-telemetry-detail``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab, wait_until

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.slow

NOTEBOOK = "telemetry_panel.ipynb"


def _rows(traces: Locator) -> list[str]:
    """The traces list's lines, as the page shows them (ipywidgets writes spaces as no-break spaces)."""
    return [text.replace("\xa0", " ").strip() for text in traces.locator("option").all_inner_texts()]


def test_the_status_filter_changes_the_table_and_a_click_shows_a_waterfall(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    run = run_notebook(page, NOTEBOOK)
    run.assert_clean()

    panel = page.locator(".mastra-telemetry-panel").first
    panel.wait_for(state="visible")
    panel.scroll_into_view_if_needed()
    traces = panel.locator(".mastra-telemetry-traces select")
    status = panel.locator(".mastra-telemetry-status select")
    detail = panel.locator(".mastra-telemetry-detail")
    waterfall = panel.locator("img.mastra-telemetry-waterfall, .mastra-telemetry-waterfall img")
    errors = panel.locator(".mastra-error")
    rows = _rows(traces)
    assert [r.split(" · ")[0] for r in rows] == [
        "invoke_agent weather",
        "invoke_agent broken",
        "invoke_agent weather",
    ], rows

    status.select_option(label="error")
    wait_until(lambda: len(_rows(traces)) == 1, 60, "the list to show only the error trace")
    (only,) = _rows(traces)
    assert only.startswith("invoke_agent broken · ") and " · error · " in only, only
    assert "RuntimeError: the weather service is down" in only
    run.screenshot(page, "error-traces")

    status.select_option(label="ok")
    wait_until(lambda: len(_rows(traces)) == 2, 60, "the list to show the two ok traces")
    assert all(" · ok · " in r and r.startswith("invoke_agent weather · ") for r in _rows(traces))
    newest_id = _rows(traces)[0].split(" · ")[6]
    wait_until(lambda: f"trace {newest_id}" in detail.inner_text(), 60, "the newest ok trace on display")
    before = waterfall.get_attribute("src")

    older_id = _rows(traces)[1].split(" · ")[6]
    traces.select_option(index=1)
    wait_until(lambda: f"trace {older_id}" in detail.inner_text(), 60, "the clicked trace's span table")
    wait_until(lambda: waterfall.get_attribute("src") != before, 60, "the clicked trace's waterfall")
    assert waterfall.is_visible(), "the waterfall is not shown"
    loaded = "img => img.complete && img.naturalWidth > 0"
    wait_until(lambda: waterfall.evaluate(loaded), 60, "the waterfall image to load")
    run.screenshot(page, "clicked-trace")
    assert not errors.inner_text().strip(), f"the telemetry panel showed an error: {errors.inner_text()}"
