"""Groq: the OpenAI Chat Completions format at ``https://api.groq.com/openai/v1``, with two differences.

As in Groq's SDK, the base URL is the host (``https://api.groq.com``, or ``GROQ_BASE_URL``) and requests go to
``/openai/v1/chat/completions`` below it; a base URL that already ends in ``/openai/v1`` works too.

Everything shared with OpenAI is inherited from :class:`~mastra_lab.llm.openai.OpenAIModel`; this module
only adds what Groq does differently:

* usage may arrive in ``x_groq.usage`` (on the last stream chunk) instead of ``usage``;
* when a model produces a malformed tool call, Groq answers ``400`` (or, mid-stream, an ``error`` chunk) with
  code ``tool_use_failed`` and the model's raw output in ``failed_generation``. That is surfaced as
  :class:`~mastra_lab.errors.ToolError` with ``code="TOOL_USE_FAILED"`` and ``details["failed_generation"]``,
  so the agent loop can send the problem back to the model and try again, like any other bad tool call.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from mastra_lab.errors import ProviderError, ToolError
from mastra_lab.llm.base import Usage
from mastra_lab.llm.openai import OpenAIModel, OpenAISettings, _map_usage

__all__ = ["GroqModel", "GroqSettings"]


class GroqSettings(OpenAISettings, total=False):
    """Groq accepts the OpenAI settings (unsupported ones are rejected by Groq with a 400)."""


def _usage_of(data: dict[str, Any]) -> Usage | None:
    """``usage``, or Groq's ``x_groq.usage`` (where streamed answers carry it); ``None`` if neither."""
    usage = data.get("usage") or (data.get("x_groq") or {}).get("usage")
    return _map_usage(usage) if usage else None


@contextmanager
def _map_errors() -> Iterator[None]:
    """``400 tool_use_failed`` becomes a :class:`ToolError` the agent loop can feed back."""
    try:
        yield
    except ProviderError as exc:
        error = exc.details.get("error") or {}
        if "tool_use_failed" in (exc.details.get("error_code"), error.get("code")):
            raise ToolError(
                "the model produced a tool call Groq could not parse (tool_use_failed); "
                "send the error back to the model and ask it to call the tool again with valid JSON",
                code="TOOL_USE_FAILED",
                details={**exc.details, "failed_generation": error.get("failed_generation")},
            ) from exc
        raise


class GroqModel(OpenAIModel):
    """Groq (``groq:llama-3.3-70b-versatile``).

    Args:
        model_name: A Groq model name.
        **kwargs: ``api_key`` (default ``GROQ_API_KEY``), ``base_url`` (default ``GROQ_BASE_URL`` or
            ``https://api.groq.com``, as in Groq's SDK; a URL ending in ``/openai/v1`` works too),
            ``max_retries``, ``timeout``, ``settings``, ``http_options``.
    """

    provider = "groq"
    api_key_env: ClassVar[str | None] = "GROQ_API_KEY"
    base_url_env: ClassVar[str | None] = "GROQ_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.groq.com"
    path: ClassVar[str] = "/openai/v1/chat/completions"
    api_prefix: ClassVar[str] = "/openai/v1"
    max_tokens_field: ClassVar[str] = "max_tokens"

    def _usage_of(self, data: dict[str, Any]) -> Usage | None:
        return _usage_of(data)

    @contextmanager
    def _map_errors(self) -> Iterator[None]:
        with super()._map_errors(), _map_errors():
            yield
