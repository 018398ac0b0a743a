"""The retrying HTTP client every provider sends through.

Providers only translate JSON; everything about the wire lives here, once: a pooled ``httpx.AsyncClient`` per
event loop (so every model reuses connections), the retry rules of the official OpenAI and Anthropic Python
SDKs, server-sent events through ``httpx-sse``, and the translation of httpx exceptions and HTTP statuses into
:mod:`mastra_lab.errors`.

Retry rules (as in the official SDKs):

* ``max_retries=2`` by default (per model, or globally with :func:`configure_http`);
* an ``x-should-retry: true|false`` response header decides first; otherwise 408, 409, 429 and every 5xx
  (including Anthropic's 529) are retried, as are timeouts and connection errors; other 4xx never are;
* the delay comes from ``retry-after-ms``, else ``retry-after`` (seconds as a float, or an HTTP date),
  capped at 60 s; otherwise ``min(0.5 * 2**n, 8) * (1 - 0.25 * random())`` for retry number ``n``.

Streaming requests are retried only while connecting and reading the status; once the first byte of the body
has been handed to the caller, a failure is final (the caller keeps the partial text).
"""

from __future__ import annotations

import asyncio
import json
import random as _random
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
from httpx_sse import EventSource, ServerSentEvent, SSEError

from mastra_lab._secret import Secret
from mastra_lab.errors import (
    AuthenticationError,
    ContextLengthError,
    MastraError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from mastra_lab.llm.base import check_allow_model_requests
from mastra_lab.telemetry._context import open_span
from mastra_lab.telemetry.logger import get_logger

__all__ = [
    "OPENAI_CONTEXT_MARKERS",
    "HTTPClient",
    "HTTPSettings",
    "aclose_async_client",
    "configure_http",
    "context_length_errors",
    "error_for_status",
    "get_async_client",
    "get_http_settings",
    "refine_error",
    "retry_delay",
    "should_retry",
]

if TYPE_CHECKING:
    from mastra_lab.telemetry._span import Span

_log = get_logger("llm.http")

MAX_RETRY_AFTER = 60.0
"""Longest server-requested delay we honour, in seconds."""
_INITIAL_RETRY_DELAY = 0.5
_MAX_RETRY_DELAY = 8.0
_BODY_EXCERPT = 500


@dataclass(frozen=True)
class HTTPSettings:
    """Process-wide defaults for every provider; change them with :func:`configure_http`."""

    max_retries: int = 2
    """Retries after the first attempt."""
    timeout: float = 600.0
    """Total seconds allowed for each of connect, read, write and pool waits."""
    connect_timeout: float = 5.0
    """Seconds allowed to open a connection."""
    max_connections: int = 1000
    """Connections the shared pool may open at once."""
    max_keepalive_connections: int = 100
    """Idle connections kept for reuse."""

    def httpx_timeout(self) -> httpx.Timeout:
        """These settings as an :class:`httpx.Timeout`."""
        return httpx.Timeout(self.timeout, connect=self.connect_timeout)


_settings = HTTPSettings()
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def configure_http(**changes: Any) -> HTTPSettings:
    """Change the process-wide HTTP defaults and return the new settings.

    Pool limits apply to clients created afterwards; call :func:`aclose_async_client` to rebuild the current
    loop's pool.

    Args:
        **changes: Fields of :class:`HTTPSettings` (``max_retries``, ``timeout``, ``connect_timeout``,
            ``max_connections``, ``max_keepalive_connections``).
    """
    global _settings
    from mastra_lab.errors import ConfigError

    unknown = set(changes) - set(HTTPSettings.__dataclass_fields__)
    if unknown:
        raise ConfigError(
            f"unknown HTTP setting(s) {sorted(unknown)}; use {sorted(HTTPSettings.__dataclass_fields__)}",
            code="CONFIG_HTTP_SETTING",
        )
    _settings = replace(_settings, **changes)
    return _settings


def get_http_settings() -> HTTPSettings:
    """The current process-wide HTTP defaults."""
    return _settings


def get_async_client() -> httpx.AsyncClient:
    """The pooled client of the running event loop, created on first use (one pool per loop)."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        limits = httpx.Limits(
            max_connections=_settings.max_connections,
            max_keepalive_connections=_settings.max_keepalive_connections,
        )
        client = httpx.AsyncClient(limits=limits, timeout=_settings.httpx_timeout())
        _clients[loop] = client
    return client


async def aclose_async_client() -> None:
    """Close the running loop's pooled client (a new one is made on next use)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


def should_retry(response: httpx.Response) -> bool:
    """Whether a failed response is worth another attempt, by the SDKs' rules."""
    header = response.headers.get("x-should-retry", "").lower()
    if header == "true":
        return True
    if header == "false":
        return False
    status = response.status_code
    return status in (408, 409, 429) or status >= 500


def retry_delay(
    retry_number: int,
    headers: Mapping[str, str] | None = None,
    *,
    clock: Callable[[], float] = time.time,
    random: Callable[[], float] = _random.random,
) -> float:
    """Seconds to wait before retry number ``retry_number`` (0 for the first retry).

    Args:
        retry_number: How many retries have already been made.
        headers: The failed response's headers (``retry-after-ms`` / ``retry-after``), if there was one.
        clock: Current time in epoch seconds, to turn an HTTP-date ``retry-after`` into a delay.
        random: A number in [0, 1) for jitter.
    """
    server_delay = _server_delay(headers or {}, clock)
    if server_delay is not None and server_delay > 0:
        return min(server_delay, MAX_RETRY_AFTER)
    backoff = min(_INITIAL_RETRY_DELAY * 2.0**retry_number, _MAX_RETRY_DELAY)
    return max(backoff * (1 - 0.25 * random()), 0.0)


def _server_delay(headers: Mapping[str, str], clock: Callable[[], float]) -> float | None:
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - clock()
    except (TypeError, ValueError):
        return None


@contextmanager
def _map_httpx_errors(provider: str) -> Iterator[None]:
    """Translate the httpx exception family (and SSE/JSON decoding failures) into our errors, once."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise ProviderUnavailableError(
            f"{provider} did not answer in time ({type(exc).__name__}); retry later or raise the timeout",
            code="PROVIDER_TIMEOUT",
            details={"provider": provider, "reason": type(exc).__name__},
        ) from exc
    except httpx.TransportError as exc:
        raise ProviderUnavailableError(
            f"connection to {provider} failed ({type(exc).__name__}: {exc or 'connection closed'}); "
            "check the base URL and the network, or retry",
            code="PROVIDER_CONNECTION",
            details={"provider": provider, "reason": type(exc).__name__},
        ) from exc
    except (SSEError, json.JSONDecodeError, httpx.DecodingError) as exc:
        raise ProviderError(
            f"{provider} sent a response that could not be decoded ({exc}); this is a provider-side problem",
            code="PROVIDER_BAD_RESPONSE",
            details={"provider": provider},
        ) from exc


_STATUS_ERRORS: dict[int, tuple[type[ProviderError], str]] = {
    401: (AuthenticationError, "check that the API key is valid"),
    403: (AuthenticationError, "check that the API key may use this model"),
    408: (ProviderUnavailableError, "retry later or raise the timeout"),
    429: (RateLimitError, "slow down, raise max_retries, or check your plan's rate limits"),
}


def error_for_status(status: int) -> tuple[type[ProviderError], str]:
    """The error class for a final HTTP status, and the fix to suggest."""
    if status in _STATUS_ERRORS:
        return _STATUS_ERRORS[status]
    if status >= 500:
        return ProviderUnavailableError, "the provider is failing; retry later"
    return ProviderError, "fix the request (see the provider's message)"


def _provider_error(text: str) -> tuple[str, str | None, dict[str, Any] | None]:
    """Message, code and object of an OpenAI- or Anthropic-style error body (``{"error": {...}}``)."""
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200], None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return str(error or data)[:200], None, None
    code = error.get("code") or error.get("type")
    return str(error.get("message", ""))[:300], str(code) if code is not None else None, error


class HTTPClient:
    """Sends one provider's requests with retries; shared by every HTTP model.

    Args:
        provider: Short provider name, used in messages and logs.
        base_url: Prefix of every request path (``https://api.openai.com/v1``).
        headers: Callable returning request headers (including auth); called once per request, so a
            missing key is reported at first use.
        api_key: The key, only so that it can be scrubbed from error bodies.
        max_retries: Retries after the first attempt; ``None`` uses :func:`get_http_settings`.
        timeout: Seconds (or an :class:`httpx.Timeout`); ``None`` uses :func:`get_http_settings`.
        client: A specific ``httpx.AsyncClient``; by default the running loop's pooled one.
        sleep: Awaited with each retry delay (inject to test delays without waiting).
        clock: Epoch seconds, for HTTP-date ``retry-after``.
        random: Jitter source in [0, 1).
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        headers: Callable[[], Mapping[str, str]] | None = None,
        *,
        api_key: Secret | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        client: httpx.AsyncClient | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = headers or dict
        self._api_key = api_key
        self._max_retries = max_retries
        self._timeout = timeout
        self._client = client
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self._log = _log.bind(provider=provider)

    def __repr__(self) -> str:
        return f"HTTPClient({self.provider!r}, {self.base_url!r})"

    @property
    def max_retries(self) -> int:
        """Retries after the first attempt, per this client or the global default."""
        return _settings.max_retries if self._max_retries is None else self._max_retries

    def _build(self, path: str, body: Mapping[str, Any], stream: bool) -> httpx.Request:
        timeout = self._timeout if self._timeout is not None else _settings.httpx_timeout()
        headers = {"accept": "text/event-stream" if stream else "application/json", **self._headers()}
        client = self._client or get_async_client()
        return client.build_request(
            "POST", f"{self.base_url}{path}", json=body, headers=headers, timeout=timeout
        )

    async def post_json(self, path: str, body: Mapping[str, Any]) -> tuple[dict[str, Any], httpx.Headers]:
        """POST ``body`` as JSON and return the decoded JSON answer and its headers.

        Args:
            path: Path after the base URL (``/chat/completions``).
            body: The request body.
        """
        response = await self._send(self._build(path, body, stream=False), stream=False)
        with _map_httpx_errors(self.provider):
            data = json.loads(response.content)
        if not isinstance(data, dict):
            raise ProviderError(
                f"{self.provider} answered with JSON that is not an object: {response.text[:80]!r}",
                code="PROVIDER_BAD_RESPONSE",
                details={"provider": self.provider, "request_id": _request_id(response.headers)},
            )
        return data, response.headers

    @asynccontextmanager
    async def stream_sse(
        self, path: str, body: Mapping[str, Any]
    ) -> AsyncIterator[AsyncIterator[ServerSentEvent]]:
        """POST ``body`` and yield an async iterator over the answer's server-sent events.

        Connection and status failures are retried before anything is yielded; failures while reading the
        events are mapped (``ProviderUnavailableError`` for a cut connection) but not retried.

        Args:
            path: Path after the base URL.
            body: The request body (with the provider's ``stream`` flag set).
        """
        response = await self._send(self._build(path, body, stream=True), stream=True)
        source = EventSource(response).aiter_sse()
        try:
            with _map_httpx_errors(self.provider):  # also maps failures raised while the caller iterates
                yield source
        finally:
            await source.aclose()
            await response.aclose()

    async def _send(self, request: httpx.Request, stream: bool) -> httpx.Response:
        """Send ``request`` with retries, each attempt in an ``http_request`` span of its own.

        The span of an attempt ends when its status line and headers are in: a streamed body is read
        afterwards, inside the caller's span (the ``llm_generation`` one).
        """
        check_allow_model_requests()
        client = self._client or get_async_client()
        attempts = self.max_retries + 1
        for attempt in range(attempts):
            self._log.debug(
                "%s request attempt %d/%d: %s %s",
                self.provider,
                attempt + 1,
                attempts,
                request.method,
                request.url,
            )
            headers: Mapping[str, str] | None = None
            final: MastraError | None = None
            cause: BaseException | None = None
            with open_span(
                request.method, "http_request", attributes=_span_attributes(request, attempt)
            ) as span:
                try:
                    with _map_httpx_errors(self.provider):
                        response = await client.send(request, stream=stream)
                        span.set_attribute("http.response.status_code", response.status_code)
                        if response.is_success:
                            return response
                        content = await response.aread()
                        await response.aclose()
                except ProviderUnavailableError as exc:
                    span.record_error(exc)
                    if attempt == self.max_retries:
                        final, cause = self._final(exc, attempt + 1), exc.__cause__
                    reason = exc.code
                else:
                    _record_status(span, response.status_code)
                    if attempt == self.max_retries or not should_retry(response):
                        final = self._status_error(response, content, attempt + 1)
                    headers, reason = response.headers, f"HTTP {response.status_code}"
                if final is None:
                    delay = retry_delay(attempt, headers, clock=self._clock, random=self._random)
                    span.set_attribute("mastra.http.retry_delay_ms", delay * 1000)
            if final is not None:
                raise final from cause
            self._log.debug(
                "%s attempt %d failed (%s); retrying in %.3f s", self.provider, attempt + 1, reason, delay
            )
            await self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _final(self, exc: ProviderUnavailableError, attempts: int) -> ProviderUnavailableError:
        head, _, fix = exc.message.partition("; ")
        plural = "s" if attempts > 1 else ""
        return ProviderUnavailableError(
            f"{head} at {self.base_url} (after {attempts} attempt{plural}); {fix}",
            code=exc.code,
            details={**exc.details, "attempts": attempts, "base_url": self.base_url},
        )

    def _status_error(self, response: httpx.Response, content: bytes, attempts: int) -> ProviderError:
        status = response.status_code
        error_class, fix = error_for_status(status)
        body = content.decode("utf-8", "replace")
        if self._api_key:
            body = body.replace(self._api_key.reveal(), str(self._api_key))
        message, code, error = _provider_error(body)
        request_id = _request_id(response.headers)
        text = f"{self.provider} answered HTTP {status}"
        if attempts > 1:
            text += f" after {attempts} attempts"
        text += f": {message or response.reason_phrase}"
        if request_id:
            text += f" (request id {request_id})"
        self._log.debug("%s gave up: HTTP %d, request id %s", self.provider, status, request_id)
        return error_class(
            f"{text}; {fix}",
            code=None if error_class is not ProviderError else "PROVIDER_HTTP_ERROR",
            details={
                "provider": self.provider,
                "status": status,
                "request_id": request_id,
                "error_code": code,
                "error": error,
                "body": body[:_BODY_EXCERPT],
                "attempts": attempts,
            },
        )


def _span_attributes(request: httpx.Request, attempt: int) -> dict[str, Any]:
    """OpenTelemetry's HTTP client attributes of one attempt (no query string, no headers: no secrets)."""
    url = request.url
    return {
        "http.request.method": request.method,
        "server.address": url.host,
        "server.port": url.port or (443 if url.scheme == "https" else 80),
        "url.path": url.path,
        "http.request.resend_count": attempt,
        "mastra.http.attempt": attempt + 1,
    }


def _record_status(span: Span, status: int) -> None:
    """An HTTP error status fails the attempt's span, ``error.type`` being the status code (OpenTelemetry)."""
    if span.recording:
        span.error = {"type": "HTTPStatus", "message": f"HTTP {status}", "status": status}
        span.set_attribute("error.type", str(status))


def _request_id(headers: Mapping[str, str]) -> str | None:
    return headers.get("x-request-id") or headers.get("request-id")


def refine_error(exc: MastraError, error_class: type[MastraError], code: str, hint: str) -> MastraError:
    """A more specific error built from a generic provider error, keeping its details.

    Provider modules use it in their ``_map_errors()`` to turn, say, a 400 with code
    ``context_length_exceeded`` into :class:`~mastra_lab.errors.ContextLengthError`.
    """
    return error_class(f"{exc.message.rsplit('; ', 1)[0]}; {hint}", code=code, details=exc.details)


OPENAI_CONTEXT_MARKERS = ("context_length_exceeded", "maximum context length")
"""How OpenAI's error format (chat completions and embeddings alike) says the input is too long."""


@contextmanager
def context_length_errors(hint: str, markers: Sequence[str] = OPENAI_CONTEXT_MARKERS) -> Iterator[None]:
    """Turn a 400 that says the input is too long into :class:`~mastra_lab.errors.ContextLengthError`.

    Every API reports an over-long input as a plain 400; which one it is shows only in the error code or
    the message. Providers and embedders wrap their requests in this, each with its own ``hint``.

    Args:
        hint: The fix the refined error suggests (``"shorten the messages or use a larger model"``).
        markers: Error codes or message fragments (lower case) that mean "too long"; OpenAI's by default.
    """
    try:
        yield
    except ProviderError as exc:
        said = (str(exc.details.get("error_code") or ""), exc.message.lower())
        if exc.details.get("status") == 400 and any(m in text for m in markers for text in said):
            raise refine_error(exc, ContextLengthError, "PROVIDER_CONTEXT_LENGTH", hint) from exc
        raise
