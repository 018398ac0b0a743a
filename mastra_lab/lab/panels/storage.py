"""``StoragePanel``: pick a table of the Mastra's storage and page through its rows.

The panel only calls :meth:`~mastra_lab.storage.Storage.tables_df` (names and row counts, one query) and
:meth:`~mastra_lab.storage.Storage.table_df` (one page), so it shows every backend the same way. Counts are
read again when a table is picked and on *refresh*, not on every page turn: paging stays one query.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.lab.panels._base import Panel

if TYPE_CHECKING:
    from mastra_lab.mastra import Mastra

__all__ = ["StoragePanel"]

PAGE_SIZES = (10, 25, 50, 100)


class StoragePanel(Panel):
    """Table picker, paged rows, row count and refresh over ``mastra.storage``.

    Args:
        mastra: The registry whose storage is shown.
        page_size: Rows per page (one of :data:`PAGE_SIZES`).

    Attributes:
        table: The table picker (``Dropdown``; labels carry the row counts, values are table names).
        view: The current page as an HTML table.
        count: The selected table's row count.
        position: ``rows a–b of N``.
        note: Says why the database is read-only when another process held its lock (hidden otherwise).
    """

    def __init__(self, mastra: Mastra, page_size: int = 25) -> None:
        super().__init__()
        self.mastra = mastra
        self.offset = 0
        self.rows = 0
        self._counts: dict[str, int] = {}
        self._quiet = False
        self.note = widgets.HTML()
        self.note.add_class("mastra-storage-note")
        self.table = widgets.Dropdown(description="table", options=[])
        self.page_size = widgets.Dropdown(description="page size", options=PAGE_SIZES, value=page_size)
        self.refresh = self._button("refresh", "refresh", "read the tables and counts again")
        self.prev_page = self._button("◀ prev", "prev", "the previous page")
        self.next_page = self._button("next ▶", "next", "the next page")
        self.count = widgets.Label()
        self.position = widgets.Label()
        self.view = widgets.HTML()
        self.view.add_class("mastra-storage-view")
        self.add_class("mastra-storage-panel")
        self.set_body(
            self.note,
            widgets.HBox([self.table, self.count, self.refresh]),
            widgets.HBox([self.page_size, self.prev_page, self.next_page, self.position]),
            self.view,
        )
        self.table.observe(self.guard(self._on_table), names="value")
        self.page_size.observe(self.guard(self._on_page_size), names="value")
        self.refresh.on_click(self.guard(self._on_refresh))
        self.prev_page.on_click(self.guard(self._on_prev))
        self.next_page.on_click(self.guard(self._on_next))
        self.guard(self._on_refresh)()

    @staticmethod
    def _button(text: str, css: str, tooltip: str) -> widgets.Button:
        button = widgets.Button(description=text, tooltip=tooltip, layout=widgets.Layout(width="auto"))
        button.add_class(f"mastra-storage-{css}")
        return button

    # -- callbacks ----------------------------------------------------------------------------------------

    def _on_refresh(self, _: Any = None) -> None:
        self._show_note()
        self._load_counts()
        names = list(self._counts)
        current = self.table.value if self.table.value in names else _first_pick(names)
        self._quiet = True  # new options (and the kept value) are not a pick
        try:
            self.table.options = [(f"{n} ({self._counts[n]})", n) for n in names]
            self.table.value = current
        finally:
            self._quiet = False
        self._render()

    def _on_table(self, _: Any = None) -> None:
        if self._quiet:
            return
        self.offset = 0
        self._load_counts()
        self._render()

    def _on_page_size(self, _: Any = None) -> None:
        self.offset = 0
        self._render()

    def _on_prev(self, _: Any = None) -> None:
        self.offset = max(0, self.offset - self.page_size.value)
        self._render()

    def _on_next(self, _: Any = None) -> None:
        if self.offset + self.page_size.value < self.rows:
            self.offset += self.page_size.value
        self._render()

    # -- drawing ------------------------------------------------------------------------------------------

    def _show_note(self) -> None:
        note = self.mastra.storage_info()["note"]
        text = f"<div style='color:#8a6d00'><b>read-only:</b> {html.escape(note)}</div>" if note else ""
        self.note.value = text
        self.note.layout.display = None if note else "none"

    def _load_counts(self) -> None:
        frame = self.mastra.storage.tables_df()
        self._counts = dict(zip(frame["table"], (int(n) for n in frame["rows"]), strict=True))

    def _render(self) -> None:
        name = self.table.value
        if name is None:
            self.rows, self.view.value = 0, "<i>no tables yet</i>"
        else:
            size = self.page_size.value
            self.rows = self._counts.get(name, 0)
            self.offset = min(self.offset, max(0, self.rows - 1) // size * size)  # a page that has rows
            page = self.mastra.storage.table_df(name, limit=size, offset=self.offset)
            self.view.value = (
                "<div style='max-height:420px; overflow:auto'>"
                + page.to_html(index=False, escape=True, classes="mastra-storage-page")
                + "</div>"
            )
            self.rows = max(self.rows, self.offset + len(page))
        shown_to = min(self.offset + self.page_size.value, self.rows)
        self.count.value = f"{self.rows} rows"
        self.position.value = f"rows {self.offset + 1 if self.rows else 0}–{shown_to} of {self.rows}"
        self.prev_page.disabled = self.offset == 0
        self.next_page.disabled = shown_to >= self.rows


def _first_pick(names: list[str]) -> str | None:
    """The table shown first: the user's own tables come before the built-in ``mastra_*`` ones."""
    own = [n for n in names if not n.startswith(("mastra_", "_"))]
    picks = own or names
    return picks[0] if picks else None
