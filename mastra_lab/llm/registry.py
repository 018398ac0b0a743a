"""Model ids (``provider:model``) to :class:`~mastra_lab.llm.base.Model` instances.

Built-in providers are imported only when first used, so ``import mastra_lab`` stays light. Third-party
packages add providers without touching this code, either by calling :func:`register_provider` or by
declaring an entry point in the ``mastra_lab.providers`` group::

    [project.entry-points."mastra_lab.providers"]
    myprovider = "my_package.models:make_model"   # make_model(model_name, **kwargs) -> Model

:func:`provider_status` says which providers can be used right now and which key variable each reads,
without ever reading a key's value into its answer.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from mastra_lab.errors import ConfigError
from mastra_lab.llm.base import Model

if TYPE_CHECKING:
    from mastra_lab.config import Settings

__all__ = [
    "ENTRY_POINT_GROUP",
    "ProviderFactory",
    "ProviderStatus",
    "get_model",
    "list_providers",
    "provider_status",
    "register_provider",
]

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
_OFFLINE = frozenset({"test"})
"""Built-in providers that never leave the process, so they need neither key nor network."""
_EXAMPLES: dict[str, str] = {
    "openai": "openai:gpt-4o-mini",
    "anthropic": "anthropic:claude-3-5-haiku-latest",
    "groq": "groq:llama-3.3-70b-versatile",
    "compat": "compat:llama3.2",
    "test": "test",
}
"""A model id to start from, per built-in provider."""
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


@dataclass(frozen=True)
class ProviderStatus:
    """Whether one provider can be used now, and what it reads from the environment.

    It names the key variable and says whether it is set; the key itself is never read into it.
    """

    name: str
    """The provider prefix of model ids (``openai``)."""
    usable: bool | None
    """``True`` when a request can be built now, ``False`` when a required key is missing, ``None`` when
    that cannot be told (a plugin, whose needs are its own)."""
    note: str
    """Why: ``key set ($OPENAI_API_KEY)``, ``no key needed``, ``OPENAI_API_KEY is not set`` …"""
    key_env: str | None = None
    """The environment variable the API key is read from, if the provider uses one."""
    key_set: bool = False
    """Whether that variable (or the configured settings) holds a key."""
    base_url_env: str | None = None
    """The environment variable that overrides the API root, if any."""
    base_url: str | None = None
    """Where requests go, without any user, password or query part the URL may carry."""
    example: str = ""
    """A model id to try (``openai:gpt-4o-mini``)."""


def _public_url(url: str) -> str:
    """``url`` without credentials or query, which some proxies use to carry keys."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _status_of(
    name: str, factory: Any, settings: Settings | None, environ: Mapping[str, str]
) -> ProviderStatus:
    example = _EXAMPLES.get(name, f"{name}:MODEL")
    if name in _OFFLINE and name not in _registered:
        return ProviderStatus(name, True, "offline, no key needed", example=example)
    if not (isinstance(factory, type) and issubclass(factory, Model)):
        return ProviderStatus(name, None, "plugin: whether it needs a key is up to it", example=example)
    key_env = getattr(factory, "api_key_env", None)
    base_url_env = getattr(factory, "base_url_env", None)
    base = (environ.get(base_url_env) if base_url_env else None) or getattr(factory, "default_base_url", "")
    in_env = bool(key_env and environ.get(key_env))
    in_settings = bool(settings is not None and getattr(settings, f"{name}_api_key", None))
    required = bool(key_env) and getattr(factory, "api_key_required", True)
    if in_env:
        usable, note = True, f"key set (${key_env})"
    elif in_settings:
        usable, note = True, "key set (configuration)"
    elif not required:
        usable, note = True, "no key needed"
    else:
        usable, note = False, f"{key_env} is not set"
    return ProviderStatus(
        name,
        usable,
        note,
        key_env=key_env,
        key_set=in_env or in_settings,
        base_url_env=base_url_env,
        base_url=_public_url(base) if base else None,
        example=example,
    )


def provider_status(
    settings: Settings | None = None, environ: Mapping[str, str] | None = None
) -> list[ProviderStatus]:
    """Every provider :func:`get_model` knows, each with whether it is usable now and why, by name.

    Args:
        settings: Configured settings (``Mastra.settings``) whose ``<provider>_api_key`` counts as a key.
        environ: The environment to read (default ``os.environ``).

    Example:
        ```python
        from mastra_lab.llm.registry import provider_status

        status = {s.name: s for s in provider_status(environ={})}
        assert status["openai"].key_env == "OPENAI_API_KEY" and status["openai"].usable is False
        assert status["test"].usable is True
        ```
    """
    env = os.environ if environ is None else environ
    return [_status_of(name, _factory(name), settings, env) for name in list_providers()]
