"""OpenAI embeddings: translate texts to the ``/embeddings`` wire format and back.

This module only translates; HTTP, retries and the mapping of statuses to errors live in
:mod:`mastra_lab.llm.http`, and a context-length 400 is refined by the same
:func:`~mastra_lab.llm.http.context_length_errors` as chat models, since both speak OpenAI's error format.
It is imported at first request, so importing the embedder stays light.
The key comes from the argument, then ``OPENAI_API_KEY``, and is held as a :class:`~mastra_lab._secret.Secret`
revealed only where the ``Authorization`` header is built. Any OpenAI-compatible server works through
``base_url``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mastra_lab import _runtime
from mastra_lab._secret import Secret
from mastra_lab.embed.base import Embedder
from mastra_lab.errors import AuthenticationError, ConfigError, MastraError, ProviderError
from mastra_lab.telemetry import get_logger

if TYPE_CHECKING:
    from mastra_lab.llm.http import HTTPClient

__all__ = ["OpenAIEmbedder"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_KNOWN_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
_EXCERPT = 300
_CONTEXT_HINT = "shorten the texts (chunk them smaller)"
_log = get_logger("embed.openai")


class OpenAIEmbedder(Embedder):
    """Embeddings from OpenAI (or any server speaking its ``/embeddings`` API).

    Requests go through :class:`~mastra_lab.llm.http.HTTPClient`: failed requests are retried like the
    official SDK does (429, 5xx, timeouts; honouring ``retry-after``), and every request is refused while
    ``mastra_lab.llm.base.ALLOW_MODEL_REQUESTS`` is ``False``.

    Args:
        model: The embedding model name.
        api_key: The API key; defaults to the ``OPENAI_API_KEY`` environment variable (read at first use).
        base_url: API root, defaults to ``https://api.openai.com/v1`` (``OPENAI_BASE_URL`` if set).
        dimensions: Ask the model for shorter vectors (``text-embedding-3-*`` only); also sets
            :attr:`dimension`, which must be given for models not in the built-in table.
        batch_size: Texts per request (OpenAI accepts up to 2048).
        timeout: Seconds per request.
        max_retries: Retries after the first attempt (default: the global setting, 2; see
            :func:`~mastra_lab.llm.http.configure_http`).
        http_options: Extra :class:`~mastra_lab.llm.http.HTTPClient` arguments (``client``, ``sleep``,
            ``clock``, ``random``), mainly for tests and benchmarks.
    """

    def __init__(
        self,
        model: str = "text-embedding-3-small",
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        dimensions: int | None = None,
        batch_size: int = 256,
        timeout: float = 60.0,
        max_retries: int | None = None,
        http_options: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(batch_size, int) or not 1 <= batch_size <= 2048:
            raise ConfigError(
                f"OpenAIEmbedder batch_size must be an int in 1..2048, got {batch_size!r}; try 256",
                code="EMBED_BATCH_SIZE",
            )
        if dimensions is not None and (not isinstance(dimensions, int) or dimensions <= 0):
            raise ConfigError(
                f"OpenAIEmbedder dimensions must be a positive int or None, got {dimensions!r}",
                code="EMBED_DIMENSION",
            )
        if max_retries is not None and (not isinstance(max_retries, int) or max_retries < 0):
            raise ConfigError(
                f"OpenAIEmbedder max_retries must be an int >= 0 or None, got {max_retries!r}; try 2",
                code="EMBED_MAX_RETRIES",
            )
        self.model = model
        self.dimensions = dimensions
        self.name = f"openai:{model}" + ("" if dimensions is None else f",dimensions={dimensions}")
        self.batch_size = batch_size
        self.timeout = timeout
        self.max_retries = max_retries
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = api_key if isinstance(api_key, Secret) or api_key is None else Secret(api_key)
        self._http_options = dict(http_options or {})
        self._http: HTTPClient | None = None

    def __repr__(self) -> str:
        extra = f", dimensions={self.dimensions}" if self.dimensions is not None else ""
        return f"OpenAIEmbedder(model={self.model!r}{extra})"

    @property
    def dimension(self) -> int:  # type: ignore[override]
        """Width of the vectors: ``dimensions`` if given, else the model's known size."""
        if self.dimensions is not None:
            return self.dimensions
        try:
            return _KNOWN_DIMENSIONS[self.model]
        except KeyError:
            raise ConfigError(
                f"the vector size of model {self.model!r} is not known; pass dimensions=N "
                f"(known models: {', '.join(sorted(_KNOWN_DIMENSIONS))})",
                code="EMBED_DIMENSION",
            ) from None

    def _key(self) -> Secret:
        key = self._api_key or Secret(os.environ.get("OPENAI_API_KEY", ""))
        if not key:
            raise AuthenticationError(
                "no OpenAI API key: set the OPENAI_API_KEY environment variable "
                "or pass OpenAIEmbedder(api_key=...)",
                code="PROVIDER_MISSING_KEY",
                category="user",
                details={"provider": "openai"},
            )
        return key

    def _client(self) -> HTTPClient:
        """The shared retrying client, built at first use (that is when a missing key is reported)."""
        if self._http is None:
            from mastra_lab.llm.http import HTTPClient

            key = self._key()
            headers = {"authorization": f"Bearer {key.reveal()}"}
            self._http = HTTPClient(
                "openai",
                self.base_url,
                lambda: headers,
                api_key=key,
                max_retries=self.max_retries,
                timeout=self.timeout,
                **self._http_options,
            )
        return self._http

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` (blocking; works in scripts and inside Jupyter's running loop).

        Args:
            texts: The strings to embed; none may be empty (OpenAI rejects empty inputs).
        """
        return _runtime.run_sync(self.aembed(texts))

    async def aembed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` with one request per ``batch_size`` texts, rows in input order.

        Args:
            texts: The strings to embed; none may be empty (OpenAI rejects empty inputs).
        """
        items = self._check_texts(texts)
        for i, text in enumerate(items):
            if not text:
                raise MastraError(
                    f"texts[{i}] is an empty string, which the OpenAI embeddings API rejects; drop it first",
                    code="EMBED_EMPTY_INPUT",
                    domain="embed",
                    details={"index": i},
                )
        if not items:
            return self._empty()
        from mastra_lab.llm.http import context_length_errors

        client = self._client()
        rows: list[list[float]] = []
        for lo in range(0, len(items), self.batch_size):
            batch = items[lo : lo + self.batch_size]
            payload: dict[str, Any] = {"model": self.model, "input": batch, "encoding_format": "float"}
            if self.dimensions is not None:
                payload["dimensions"] = self.dimensions
            _log.debug("embeddings request", extra={"mastra": {"model": self.model, "inputs": len(batch)}})
            with context_length_errors(_CONTEXT_HINT):
                body, _ = await client.post_json("/embeddings", payload)
            rows.extend(_process_response(body, len(batch)))
        return self._to_matrix(rows)

    def _to_matrix(self, rows: list[list[float]]) -> npt.NDArray[np.float32]:
        """The rows as one float32 matrix, refusing ragged rows or a width other than :attr:`dimension`."""
        try:
            out = np.asarray(rows, dtype=np.float32)
        except ValueError:
            out = np.empty(0, dtype=np.float32)
        widths = sorted({len(r) for r in rows})
        expected = self.dimensions if self.dimensions is not None else _KNOWN_DIMENSIONS.get(self.model)
        if out.ndim != 2 or (expected is not None and widths != [expected]):
            raise ProviderError(
                f"OpenAI embeddings for model {self.model!r} came back with widths {widths}, expected "
                f"{expected if expected is not None else 'one width'}; check model= and dimensions=",
                details={"provider": "openai", "widths": widths},
            )
        return np.ascontiguousarray(out)


def _process_response(body: Any, expected: int) -> list[list[float]]:
    """The ``data`` vectors of one response, reordered by their ``index``."""
    try:
        data = sorted(body["data"], key=lambda item: item["index"])
        vectors = [item["embedding"] for item in data]
    except (KeyError, TypeError) as exc:
        raise ProviderError(
            f"OpenAI embeddings response is missing data[].index/embedding: {str(body)[:_EXCERPT]!r}",
            details={"provider": "openai"},
        ) from exc
    if len(vectors) != expected:
        raise ProviderError(
            f"OpenAI embeddings response has {len(vectors)} vectors for {expected} inputs",
            details={"provider": "openai"},
        )
    return vectors
