"""Groq: OpenAI's format below /openai/v1, usage in ``x_groq``, and ``tool_use_failed`` as a ToolError."""

from __future__ import annotations

import pytest
from fake_provider import TEST_KEY, FakeProviderServer, Status

from mastra_lab.errors import ToolError
from mastra_lab.llm import Message, ToolDefinition, get_model
from mastra_lab.llm.base import FinishEvent, Usage
from mastra_lab.llm.groq import GroqModel

TOOL_USE_FAILED = {
    "error": {
        "message": "Failed to call a function. Please adjust your prompt. "
        "See 'failed_generation' for more details.",
        "type": "invalid_request_error",
        "code": "tool_use_failed",
        "failed_generation": '<function=get_weather>{"city": "Paris"</function>',
    }
}


async def test_requests_go_to_the_openai_path_with_bearer_auth(
    make_model, fake_server: FakeProviderServer
) -> None:
    await make_model("groq", "llama-3.3-70b-versatile").generate([Message.user("x")], max_tokens=20)
    request = fake_server.requests[0]
    assert request.path == "/openai/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert request.body["max_tokens"] == 20
    assert "max_completion_tokens" not in request.body


async def test_stream_usage_is_read_from_x_groq(make_model, fake_server: FakeProviderServer) -> None:
    events = [e async for e in make_model("groq").stream([Message.user("x")])]
    assert events[-1] == FinishEvent("stop", Usage(19, 10, 29, 4, 2), "fake-model")


async def test_tool_use_failed_becomes_a_tool_error_with_the_failed_generation(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(Status(400, TOOL_USE_FAILED))
    with pytest.raises(ToolError) as info:
        await make_model("groq").generate([Message.user("x")], tools=[ToolDefinition("get_weather")])
    assert info.value.code == "TOOL_USE_FAILED"
    assert info.value.details["failed_generation"] == '<function=get_weather>{"city": "Paris"</function>'
    assert info.value.details["status"] == 400
    assert len(fake_server.requests) == 1


def test_default_endpoint_is_groqs_openai_path() -> None:
    model = get_model("groq:llama-3.1-8b-instant")
    assert isinstance(model, GroqModel)
    assert model.endpoint == "https://api.groq.com/openai/v1/chat/completions"


async def test_tool_use_failed_inside_a_stream_is_a_tool_error_too(
    make_model, fake_server: FakeProviderServer
) -> None:
    from fake_provider import Scenario

    fake_server.push(Scenario(text="", stream_error=TOOL_USE_FAILED["error"]))
    with pytest.raises(ToolError) as info:
        [
            e
            async for e in make_model("groq").stream(
                [Message.user("x")], tools=[ToolDefinition("get_weather")]
            )
        ]
    assert info.value.code == "TOOL_USE_FAILED"
    assert "get_weather" in info.value.details["failed_generation"]
