"""The sensitive-data filter every span passes through before an exporter sees it.

It is always on, also when content capture is: a prompt may quote an API key, a tool may receive a token, an
error message may repeat an ``Authorization`` header. Keys that name credentials (``api_key``, ``token``,
``password`` …, compared case-insensitively with ``-`` and ``_`` treated alike, on the whole key and on its
last dotted part) have their values replaced by ``"***"``; so do :class:`~mastra_lab._secret.Secret`
values and strings that look like provider keys or bearer tokens. Long strings are cut to
``max_attribute_chars`` and a whole input or output to ``max_payload_chars``, each with a marker saying how
much was cut, so no span is ever megabytes.

It runs on every span, so the common case — a small dict of short strings and numbers — costs a dict walk:
a key's verdict is cached, and the credential pattern runs only on strings containing one of its prefixes.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from mastra_lab._secret import Secret
from mastra_lab.errors import MastraError

__all__ = ["MASK", "SENSITIVE_KEYS", "Redaction"]

MASK = "***"
SENSITIVE_KEYS = frozenset(
    {
        "api_key",
        "apikey",
        "authorization",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "cookie",
        "set_cookie",
        "x_api_key",
    }
)
"""Key names (normalised: lower case, ``-`` as ``_``) whose values are always masked."""

_CREDENTIAL = re.compile(
    r"\b(?:sk-ant-[A-Za-z0-9_\-]{8,}|sk-[A-Za-z0-9_\-]{8,}|gsk_[A-Za-z0-9]{8,})"
    r"|\bBearer\s+[A-Za-z0-9._~+/=\-]{8,}",
    re.IGNORECASE,
)
_SHORT = 64  # strings up to this long are cached, and never need cutting (limits are at least 64)
_MAX_DEPTH = 24
_SCALARS = (int, float, bool)
_EXACT = (int, bool)  # floats are checked: NaN and infinity are not JSON


def _normalise(key: str) -> str:
    return key.lower().replace("-", "_")


class Redaction:
    """What to mask and how long values may be; :class:`~mastra_lab.telemetry.Tracer` applies it to spans.

    Args:
        mask_fields: More key names to mask, on top of :data:`SENSITIVE_KEYS` (``["ssn", "email"]``).
        max_attribute_chars: Longest string kept in an attribute, event or inside a payload.
        max_payload_chars: Longest JSON text of a whole input or output; longer ones become a cut string.

    Raises:
        MastraError: ``TELEMETRY_BAD_REDACTION`` for a limit that is not a positive integer.
    """

    def __init__(
        self,
        mask_fields: Iterable[str] = (),
        *,
        max_attribute_chars: int = 4096,
        max_payload_chars: int = 16384,
    ) -> None:
        for name, limit in (
            ("max_attribute_chars", max_attribute_chars),
            ("max_payload_chars", max_payload_chars),
        ):
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < _SHORT:
                raise MastraError(
                    f"{name}={limit!r} is not an integer of at least {_SHORT}; "
                    "pass the longest length to keep, e.g. 4096",
                    code="TELEMETRY_BAD_REDACTION",
                    domain="telemetry",
                )
        if isinstance(mask_fields, str):
            mask_fields = [mask_fields]
        self.mask_fields = tuple(mask_fields)
        self.max_attribute_chars = max_attribute_chars
        self.max_payload_chars = max_payload_chars
        self._sensitive = SENSITIVE_KEYS | {_normalise(f) for f in self.mask_fields}
        self._verdicts: dict[str, bool] = {}
        self._strings: dict[str, str] = {}  # short strings recur (names, models, ids of kinds): clean once

    def __repr__(self) -> str:
        return (
            f"Redaction(mask_fields={list(self.mask_fields)!r}, "
            f"max_attribute_chars={self.max_attribute_chars}, max_payload_chars={self.max_payload_chars})"
        )

    def is_sensitive(self, key: str) -> bool:
        """Whether values under ``key`` are masked (``"X-Api-Key"``, ``"http.header.authorization"`` are)."""
        verdict = self._verdicts.get(key)
        if verdict is None:
            norm = _normalise(key)
            verdict = norm in self._sensitive or norm.rpartition(".")[2] in self._sensitive
            if len(self._verdicts) > 4096:  # keys are few in practice; a flood of distinct ones stays bounded
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

    def string(self, text: str) -> str:
        """``text`` with credential-looking parts masked, cut to ``max_attribute_chars`` with a marker."""
        short = len(text) <= _SHORT
        if short:
            cached = self._strings.get(text)
            if cached is not None:
                return cached
        clean = text
        if "sk-" in text or "gsk_" in text or "earer" in text or "SK-" in text or "EARER" in text:
            clean = _CREDENTIAL.sub(MASK, text)
        if short:
            if clean is text:  # only harmless strings are kept: the cache must not hold credentials
                if len(self._strings) > 4096:
                    self._strings.clear()
                self._strings[text] = clean
            return clean
        text = clean
        limit = self.max_attribute_chars
        if len(text) > limit:
            text = f"{text[:limit]}…[{len(text) - limit} chars cut]"
        return text

    def mapping(self, data: Mapping[Any, Any]) -> dict[str, Any]:
        """A JSON-ready copy of ``data`` with sensitive keys, secrets and credentials masked."""
        return self._mapping(data, 0)

    def value(self, value: Any) -> Any:
        """A JSON-ready copy of any value, masked and cut like :meth:`mapping`."""
        return self._value(value, 0)

    def payload(self, value: Any) -> Any:
        """:meth:`value`, then cut as a whole to ``max_payload_chars`` of JSON text (a string when cut)."""
        clean = self._value(value, 0)
        if clean is None or type(clean) in _SCALARS:
            return clean
        if type(clean) is str:
            text = clean
        else:
            text = json.dumps(clean, ensure_ascii=False)
            if len(text) <= self.max_payload_chars:
                return clean
        limit = self.max_payload_chars
        if len(text) <= limit:
            return clean
        return f"{text[:limit]}…[{len(text) - limit} of {len(text)} chars cut]"

    def _mapping(self, data: Mapping[Any, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        verdicts = self._verdicts
        for key, val in data.items():
            if type(key) is not str:
                key = str(key)
            sensitive = verdicts.get(key)
            if sensitive is None:
                sensitive = self.is_sensitive(key)
            if sensitive and val is not None:
                out[key] = MASK
            elif type(val) is str:
                out[key] = self.string(val)
            elif val is None or type(val) in _EXACT:
                out[key] = val
            else:
                out[key] = self._value(val, depth + 1)
        return out

    def _value(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is str:
            return self.string(value)
        if value is None or kind in _EXACT:
            return value
        if kind is float:
            return value if math.isfinite(value) else str(value)
        if depth > _MAX_DEPTH:
            return self.string(repr(value))
        if isinstance(value, Secret):
            return MASK
        if isinstance(value, Mapping):
            return self._mapping(value, depth)
        if isinstance(value, list | tuple | set | frozenset):
            return [self._value(v, depth + 1) for v in value]
        return self._other(value, depth)

    def _other(self, value: Any, depth: int) -> Any:
        """Values that are not plain JSON: str/int subclasses, dates, bytes, dataclasses, pydantic models."""
        if isinstance(value, str):  # a str subclass (an enum member …)
            return self.string(str(value))
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else str(value)
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, bytes | bytearray):
            return f"<{len(value)} bytes>"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._mapping({f.name: getattr(value, f.name) for f in dataclasses.fields(value)}, depth)
        dump = getattr(value, "model_dump", None)
        if callable(dump):
            return self._value(dump(mode="json"), depth + 1)
        return self.string(repr(value))
