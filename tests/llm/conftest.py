"""Fixtures for the provider tests: a fake provider on 127.0.0.1, opt-in model requests, no real keys."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import fake_server` under any pytest import mode

from fake_server import TEST_KEY, FakeProviderServer, SleepRecorder, serve

import mastra_lab.llm.base
from mastra_lab.llm import http

_PROVIDER_ENV = (
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "GROQ_API_KEY",
    "GROQ_BASE_URL",
    "MASTRA_COMPAT_API_KEY",
    "MASTRA_COMPAT_BASE_URL",
)


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[FakeProviderServer]:
    server = FakeProviderServer()
    uv, thread = serve(server)
    yield server
    uv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture
def fake_server(_fake_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    """The session's fake provider, with an empty script and no recorded requests."""
    _fake_server.clear()
    yield _fake_server
    _fake_server.clear()


@pytest.fixture
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let providers send requests (to the loopback server) in this test."""
    monkeypatch.setattr(mastra_lab.llm.base, "ALLOW_MODEL_REQUESTS", True)


@pytest.fixture(autouse=True)
def _clean_provider_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No real key or base URL from the developer's shell reaches a test; HTTP defaults are restored."""
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    settings = http.get_http_settings()
    yield
    http.configure_http(**settings.__dict__)


@pytest.fixture(autouse=True)
async def _close_pooled_client() -> AsyncIterator[None]:
    """Close this test loop's pooled httpx client, so no socket outlives the loop."""
    yield
    await http.aclose_async_client()


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Record retry delays instead of waiting."""
    return SleepRecorder()


@pytest.fixture
def make_model(fake_server: FakeProviderServer, sleeps: SleepRecorder, allow_model_requests: None):  # type: ignore[no-untyped-def]
    """Build a provider model pointed at the fake server, with the test key and recorded retry sleeps."""
    from mastra_lab.llm import get_model

    def make(provider: str, model_name: str = "fake-model", **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("api_key", TEST_KEY)
        kwargs.setdefault("base_url", fake_server.base_url(provider))
        kwargs.setdefault("http_options", {"sleep": sleeps})
        return get_model(f"{provider}:{model_name}", **kwargs)

    return make
