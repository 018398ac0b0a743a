"""Suite-wide fixtures that keep tests honest: no ambient configuration, no real model calls.

Every provider test — chat models and embedders alike — talks to the one loopback server of
:mod:`fake_provider`, started once per session on first use.
"""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import fake_provider` under any pytest import mode

from fake_provider import FakeProviderServer, SleepRecorder, serve
from pg_server import PgServer, external_server, start_server

from mastra_lab import config
from mastra_lab.llm import base as llm_base
from mastra_lab.llm import http
from mastra_lab.llm.anthropic import AnthropicModel
from mastra_lab.llm.compat import CompatModel
from mastra_lab.llm.groq import GroqModel
from mastra_lab.llm.openai import OpenAIModel

PROVIDER_ENV = frozenset(
    {
        name
        for model in (OpenAIModel, AnthropicModel, GroqModel, CompatModel)
        for name in (model.api_key_env, model.base_url_env)
        if name
    }
    | set(config._SECRET_ENV.values())
)
"""Every key and base-URL variable a provider reads; with ``MASTRA_*``, what a shell must not leak in."""


EXTERNAL_PG_DSN = os.environ.get("MASTRA_TEST_PG_DSN")
"""Read at import: ``clean_environ`` strips ``MASTRA_*`` from every test's environment."""


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strip ``MASTRA_*`` and provider keys and base URLs, so a developer's shell cannot change outcomes."""
    for name in list(os.environ):
        if name.startswith("MASTRA_") or name in PROVIDER_ENV:
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_model_requests() -> Iterator[None]:
    """Real provider calls fail unless a test opts in with the ``allow_model_requests`` fixture."""
    previous = llm_base.ALLOW_MODEL_REQUESTS
    llm_base.ALLOW_MODEL_REQUESTS = False
    yield
    llm_base.ALLOW_MODEL_REQUESTS = previous


@pytest.fixture
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let models and embedders send requests (to the loopback server) in this test."""
    monkeypatch.setattr(llm_base, "ALLOW_MODEL_REQUESTS", True)


@pytest.fixture(autouse=True)
def restore_http_settings() -> Iterator[None]:
    """A test that calls ``configure_http`` leaves the process-wide defaults as it found them."""
    settings = http.get_http_settings()
    yield
    http.configure_http(**settings.__dict__)


@pytest.fixture
async def close_pooled_client() -> AsyncIterator[None]:
    """Close this test loop's pooled httpx client, so no socket outlives the loop."""
    yield
    await http.aclose_async_client()


@pytest.fixture(autouse=True)
def close_pooled_client_of_async_tests(request: pytest.FixtureRequest) -> None:
    """Only an async test has a loop of its own (sync calls share the runtime's), so only it needs closing.

    Requesting the async fixture for every test would give each sync test an event loop too, which costs
    more than the whole test.
    """
    if inspect.iscoroutinefunction(request.function):
        request.getfixturevalue("close_pooled_client")


@pytest.fixture(scope="session")
def _provider_server() -> Iterator[FakeProviderServer]:
    server = FakeProviderServer()
    uv, thread = serve(server)
    yield server
    uv.should_exit = True
    thread.join(timeout=5)
    if server.socket is not None:
        server.socket.close()


@pytest.fixture
def fake_server(_provider_server: FakeProviderServer) -> Iterator[FakeProviderServer]:
    """The session's loopback provider, with an empty script and no recorded requests."""
    _provider_server.clear()
    yield _provider_server
    _provider_server.clear()


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Record retry delays instead of waiting (pass as ``http_options={"sleep": sleeps}``)."""
    return SleepRecorder()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One real PostgreSQL server with pgvector for the session (``MASTRA_TEST_PG_DSN``, or started here)."""
    if EXTERNAL_PG_DSN:
        yield external_server(EXTERNAL_PG_DSN)
        return
    with start_server() as server:
        yield server


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[object]:
    """A local Ray with two worker CPUs, started once per session (about 6 s) and shut down at the end.

    Workers import this checkout (Ray puts the driver's working directory on their path).
    """
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()
