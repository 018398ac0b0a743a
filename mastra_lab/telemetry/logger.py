"""Structured logging on top of :mod:`logging`.

We build on the standard library rather than beside it, so that pytest's ``caplog``, Jupyter and any
handler a user already has keep working. What we add is small: the level names Mastra users know
(``DEBUG INFO WARN ERROR NONE``), a pretty console format and a JSON-lines format, and *bound context*
(``agent=…``, ``run_id=…``) that rides along on every record as ``record.mastra`` and is printed by both
formatters. The trace and span ids of the active span are added automatically.

Records are also *span events*: a handler on the ``mastra_lab`` logger, installed when this module is
imported, appends every record at ``INFO`` or above (see ``span_events`` in :func:`configure_logging`)
to the current span's ``events``, so a trace shows what was logged while it ran. It reads the span from
:mod:`mastra_lab.telemetry._context` only — this module stays below the tracer.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any, Literal

from mastra_lab.telemetry._context import current_span

__all__ = ["LogFormat", "LogLevel", "MastraLogger", "SpanEventHandler", "configure_logging", "get_logger"]

LogLevel = Literal["DEBUG", "INFO", "WARN", "ERROR", "NONE"]
LogFormat = Literal["pretty", "json"]

ROOT = "mastra_lab"
_LEVELS: dict[str, int] = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "NONE": logging.CRITICAL + 10,
}
_HANDLER_NAME = "mastra_lab.console"
_SPAN_HANDLER_NAME = "mastra_lab.span_events"


def _level_number(level: str) -> int:
    from mastra_lab.errors import ConfigError

    try:
        return _LEVELS[level.upper()]
    except KeyError:
        allowed = ", ".join(k for k in _LEVELS if k != "WARNING")
        raise ConfigError(
            f"unknown log level {level!r}; use one of {allowed}",
            code="CONFIG_LOG_LEVEL",
            details={"key": "log_level", "value": level},
        ) from None


def _context_of(record: logging.LogRecord) -> dict[str, Any]:
    ctx: dict[str, Any] = dict(getattr(record, "mastra", None) or {})
    span = current_span()
    if span is not None and span.recording:
        ctx.setdefault("trace_id", span.trace_id)
        ctx.setdefault("span_id", span.span_id)
    return ctx


def _level_name(record: logging.LogRecord) -> str:
    return "WARN" if record.levelname == "WARNING" else record.levelname


class SpanEventHandler(logging.Handler):
    """Appends each record to the current span's events as ``{"name": "log", "time", "attributes"}``.

    The attributes are ``level``, ``logger``, ``message`` and the record's bound context (and
    ``exception.type``/``exception.message`` when it carries one). Outside a recording span it does nothing.
    """

    def emit(self, record: logging.LogRecord) -> None:
        span = current_span()
        if span is None or not span.recording:
            return
        try:
            attributes: dict[str, Any] = {
                "level": _level_name(record),
                "logger": record.name,
                "message": record.getMessage(),
                **(getattr(record, "mastra", None) or {}),
            }
            if record.exc_info and record.exc_info[1] is not None:
                attributes["exception.type"] = type(record.exc_info[1]).__name__
                attributes["exception.message"] = str(record.exc_info[1])
            span.add_event("log", attributes, datetime.fromtimestamp(record.created, UTC))
        except Exception:
            self.handleError(record)


def _span_handler() -> SpanEventHandler:
    root = logging.getLogger(ROOT)
    for handler in root.handlers:
        if handler.get_name() == _SPAN_HANDLER_NAME and isinstance(handler, SpanEventHandler):
            return handler
    handler = SpanEventHandler(logging.INFO)
    handler.set_name(_SPAN_HANDLER_NAME)
    root.addHandler(handler)
    return handler


_span_handler()


class PrettyFormatter(logging.Formatter):
    """``16:02:11 INFO  agent  message  key=value …`` — short enough to read in a notebook cell."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        level = "WARN" if record.levelname == "WARNING" else record.levelname
        name = record.name.removeprefix(ROOT + ".")
        fields = " ".join(f"{k}={v}" for k, v in _context_of(record).items())
        line = f"{when} {level:<5} {name}  {record.getMessage()}"
        if fields:
            line += f"  {fields}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JSONFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message`` and the bound context."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": _level_name(record),
            "logger": record.name,
            "message": record.getMessage(),
            **_context_of(record),
        }
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


class MastraLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger with bound context fields; :meth:`bind` returns a new one with more fields."""

    def __init__(self, logger: logging.Logger, context: Mapping[str, Any] | None = None) -> None:
        super().__init__(logger, dict(context or {}))

    @property
    def context(self) -> dict[str, Any]:
        """The fields added to every record this logger emits."""
        return dict(self.extra or {})

    def bind(self, **fields: Any) -> MastraLogger:
        """A logger that adds ``fields`` to every record, on top of the ones already bound."""
        return MastraLogger(self.logger, {**self.context, **fields})

    def warn(self, msg: object, *args: Any, **kwargs: Any) -> None:
        """Alias of :meth:`warning`, matching the level name ``WARN``."""
        self.warning(msg, *args, **kwargs)

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        extra = dict(kwargs.pop("extra", None) or {})
        extra["mastra"] = {**self.context, **extra.pop("mastra", {})}
        kwargs["extra"] = extra
        return msg, kwargs


def get_logger(name: str, **context: Any) -> MastraLogger:
    """The logger ``mastra_lab.<name>``, with optional bound context fields.

    Args:
        name: A dotted name under ``mastra_lab`` (``"agent"``, ``"llm.http"`` …).
        **context: Fields added to every record (``agent="support"``).
    """
    full = name if name == ROOT or name.startswith(ROOT + ".") else f"{ROOT}.{name}"
    return MastraLogger(logging.getLogger(full), context)


def configure_logging(
    level: LogLevel | str = "INFO",
    format: LogFormat = "pretty",
    stream: IO[str] | None = None,
    *,
    span_events: LogLevel | str = "INFO",
) -> None:
    """Send mastra_lab's records to ``stream`` (stderr by default) at ``level`` in ``format``.

    Calling it again replaces the previous console handler instead of adding a second one. Records at
    ``span_events`` or above also become events of the span they were logged in, even when the console
    shows fewer (the logger's level is the lower of the two).

    Args:
        level: ``DEBUG``, ``INFO``, ``WARN``, ``ERROR`` or ``NONE`` (silence).
        format: ``"pretty"`` for people, ``"json"`` for machines (one object per line).
        stream: Where to write; defaults to ``sys.stderr``.
        span_events: The lowest level recorded on spans; ``NONE`` records none.
    """
    from mastra_lab.errors import ConfigError

    number = _level_number(level)
    events = _level_number(span_events)
    if format not in ("pretty", "json"):
        raise ConfigError(
            f"unknown log format {format!r}; use 'pretty' or 'json'",
            code="CONFIG_LOG_FORMAT",
            details={"key": "log_format", "value": format},
        )
    root = logging.getLogger(ROOT)
    for handler in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setLevel(number)
    handler.setFormatter(JSONFormatter() if format == "json" else PrettyFormatter())
    root.addHandler(handler)
    _span_handler().setLevel(events)
    root.setLevel(min(number, events))
