"""What every HTTP provider shares: where requests go, given a base URL in the form its official SDK takes."""

from __future__ import annotations

import pytest
from fake_provider import TEST_KEY, FakeProviderServer

from mastra_lab.llm import Message, get_model
from mastra_lab.llm.anthropic import AnthropicModel
from mastra_lab.llm.compat import CompatModel
from mastra_lab.llm.groq import GroqModel
from mastra_lab.llm.openai import OpenAIModel

SDK_PATHS = {
    "anthropic": "/v1/messages",
    "groq": "/openai/v1/chat/completions",
    "openai": "/v1/chat/completions",
}
BASE_URL_ENV = {"anthropic": "ANTHROPIC_BASE_URL", "groq": "GROQ_BASE_URL", "openai": "OPENAI_BASE_URL"}
FORMS = [("anthropic", False), ("anthropic", True), ("groq", False), ("groq", True), ("openai", False)]


@pytest.mark.parametrize("via", ["argument", "environment"])
@pytest.mark.parametrize(
    ("provider", "versioned"), FORMS, ids=[f"{p}-{'with-version' if v else 'sdk-form'}" for p, v in FORMS]
)
async def test_a_base_url_in_either_form_reaches_the_path_the_sdk_requests(
    fake_server: FakeProviderServer,
    allow_model_requests: None,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    versioned: bool,
    via: str,
) -> None:
    base_url = fake_server.base_url(provider, versioned=versioned)
    kwargs = {"base_url": base_url} if via == "argument" else {}
    if via == "environment":
        monkeypatch.setenv(BASE_URL_ENV[provider], base_url + "/")
    model = get_model(f"{provider}:m", api_key=TEST_KEY, **kwargs)

    response = await model.generate([Message.user("hi")])
    streamed = [event async for event in model.stream([Message.user("hi")])]

    assert response.text == "Hello from the fake server!"
    assert streamed[-1].kind == "finish"
    assert [r.path for r in fake_server.requests] == [SDK_PATHS[provider]] * 2


@pytest.mark.parametrize(
    ("model", "base_url", "endpoint"),
    [
        (AnthropicModel("m"), "https://api.anthropic.com", "https://api.anthropic.com/v1/messages"),
        (GroqModel("m"), "https://api.groq.com", "https://api.groq.com/openai/v1/chat/completions"),
        (OpenAIModel("m"), "https://api.openai.com/v1", "https://api.openai.com/v1/chat/completions"),
        (CompatModel("m"), "http://localhost:11434/v1", "http://localhost:11434/v1/chat/completions"),
    ],
    ids=["anthropic", "groq", "openai", "compat"],
)
def test_default_base_urls_are_the_official_sdks(model: OpenAIModel, base_url: str, endpoint: str) -> None:
    assert (model.base_url, model.endpoint) == (base_url, endpoint)


def test_a_proxy_path_before_the_version_is_kept() -> None:
    model = AnthropicModel("m", base_url="https://gateway.example/anthropic/")
    assert model.endpoint == "https://gateway.example/anthropic/v1/messages"
    assert AnthropicModel("m", base_url="https://gateway.example/anthropic/v1").endpoint == model.endpoint
