"""The panels by name, for ``%mastra panel NAME``, and :func:`dashboard`, which puts them all in tabs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ipywidgets

    from mastra_lab.mastra import Mastra

__all__ = ["PANELS", "dashboard", "open_panel", "panel_class"]

PANELS: dict[str, str] = {
    "storage": "mastra_lab.lab.panels.storage:StoragePanel",
    "vectors": "mastra_lab.lab.panels.vectors:VectorPanel",
    "traces": "mastra_lab.lab.panels.telemetry:TelemetryPanel",
    "chat": "mastra_lab.lab.panels.chat:ChatPanel",
    "memory": "mastra_lab.lab.panels.memory:MemoryPanel",
    "workflows": "mastra_lab.lab.panels.workflow:WorkflowPanel",
}
"""Panel name (``%mastra panel NAME``, the dashboard tab title) → ``module:class``."""


def panel_class(name: str) -> Any:
    """The panel class registered as ``name`` in :data:`PANELS`."""
    module, _, attr = PANELS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def open_panel(name: str, mastra: Mastra, *, default_embedder: str = "hashing") -> Any:
    """The panel ``name`` over ``mastra``; ``default_embedder`` is for indexes that recorded none."""
    options = {"default_embedder": default_embedder} if name == "vectors" else {}
    return panel_class(name)(mastra, **options)


def dashboard(mastra: Mastra, *, default_embedder: str = "hashing") -> ipywidgets.Tab:
    """Every panel of :data:`PANELS` over ``mastra``, one tab each, titled by the panel's name.

    Args:
        mastra: What the panels show.
        default_embedder: The vector panel's embedder for indexes that recorded none.
    """
    import ipywidgets

    tabs = ipywidgets.Tab(children=[open_panel(n, mastra, default_embedder=default_embedder) for n in PANELS])
    tabs.titles = tuple(PANELS)
    tabs.add_class("mastra-dashboard")
    return tabs
