"""A fake LLM provider: a real HTTP server on 127.0.0.1 speaking the OpenAI, Groq and Anthropic formats.

Payloads follow the providers' documented examples (``chat.completion`` / ``chat.completion.chunk`` objects
ending in ``data: [DONE]``, Groq's ``x_groq``, Anthropic's ``message`` object and named stream events, the
``/embeddings`` list). The server records every request it receives and answers from a per-test *script* of
replies, so tests can inject faults: HTTP errors with retry headers, connection resets, slow answers, streams
cut in the middle, bad JSON — and hold a stream after its first events until the test says go (:class:`Hold`),
to see what a client shows before the rest exists.

It serves the paths the official SDKs request (all ``POST``), so a base URL is given exactly as a user gives
it to the SDK: ``/v1/chat/completions`` (OpenAI and compatible servers; base ``…/v1``),
``/openai/v1/chat/completions`` (Groq; base ``…`` or ``…/openai/v1``), ``/v1/messages`` (Anthropic; base
``…`` or ``…/v1``) and ``/v1/embeddings``. Any other path is a 404, as on a real server. Used by the suite's
conftest (both the model and the embedder tests) and, by path, by ``benchmarks/provider_bench.py``.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections import deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

__all__ = [
    "ROUTES",
    "TEST_KEY",
    "Delay",
    "FakeProviderServer",
    "Hold",
    "Raw",
    "RecordedRequest",
    "Reset",
    "Scenario",
    "SleepRecorder",
    "Status",
    "error_body",
    "serve",
]

TEST_KEY = "sk-test-0123456789abcdefSECRET"
"""A fake key; tests assert it never shows up in logs, messages or reprs."""


class SleepRecorder:
    """An injectable ``sleep`` that records retry delays and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


ROUTES = {
    "/v1/chat/completions": "openai",
    "/openai/v1/chat/completions": "groq",
    "/v1/messages": "anthropic",
    "/v1/embeddings": "embeddings",
}
"""Request path → the API answering it."""

_SDK_BASE = {"openai": "/v1", "compat": "/v1", "embeddings": "/v1", "anthropic": "", "groq": ""}
_VERSIONED_BASE = {**_SDK_BASE, "anthropic": "/v1", "groq": "/openai/v1"}


def error_body(message: str, code: str | None = None) -> dict[str, Any]:
    """An error in the OpenAI format, ``{"error": {"message": …, "type": …, "code": …}}``."""
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


OPENAI_USAGE = {
    "prompt_tokens": 19,
    "completion_tokens": 10,
    "total_tokens": 29,
    "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 2,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
ANTHROPIC_USAGE = {
    "input_tokens": 25,
    "output_tokens": 12,
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 5,
}


@dataclass
class Hold:
    """Stop a stream after ``after`` events until :meth:`release` is called (from any thread).

    If nobody releases it within ``timeout`` seconds the connection is reset instead, so a client that
    waited for the whole answer before showing anything fails rather than passing late.
    """

    after: int
    timeout: float = 10.0
    released: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)
    """Set when the stream has sent its first ``after`` events and is waiting."""

    def release(self) -> None:
        self.released.set()


@dataclass
class Scenario:
    """A normal answer, rendered as JSON or as a stream depending on the request."""

    text: str = "Hello from the fake server!"
    tool_calls: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """``(id, name, arguments)`` of each call."""
    finish: str | None = None
    """Provider finish/stop reason; derived from the content when ``None``."""
    chunk_size: int = 4
    """Characters of text (and of tool-argument JSON) per streamed fragment."""
    cut_after: int | None = None
    """Abort the connection after this many stream events (a stream cut in the middle)."""
    stream_error: dict[str, Any] | None = None
    """An ``error`` object sent inside the stream after the text, instead of the normal ending."""
    hold: Hold | None = None
    """Pause the stream part-way until the test releases it."""
    headers: dict[str, str] = field(default_factory=dict)
    usage: bool = True


@dataclass
class Status:
    """An HTTP error (or any status) with a JSON or text body and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Raw:
    """Bytes as they are (malformed JSON, a broken event stream)."""

    content: str
    content_type: str = "application/json"
    status: int = 200


@dataclass
class Reset:
    """Abort the TCP connection without answering (the client sees a connection reset)."""


@dataclass
class Delay:
    """Wait before answering with ``then`` (to trigger a client read timeout)."""

    seconds: float
    then: Any = field(default_factory=Scenario)


@dataclass
class RecordedRequest:
    """What the server received."""

    api: str
    """``openai``, ``groq``, ``anthropic``, ``embeddings`` (see :data:`ROUTES`), or ``unknown`` (a 404)."""
    path: str
    headers: dict[str, str]
    body: Any
    client_port: int = 0
    """The client's TCP port: equal ports mean a reused connection."""


def _pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(size, 1))]


def _sse(data: Any, event: str | None = None) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


# -- OpenAI / Groq / compat -------------------------------------------------------------------------------


