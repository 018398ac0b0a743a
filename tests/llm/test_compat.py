"""OpenAI-compatible servers (Ollama, vLLM, LM Studio, llama.cpp): any base_url, key optional."""

from __future__ import annotations

import pytest
from fake_provider import FakeProviderServer

from mastra_lab.llm import Message, get_model
from mastra_lab.llm.compat import CompatModel


async def test_works_without_a_key_and_sends_no_authorization(
    allow_model_requests: None, fake_server: FakeProviderServer
) -> None:
    model = get_model("compat:llama3.2", base_url=fake_server.base_url("compat"))
    response = await model.generate([Message.user("hi")], max_tokens=10)
    request = fake_server.requests[0]
    assert response.text == "Hello from the fake server!"
    assert request.path == "/v1/chat/completions"
    assert "authorization" not in request.headers
    assert request.body["model"] == "llama3.2"
    assert request.body["max_tokens"] == 10


async def test_an_optional_key_is_sent_as_bearer(make_model, fake_server: FakeProviderServer) -> None:
    await make_model("compat", api_key="vllm-token-0123456789").generate([Message.user("hi")])
    assert fake_server.requests[0].headers["authorization"] == "Bearer vllm-token-0123456789"


def test_default_base_url_is_local_ollama() -> None:
    model = get_model("compat:llama3.2")
    assert isinstance(model, CompatModel)
    assert model.base_url == "http://localhost:11434/v1"
    assert model.id == "compat:llama3.2"


def test_base_url_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTRA_COMPAT_BASE_URL", "http://gpu-box:8000/v1/")
    assert get_model("compat:qwen2.5").base_url == "http://gpu-box:8000/v1"  # type: ignore[attr-defined]


async def test_unreachable_server_error_names_the_base_url(allow_model_requests: None, sleeps) -> None:  # type: ignore[no-untyped-def]
    from mastra_lab.errors import ProviderUnavailableError

    model = get_model("compat:llama3.2", base_url="http://127.0.0.1:9/v1", http_options={"sleep": sleeps})
    with pytest.raises(ProviderUnavailableError) as info:
        await model.generate([Message.user("hi")])
    assert "http://127.0.0.1:9/v1" in info.value.message
    assert info.value.code == "PROVIDER_CONNECTION"
    assert info.value.details["attempts"] == 3
    assert len(sleeps.delays) == 2


async def test_parallel_tool_calls_sharing_index_zero_stay_separate(make_model, fake_server) -> None:  # type: ignore[no-untyped-def]
    """Ollama streams each call of a parallel batch whole, every one at ``index: 0``."""
    import json

    from fake_provider import Raw

    from mastra_lab.llm import ToolCall
    from mastra_lab.llm.base import ToolCallEvent

    def chunk(delta: dict[str, object], finish: str | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        data = {"id": "c", "object": "chat.completion.chunk", "model": "llama3.2", "choices": [choice]}
        return f"data: {json.dumps(data)}\n\n"

    def call(cid: str, city: str) -> dict[str, object]:
        function = {"name": "get_weather", "arguments": json.dumps({"city": city})}
        return {"tool_calls": [{"id": cid, "index": 0, "type": "function", "function": function}]}

    stream = chunk(call("call_a", "Paris")) + chunk(call("call_b", "Oslo")) + chunk({}, "tool_calls")
    fake_server.push(Raw(stream + "data: [DONE]\n\n", "text/event-stream"))
    events = [e async for e in make_model("compat").stream([Message.user("x")])]
    assert [e.tool_call for e in events if isinstance(e, ToolCallEvent)] == [
        ToolCall("call_a", "get_weather", {"city": "Paris"}),
        ToolCall("call_b", "get_weather", {"city": "Oslo"}),
    ]
