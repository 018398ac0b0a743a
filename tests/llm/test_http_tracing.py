"""Every HTTP attempt is a span under the model request that made it: status, attempt number, retry delay.

Against the loopback provider with injected faults; retry delays are recorded, not waited for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from fake_provider import FakeProviderServer, Reset, Scenario, SleepRecorder, Status

from mastra_lab.agent import Agent
from mastra_lab.errors import ProviderUnavailableError
from mastra_lab.llm import Message
from mastra_lab.mastra import Mastra
from mastra_lab.storage import InMemoryStore
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer


def _error(message: str = "boom") -> dict[str, object]:
    return {"error": {"message": message, "type": "server_error", "code": None}}


@pytest.fixture
def spans() -> InMemoryExporter:
    return InMemoryExporter()


@pytest.fixture
def mastra(spans: InMemoryExporter) -> Iterator[Mastra]:
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([spans])) as m:
        yield m


async def test_a_503_then_200_is_two_attempt_spans_under_one_chat_span(
    make_model: Any,
    fake_server: FakeProviderServer,
    sleeps: SleepRecorder,
    mastra: Mastra,
    spans: InMemoryExporter,
) -> None:
    fake_server.push(Status(503, _error(), {"retry-after-ms": "150"}), Scenario(text="ok"))
    agent = Agent("caller", "", make_model("openai", "gpt-4o-mini"))
    mastra.add_agent(agent)

    assert (await agent.generate("hi")).text == "ok"

    chat = next(s for s in spans.spans if s.type == "llm_generation")
    attempts = [s for s in spans.spans if s.type == "http_request"]
    assert [(s.name, s.parent_span_id) for s in attempts] == [("POST", chat.span_id)] * 2
    url = urlsplit(fake_server.base_url("openai"))
    common = {
        "http.request.method": "POST",
        "server.address": url.hostname,
        "server.port": url.port,
        "url.path": "/v1/chat/completions",
    }
    assert attempts[0].attributes == {
        **common,
        "http.request.resend_count": 0,
        "mastra.http.attempt": 1,
        "http.response.status_code": 503,
        "error.type": "503",
        "mastra.http.retry_delay_ms": 150.0,
    }
    assert attempts[1].attributes == {
        **common,
        "http.request.resend_count": 1,
        "mastra.http.attempt": 2,
        "http.response.status_code": 200,
    }
    assert [s.status for s in attempts] == ["error", "ok"]
    assert sleeps.delays == [0.15]
    assert chat.status == "ok" and chat.attributes["gen_ai.response.model"] == "gpt-4o-mini"


async def test_a_request_that_gives_up_fails_every_attempt_and_the_chat_span(
    make_model: Any, fake_server: FakeProviderServer, spans: InMemoryExporter
) -> None:
    tracer = Tracer([spans])
    fake_server.push(Reset(), Status(500, _error()), Status(500, _error()))
    model = make_model("openai", max_retries=2)
    with pytest.raises(ProviderUnavailableError), tracer.span("chat fake-model", "llm_generation"):
        await model.generate([Message.user("hi")])

    attempts = [s for s in spans.spans if s.type == "http_request"]
    assert [s.attributes["mastra.http.attempt"] for s in attempts] == [1, 2, 3]
    assert [s.attributes["error.type"] for s in attempts] == ["PROVIDER_CONNECTION", "500", "500"]
    assert ["mastra.http.retry_delay_ms" in s.attributes for s in attempts] == [True, True, False]
    assert "http.response.status_code" not in attempts[0].attributes  # the connection broke before a status
    chat = next(s for s in spans.spans if s.type == "llm_generation")
    assert chat.status == "error" and {s.parent_span_id for s in attempts} == {chat.span_id}


async def test_outside_any_trace_http_attempts_record_nothing(
    make_model: Any, fake_server: FakeProviderServer, spans: InMemoryExporter
) -> None:
    Tracer([spans])  # a tracer exists, but nothing runs inside one of its spans
    fake_server.push(Scenario(text="ok"))
    assert (await make_model("openai").generate([Message.user("hi")])).text == "ok"
    assert spans.spans == []
