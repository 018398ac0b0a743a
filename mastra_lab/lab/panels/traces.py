"""``TracesPanel``: the name the trace list had before it grew filters and metrics; it is the
:class:`~mastra_lab.lab.panels.telemetry.TelemetryPanel`, so code and notebooks written for it keep working.
"""

from __future__ import annotations

from mastra_lab.lab.panels.telemetry import TelemetryPanel

__all__ = ["TracesPanel"]

TracesPanel = TelemetryPanel
"""The :class:`~mastra_lab.lab.panels.telemetry.TelemetryPanel` under its earlier name."""
