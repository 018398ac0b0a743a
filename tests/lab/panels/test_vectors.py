"""VectorPanel driven headless: pick, type, slide, click; results follow; mistakes show and raise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.errors import FilterError, MastraError
from mastra_lab.lab._testing import click, panels_raise
from mastra_lab.lab.panels import VectorPanel
from mastra_lab.rag import Document
from mastra_lab.vector import InMemoryVector

DOCS = [
    Document("Refunds go back to the card we charged.", {"category": "billing"}, id="refunds"),
    Document("A receipt is emailed when an order is charged.", {"category": "billing"}, id="receipts"),
    Document("Parcels leave the warehouse within two days.", {"category": "shipping"}, id="parcels"),
    Document("Reset your password from the <sign-in> page.", {"category": "account"}, id="password"),
]


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    """Two vector stores, in memory or each a PgVector schema: ``default/help`` and ``archive/old``."""
    with Mastra(vectors={"default": backend.vectors(), "archive": backend.vectors()}) as m:
        m.ingest(DOCS, "help", progress=False)
        m.ingest(DOCS[:1], "old", store="archive", embedder="hashing:dim=64", progress=False)
        yield m


@pytest.fixture
def panel(mastra: Mastra) -> VectorPanel:
    with panels_raise():
        return VectorPanel(mastra)


def _search(panel: VectorPanel, query: str, top_k: int = 5, filter: str = "") -> list[str]:
    panel.query.value, panel.top_k.value, panel.filter.value = query, top_k, filter
    with panels_raise():
        click(panel.search)
    return [hit.id for hit in panel.last_results]


def test_the_picker_lists_store_index_and_shows_the_first_one_s_stats(panel: VectorPanel) -> None:
    assert panel.index.options == ("archive/old", "default/help")
    assert panel.index.value == "archive/old"
    assert "hashing:dim=64" in panel.stats.value and ">1<" in panel.stats.value
    panel.index.value = "default/help"
    assert "hashing:dim=384" in panel.stats.value and ">4<" in panel.stats.value
    assert "mastra-vector-panel" in panel._dom_classes
    assert "mastra-vector-results" in panel.results._dom_classes
    assert panel.children[-1] is panel.error and panel.error_text == ""


def test_results_follow_the_query(panel: VectorPanel) -> None:
    panel.index.value = "default/help"
    assert _search(panel, "refund to my card", top_k=1) == ["refunds:0"]
    assert _search(panel, "warehouse parcels", top_k=1) == ["parcels:0"]
    html = panel.results.value
    assert "parcels:0" in html and "Parcels leave the warehouse" in html
    assert f"{panel.last_results[0].score:.4f}" in html
    assert "document_id" not in html and "&quot;category&quot;: &quot;shipping&quot;" in html


def test_results_follow_top_k(panel: VectorPanel) -> None:
    panel.index.value = "default/help"
    assert len(_search(panel, "charged", top_k=2)) == 2
    assert len(_search(panel, "charged", top_k=4)) == 4
    assert panel.results.value.count("<tr>") == 1 + 4


def test_results_follow_the_filter(panel: VectorPanel) -> None:
    panel.index.value = "default/help"
    assert _search(panel, "password", top_k=1) == ["password:0"]
    assert _search(panel, "password", top_k=4, filter='{"category": "billing"}') in (
        ["refunds:0", "receipts:0"],
        ["receipts:0", "refunds:0"],
    )
    assert _search(panel, "password", filter='{"category": "returns"}') == []
    assert "no results" in panel.results.value


def test_documents_are_escaped(panel: VectorPanel) -> None:
    panel.index.value = "default/help"
    _search(panel, "reset password", top_k=1)
    assert "&lt;sign-in&gt;" in panel.results.value and "<sign-in>" not in panel.results.value


def test_the_recorded_embedder_is_used(panel: VectorPanel) -> None:
    # archive/old holds 64-d vectors; the default embedder would be refused
    assert _search(panel, "refund", top_k=3) == ["refunds:0"]


def test_bad_filter_json_shows_the_error_line_and_raises(panel: VectorPanel) -> None:
    panel.index.value = "default/help"
    _search(panel, "card")
    panel.filter.value = "{category: billing}"
    with panels_raise(), pytest.raises(FilterError):
        click(panel.search)
    assert panel.error_text.startswith("error: the filter is not valid JSON: Expecting property name")
    assert "line 1 column 2 (char 1)" in panel.error_text
    assert panel.last_results == [] and panel.results.value == ""  # no stale hits under an error


def test_an_unknown_operator_shows_the_valid_ones(panel: VectorPanel) -> None:
    panel.query.value, panel.filter.value = "card", '{"year": {"$after": 2020}}'
    with panels_raise(), pytest.raises(FilterError):
        click(panel.search)
    assert "unknown filter operator '$after'; valid operators are" in panel.error_text


def test_a_good_search_clears_the_error_line(panel: VectorPanel) -> None:
    panel.query.value, panel.filter.value = "card", "{"
    with panels_raise(), pytest.raises(FilterError):
        click(panel.search)
    assert panel.error_text
    _search(panel, "card", filter="")
    assert panel.error_text == "" and panel.last_results


def test_without_panels_raise_the_error_is_only_shown(panel: VectorPanel) -> None:
    panel.query.value = ""
    click(panel.search)
    assert panel.error_text == "error: type a query first"


def test_an_empty_registry_says_how_to_fill_it_and_refresh_finds_new_indexes() -> None:
    with Mastra(vectors={"default": InMemoryVector()}) as m:
        with panels_raise():
            panel = VectorPanel(m)
        assert panel.index.options == () and "no vector indexes yet" in panel.stats.value
        panel.query.value = "card"
        with panels_raise(), pytest.raises(MastraError, match="no index to search"):
            click(panel.search)
        m.ingest(DOCS, "help", progress=False)
        with panels_raise():
            click(panel.refresh)
        assert panel.index.options == ("default/help",) and ">4<" in panel.stats.value
        assert _search(panel, "warehouse parcels", top_k=1) == ["parcels:0"]


def test_refresh_keeps_the_selection(panel: VectorPanel, mastra: Mastra) -> None:
    panel.index.value = "default/help"
    mastra.ingest(DOCS, "more", store="archive", progress=False)
    with panels_raise():
        click(panel.refresh)
    assert panel.index.options == ("archive/more", "archive/old", "default/help")
    assert panel.index.value == "default/help"


def test_percent_mastra_panel_vectors_opens_it(mastra: Mastra) -> None:
    from mastra_lab.lab._testing import TestingShell

    shell = TestingShell()
    try:
        shell.magics.replace_mastra(mastra, owned=False)
        panel = shell.line("panel vectors")
        assert isinstance(panel, VectorPanel) and panel.index.options == ("archive/old", "default/help")
    finally:
        shell.close()
