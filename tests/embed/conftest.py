"""A real OpenAI-speaking embeddings server on 127.0.0.1 (Starlette + uvicorn in a thread).

The socket is bound and listening before the server thread starts, so tests never wait for it. The model
name selects injected faults (``fault-429`` …), and ``EmbeddingsServer.fail_next`` queues one-off failures
(a 500 then a success, to test retries); every request is recorded for assertions. Real model requests are
refused unless a test opts in with ``allow_model_requests``; retry delays are recorded by ``sleeps``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

import mastra_lab.llm.base
from mastra_lab.llm import http

VALID_KEY = "sk-test-0123456789abcdefSECRET"


@dataclass
class EmbeddingsServer:
    base_url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    """Queued ``(status, headers)`` answers, one per request; a 2xx entry means "serve this one normally"."""


def _fault(model: str, auth: str) -> JSONResponse | PlainTextResponse | None:
    if model == "fault-badjson":
        return PlainTextResponse("<html>gateway</html>", status_code=200)
    if model == "fault-context":
        body = {"error": {"message": "This model's maximum context length is 8192 tokens", "type": "x"}}
        return JSONResponse(body, status_code=400, headers={"x-request-id": "req_ctx"})
    if model == "fault-ragged":
        data = [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]
        return JSONResponse({"object": "list", "data": data, "model": model})
    if model.startswith("fault-"):
        status = int(model.removeprefix("fault-"))
        # A careless server echoing the whole Authorization header: the client must scrub it.
        return JSONResponse({"error": {"message": f"boom for {auth}"}}, status_code=status)
    return None


def _make_app(state: EmbeddingsServer) -> Starlette:
    async def embeddings(request: Request) -> JSONResponse | PlainTextResponse:
        payload = await request.json()
        auth = request.headers.get("authorization", "")
        state.requests.append({"payload": payload, "authorization": auth})
        if auth != f"Bearer {VALID_KEY}":
            message = f"Incorrect API key provided: {auth.removeprefix('Bearer ')}"
            return JSONResponse({"error": {"message": message, "code": "invalid_api_key"}}, status_code=401)
        status, headers = state.fail_next.pop(0) if state.fail_next else (200, {})
        if status >= 400:
            return JSONResponse({"error": {"message": "queued failure"}}, status_code=status, headers=headers)
        fault = _fault(payload["model"], auth)
        if fault is not None:
            return fault
        dims = payload.get("dimensions", 1536)
        data = []
        for i, text in enumerate(payload["input"]):
            vector = [float(len(text)), float(ord(text[0]))] + [0.0] * (dims - 2)
            data.append({"object": "embedding", "index": i, "embedding": vector})
        data.reverse()  # the real API does not promise order; clients must sort by index
        usage = {"prompt_tokens": len(data), "total_tokens": len(data)}
        return JSONResponse({"object": "list", "data": data, "model": payload["model"], "usage": usage})

    return Starlette(routes=[Route("/v1/embeddings", embeddings, methods=["POST"])])


@pytest.fixture(scope="session")
def _server() -> Iterator[EmbeddingsServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    state = EmbeddingsServer(base_url=f"http://127.0.0.1:{port}/v1")
    server = uvicorn.Server(uvicorn.Config(_make_app(state), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield state
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture
def openai_server(_server: EmbeddingsServer) -> EmbeddingsServer:
    """The session's embeddings server with an empty request log and no queued failures."""
    _server.requests.clear()
    _server.fail_next.clear()
    return _server


class SleepRecorder:
    """An injectable ``sleep`` that records retry delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    """Record retry delays instead of waiting (pass as ``http_options={"sleep": sleeps}``)."""
    return SleepRecorder()


@pytest.fixture
def allow_model_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let embedders send requests (to the loopback server) in this test."""
    monkeypatch.setattr(mastra_lab.llm.base, "ALLOW_MODEL_REQUESTS", True)


@pytest.fixture(autouse=True)
async def _close_pooled_client() -> AsyncIterator[None]:
    """Close this test loop's pooled httpx client, so no socket outlives the loop."""
    yield
    await http.aclose_async_client()


@pytest.fixture(autouse=True)
def _clean_openai_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
