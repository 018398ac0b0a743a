"""ipywidgets panels over a :class:`~mastra_lab.Mastra`, one module each, and :func:`dashboard`.

``PANELS`` names them for ``%mastra panel NAME``; each module imports ipywidgets itself, so importing this
package costs nothing until a panel is built.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mastra_lab import _lazy

if TYPE_CHECKING:
    import ipywidgets

    from mastra_lab.lab.panels.storage import StoragePanel
    from mastra_lab.lab.panels.traces import TracesPanel
    from mastra_lab.lab.panels.vectors import VectorPanel
    from mastra_lab.mastra import Mastra

__all__ = ["PANELS", "StoragePanel", "TracesPanel", "VectorPanel", "dashboard"]

PANELS: dict[str, str] = {
    "storage": "mastra_lab.lab.panels.storage:StoragePanel",
    "vectors": "mastra_lab.lab.panels.vectors:VectorPanel",
    "traces": "mastra_lab.lab.panels.traces:TracesPanel",
}
"""Panel name (``%mastra panel NAME``, the dashboard's tab title) → ``module:class``."""


def panel_class(name: str) -> Any:
    """The panel class registered as ``name`` in :data:`PANELS`."""
    module, _, attr = PANELS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def dashboard(mastra: Mastra) -> ipywidgets.Tab:
    """Every panel of :data:`PANELS` over ``mastra``, one tab each."""
    import ipywidgets

    tabs = ipywidgets.Tab(children=[panel_class(name)(mastra) for name in PANELS])
    tabs.titles = tuple(PANELS)
    tabs.add_class("mastra-dashboard")
    return tabs


_getattr, __dir__ = _lazy.attach(
    __name__,
    {
        "StoragePanel": "mastra_lab.lab.panels.storage",
        "TracesPanel": "mastra_lab.lab.panels.traces",
        "VectorPanel": "mastra_lab.lab.panels.vectors",
    },
)
__getattr__ = _getattr
