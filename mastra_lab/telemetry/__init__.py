"""Logging, tracing and metrics: local by default, exported only when configured."""

from __future__ import annotations

from mastra_lab.telemetry.logger import configure_logging, get_logger

__all__ = ["configure_logging", "get_logger"]
