"""The model tests build their providers against the suite's loopback server (see ``tests/conftest.py``)."""

from __future__ import annotations

from typing import Any

import pytest
from fake_provider import TEST_KEY, FakeProviderServer, SleepRecorder

from mastra_lab.llm import Model, get_model


@pytest.fixture
def make_model(fake_server: FakeProviderServer, sleeps: SleepRecorder, allow_model_requests: None) -> Any:
    """Build a provider model pointed at the fake server, with the test key and recorded retry sleeps."""

    def make(provider: str, model_name: str = "fake-model", **kwargs: Any) -> Model:
        kwargs.setdefault("api_key", TEST_KEY)
        kwargs.setdefault("base_url", fake_server.base_url(provider))
        kwargs.setdefault("http_options", {"sleep": sleeps})
        return get_model(f"{provider}:{model_name}", **kwargs)

    return make
