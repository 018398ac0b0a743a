"""ipywidgets panels over a :class:`~mastra_lab.Mastra`, one module each, and :func:`dashboard`.

Each panel module imports ipywidgets itself, so importing this package costs nothing until a panel is built.
"""

from __future__ import annotations

import typing

from mastra_lab import _lazy

if typing.TYPE_CHECKING:
    from mastra_lab.lab.panels.chat import ChatPanel
    from mastra_lab.lab.panels.memory import MemoryPanel
    from mastra_lab.lab.panels.storage import StoragePanel
    from mastra_lab.lab.panels.tabs import PANELS, dashboard
    from mastra_lab.lab.panels.telemetry import TelemetryPanel
    from mastra_lab.lab.panels.traces import TracesPanel
    from mastra_lab.lab.panels.vectors import VectorPanel
    from mastra_lab.lab.panels.workflow import WorkflowPanel

__all__ = [
    "PANELS",
    "ChatPanel",
    "MemoryPanel",
    "StoragePanel",
    "TelemetryPanel",
    "TracesPanel",
    "VectorPanel",
    "WorkflowPanel",
    "dashboard",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "PANELS": "mastra_lab.lab.panels.tabs",
        "ChatPanel": "mastra_lab.lab.panels.chat",
        "MemoryPanel": "mastra_lab.lab.panels.memory",
        "StoragePanel": "mastra_lab.lab.panels.storage",
        "TelemetryPanel": "mastra_lab.lab.panels.telemetry",
        "TracesPanel": "mastra_lab.lab.panels.traces",
        "VectorPanel": "mastra_lab.lab.panels.vectors",
        "WorkflowPanel": "mastra_lab.lab.panels.workflow",
        "dashboard": "mastra_lab.lab.panels.tabs",
    },
)
