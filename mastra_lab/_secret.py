"""A holder for API keys that never shows them.

Keys travel through config, providers and error paths; keeping them in :class:`Secret` means ``repr``,
``str``, logs and f-strings print ``sk-…abcd`` at most, and only :meth:`Secret.reveal` gives the value
(used exactly where a request header is built).
"""

from __future__ import annotations

__all__ = ["MASK", "Secret", "mask"]

MASK = "…"
"""Stands for the hidden part of a masked secret; no real key contains it, so masked values stand out."""


def mask(value: str) -> str:
    """Show at most a recognisable prefix and the last four characters: ``sk-…abcd``.

    Short values are masked entirely, since four characters of an eight-character key are half the key.
    """
    if len(value) < 12:
        return MASK
    prefix = value[:3] if value[:3].endswith("-") else ""
    return f"{prefix}{MASK}{value[-4:]}"


class Secret:
    """A secret string; compare and hash it like a string, but it prints masked."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a secret must be a str, got {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself: call only where it is sent to its owner (an HTTP header)."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({mask(self._value)!r})"

    def __str__(self) -> str:
        return mask(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)
