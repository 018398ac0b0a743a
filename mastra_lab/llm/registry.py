"""Model ids (``provider:model``) to :class:`~mastra_lab.llm.base.Model` instances.

Built-in providers are imported only when first used, so ``import mastra_lab`` stays light. Third-party
packages add providers without touching this code, either by calling :func:`register_provider` or by
declaring an entry point in the ``mastra_lab.providers`` group::

    [project.entry-points."mastra_lab.providers"]
    myprovider = "my_package.models:make_model"   # make_model(model_name, **kwargs) -> Model
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from mastra_lab.errors import ConfigError
from mastra_lab.llm.base import Model

__all__ = ["ENTRY_POINT_GROUP", "ProviderFactory", "get_model", "list_providers", "register_provider"]

ENTRY_POINT_GROUP = "mastra_lab.providers"

ProviderFactory = Callable[..., Model]
"""``factory(model_name, **kwargs) -> Model``."""

_BUILTIN: dict[str, str] = {
    "openai": "mastra_lab.llm.openai:OpenAIModel",
    "anthropic": "mastra_lab.llm.anthropic:AnthropicModel",
    "groq": "mastra_lab.llm.groq:GroqModel",
    "compat": "mastra_lab.llm.compat:CompatModel",
    "test": "mastra_lab.llm.testing:make_test_model",
}
"""Built-in provider → ``module:factory``, imported at first use."""
_NAMELESS = frozenset({"test"})
"""Providers whose ids may leave out the model name (``"test"``)."""
_registered: dict[str, ProviderFactory] = {}
_entry_points_loaded = False


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Make ``get_model("name:…")`` call ``factory(model_name, **kwargs)``.

    Args:
        name: The provider prefix of model ids (letters, digits, ``_`` and ``-``).
        factory: A callable returning a :class:`~mastra_lab.llm.base.Model`; registering a name again
            replaces the previous factory (built-in names included).
    """
    if not name or ":" in name or not name.replace("-", "").replace("_", "").isalnum():
        raise ConfigError(
            f"invalid provider name {name!r}; use letters, digits, '_' or '-' (no ':')",
            code="CONFIG_PROVIDER_NAME",
        )
    if not callable(factory):
        raise ConfigError(
            f"the factory for provider {name!r} is not callable: {factory!r}", code="CONFIG_PROVIDER"
        )
    _registered[name] = factory


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name not in _registered:
            _registered[ep.name] = _lazy_entry_point(ep.name, ep.load)


def _lazy_entry_point(name: str, load: Callable[[], Any]) -> ProviderFactory:
    def factory(model_name: str, **kwargs: Any) -> Model:
        try:
            target = load()
        except Exception as exc:
            raise ConfigError(
                f"the provider plugin {name!r} ({ENTRY_POINT_GROUP!r} entry point) failed to load: {exc}; "
                "reinstall the package that provides it",
                code="CONFIG_PROVIDER_PLUGIN",
            ) from exc
        return target(model_name, **kwargs)  # type: ignore[no-any-return]

    return factory


def list_providers() -> list[str]:
    """Every provider name :func:`get_model` accepts: built-ins (``test`` too), registered and plugin ones."""
    _load_entry_points()
    return sorted({*_BUILTIN, *_registered})


def _factory(provider: str) -> ProviderFactory | None:
    if provider in _registered:
        return _registered[provider]
    if provider in _BUILTIN:
        module, _, attr = _BUILTIN[provider].partition(":")
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    _load_entry_points()
    return _registered.get(provider)


def get_model(model: str | Model, **kwargs: Any) -> Model:
    """The model for an id like ``"openai:gpt-4o-mini"``; a :class:`Model` instance is returned unchanged.

    Args:
        model: ``openai:…``, ``anthropic:…``, ``groq:…``, ``compat:MODEL`` (with ``base_url=``), ``test``,
            or ``name:…`` for a registered or plugin provider.
        **kwargs: Passed to the provider's constructor (``api_key``, ``base_url``, ``max_retries``,
            ``timeout``, ``settings`` …).

    Example:
        ```python
        from mastra_lab.llm import get_model

        model = get_model("compat:llama3.2", base_url="http://localhost:11434/v1")
        assert model.id == "compat:llama3.2"
        ```
    """
    if isinstance(model, Model):
        return model
    if not isinstance(model, str):
        raise ConfigError(
            f"a model id must be a string like 'openai:gpt-4o-mini', got {model!r}", code="CONFIG_MODEL"
        )
    provider, sep, name = model.partition(":")
    factory = _factory(provider)
    if factory is None:
        raise ConfigError(
            f"unknown model provider {provider!r} in {model!r}; known: {', '.join(list_providers())} "
            f"(or register one with register_provider() / the {ENTRY_POINT_GROUP!r} entry point group)",
            code="CONFIG_UNKNOWN_PROVIDER",
            details={"model": model, "known": list_providers()},
        )
    if provider in _NAMELESS:
        return factory(name, **kwargs)
    if not sep:
        raise ConfigError(
            f"model id {model!r} has no model name; write '{provider}:MODEL', e.g. 'openai:gpt-4o-mini'",
            code="CONFIG_MODEL",
        )
    if not name:
        raise ConfigError(f"model id {model!r} has an empty model name after ':'", code="CONFIG_MODEL")
    return factory(name, **kwargs)
