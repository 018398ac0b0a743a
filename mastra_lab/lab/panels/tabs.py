"""The panels by name, for ``%mastra panel NAME``, and :func:`dashboard`, which puts them all in tabs."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ipywidgets

    from mastra_lab.mastra import Mastra

__all__ = ["PANELS", "dashboard", "panel_class"]

PANELS: dict[str, str] = {
    "storage": "mastra_lab.lab.panels.storage:StoragePanel",
    "vectors": "mastra_lab.lab.panels.vectors:VectorPanel",
    "traces": "mastra_lab.lab.panels.traces:TracesPanel",
}
"""Panel name (``%mastra panel NAME``, the dashboard tab title) → ``module:class``."""


def panel_class(name: str) -> Any:
    """The panel class registered as ``name`` in :data:`PANELS`."""
    module, _, attr = PANELS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def dashboard(mastra: Mastra) -> ipywidgets.Tab:
    """Every panel of :data:`PANELS` over ``mastra``, one tab each, titled by the panel's name."""
    import ipywidgets

    tabs = ipywidgets.Tab(children=[panel_class(name)(mastra) for name in PANELS])
    tabs.titles = tuple(PANELS)
    tabs.add_class("mastra-dashboard")
    return tabs
