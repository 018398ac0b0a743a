"""Settings from a JSON/TOML file and ``MASTRA_*`` environment variables, validated in one place.

Precedence, lowest first: defaults → file → environment. Environment variables are named after the setting's
path (``storage.backend`` ← ``MASTRA_STORAGE_BACKEND``); provider keys use the variables every SDK reads
(``OPENAI_API_KEY`` …). Validation is pydantic's, but its errors are turned into one :class:`ConfigError`
that names the setting, where it came from, the bad value and what is allowed — the three things needed to
fix it. Unknown keys in a file are errors (a typo would otherwise be ignored silently); unknown ``MASTRA_*``
variables are not, since other tools share the prefix.

A dump (``settings.model_dump()`` / ``model_dump_json()``) is for showing settings — in a notebook, a log, a
bug report — and for saving everything but the keys: an unset key dumps as ``None`` and loads back unset, a
set key dumps masked (``sk-…abcd``), and a masked key is refused on load, because sending it would only earn
a 401. Keys stay in the environment (or in a file you keep to yourself), which wins over a saved dump.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
)

from mastra_lab._secret import MASK, Secret
from mastra_lab.errors import ConfigError

__all__ = ["Settings", "StorageSettings", "TelemetrySettings", "load_settings"]


def _to_secret(value: Any, info: ValidationInfo) -> Any:
    if value is None or isinstance(value, Secret):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if MASK in value:
        env = _SECRET_ENV.get(info.field_name or "") or (
            "MASTRA_STORAGE_DSN" if info.field_name == "dsn" else "the provider's key variable"
        )
        raise ValueError(
            f"this is a masked key as a settings dump shows it ({value!r}), not a key; a dump never holds "
            f"keys: set the {env} environment variable, or put the real key here"
        )
    return Secret(value)


def _dump_secret(value: Secret | None) -> str | None:
    """A dump shows a key masked and leaves an unset key unset (``None``, never the string ``'None'``)."""
    return None if value is None else str(value)


SecretValue = Annotated[
    Secret | None, BeforeValidator(_to_secret), PlainSerializer(_dump_secret, return_type=str | None)
]


def _upper_level(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().upper()
        return "WARN" if value == "WARNING" else value
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class StorageSettings(_Section):
    """Which storage backend a :class:`~mastra_lab.Mastra` opens."""

    backend: Literal["duckdb", "sqlite", "memory", "postgres"] = "duckdb"
    path: str = ":memory:"
    read_only: bool = False
    dsn: SecretValue = None
    """The PostgreSQL server (``postgresql://user:password@host:5432/db``) for backend ``postgres``."""
    schema_name: str = "public"
    """The PostgreSQL schema that holds the tables (one database can serve several apps)."""


def _sampling(value: Any) -> Any:
    """``"always"``/``"never"`` or a ratio; a ratio from the environment arrives as text (``"0.25"``)."""
    if isinstance(value, str) and value.strip().lower() in ("always", "never"):
        return value.strip().lower()
    if isinstance(value, bool):
        raise ValueError('use "always", "never" or a ratio between 0 and 1 (e.g. 0.25)')
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        raise ValueError('use "always", "never" or a ratio between 0 and 1 (e.g. 0.25)') from None
    if not 0.0 <= ratio <= 1.0:  # also refuses NaN
        raise ValueError('use "always", "never" or a ratio between 0 and 1 (e.g. 0.25)')
    return ratio


def _names(value: Any) -> Any:
    """A list of names, or one comma-separated string of them (as an environment variable holds it)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _headers(value: Any) -> Any:
    """``{"name": "value"}`` or ``"name=value,name2=value2"`` (OpenTelemetry's form), values as secrets."""
    if value is None:
        return None
    if isinstance(value, str):
        pairs: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in value.split(","))):
            name, sep, val = part.partition("=")
            if not sep or not name.strip():
                raise ValueError(f"header {part!r} is not name=value")
            pairs[name.strip()] = val.strip()
        value = pairs
    if not isinstance(value, Mapping):
        raise ValueError('use {"name": "value"} or "name=value,name2=value2"')
    return {str(k): v if isinstance(v, Secret) else Secret(str(v)) for k, v in value.items()}


def _dump_headers(value: dict[str, Secret] | None) -> dict[str, str] | None:
    return None if value is None else {k: str(v) for k, v in value.items()}


