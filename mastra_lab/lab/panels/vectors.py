"""``VectorPanel``: pick an index, see its stats, search it by text with a top-k and a metadata filter.

The panel calls the same library functions as ``%mastra vector`` (:meth:`~mastra_lab.Mastra.list_indexes`,
:meth:`~mastra_lab.Mastra.search`, :func:`~mastra_lab.vector.filter.parse_filter_json`), so a search here
and one from the magic give the same hits. Every callback is guarded: a filter that is not JSON, an
unknown operator or an empty query shows one red line in the panel (and raises under ``panels_raise()``)
instead of disappearing into the widget log. The widgets have stable attribute names and CSS classes
(``mastra-vector-panel``, ``mastra-vector-results`` …), so tests and a browser can find and drive them.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.errors import MastraError
from mastra_lab.lab.panels._base import Panel
from mastra_lab.vector import QueryResults
from mastra_lab.vector.filter import parse_filter_json

if TYPE_CHECKING:
    from mastra_lab.embed.base import Embedder
    from mastra_lab.mastra import Mastra

__all__ = ["VectorPanel"]

_BOOKKEEPING = ("document_id", "chunk_index", "start", "end")
"""Metadata every ingested chunk carries; the id column already says which document and chunk it is."""
_EXCERPT = 400
_CELL = "style='text-align:left;vertical-align:top;padding:2px 8px'"


def _cell(text: str, tag: str = "td") -> str:
    return f"<{tag} {_CELL}>{text}</{tag}>"


def _stats_html(path: str, stats: Any) -> str:
    rows = "".join(
        f"<tr>{_cell(html.escape(k), 'th')}{_cell(html.escape(str(v)))}</tr>"
        for k, v in (
            ("index", path),
            ("vectors", stats.count),
            ("dimension", stats.dimension),
            ("metric", stats.metric),
            ("embedder", stats.embedder or "none recorded"),
        )
    )
    return f"<table class='mastra-vector-stats'>{rows}</table>"


def _results_html(hits: QueryResults) -> str:
    if not hits:
        return "<i>no results: the index is empty, or the filter matches nothing</i>"
    head = "".join(_cell(name, "th") for name in ("#", "score", "id", "document", "metadata"))
    rows = []
    for rank, hit in enumerate(hits, 1):
        text = hit.document or ""
        text = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
        meta = {k: v for k, v in hit.metadata.items() if k not in _BOOKKEEPING}
        cells = (
            str(rank),
            f"{hit.score:.4f}",
            f"<code>{html.escape(hit.id)}</code>",
            html.escape(text).replace("\n", "<br>"),
            f"<code>{html.escape(json.dumps(meta, ensure_ascii=False, default=str))}</code>",
        )
        rows.append("<tr>" + "".join(_cell(c) for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


class VectorPanel(Panel):
    """An index picker with the index's stats, a query box, a top-k slider, a filter box and the results.

    Args:
        mastra: The registry whose vector stores are searched.
        default_embedder: For an index that records no embedder (an embedder or its name).
        top_k: The slider's starting value.

    Attributes:
        last_results: The hits of the last search (empty before one, or after a failed one).
    """

    def __init__(
        self, mastra: Mastra, *, default_embedder: Embedder | str = "hashing", top_k: int = 5
    ) -> None:
        super().__init__()
        self.add_class("mastra-vector-panel")
        self.mastra = mastra
        self.default_embedder = default_embedder
        self.last_results = QueryResults()
        self.index = widgets.Dropdown(description="index", options=[])
        self.refresh = widgets.Button(description="Refresh", icon="refresh", tooltip="reload the index list")
        self.stats = widgets.HTML()
        self.query = widgets.Text(description="query", placeholder="a question, in your own words")
        self.top_k = widgets.IntSlider(value=top_k, min=1, max=50, description="top k")
        self.filter = widgets.Textarea(
            description="filter", placeholder='metadata filter as JSON, e.g. {"category": "billing"}'
        )
        self.search = widgets.Button(description="Search", button_style="primary", icon="search")
        self.results = widgets.HTML()
        for widget, name in (
            (self.index, "index"),
            (self.refresh, "refresh"),
            (self.stats, "stats"),
            (self.query, "query"),
            (self.top_k, "top-k"),
            (self.filter, "filter"),
            (self.search, "search"),
            (self.results, "results"),
        ):
            widget.add_class(f"mastra-vector-{name}")
        self.index.observe(self.guard(self._show_stats), names="value")
        self.refresh.on_click(self.guard(self._load_indexes))
        self.search.on_click(self.guard(self._search))
        self.set_body(
            widgets.HBox([self.index, self.refresh]),
            self.stats,
            self.query,
            self.top_k,
            self.filter,
            self.search,
            self.results,
        )
        self.guard(self._load_indexes)()

    def _load_indexes(self, *_: Any) -> None:
        """Fill the picker with every ``store/index``, keeping the selection when it still exists."""
        paths = [ref.path for ref in self.mastra.list_indexes()]
        current = self.index.value
        self.index.options = paths
        self.index.value = current if current in paths else (paths[0] if paths else None)
        self._show_stats()

    def _show_stats(self, *_: Any) -> None:
        path = self.index.value
        if path is None:
            self.stats.value = (
                "<i>no vector indexes yet: ingest documents "
                "(<code>%mastra ingest data/*.md --index help</code>) and press Refresh</i>"
            )
            return
        self.stats.value = _stats_html(path, self.mastra.find_index(path).describe())

    def _search(self, *_: Any) -> None:
        self.last_results = QueryResults()
        self.results.value = ""
        if self.index.value is None:
            raise MastraError("there is no index to search; ingest documents first, then press Refresh")
        text = self.query.value.strip()
        if not text:
            raise MastraError("type a query first")
        self.last_results = self.mastra.search(
            self.index.value,
            text,
            top_k=self.top_k.value,
            filter=parse_filter_json(self.filter.value),
            default_embedder=self.default_embedder,
        )
        self.results.value = _results_html(self.last_results)
