"""The dashboard and ``%mastra panel``: every panel over one Mastra, one tab each."""

from __future__ import annotations

from collections.abc import Iterator

import ipywidgets
import pytest
from mastra_backends import Backend
from pg_server import PgServer

from mastra_lab import Mastra
from mastra_lab.lab import dashboard
from mastra_lab.lab._testing import TestingShell, click
from mastra_lab.lab.panels import (
    PANELS,
    ChatPanel,
    MemoryPanel,
    StoragePanel,
    TracesPanel,
    VectorPanel,
    WorkflowPanel,
)


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    """One note, and an empty vector store, on a DuckDB file (vectors in memory) or PostgreSQL."""
    with Mastra(storage=backend.storage(), vectors={"default": backend.vectors()}) as m:
        m.storage.create("notes", {"text": "hello"})
        yield m


def test_the_dashboard_has_one_tab_per_panel_titled_by_name(mastra: Mastra) -> None:
    tabs = dashboard(mastra)
    assert isinstance(tabs, ipywidgets.Tab)
    assert tabs.titles == tuple(PANELS) == ("storage", "vectors", "traces", "chat", "memory", "workflows")
    assert [type(child) for child in tabs.children] == [
        StoragePanel,
        VectorPanel,
        TracesPanel,
        ChatPanel,
        MemoryPanel,
        WorkflowPanel,
    ]
    assert "mastra-dashboard" in tabs._dom_classes


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("storage", StoragePanel),
        ("vectors", VectorPanel),
        ("traces", TracesPanel),
        ("chat", ChatPanel),
        ("memory", MemoryPanel),
        ("workflows", WorkflowPanel),
    ],
)
def test_panel_command_opens_the_named_panel_over_the_notebooks_mastra(
    ip: TestingShell, mastra: Mastra, name: str, kind: type
) -> None:
    ip.magics.replace_mastra(mastra, owned=False)
    assert isinstance(ip.line(f"panel {name}"), kind)


def test_panel_dashboard_and_an_unknown_panel(ip: TestingShell, mastra: Mastra) -> None:
    ip.magics.replace_mastra(mastra, owned=False)
    assert isinstance(ip.line("panel dashboard"), ipywidgets.Tab)
    assert "invalid choice: 'workflow'" in ip.usage_error("panel workflow")


def test_the_vector_panel_takes_the_notebooks_default_embedder(ip: TestingShell, mastra: Mastra) -> None:
    ip.magics.replace_mastra(mastra, owned=False)
    ip.shell.run_line_magic("config", "MastraMagics.default_embedder = 'hashing:dim=64'")
    standalone = ip.line("panel vectors")
    in_tabs = ip.line("panel dashboard").children[1]
    assert standalone.default_embedder == in_tabs.default_embedder == "hashing:dim=64"


def _texts(widget: ipywidgets.Widget) -> list[str]:
    """Every string a widget tree shows: values, options, labels, titles."""
    found: list[str] = []
    for name in ("value", "description", "tooltip", "placeholder"):
        value = getattr(widget, name, None)
        if isinstance(value, str):
            found.append(value)
    found += [str(option) for option in getattr(widget, "options", ())]
    found += [str(title) for title in getattr(widget, "titles", ())]
    for child in getattr(widget, "children", ()):
        found += _texts(child)
    return found


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # only a server has a password
def test_no_panel_shows_the_server_password_even_in_an_error(backend: Backend, pg_server: PgServer) -> None:
    m = backend.open()
    m.storage.create("notes", {"text": "hello"})
    tabs = dashboard(m)
    shown = _texts(tabs)
    assert any("notes (1)" in text for text in shown)
    m.storage.close()
    for panel in tabs.children:
        if hasattr(panel, "refresh"):
            click(panel.refresh)
    shown = _texts(tabs)
    assert any("closed" in text for text in shown)  # the storage panel's error line
    assert not [text for text in shown if pg_server.password in text]
