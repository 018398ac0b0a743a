"""Logging and tracing: local by default, exported only where configured.

Names are resolved on first access, so ``from mastra_lab.telemetry import get_logger`` — which every layer
does — imports the logger alone, never the tracer or the exporters above it.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab import _lazy

if _typing.TYPE_CHECKING:
    from mastra_lab.telemetry._context import current_span
    from mastra_lab.telemetry.exporters import (
        ConsoleExporter,
        InMemoryExporter,
        SpanExporter,
        StorageExporter,
    )
    from mastra_lab.telemetry.logger import MastraLogger, configure_logging, get_logger
    from mastra_lab.telemetry.options import tracing_options
    from mastra_lab.telemetry.otlp import OTLPExporter
    from mastra_lab.telemetry.redaction import Redaction
    from mastra_lab.telemetry.sampling import SamplingContext
    from mastra_lab.telemetry.tracer import Span, Tracer

__all__ = [
    "ConsoleExporter",
    "InMemoryExporter",
    "MastraLogger",
    "OTLPExporter",
    "Redaction",
    "SamplingContext",
    "Span",
    "SpanExporter",
    "StorageExporter",
    "Tracer",
    "configure_logging",
    "current_span",
    "get_logger",
    "tracing_options",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "ConsoleExporter": "mastra_lab.telemetry.exporters",
        "InMemoryExporter": "mastra_lab.telemetry.exporters",
        "SpanExporter": "mastra_lab.telemetry.exporters",
        "StorageExporter": "mastra_lab.telemetry.exporters",
        "MastraLogger": "mastra_lab.telemetry.logger",
        "configure_logging": "mastra_lab.telemetry.logger",
        "get_logger": "mastra_lab.telemetry.logger",
        "OTLPExporter": "mastra_lab.telemetry.otlp",
        "Redaction": "mastra_lab.telemetry.redaction",
        "SamplingContext": "mastra_lab.telemetry.sampling",
        "tracing_options": "mastra_lab.telemetry.options",
        "Span": "mastra_lab.telemetry.tracer",
        "Tracer": "mastra_lab.telemetry.tracer",
        "current_span": "mastra_lab.telemetry._context",
    },
)
