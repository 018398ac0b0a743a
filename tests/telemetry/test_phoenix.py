"""The OTLP round trip through Arize Phoenix: export an agent turn, read it back through its REST API."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from mastra_lab.telemetry import OTLPExporter, Tracer

pytestmark = pytest.mark.slow


def spans_of(phoenix: str, project: str, trace_id: str, expected: int) -> list[dict[str, Any]]:
    """Phoenix's spans of one trace, polled: it writes received spans to its database in the background."""
    url = f"{phoenix}/v1/projects/{project}/spans"
    deadline = time.monotonic() + 60
    data: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        response = httpx.get(url, params={"trace_id": trace_id, "limit": 100}, timeout=10)
        if response.status_code == 200:
            data = response.json()["data"]
            if len(data) >= expected:
                return data
        time.sleep(0.25)
    raise AssertionError(f"Phoenix has {len(data)} of {expected} spans of trace {trace_id} after 60 s")


def test_an_agent_turn_reaches_phoenix_as_a_tree_with_genai_attributes(phoenix: str) -> None:
    exporter = OTLPExporter(f"{phoenix}/v1/traces", service_name="mastra-lab-roundtrip", flush_interval=0.05)
    tracer = Tracer([exporter], capture_content=True)  # Phoenix shows input/output only when captured
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
            },
        ):
            pass
        for tool in ("add", "multiply"):
            with tracer.span(f"execute_tool {tool}", "tool_call", attributes={"gen_ai.tool.name": tool}):
                pass
        root.set_output("5")
    exporter.flush(timeout=30)
    assert exporter.status()["exported"] == 4, exporter.status()

    spans = {s["name"]: s for s in spans_of(phoenix, "mastra-lab-roundtrip", root.trace_id, expected=4)}
    assert sorted(spans) == [
        "chat gpt-4o-mini",
        "execute_tool add",
        "execute_tool multiply",
        "invoke_agent support",
    ]
    agent = spans["invoke_agent support"]
    assert agent["parent_id"] is None
    assert agent["context"]["trace_id"] == root.trace_id
    for child in ("chat gpt-4o-mini", "execute_tool add", "execute_tool multiply"):
        assert spans[child]["parent_id"] == agent["context"]["span_id"]
    assert {name: s["span_kind"] for name, s in spans.items()} == {
        "invoke_agent support": "AGENT",
        "chat gpt-4o-mini": "LLM",
        "execute_tool add": "TOOL",
        "execute_tool multiply": "TOOL",
    }
    chat = spans["chat gpt-4o-mini"]["attributes"]
    assert chat["gen_ai.request.model"] == "gpt-4o-mini"
    assert chat["gen_ai.provider.name"] == "openai"
    assert (chat["gen_ai.usage.input_tokens"], chat["gen_ai.usage.output_tokens"]) == (12, 7)
    assert (chat["llm.token_count.prompt"], chat["llm.token_count.completion"]) == (12, 7)
    assert spans["execute_tool multiply"]["attributes"]["gen_ai.tool.name"] == "multiply"
    assert agent["attributes"]["gen_ai.agent.name"] == "support"
    assert agent["attributes"]["input.value"] == "What is 2 + 3?"
    assert agent["attributes"]["output.value"] == "5"
    assert all(s["status_code"] == "OK" for s in spans.values())
    exporter.shutdown()
