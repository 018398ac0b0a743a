"""Logging and tracing: local by default, exported only where configured."""

from __future__ import annotations

from mastra_lab.telemetry.exporters import ConsoleExporter, InMemoryExporter, SpanExporter, StorageExporter
from mastra_lab.telemetry.logger import MastraLogger, configure_logging, get_logger
from mastra_lab.telemetry.tracer import Span, Tracer, current_span

__all__ = [
    "ConsoleExporter",
    "InMemoryExporter",
    "MastraLogger",
    "Span",
    "SpanExporter",
    "StorageExporter",
    "Tracer",
    "configure_logging",
    "current_span",
    "get_logger",
]
