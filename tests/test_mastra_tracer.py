"""How a Mastra builds its tracer, reports it, and keeps content out of stored traces by default."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from mastra_lab import Agent, Mastra, tool
from mastra_lab.config import TelemetrySettings, load_settings
from mastra_lab.errors import MastraError
from mastra_lab.llm import FunctionModel, Message, ModelResponse, ToolCall
from mastra_lab.storage import DuckDBStore, InMemoryStore
from mastra_lab.telemetry import ConsoleExporter, StorageExporter, Tracer

MARKER = "ZEBRA-MARKER-7731"


@tool
def lookup(query: str) -> str:
    """Look something up.

    Args:
        query: What to look up.
    """
    return f"found {query}"


def _script(messages: list[Message], info: Any) -> ModelResponse:
    """Call ``lookup`` with the marker as its argument, then answer with the tool's result."""
    if messages[-1].role == "tool":
        return ModelResponse(text=f"The answer mentions {MARKER}.")
    return ModelResponse(tool_calls=[ToolCall("call_1", "lookup", {"query": MARKER})])


def _agent() -> Agent:
    return Agent("helper", "You help.", FunctionModel(_script), tools=[lookup])


def _stored_text(m: Mastra) -> str:
    rows = [span for trace in m.storage.list_traces() for span in m.storage.get_trace(trace["trace_id"])]
    assert rows, "the run left no spans"
    return json.dumps(rows, default=str)


async def test_capture_off_keeps_prompts_and_tool_args_out_of_every_stored_span(tmp_path: Path) -> None:
    with Mastra(storage=DuckDBStore(str(tmp_path / "t.duckdb")), agents=[_agent()]) as m:
        result = await m.get_agent("helper").generate(f"Please look up {MARKER}")
        assert MARKER in result.text and result.tool_results  # the marker was prompt, tool args, answer …
        text = _stored_text(m)
    assert MARKER not in text  # … and no stored span holds it
    assert "execute_tool lookup" in text


async def test_capture_on_keeps_content_but_still_masks_keys(tmp_path: Path) -> None:
    settings = {"capture_content": True}
    with Mastra(storage=InMemoryStore(), agents=[_agent()], telemetry=settings) as m:
        await m.get_agent("helper").generate(f"Look up {MARKER} with sk-abcdefghijklmnopqrstuv")
        text = _stored_text(m)
    assert MARKER in text
    assert "sk-abcdefghijklmnopqrstuv" not in text


def test_telemetry_forms() -> None:
    storage = InMemoryStore()
    with Mastra(storage=storage) as m:
        assert [type(e) for e in m.tracer.exporters] == [StorageExporter]
    with Mastra(storage=InMemoryStore(), telemetry="console") as m:
        assert [type(e) for e in m.tracer.exporters] == [ConsoleExporter]
    for off in (False, "none", {"enabled": False}, TelemetrySettings(exporter="none")):
        with Mastra(storage=InMemoryStore(), telemetry=off) as m:  # type: ignore[arg-type]
            assert not m.tracer.enabled
    with Mastra(
        storage=InMemoryStore(),
        telemetry={
            "sampling": "0.5",
            "capture_content": True,
            "mask_fields": "ssn, email",
            "flush_interval": 5,
        },
    ) as m:
        assert (m.tracer.sampler, m.tracer.capture_content) == ("ratio 0.5", True)
        assert m.tracer.redaction.mask_fields == ("ssn", "email")
        (exporter,) = m.tracer.exporters
        assert isinstance(exporter, StorageExporter) and exporter.flush_interval == 5


@pytest.mark.parametrize(
    ("telemetry", "message"),
    [
        ("jaeger", "telemetry='jaeger' is not understood"),
        (3, "telemetry=3 is not understood"),
        ({"sampling": "half"}, "telemetry.sampling"),
        ({"sampling": 1.5}, "telemetry.sampling"),
        ({"colour": "red"}, "unknown setting 'telemetry.colour'"),
    ],
)
def test_bad_telemetry_is_refused_before_anything_opens(telemetry: Any, message: str) -> None:
    with pytest.raises(MastraError, match=message):
        Mastra(storage=InMemoryStore(), telemetry=telemetry)


def test_status_reports_the_tracer_and_its_exporters() -> None:
    with Mastra(storage=InMemoryStore()) as m, m.tracer.span("x"):
        pass
    status = m.status()["telemetry"]
    assert (status["enabled"], status["sampler"], status["capture_content"]) == (True, "always", False)
    (exporter,) = status["exporters"]
    assert exporter["name"] == "storage"
    assert {k: exporter[k] for k in ("exported", "dropped", "failed", "buffered")} == {
        "exported": 1,
        "dropped": 0,
        "failed": 0,
        "buffered": 0,
    }


def test_close_writes_spans_and_stops_the_writer_thread(tmp_path: Path) -> None:
    path = tmp_path / "t.duckdb"
    m = Mastra(storage=DuckDBStore(str(path)))
    with m.tracer.span("root") as root:
        pass
    (exporter,) = m.tracer.exporters
    assert isinstance(exporter, StorageExporter)
    writer = exporter._thread
    assert writer is not None and writer.is_alive()
    m.close()
    assert not writer.is_alive()
    with DuckDBStore(str(path)) as again:
        assert [s["name"] for s in again.get_trace(root.trace_id)] == ["root"]


def test_otlp_is_built_from_settings_when_the_extra_is_there() -> None:
    pytest.importorskip("mastra_lab.telemetry.otlp")
    settings = {"exporter": "otlp", "otlp_endpoint": "http://127.0.0.1:9/v1/traces", "otlp_headers": "x-k=v"}
    with Mastra(storage=InMemoryStore(), telemetry=settings) as m:
        (exporter,) = m.tracer.exporters
        assert type(exporter).__name__ == "OTLPExporter"


def test_from_config_reads_telemetry_from_the_environment() -> None:
    env = {
        "MASTRA_TELEMETRY_SAMPLING": "never",
        "MASTRA_TELEMETRY_CAPTURE_CONTENT": "true",
        "MASTRA_TELEMETRY_MAX_ROWS": "1000",
        "MASTRA_TELEMETRY_OTLP_HEADERS": "authorization=Bearer abcdefghijkl",
    }
    settings = load_settings({"storage": {"backend": "memory"}}, environ=env).telemetry
    assert (settings.sampling, settings.capture_content, settings.max_rows) == ("never", True, 1000)
    assert settings.otlp_headers is not None
    assert settings.otlp_headers["authorization"].reveal() == "Bearer abcdefghijkl"
    assert "abcdefghijkl" not in json.dumps(settings.model_dump()) + repr(settings)
    out = io.StringIO()
    with Mastra.from_config({"storage": {"backend": "memory"}, "telemetry": {"exporter": "console"}}) as m:
        m.tracer.exporters[0].stream = out  # type: ignore[attr-defined]
        with m.tracer.span("hello"):
            pass
    assert "hello" in out.getvalue()


def test_a_tracer_passed_in_is_used_as_is() -> None:
    tracer = Tracer()
    with Mastra(storage=InMemoryStore(), telemetry=tracer) as m:
        assert m.tracer is tracer