class TelemetrySettings(_Section):
    """Whether spans are recorded, where they go (``storage`` keeps them local) and what they may hold.

    Attributes:
        enabled: ``False`` records nothing.
        exporter: ``storage`` (the default), ``console``, ``otlp`` (to ``otlp_endpoint``) or ``none``.
        capture_content: Keep prompts, completions and tool arguments in spans (off by default).
        sampling: ``"always"``, ``"never"`` or the ratio of traces kept.
        mask_fields: More key names whose values are masked (``MASTRA_TELEMETRY_MASK_FIELDS=ssn,email``).
        max_attribute_chars: Longest string kept in a span attribute.
        otlp_endpoint: Where the ``otlp`` exporter sends (an OTLP/HTTP traces URL).
        otlp_headers: Headers for it (``"authorization=Bearer …"``); secrets, masked in dumps.
        max_rows: Keep at most this many span rows in storage, deleting the oldest whole traces.
        flush_interval: Seconds between the storage exporter's background writes.
    """

    enabled: bool = True
    exporter: Literal["storage", "console", "otlp", "none"] = "storage"
    capture_content: bool = False
    sampling: Annotated[Literal["always", "never"] | float, BeforeValidator(_sampling)] = "always"
    mask_fields: Annotated[list[str], BeforeValidator(_names)] = []
    max_attribute_chars: Annotated[int, Field(gt=0)] = 4096
    otlp_endpoint: str | None = None
    otlp_headers: Annotated[
        dict[str, Secret] | None,
        BeforeValidator(_headers),
        PlainSerializer(_dump_headers, return_type=dict[str, str] | None),
    ] = None
    max_rows: Annotated[int | None, Field(ge=0)] = None
    flush_interval: Annotated[float, Field(gt=0)] = 1.0


class Settings(_Section):
    """Every setting, validated. Build it with :func:`load_settings` or ``Mastra.from_config``.

    ``model_dump()`` shows keys masked and cannot be loaded back as keys (see the module docstring).
    """

    storage: StorageSettings = StorageSettings()
    telemetry: TelemetrySettings = TelemetrySettings()
    log_level: Annotated[Literal["DEBUG", "INFO", "WARN", "ERROR", "NONE"], BeforeValidator(_upper_level)] = (
        "WARN"
    )
    log_format: Literal["pretty", "json"] = "pretty"
    default_model: str = "test"
    openai_api_key: SecretValue = None
    anthropic_api_key: SecretValue = None
    groq_api_key: SecretValue = None


_SECRET_ENV = {
    "openai_api_key": "OPENAI_API_KEY",
    "anthropic_api_key": "ANTHROPIC_API_KEY",
    "groq_api_key": "GROQ_API_KEY",
}


def _env_names(model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Map each setting's path to its environment variable."""
    names: dict[tuple[str, ...], str] = {}
    for name, info in model.model_fields.items():
        path = (*prefix, name)
        sub = info.annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            names.update(_env_names(sub, path))
        else:
            names[path] = _SECRET_ENV.get(name) or "MASTRA_" + "_".join(path).upper()
    return names


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            f"config file {str(path)!r} does not exist; pass the path of a .json or .toml file",
            code="CONFIG_FILE_MISSING",
            details={"path": str(path)},
        )
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix == ".json":
            data = json.loads(text)
        else:
            raise ConfigError(
                f"config file {str(path)!r} has suffix {path.suffix!r}; use .json or .toml",
                code="CONFIG_FILE_FORMAT",
                details={"path": str(path)},
            )
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"config file {str(path)!r} is not valid {path.suffix[1:].upper()}: {exc}",
            code="CONFIG_FILE_SYNTAX",
            details={"path": str(path)},
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold an object at the top level")
    return data


def _set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        existing = target.get(key)
        target[key] = dict(existing) if isinstance(existing, Mapping) else {}
        target = target[key]
    target[path[-1]] = value


def _error(exc: ValidationError, sources: dict[tuple[str, ...], str], origin: str) -> ConfigError:
    first = exc.errors()[0]
    path = tuple(str(p) for p in first["loc"])
    key = ".".join(path)
    source = sources.get(path, origin)
    if first["type"] == "extra_forbidden":
        parent: type[BaseModel] = Settings
        for part in path[:-1]:
            annotation = parent.model_fields[part].annotation
            assert isinstance(annotation, type)
            parent = annotation
        allowed = ", ".join(parent.model_fields)
        message = f"unknown setting {key!r} in {source}; known settings here: {allowed}"
    else:
        value = first.get("input")
        hidden = path[-1] in _SECRET_ENV or path[-1] == "dsn" or "otlp_headers" in path
        shown = "<secret>" if hidden else repr(value)
        message = f"invalid setting {key} = {shown} (from {source}): {first['msg']}"
    return ConfigError(
        message, code="CONFIG_INVALID", details={"key": key, "source": source, "reason": first["msg"]}
    )


def load_settings(
    source: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read settings from ``source`` (a file path or a dict) and the environment, and validate them.

    Args:
        source: A ``.json``/``.toml`` path, a dict of settings, or ``None`` to use the file named by
            ``MASTRA_CONFIG`` (if set) or defaults only.
        environ: The environment to read; ``os.environ`` by default (tests pass their own).

    Raises:
        ConfigError: A setting is invalid or unknown, or the file is missing or malformed.
    """
    env = os.environ if environ is None else environ
    sources: dict[tuple[str, ...], str] = {}
    if source is None and env.get("MASTRA_CONFIG"):
        source = env["MASTRA_CONFIG"]
    if source is None:
        data: dict[str, Any] = {}
        origin = "defaults"
    elif isinstance(source, Mapping):
        data = dict(source)  # _set_path copies nested sections before writing, so the caller's dict is safe
        origin = "config dict"
    else:
        data = _read_file(Path(source))
        origin = f"file {str(source)!r}"
    for path, var in _env_names().items():
        if var in env:
            _set_path(data, path, env[var])
            sources[path] = f"environment variable {var}"
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise _error(exc, sources, origin) from None
