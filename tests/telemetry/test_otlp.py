"""OTLP export against a real loopback receiver that decodes the protobuf it is sent."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import otlp_receiver` under any pytest import mode

from otlp_receiver import Receiver, serve

from mastra_lab._secret import Secret
from mastra_lab.errors import MastraError, ToolError
from mastra_lab.telemetry import OTLPExporter, Tracer


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serve() as running:
        yield running


def agent_turn(tracer: Tracer, *, fail_tool: bool = False) -> str:
    """An agent run: a model call and two tool calls, the second failing when asked; returns the trace id."""
    with tracer.span(
        "invoke_agent support",
        "agent_run",
        input="What is 2 + 3?",
        attributes={"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"},
    ) as root:
        with tracer.span(
            "chat gpt-4o-mini",
            "llm_generation",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "openai",
                "gen_ai.request.model": "gpt-4o-mini",
                "gen_ai.usage.input_tokens": 12,
                "gen_ai.usage.output_tokens": 7,
                "gen_ai.response.finish_reasons": ["tool_calls"],
                "mastra.streaming": False,
                "mastra.ttft_ms": 41.5,
            },
        ):
            pass
        with tracer.span("execute_tool add", "tool_call", attributes={"gen_ai.tool.name": "add"}) as tool:
            tool.set_output(5)
        expected = pytest.raises(ToolError) if fail_tool else contextlib.nullcontext()
        with (
            expected,
            tracer.span("execute_tool lookup", "tool_call", attributes={"gen_ai.tool.name": "lookup"}),
        ):
            if fail_tool:
                raise ToolError("lookup is offline", code="TOOL_FAILED")
        root.set_output({"text": "5"})
    return root.trace_id


def test_an_agent_turn_arrives_as_an_otel_tree_with_genai_attributes(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    trace_id = agent_turn(Tracer([exporter]))
    exporter.flush(timeout=10)

    spans = receiver.by_name()
    assert sorted(spans) == [
        "chat gpt-4o-mini",
        "execute_tool add",
        "execute_tool lookup",
        "invoke_agent support",
    ]
    root = spans["invoke_agent support"]
    assert root.trace_id == trace_id  # our 32-hex trace id is the OTel trace id
    assert root.parent_span_id is None
    for child in ("chat gpt-4o-mini", "execute_tool add", "execute_tool lookup"):
        assert spans[child].parent_span_id == root.span_id
        assert spans[child].trace_id == trace_id
    chat = spans["chat gpt-4o-mini"]
    assert chat.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat.attributes["gen_ai.usage.input_tokens"] == 12
    assert chat.attributes["gen_ai.response.finish_reasons"] == ["tool_calls"]
    assert chat.attributes["mastra.ttft_ms"] == 41.5
    assert chat.kind == "SPAN_KIND_CLIENT"
    assert root.kind == "SPAN_KIND_INTERNAL"
    assert root.resource["service.name"] == "mastra-lab"
    assert root.scope == "mastra_lab"
    assert root.end_ns >= root.start_ns > 0
    assert exporter.status() | {"last_error": None} == {
        "name": "otlp",
        "endpoint": receiver.url,
        "exported": 4,
        "dropped": 0,
        "failed": 0,
        "buffered": 0,
        "last_error": None,
    }
    exporter.shutdown()


def test_phoenix_reads_the_openinference_attributes(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    agent_turn(Tracer([exporter], capture_content=True))  # input.value/output.value need the content
    exporter.flush(timeout=10)

    spans = receiver.by_name()
    kinds = {name: span.attributes["openinference.span.kind"] for name, span in spans.items()}
    assert kinds == {
        "invoke_agent support": "AGENT",
        "chat gpt-4o-mini": "LLM",
        "execute_tool add": "TOOL",
        "execute_tool lookup": "TOOL",
    }
    chat = spans["chat gpt-4o-mini"].attributes
    assert (chat["llm.model_name"], chat["llm.token_count.prompt"], chat["llm.token_count.completion"]) == (
        "gpt-4o-mini",
        12,
        7,
    )
    root = spans["invoke_agent support"].attributes
    assert root["input.value"] == "What is 2 + 3?"
    assert root["output.value"] == '{"text": "5"}'
    assert root["output.mime_type"] == "application/json"
    exporter.shutdown()


def test_a_failed_span_carries_error_status_type_and_an_exception_event(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    agent_turn(Tracer([exporter]), fail_tool=True)
    exporter.flush(timeout=10)

    spans = receiver.by_name()
    failed = spans["execute_tool lookup"]
    assert failed.status_code == "STATUS_CODE_ERROR"
    assert failed.status_message == "lookup is offline"
    assert failed.attributes["error.type"] == "TOOL_FAILED"
    assert failed.events[-1] == (
        "exception",
        {"exception.type": "ToolError", "exception.message": "lookup is offline"},
    )
    assert spans["execute_tool add"].status_code == "STATUS_CODE_OK"
    exporter.shutdown()


def test_span_events_such_as_log_lines_become_otel_events(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    with Tracer([exporter]).span("chat m", "llm_generation") as span:
        span.add_event("log", {"level": "INFO", "logger": "mastra_lab.llm", "message": "retrying"})
        span.add_event("first_token")
    exporter.flush(timeout=10)

    (sent,) = receiver.spans
    assert sent.events == [
        ("log", {"level": "INFO", "logger": "mastra_lab.llm", "message": "retrying"}),
        ("first_token", {}),
    ]
    exporter.shutdown()


def test_span_dicts_map_events_nested_attributes_and_any_ids(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    start = "2026-01-02T03:04:05+00:00"
    exporter.export(
        [
            {
                "trace_id": "trace-one",
                "span_id": "root",
                "parent_span_id": None,
                "name": "workflow_run etl",
                "type": "workflow",  # a legacy type from old stored spans
                "attributes": {"mastra.filter": {"tag": "a"}, "mastra.mixed": [1, "a"], "mastra.none": None},
                "start": start,
                "end": "2026-01-02T03:04:06+00:00",
                "events": [
                    {
                        "name": "log",
                        "time": "2026-01-02T03:04:05.5+00:00",
                        "attributes": {"level": "INFO", "message": "started"},
                    }
                ],
            },
            {
                "trace_id": "trace-one",
                "span_id": "child",
                "parent_span_id": "root",
                "name": "workflow_step load",
                "type": "workflow_step",
                "start": start,
                "end": start,
            },
        ]
    )
    exporter.flush(timeout=10)

    spans = receiver.by_name()
    root, step = spans["workflow_run etl"], spans["workflow_step load"]
    assert step.parent_span_id == root.span_id
    assert len(root.span_id) == 16 and len(root.trace_id) == 32
    assert root.attributes["mastra.filter"] == '{"tag": "a"}'
    assert root.attributes["mastra.mixed"] == '[1, "a"]'
    assert "mastra.none" not in root.attributes
    assert root.attributes["openinference.span.kind"] == "CHAIN"
    assert root.attributes["mastra.span.type"] == "workflow_run"
    assert root.events == [("log", {"level": "INFO", "message": "started"})]
    assert root.end_ns - root.start_ns == 1_000_000_000
    exporter.shutdown()


def test_what_is_sent_is_the_span_as_it_ended(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    tracer = Tracer([exporter], capture_content=True)
    messages = [{"role": "user", "content": "hi"}]
    with tracer.span("chat m", "llm_generation", input=messages, attributes={"mastra.tags": ["a"]}) as span:
        pass
    messages.append({"role": "assistant", "content": "later"})  # the caller keeps using its objects
    span.attributes["mastra.tags"].append("b")
    exporter.flush(timeout=10)

    (sent,) = receiver.spans
    assert sent.attributes["input.value"] == '[{"role": "user", "content": "hi"}]'
    assert sent.attributes["mastra.tags"] == ["a"]
    exporter.shutdown()


def test_a_secret_in_an_attribute_is_sent_masked(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    key = "sk-live-0123456789abcdef"
    with Tracer([exporter]).span(
        "custom", attributes={"mastra.key": Secret(key), "mastra.cfg": {"k": Secret(key)}}
    ):
        pass
    exporter.flush(timeout=10)

    (sent,) = receiver.spans
    assert key not in repr(sent.attributes)
    assert sent.attributes["mastra.key"] == "***"
    assert sent.attributes["mastra.cfg"] == '{"k": "***"}'
    exporter.shutdown()


def test_a_span_without_input_or_output_sends_no_input_or_output_value(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    tracer = Tracer([exporter])
    with (
        tracer.span("invoke_agent quiet", "agent_run", attributes={"gen_ai.agent.name": "quiet"}),
        tracer.span("chat m", "llm_generation", attributes={"gen_ai.request.model": "m"}),
    ):
        pass
    exporter.flush(timeout=10)

    assert len(receiver.spans) == 2
    for span in receiver.spans:
        assert not {"input.value", "output.value", "input.mime_type", "output.mime_type"} & set(
            span.attributes
        )
    exporter.shutdown()


def test_with_content_capture_off_no_prompt_reaches_the_collector(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=0.05)
    tracer = Tracer([exporter], capture_content=False)
    with tracer.span("invoke_agent quiet", "agent_run", input="my secret prompt") as root:
        root.set_output("a private answer")
    exporter.flush(timeout=10)

    (span,) = receiver.spans
    assert not {"input.value", "output.value"} & set(span.attributes)
    assert "my secret prompt" not in repr(span) and "a private answer" not in repr(span)
    exporter.shutdown()


def test_an_endpoint_that_is_down_costs_the_run_nothing_and_drops_are_counted(receiver: Receiver) -> None:
    receiver.stop()  # connections to its port are now refused
    exporter = OTLPExporter(receiver.url, max_queue=3, batch_size=1, timeout=0.5, flush_interval=0.05)
    tracer = Tracer([exporter])
    for _ in range(3):
        agent_turn(tracer)  # 12 spans into a queue of 3, while the sender fails
    status = exporter.status()
    assert status["dropped"] >= 12 - 3 - 1  # at most the queue and one batch in flight are kept
    assert status["buffered"] <= 3 + 1
    exporter.flush(timeout=10)
    status = exporter.status()
    assert status["exported"] == 0
    assert status["failed"] + status["dropped"] == 12
    assert status["failed"] >= 1
    assert status["buffered"] == 0
    exporter.shutdown()


def test_a_slow_endpoint_never_blocks_export_and_the_queue_stays_bounded(receiver: Receiver) -> None:
    receiver.delay = 30  # every answer is held until the receiver stops
    exporter = OTLPExporter(receiver.url, max_queue=8, batch_size=4, timeout=30, flush_interval=0.01)
    tracer = Tracer([exporter])
    agent_turn(tracer)
    exporter.flush(timeout=0.2)  # a bounded flush returns while the request still hangs
    for _ in range(10):
        agent_turn(tracer)
    status = exporter.status()
    assert status["buffered"] <= 8 + 4
    assert status["dropped"] == 44 - status["buffered"]
    assert status["exported"] == 0
    receiver.released.set()  # let the held request finish so shutdown is quick
    exporter.shutdown()


def test_a_5xx_collector_counts_failures_and_warns_once(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    receiver.fail_with(500)  # not retryable: each batch fails at once
    exporter = OTLPExporter(receiver.url, batch_size=1, flush_interval=0.01)
    tracer = Tracer([exporter])
    with caplog.at_level(logging.WARNING):
        agent_turn(tracer)
        exporter.flush(timeout=10)
    status = exporter.status()
    assert (status["failed"], status["exported"], status["buffered"]) == (4, 0, 0)
    assert receiver.requests == 4
    ours = [r for r in caplog.records if r.name.startswith("mastra_lab")]
    assert len(ours) == 1 and "OTLP export to" in ours[0].getMessage()
    assert [r for r in caplog.records if r.name.startswith("opentelemetry")] == []
    exporter.shutdown()


def test_a_503_is_retried_by_the_sdk_and_recovers(receiver: Receiver) -> None:
    receiver.fail_with(503)
    exporter = OTLPExporter(receiver.url, timeout=10, flush_interval=0.01)
    tracer = Tracer([exporter])
    agent_turn(tracer)
    while receiver.requests == 0:
        time.sleep(0.01)
    receiver.fail_with(200)  # the collector comes back while the SDK backs off
    exporter.flush(timeout=10)
    assert exporter.status()["exported"] == 4
    assert len(receiver.spans) == 4
    exporter.shutdown()


def test_headers_are_sent_but_never_shown(receiver: Receiver) -> None:
    key = "sk-live-0123456789abcdef"
    exporter = OTLPExporter(
        receiver.url, headers={"authorization": f"Bearer {key}", "x-api-key": Secret(key)}
    )
    assert key not in repr(exporter) and key not in str(exporter.status())
    assert (
        repr(exporter)
        == f"OTLPExporter({receiver.url!r}, headers=[authorization, x-api-key], max_queue=2048)"
    )
    agent_turn(Tracer([exporter]))
    exporter.flush(timeout=10)
    assert receiver.headers[0]["authorization"] == f"Bearer {key}"
    assert receiver.headers[0]["x-api-key"] == key
    exporter.shutdown()


def test_headers_may_be_the_otel_environment_text_in_a_secret(receiver: Receiver) -> None:
    key = "sk-live-0123456789abcdef"
    exporter = OTLPExporter(receiver.url, headers=Secret(f"authorization=Bearer%20{key}, x-team = lab"))
    assert key not in repr(exporter)
    agent_turn(Tracer([exporter]))
    exporter.flush(timeout=10)
    assert (receiver.headers[0]["authorization"], receiver.headers[0]["x-team"]) == (f"Bearer {key}", "lab")
    exporter.shutdown()


def test_malformed_headers_text_is_rejected_without_showing_it() -> None:
    with pytest.raises(MastraError, match="key=value,key2=value2") as info:
        OTLPExporter(headers="sk-live-0123456789abcdef")
    assert "sk-live" not in str(info.value)


def test_shutdown_sends_what_is_queued_and_later_spans_are_dropped(receiver: Receiver) -> None:
    exporter = OTLPExporter(receiver.url, flush_interval=60)
    tracer = Tracer([exporter])
    agent_turn(tracer)
    exporter.shutdown()
    assert len(receiver.spans) == 4
    agent_turn(tracer)
    assert exporter.status()["dropped"] == 4


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"endpoint": "localhost:4318"}, "endpoint must be an http(s) URL"),
        ({"max_queue": 0}, "max_queue must be a positive number"),
        ({"timeout": -1}, "timeout must be a positive number"),
        ({"batch_size": "8"}, "batch_size must be a positive number"),
    ],
)
def test_bad_settings_are_rejected_with_the_fix(kwargs: dict[str, object], fragment: str) -> None:
    with pytest.raises(MastraError, match=re.escape(fragment)) as info:
        OTLPExporter(**kwargs)  # type: ignore[arg-type]
    assert info.value.code == "TELEMETRY_BAD_OTLP_SETTING"


def test_a_missing_sdk_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(MastraError, match=r"pip install 'mastra-lab\[otlp\]'") as info:
        OTLPExporter()
    assert info.value.code == "TELEMETRY_OTLP_NOT_INSTALLED"