def _openai_finish(s: Scenario) -> str:
    return s.finish or ("tool_calls" if s.tool_calls else "stop")


def openai_completion(s: Scenario, model: str, flavor: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "role": "assistant",
        "content": s.text or None,
        "refusal": None,
        "annotations": [],
    }
    if s.tool_calls:
        message["tool_calls"] = [
            {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for cid, name, args in s.tool_calls
        ]
    body: dict[str, Any] = {
        "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "object": "chat.completion",
        "created": 1741569952,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": _openai_finish(s)}],
        "usage": OPENAI_USAGE if s.usage else None,
        "service_tier": "default",
        "system_fingerprint": "fp_fake",
    }
    if flavor == "groq":
        body["x_groq"] = {"id": "req_01jbd6g2qdfw2adyrt2az8hz4w"}
    return body


def openai_chunks(s: Scenario, model: str, flavor: str, include_usage: bool) -> Iterator[bytes]:
    base = {"id": "chatcmpl-123", "object": "chat.completion.chunk", "created": 1694268190, "model": model}
    if flavor != "groq":
        base["system_fingerprint"] = "fp_44709d6fcb"

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _sse({**base, "choices": [choice], **extra})

    yield chunk({"role": "assistant", "content": "", "refusal": None})
    for piece in _pieces(s.text, s.chunk_size):
        yield chunk({"content": piece})
    for index, (cid, name, args) in enumerate(s.tool_calls):
        first = {"index": index, "id": cid, "type": "function", "function": {"name": name, "arguments": ""}}
        yield chunk({"tool_calls": [first]})
        for piece in _pieces(json.dumps(args), s.chunk_size):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    if s.stream_error is not None:
        yield _sse({"error": s.stream_error})
        return
    if flavor == "groq":
        x_groq = {"id": "req_01jbd6g2qdfw2adyrt2az8hz4w", "usage": OPENAI_USAGE}
        yield chunk({}, _openai_finish(s), x_groq=x_groq)
    else:
        yield chunk({}, _openai_finish(s))
        if include_usage and s.usage:
            yield _sse({**base, "choices": [], "usage": OPENAI_USAGE})
    yield _sse("[DONE]")


# -- Anthropic ----------------------------------------------------------------------------------------------


def _anthropic_stop(s: Scenario) -> str:
    return s.finish or ("tool_use" if s.tool_calls else "end_turn")


def anthropic_message(s: Scenario, model: str) -> dict[str, Any]:
    content: list[dict[str, Any]] = [{"type": "text", "text": s.text}] if s.text else []
    content += [
        {"type": "tool_use", "id": cid, "name": name, "input": args} for cid, name, args in s.tool_calls
    ]
    return {
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": _anthropic_stop(s),
        "stop_sequence": None,
        "usage": ANTHROPIC_USAGE,
    }


def anthropic_events(s: Scenario, model: str) -> Iterator[bytes]:
    start = {**anthropic_message(s, model), "content": [], "stop_reason": None}
    start["usage"] = {**ANTHROPIC_USAGE, "output_tokens": 1}
    yield _sse({"type": "message_start", "message": start}, "message_start")
    index = 0
    if s.text:
        block = {"type": "text", "text": ""}
        yield _sse({"type": "content_block_start", "index": 0, "content_block": block}, "content_block_start")
        yield _sse({"type": "ping"}, "ping")
        for piece in _pieces(s.text, s.chunk_size):
            delta = {"type": "text_delta", "text": piece}
            yield _sse({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        index = 1
    if s.stream_error is not None:
        yield _sse({"type": "error", "error": s.stream_error}, "error")
        return
    for offset, (cid, name, args) in enumerate(s.tool_calls):
        i = index + offset
        block = {"type": "tool_use", "id": cid, "name": name, "input": {}}
        yield _sse({"type": "content_block_start", "index": i, "content_block": block}, "content_block_start")
        for piece in ["", *_pieces(json.dumps(args), s.chunk_size)]:
            delta = {"type": "input_json_delta", "partial_json": piece}
            yield _sse({"type": "content_block_delta", "index": i, "delta": delta}, "content_block_delta")
        yield _sse({"type": "content_block_stop", "index": i}, "content_block_stop")
    delta = {"stop_reason": _anthropic_stop(s), "stop_sequence": None}
    yield _sse({"type": "message_delta", "delta": delta, "usage": {"output_tokens": 12}}, "message_delta")
    yield _sse({"type": "message_stop"}, "message_stop")


# -- embeddings ---------------------------------------------------------------------------------------------


def embeddings_list(body: dict[str, Any]) -> dict[str, Any]:
    """Vectors ``[len(text), ord(text[0]), 0, …]`` (``dimensions`` wide, 1536 by default), in reverse order.

    The real API does not promise the order of ``data``; answering reversed makes clients sort by ``index``.
    """
    dims = int(body.get("dimensions") or 1536)
    inputs = body.get("input") or []
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": [float(len(t)), float(ord(t[0]))] + [0.0] * (dims - 2),
        }
        for i, t in enumerate(inputs)
    ]
    usage = {"prompt_tokens": len(data), "total_tokens": len(data)}
    return {"object": "list", "data": data[::-1], "model": body.get("model"), "usage": usage}


# -- the server ---------------------------------------------------------------------------------------------


def _abort(request: Request) -> None:
    """Reset the TCP connection under this request (uvicorn's h11 cycle owns the transport)."""
    transport = request.receive.__self__.transport  # type: ignore[attr-defined]
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FakeProviderServer:
    """The Starlette app plus its script and its record of requests."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.script: deque[Any] = deque()
        self.default: Any = Scenario()
        """The reply used when the script is empty."""
        self.record = True
        """Record requests (benchmarks switch it off)."""
        self.url = ""
        self.socket: socket.socket | None = None
        """The listening socket, set by :func:`serve`."""
        self.app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])

    def base_url(self, provider: str, *, versioned: bool = False) -> str:
        """The base URL a user would give ``provider``'s SDK for this server.

        Args:
            provider: ``openai``, ``compat``, ``embeddings``, ``anthropic`` or ``groq``.
            versioned: For Anthropic and Groq, the form that ends in the version path (``…/v1``,
                ``…/openai/v1``) instead of the SDKs' default (the bare host).
        """
        return self.url + (_VERSIONED_BASE if versioned else _SDK_BASE)[provider]

    def push(self, *replies: Any) -> None:
        """Answer the next requests with these replies, in order; afterwards answer ``self.default``."""
        self.script.extend(replies)

    def clear(self) -> None:
        """Forget the script and the recorded requests; answer ``Scenario()`` by default again."""
        self.script.clear()
        self.requests.clear()
        self.default = Scenario()
        self.record = True

    async def _handle(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        api = ROUTES.get(path, "unknown")
        raw = await request.body()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        port = request.client.port if request.client else 0
        if self.record:
            self.requests.append(RecordedRequest(api, path, dict(request.headers), body, port))
        if api == "unknown":
            return JSONResponse(error_body(f"no route for POST {path}", "not_found"), 404)
        reply = self.script.popleft() if self.script else self.default
        return await self._render(request, api, body, reply)

    async def _render(self, request: Request, api: str, body: Any, reply: Any) -> Response:
        if isinstance(reply, Delay):
            await asyncio.sleep(reply.seconds)
            return await self._render(request, api, body, reply.then)
        if isinstance(reply, Reset):
            _abort(request)
            return Response(status_code=500)
        if isinstance(reply, Status):
            if isinstance(reply.body, str):
                return Response(reply.body, reply.status, reply.headers, media_type="text/plain")
            return JSONResponse(reply.body, reply.status, reply.headers)
        if isinstance(reply, Raw):
            return Response(reply.content, reply.status, media_type=reply.content_type)
        return self._scenario(request, api, body if isinstance(body, dict) else {}, reply)

    def _scenario(self, request: Request, api: str, body: dict[str, Any], s: Scenario) -> Response:
        model = str(body.get("model", "fake-model"))
        headers = {"x-request-id": "req_fake_123", **s.headers}
        if api == "anthropic":
            headers = {"request-id": "req_fake_123", **s.headers}
        if api == "embeddings":
            return JSONResponse(embeddings_list(body), headers=headers)
        if not body.get("stream"):
            data = anthropic_message(s, model) if api == "anthropic" else openai_completion(s, model, api)
            return JSONResponse(data, headers=headers)
        if api == "anthropic":
            events = anthropic_events(s, model)
        else:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            events = openai_chunks(s, model, api, include_usage)
        return StreamingResponse(
            self._stream(request, events, s.cut_after, s.hold),
            media_type="text/event-stream",
            headers=headers,
        )

    async def _stream(
        self, request: Request, events: Iterator[bytes], cut_after: int | None, hold: Hold | None = None
    ) -> AsyncIterator[bytes]:
        for count, event in enumerate(events):
            if cut_after is not None and count >= cut_after:
                _abort(request)
                return
            if hold is not None and count == hold.after:
                hold.reached.set()
                if not await asyncio.to_thread(hold.released.wait, hold.timeout):
                    _abort(request)
                    return
            yield event


def serve(server: FakeProviderServer) -> tuple[uvicorn.Server, threading.Thread]:
    """Run ``server`` on a free port of 127.0.0.1 in a daemon thread; sets ``server.url``.

    The socket is bound and listening before the thread starts, so a request sent at once waits in the
    backlog until uvicorn accepts it: nothing has to poll for the server to be ready.
    """
    # proto=IPPROTO_TCP: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    server.socket = sock
    config = uvicorn.Config(
        server.app, log_level="critical", lifespan="off", ws="none", http="h11", timeout_graceful_shutdown=1
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, name="fake-provider", daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    return uv, thread
