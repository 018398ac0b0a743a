"""``notebooks/06_agents.ipynb`` in a real browser: chat cells render; the chat panel streams and approves.

The notebook and the panel agree on these hooks: the panel carries ``mastra-chat-panel``, its conversation
``mastra-chat-transcript``, its message box ``mastra-chat-message``, its Send button ``mastra-chat-send``,
each pending call's Approve button ``mastra-chat-approve``, and its summary line ``mastra-chat-status``;
a ``%%mastra chat`` cell streams Markdown above a ``mastra-chat-footer``.

Streaming is checked in the DOM: a MutationObserver records the conversation's text at every change while
one message is answered, and an intermediate state (the tool call shown, its answer not yet) must appear.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from browser_harness import JupyterLab, wait_until

if TYPE_CHECKING:
    from conftest import RunNotebook
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.slow

NOTEBOOK = "06_agents.ipynb"

_OBSERVE_JS = """(element) => {
  window.__chatStates = [];
  new MutationObserver(() => window.__chatStates.push(element.textContent))
    .observe(element, {childList: true, subtree: true, characterData: true});
}"""


def _cell_starting(page: Page, source: str) -> Locator:
    """The first code cell whose source starts with ``source``."""
    cells = page.locator(".jp-CodeCell")
    for i in range(cells.count()):
        if cells.nth(i).locator(".jp-InputArea-editor").inner_text().lstrip().startswith(source):
            return cells.nth(i)
    raise AssertionError(f"no cell starts with {source!r}")


def _send(panel: Locator, text: str) -> None:
    panel.locator(".mastra-chat-message textarea").fill(text)
    panel.locator(".mastra-chat-send").click()


def test_chat_cells_render_and_the_panel_streams_and_approves(
    page: Page, run_notebook: RunNotebook, jupyterlab: JupyterLab
) -> None:
    assert (jupyterlab.root / NOTEBOOK).exists(), f"notebooks/{NOTEBOOK} is missing"
    run = run_notebook(page, NOTEBOOK)
    run.assert_clean()

    chat = _cell_starting(page, "%%mastra chat support")
    streamed = chat.locator(".jp-OutputArea-output.jp-RenderedMarkdown").all_inner_texts()
    assert any("Shipped on Monday." in text for text in streamed), f"no streamed answer: {streamed!r}"
    footer = chat.locator(".jp-OutputArea-output .mastra-chat-footer").all_inner_texts()
    assert footer and footer[0].startswith("support · stop · 2 steps"), f"no chat footer: {footer!r}"

    panels = page.locator(".mastra-chat-panel")
    assert panels.count() == 1, "the chat panel did not render"
    panel = panels.first
    panel.scroll_into_view_if_needed()
    transcript = panel.locator(".mastra-chat-transcript")
    status = panel.locator(".mastra-chat-status")

    transcript.evaluate(_OBSERVE_JS)
    _send(panel, "Where is my order A-1003?")
    wait_until(lambda: "Out for delivery." in transcript.inner_text(), 60, "the panel's answer")
    wait_until(lambda: status.inner_text().startswith("support · stop"), 60, "the summary line")
    states: list[str] = page.evaluate("window.__chatStates")
    partial = [s for s in states if 'order_status(order_id="A-1003")' in s and "Out for delivery." not in s]
    assert partial, f"the answer appeared all at once ({len(states)} DOM changes), it did not stream"
    run.screenshot(page, "chat-answered")

    _send(panel, "Please refund A-1003.")
    approve = panel.locator(".mastra-chat-approve:visible")
    wait_until(lambda: approve.count() == 1, 60, "an Approve button for the refund")
    assert "waiting for approval" in transcript.inner_text()
    assert status.inner_text().startswith("support · approval")
    run.screenshot(page, "chat-waiting")
    approve.first.click()
    wait_until(lambda: "Refunded 20.00 on A-1003." in transcript.inner_text(), 60, "the resumed run's answer")
    wait_until(lambda: approve.count() == 0, 30, "the Approve button to go")
    assert status.inner_text().startswith("support · stop · 2 steps")
    run.screenshot(page, "chat-approved")
    errors = panel.locator(".mastra-error").all_inner_texts()
    assert not any(e.strip() for e in errors), f"the chat panel showed an error: {errors}"
