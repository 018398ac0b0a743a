"""The values people type into magics and panel boxes: durations (``7d``, ``12h``, ``1d12h``) and scores.

A magic and a panel that take the same value parse it the same way, so ``--half-life 7d`` and a panel's
"half-life" box agree on what ``7d`` means and reject the same mistakes with the same sentence. The parsers
raise :class:`~mastra_lab.errors.MastraError` (a panel shows its message as its error line);
:func:`argparse_type` turns one into an argparse ``type=`` whose error becomes the command's one-line
``UsageError``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from mastra_lab.errors import MastraError

__all__ = ["argparse_type", "format_duration", "parse_count", "parse_duration", "parse_score"]

T = TypeVar("T")

_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1)}
_UNITS |= {"m": timedelta(minutes=1), "s": timedelta(seconds=1)}
_PART = re.compile(r"(\d+(?:\.\d+)?)([wdhms])")
_DURATION_HINT = "write a number and a unit: 7d, 12h, 30m, 90s, 2w or 1d12h"


def _bad(message: str) -> MastraError:
    return MastraError(message, code="LAB_BAD_VALUE")


def parse_duration(text: str) -> timedelta:
    """``"7d"`` → ``timedelta(days=7)``; units w, d, h, m, s, combinable (``1d12h``); must be positive.

    Args:
        text: What was typed.
    """
    compact = "".join(str(text).split()).lower()
    if not compact or _PART.sub("", compact):
        raise _bad(f"{text!r} is not a duration; {_DURATION_HINT}")
    total = sum((float(n) * _UNITS[u] for n, u in _PART.findall(compact)), timedelta(0))
    if total <= timedelta(0):
        raise _bad(f"the duration {text!r} is zero; {_DURATION_HINT}")
    return total


def format_duration(value: timedelta) -> str:
    """``timedelta(days=1, hours=12)`` → ``"1d12h"``: the form :func:`parse_duration` reads back."""
    seconds = round(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_score(text: str | float) -> float:
    """A score threshold in [0, 1] (``0.1``), from text or a number.

    Args:
        text: What was typed.
    """
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise _bad(f"{text!r} is not a score; give a number between 0 and 1, e.g. 0.1") from None
    if not 0.0 <= value <= 1.0:
        raise _bad(f"the score {text!r} is outside 0..1; give a number between 0 and 1, e.g. 0.1")
    return value


def parse_count(text: str | int) -> int:
    """A whole number ≥ 0 (``--keep-last 10``).

    Args:
        text: What was typed.
    """
    try:
        value = int(str(text).strip())
    except ValueError:
        raise _bad(f"{text!r} is not a whole number; give 0 or more, e.g. 10") from None
    if value < 0:
        raise _bad(f"{text!r} is negative; give 0 or more, e.g. 10")
    return value


def argparse_type(parse: Callable[[str], T]) -> Callable[[str], T]:
    """``parse`` as an argparse ``type=``: its error message becomes the command's usage error."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except MastraError as exc:
            raise argparse.ArgumentTypeError(exc.message) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert
