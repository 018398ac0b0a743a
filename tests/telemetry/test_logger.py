from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import pytest

from mastra_lab.errors import ConfigError
from mastra_lab.telemetry import InMemoryExporter, Tracer, configure_logging, get_logger


@pytest.fixture(autouse=True)
def _restore_root_logger() -> None:
    root = logging.getLogger("mastra_lab")
    handlers, level = list(root.handlers), root.level
    levels = [h.level for h in handlers]
    yield
    root.handlers[:] = handlers
    for handler, handler_level in zip(handlers, levels, strict=True):
        handler.setLevel(handler_level)
    root.setLevel(level)


def test_get_logger_names_loggers_under_the_package() -> None:
    assert get_logger("agent").logger.name == "mastra_lab.agent"
    assert get_logger("mastra_lab.llm").logger.name == "mastra_lab.llm"


def test_json_lines_carry_bound_context() -> None:
    out = io.StringIO()
    configure_logging("DEBUG", "json", stream=out)
    get_logger("agent", agent="support").bind(run_id="r1").info("step %d done", 2)
    doc = json.loads(out.getvalue())
    assert doc["message"] == "step 2 done"
    assert (doc["level"], doc["logger"], doc["agent"], doc["run_id"]) == (
        "INFO",
        "mastra_lab.agent",
        "support",
        "r1",
    )


def test_pretty_format_is_one_readable_line() -> None:
    out = io.StringIO()
    configure_logging("INFO", "pretty", stream=out)
    get_logger("workflow", run_id="abc").warn("slow step")
    line = out.getvalue().strip()
    assert " WARN  workflow  slow step  run_id=abc" in line


def test_levels_filter_and_none_silences_everything() -> None:
    out = io.StringIO()
    configure_logging("WARN", "pretty", stream=out)
    log = get_logger("x")
    log.info("hidden")
    log.error("shown")
    configure_logging("NONE", "pretty", stream=out)
    log.error("also hidden")
    assert "hidden" not in out.getvalue()
    assert "shown" in out.getvalue()


def test_configuring_twice_does_not_duplicate_lines() -> None:
    out = io.StringIO()
    configure_logging("INFO", "pretty", stream=out)
    configure_logging("INFO", "pretty", stream=out)
    get_logger("x").info("once")
    assert out.getvalue().count("once") == 1


def test_records_inside_a_span_carry_its_trace_and_span_ids() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    tracer = Tracer()
    with tracer.span("op") as span:
        get_logger("x").info("inside")
    doc = json.loads(out.getvalue())
    assert (doc["trace_id"], doc["span_id"]) == (span.trace_id, span.span_id)
    configure_logging("INFO", "pretty", stream=out)
    with tracer.span("op") as span:
        get_logger("x").info("pretty inside")
    assert f"trace_id={span.trace_id} span_id={span.span_id}" in out.getvalue().splitlines()[-1]


def test_records_inside_a_span_become_its_events() -> None:
    configure_logging("WARN", "pretty", stream=io.StringIO())  # the console shows less than spans keep
    exporter = InMemoryExporter()
    tracer = Tracer([exporter])
    with tracer.span("invoke_agent support", "agent_run") as span:
        get_logger("agent", agent="support").info("calling %s", "weather")
        get_logger("agent").debug("below the span level")
        try:
            raise KeyError("city")
        except KeyError:
            get_logger("tools").exception("tool failed")
    get_logger("agent").info("outside any span")
    (done,) = exporter.spans
    assert [e["name"] for e in done.events] == ["log", "log"]
    first, second = (e["attributes"] for e in done.events)
    assert first == {
        "level": "INFO",
        "logger": "mastra_lab.agent",
        "message": "calling weather",
        "agent": "support",
    }
    assert (second["level"], second["exception.type"]) == ("ERROR", "KeyError")
    assert done.events[0]["time"] >= span.start


def test_span_events_level_is_configurable_and_none_records_nothing() -> None:
    exporter = InMemoryExporter()
    tracer = Tracer([exporter])
    configure_logging("INFO", "pretty", stream=io.StringIO(), span_events="ERROR")
    with tracer.span("a"):
        get_logger("x").warning("not kept")
        get_logger("x").error("kept")
    configure_logging("INFO", "pretty", stream=io.StringIO(), span_events="NONE")
    with tracer.span("b"):
        get_logger("x").error("not kept either")
    assert [[e["attributes"]["message"] for e in s.events] for s in exporter.spans] == [["kept"], []]


def test_sampled_out_spans_get_no_events_and_lines_no_ids() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    with Tracer([InMemoryExporter()], sampler="never").span("op") as span:
        get_logger("x").info("inside")
    assert span.events == []
    assert "trace_id" not in json.loads(out.getvalue())


def test_bad_level_and_format_are_config_errors() -> None:
    with pytest.raises(
        ConfigError, match="unknown log level 'LOUD'; use one of DEBUG, INFO, WARN, ERROR, NONE"
    ):
        configure_logging("LOUD")
    with pytest.raises(ConfigError, match="unknown log format 'xml'"):
        configure_logging("INFO", "xml")  # type: ignore[arg-type]


def test_records_reach_caplog_like_any_stdlib_logger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="mastra_lab"):
        get_logger("llm", provider="openai").debug("attempt 1")
    assert caplog.records[-1].getMessage() == "attempt 1"
    assert caplog.records[-1].mastra == {"provider": "openai"}  # type: ignore[attr-defined]


def test_importing_the_logger_imports_no_tracing() -> None:
    code = (
        "import sys; from mastra_lab.telemetry import get_logger; get_logger('x').info('hi');"
        "print(sorted(m for m in sys.modules if m.startswith('mastra_lab.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = [
        "mastra_lab._lazy",
        "mastra_lab.telemetry",
        "mastra_lab.telemetry._context",
        "mastra_lab.telemetry.logger",
    ]
    assert out.stdout.strip() == str(loaded)
