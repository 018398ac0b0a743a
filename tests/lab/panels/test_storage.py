"""``StoragePanel`` built headless: pick a table, page, refresh, and the read-only note."""

from __future__ import annotations

from pathlib import Path

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.errors import StorageError
from mastra_lab.lab._testing import click, panels_raise
from mastra_lab.lab.panels.storage import StoragePanel
from mastra_lab.lab.panels.tabs import PANELS, panel_class
from mastra_lab.storage import DuckDBStore, Thread


@pytest.fixture
def mastra(backend: Backend) -> Mastra:
    """A Mastra over a DuckDB file or PostgreSQL with 30 notes."""
    m = backend.open("panel")
    for i in range(30):
        m.storage.create("notes", {"i": i})
    return m


def _shown_ids(panel: StoragePanel, mastra: Mastra) -> list[str]:
    ids = [r.id for r in mastra.storage.list("notes", limit=1000)]
    return [i for i in ids if i in panel.view.value]


def test_panel_opens_on_the_users_table_with_its_count(mastra: Mastra) -> None:
    with panels_raise():
        panel = StoragePanel(mastra)
    assert panel_class("storage") is StoragePanel and "storage" in PANELS
    assert "mastra-storage-panel" in panel._dom_classes
    assert panel.table.value == "notes"
    assert ("notes (30)", "notes") in panel.table.options
    assert ("mastra_threads (0)", "mastra_threads") in panel.table.options
    assert (panel.count.value, panel.position.value) == ("30 rows", "rows 1–25 of 30")
    assert panel.prev_page.disabled and not panel.next_page.disabled
    assert panel.view.value.count("</tr>") == 25 + 1  # the rows and the header
    assert panel.error_text == ""
    assert panel.note.layout.display == "none"
    assert panel.children[-1] is panel.error


def test_picking_a_table_shows_its_rows(mastra: Mastra) -> None:
    mastra.storage.save_thread(Thread("t1", resource_id="u"))
    with panels_raise():
        panel = StoragePanel(mastra)
        panel.table.value = "mastra_threads"
    assert (panel.count.value, panel.position.value) == ("1 rows", "rows 1–1 of 1")
    assert "t1" in panel.view.value and "resource_id" in panel.view.value
    assert panel.next_page.disabled


def test_next_and_prev_page_through_every_row_once(mastra: Mastra) -> None:
    with panels_raise():
        panel = StoragePanel(mastra, page_size=10)
        seen = [_shown_ids(panel, mastra)]
        positions = [panel.position.value]
        while not panel.next_page.disabled:
            click(panel.next_page)
            seen.append(_shown_ids(panel, mastra))
            positions.append(panel.position.value)
        click(panel.next_page)  # past the end: stays on the last page
        assert panel.position.value == "rows 21–30 of 30"
        click(panel.prev_page)
        assert panel.position.value == "rows 11–20 of 30"
    assert positions == ["rows 1–10 of 30", "rows 11–20 of 30", "rows 21–30 of 30"]
    flat = [i for page in seen for i in page]
    assert len(flat) == len(set(flat)) == 30


def test_page_size_change_starts_again_at_the_first_page(mastra: Mastra) -> None:
    with panels_raise():
        panel = StoragePanel(mastra, page_size=10)
        click(panel.next_page)
        panel.page_size.value = 50
    assert panel.position.value == "rows 1–30 of 30"
    assert panel.next_page.disabled


def test_refresh_shows_rows_inserted_since_and_keeps_the_page(mastra: Mastra) -> None:
    with panels_raise():
        panel = StoragePanel(mastra, page_size=25)
        click(panel.next_page)
        new_id = mastra.storage.create("notes", {"i": 30})
        assert new_id not in panel.view.value
        mastra.storage.create("later", {"x": 1})
        click(panel.refresh)
    assert panel.table.value == "notes"
    assert (panel.count.value, panel.position.value) == ("31 rows", "rows 26–31 of 31")
    assert new_id in panel.view.value
    assert ("later (1)", "later") in panel.table.options


def test_a_failing_callback_shows_one_error_line_and_raises_under_panels_raise(mastra: Mastra) -> None:
    panel = StoragePanel(mastra)
    kind = type(mastra.storage).__name__
    mastra.storage.close()
    with panels_raise(), pytest.raises(StorageError, match="closed"):
        click(panel.refresh)
    assert panel.error_text == f"error: this {kind} is closed; open a new store to keep working"
    click(panel.next_page)  # outside panels_raise the error is shown, not raised
    assert panel.error_text.startswith(f"error: this {kind} is closed")


def test_a_file_another_process_writes_shows_the_read_only_note(tmp_path: Path) -> None:
    from lock_holder import holding

    path = tmp_path / "busy.duckdb"
    DuckDBStore(path).close()
    with holding(path) as pid, Mastra.open(path) as mastra, panels_raise():
        panel = StoragePanel(mastra)
        assert panel.note.layout.display is None
        assert "read-only:" in panel.note.value and f"PID {pid}" in panel.note.value
        assert "mastra-storage-note" in panel.note._dom_classes
        assert panel.table.value == "notes"
        assert panel.count.value == "1 rows"
