"""What every HTTP-backed model shares, so provider modules only translate.

:class:`HTTPModel` resolves the API key and base URL (argument, then environment variable, then default) at
first use, builds the :class:`~mastra_lab.llm.http.HTTPClient`, and implements ``generate`` and ``stream`` as
templates over four translation hooks a provider fills in: ``_build_body``, ``_process_response``,
``_process_stream`` and ``_map_errors``. It also keeps the text of a stream so that a mid-stream failure can
report what had already arrived. A base URL means what it means to the provider's official SDK, so one
already set for a proxy works unchanged.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import httpx
from httpx_sse import ServerSentEvent

from mastra_lab._secret import Secret
from mastra_lab.errors import AuthenticationError, MastraError
from mastra_lab.llm._hooks import record_request
from mastra_lab.llm.base import (
    ErrorEvent,
    Message,
    Model,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolChoice,
    ToolDefinition,
    check_allow_model_requests,
    to_messages,
)
from mastra_lab.llm.http import HTTPClient

__all__ = ["HTTPModel"]


class HTTPModel(Model):
    """Base of the providers that speak JSON over HTTP.

    A subclass sets the class attributes (``provider``, ``api_key_env``, ``base_url_env``,
    ``default_base_url``, ``path``, ``api_prefix``) and implements the translation hooks. Everything else —
    keys, retries, streaming, partial text on failure — is here.

    Args:
        model_name: The provider's model name (``gpt-4o-mini``).
        api_key: The key; defaults to the environment variable named by ``api_key_env``.
        base_url: API root; defaults to the ``base_url_env`` variable, then ``default_base_url``.
        max_retries: Retries after the first attempt (default: the global setting, 2).
        timeout: Seconds or an :class:`httpx.Timeout` (default: 600 s total, 5 s connect).
        settings: Default request settings (``temperature`` …) merged under each call's settings.
        http_options: Extra :class:`~mastra_lab.llm.http.HTTPClient` arguments (``client``, ``sleep``,
            ``clock``, ``random``), mainly for tests and benchmarks.
    """

    api_key_env: ClassVar[str | None] = None
    base_url_env: ClassVar[str | None] = None
    default_base_url: ClassVar[str] = ""
    api_key_required: ClassVar[bool] = True
    path: ClassVar[str] = ""
    """Where requests go, below ``default_base_url`` — the path the official SDK requests."""
    api_prefix: ClassVar[str] = ""
    """The leading part of ``path`` a base URL may already end with. The Anthropic and Groq SDKs take the bare
    host (``https://api.anthropic.com``) and request ``/v1/messages``; a base URL written with the version
    (``…/v1``) is accepted too, and then only the rest of the path is appended."""

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        max_retries: int | None = None,
        timeout: float | httpx.Timeout | None = None,
        settings: Mapping[str, Any] | None = None,
        http_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(model_name)
        self._api_key = Secret(api_key) if isinstance(api_key, str) else api_key
        self._base_url = base_url
        self._max_retries = max_retries
        self._timeout = timeout
        self.settings: dict[str, Any] = dict(settings or {})
        self._http_options = dict(http_options or {})
        self._http: HTTPClient | None = None

    @property
    def base_url(self) -> str:
        """The API root requests go to."""
        env = os.environ.get(self.base_url_env) if self.base_url_env else None
        return (self._base_url or env or self.default_base_url).rstrip("/")

    @property
    def endpoint(self) -> str:
        """The URL requests are posted to: the base URL plus the part of :attr:`path` it does not end with."""
        return self.base_url + self._request_path()

    def _request_path(self) -> str:
        base, prefix = self.base_url, self.api_prefix
        return self.path[len(prefix) :] if prefix and base.endswith(prefix) else self.path

    def _resolve_api_key(self) -> Secret | None:
        if self._api_key:
            return self._api_key
        value = os.environ.get(self.api_key_env) if self.api_key_env else None
        if value:
            return Secret(value)
        if not self.api_key_required:
            return None
        raise AuthenticationError(
            f"no API key for {self.provider}: set the {self.api_key_env} environment variable, "
            f"or pass api_key=... (get_model({self.id!r}, api_key=...))",
            code="PROVIDER_API_KEY_MISSING",
            details={"provider": self.provider, "env_var": self.api_key_env},
        )

    def _client(self) -> HTTPClient:
        """The HTTP client, built at first use (that is when a missing key is reported)."""
        if self._http is None:
            key = self._resolve_api_key()
            headers = self._headers(key)
            self._http = HTTPClient(
                self.provider,
                self.base_url,
                lambda: headers,
                api_key=key,
                max_retries=self._max_retries,
                timeout=self._timeout,
                **self._http_options,
            )
        return self._http

    # -- translation hooks ------------------------------------------------------------------------------

    def _headers(self, api_key: Secret | None) -> dict[str, str]:
        """Request headers, including authentication (the one place the key is revealed)."""
        raise NotImplementedError

    def _build_body(
        self,
        messages: list[Message],
        tools: list[ToolDefinition],
        tool_choice: ToolChoice,
        output_schema: dict[str, Any] | type[Any] | None,
        settings: dict[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        """The provider's request body."""
        raise NotImplementedError

    def _process_response(self, data: dict[str, Any], output_schema: Any) -> ModelResponse:
        """The provider's JSON answer as a :class:`ModelResponse` (``output_schema`` as requested)."""
        raise NotImplementedError

    def _process_stream(
        self, events: AsyncIterator[ServerSentEvent], output_schema: Any
    ) -> AsyncIterator[StreamEvent]:
        """The provider's server-sent events as our stream events (``output_schema`` as requested)."""
        raise NotImplementedError

    @contextmanager
    def _map_errors(self) -> Iterator[None]:
        """Refine generic provider errors (context length, tool failures); the default changes nothing."""
        yield

    # -- the Model seam -----------------------------------------------------------------------------------

    def _body(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None,
        tool_choice: ToolChoice,
        output_schema: dict[str, Any] | type[Any] | None,
        settings: Mapping[str, Any],
        stream: bool,
    ) -> dict[str, Any]:
        check_allow_model_requests()
        merged = {**self.settings, **settings}
        messages = to_messages(messages)
        record_request(self, messages, tools, tool_choice, output_schema, merged)
        return self._build_body(messages, list(tools or ()), tool_choice, output_schema, merged, stream)

    async def generate(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        **settings: Any,
    ) -> ModelResponse:
        """Send one request and return the whole answer (see :class:`~mastra_lab.llm.base.Model`)."""
        body = self._body(messages, tools, tool_choice, output_schema, settings, stream=False)
        with self._map_errors():
            data, _ = await self._client().post_json(self._request_path(), body)
            return self._process_response(data, output_schema)

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Yield events as they arrive, ending with a ``FinishEvent``.

        On a failure (before or during the stream) it yields an :class:`~mastra_lab.llm.base.ErrorEvent`
        carrying the text received so far, then raises the same error with
        ``error.details["partial_text"]`` set to that text.
        """
        body = self._body(messages, tools, tool_choice, output_schema, settings, stream=True)
        partial: list[str] = []
        try:
            with self._map_errors():
                async with self._client().stream_sse(self._request_path(), body) as events:
                    async for event in self._process_stream(events, output_schema):
                        if isinstance(event, TextDelta):
                            partial.append(event.text)
                        yield event
        except MastraError as exc:
            text = "".join(partial)
            exc.details["partial_text"] = text
            yield ErrorEvent(exc, text)
            raise
