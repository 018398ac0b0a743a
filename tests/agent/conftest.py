"""Agent tests: scripted models, a Mastra that keeps its spans in memory, the loopback provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fake_provider import TEST_KEY, FakeProviderServer, SleepRecorder

from mastra_lab.llm import Model, get_model
from mastra_lab.mastra import Mastra
from mastra_lab.storage import InMemoryStore
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer


@pytest.fixture
def make_model(fake_server: FakeProviderServer, sleeps: SleepRecorder, allow_model_requests: None) -> Any:
    """A provider model pointed at the loopback server, with the test key and recorded retry sleeps."""

    def make(provider: str, model_name: str = "fake-model", **kwargs: Any) -> Model:
        kwargs.setdefault("api_key", TEST_KEY)
        kwargs.setdefault("base_url", fake_server.base_url(provider))
        kwargs.setdefault("http_options", {"sleep": sleeps})
        return get_model(f"{provider}:{model_name}", **kwargs)

    return make


@pytest.fixture
def spans() -> InMemoryExporter:
    return InMemoryExporter()


@pytest.fixture
def mastra(spans: InMemoryExporter) -> Iterator[Mastra]:
    """A registry on an in-memory store whose tracer keeps finished spans, content included, in ``spans``."""
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([spans], capture_content=True)) as m:
        yield m
