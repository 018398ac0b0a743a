"""Any OpenAI-compatible server: Ollama, vLLM, LM Studio, llama.cpp's server, LiteLLM proxies.

They all speak OpenAI Chat Completions, so :class:`CompatModel` is :class:`~mastra_lab.llm.openai.OpenAIModel`
with a different default base URL (Ollama's ``http://localhost:11434/v1``), an optional key, and the classic
``max_tokens`` field. Use it as ``get_model("compat:llama3.2", base_url="http://localhost:11434/v1")``.
"""

from __future__ import annotations

from typing import ClassVar

from mastra_lab.llm.openai import OpenAIModel, OpenAISettings

__all__ = ["CompatModel", "CompatSettings"]


class CompatSettings(OpenAISettings, total=False):
    """The OpenAI settings; what a given server honours is up to it."""


class CompatModel(OpenAIModel):
    """An OpenAI-compatible server (``compat:llama3.2``).

    Args:
        model_name: The name the server knows the model by.
        **kwargs: ``base_url`` (default ``MASTRA_COMPAT_BASE_URL`` or ``http://localhost:11434/v1``),
            ``api_key`` (optional; default ``MASTRA_COMPAT_API_KEY``), ``max_retries``, ``timeout``,
            ``settings``, ``http_options``.
    """

    provider = "compat"
    api_key_env: ClassVar[str | None] = "MASTRA_COMPAT_API_KEY"
    base_url_env: ClassVar[str | None] = "MASTRA_COMPAT_BASE_URL"
    default_base_url: ClassVar[str] = "http://localhost:11434/v1"
    api_key_required: ClassVar[bool] = False
    max_tokens_field: ClassVar[str] = "max_tokens"
