"""Python ``re`` patterns (as the filter parser leaves them) rewritten for PostgreSQL's regular expressions.

The filter parser folds ``$options`` into a scoped group ``(?ims:...)``, which Python and RE2 read but
PostgreSQL's engine (Spencer's ARE) does not: it takes flags only at the very start, as ``(?...)``, and
its flags do not mean the same. This module unfolds the group and rewrites what differs, so a ``$regex``
evaluated in PostgreSQL matches exactly the strings Python's :func:`re.search` does:

* ``.`` matches a newline only with ``s``; elsewhere it becomes ``[^\\n]`` (PostgreSQL's own dot always
  matches one by default).
* ``^`` and ``$`` at every line with ``m``: PostgreSQL's ``w`` flag, which leaves ``.`` and bracket
  expressions alone.
* ``$`` without ``m`` also matches before a final newline, as in Python: ``(?=\\n?\\Z)``.
* ``\\b`` and ``\\B`` (word boundaries) are PostgreSQL's ``\\y`` and ``\\Y``.
* ``i`` is PostgreSQL's ``i``.

Flags inside the pattern (``a(?i:b)``) have no PostgreSQL equivalent and raise :class:`FilterError`.
Anything else passes through unchanged: character classes, quantifiers, groups, ``\\d \\w \\s``, look-arounds
and back-references mean the same in both.
"""

from __future__ import annotations

import re

from mastra_lab.errors import FilterError

__all__ = ["postgres_regex"]

_GLOBAL_FLAGS = re.compile(r"^\(\?([ims]+)\)")
_SCOPED_FLAGS = re.compile(r"^\(\?([ims]+):")
_INLINE_FLAGS = re.compile(r"\?[a-zA-Z-]+[:)]")


def postgres_regex(pattern: str) -> str:
    """``pattern`` (Python syntax, ``x`` already applied) as a PostgreSQL ARE with the same matches."""
    flags, body = _unfold(pattern)
    out: list[str] = []
    at = 0
    for token, in_class in _tokens(body):
        at += len(token)
        if token == "(" and not in_class and _INLINE_FLAGS.match(body, at):
            raise FilterError(
                f"$regex {pattern!r}: PostgreSQL takes flags only for the whole pattern; drop the inline "
                "(?...) group and pass the flags as $options (e.g. {'$regex': 'ab', '$options': 'i'})",
                code="VECTOR_FILTER_INVALID",
                details={"filter": pattern[:200]},
            )
        if in_class:
            out.append(token)
        elif token in ("\\b", "\\B"):
            out.append("\\y" if token == "\\b" else "\\Y")
        elif token == "." and "s" not in flags:
            out.append("[^\\n]")
        elif token == "$" and "m" not in flags:
            out.append("(?=\\n?\\Z)")
        else:
            out.append(token)
    options = ("i" if "i" in flags else "") + ("w" if "m" in flags else "")
    return (f"(?{options})" if options else "") + "".join(out)


def _tokens(pattern: str) -> list[tuple[str, bool]]:
    """The pattern as ``(token, inside a character class)`` pairs: an escape (``\\x``) or one character.
    The ``[`` opening a class counts as outside, its closing ``]`` as inside."""
    out: list[tuple[str, bool]] = []
    i, n, first = 0, len(pattern), -1  # first: where a class's body starts (a ``]`` there is literal)
    while i < n:
        ch = pattern[i]
        token = pattern[i : i + 2] if ch == "\\" and i + 1 < n else ch
        if first >= 0:
            out.append((token, True))
            if token == "]" and i > first:
                first = -1
        else:
            out.append((token, False))
            if token == "[":
                first = i + 2 if pattern.startswith("[^", i) else i + 1
                if first == i + 2:
                    out.append(("^", True))
                    i += 1
        i += len(token)
    return out


def _unfold(pattern: str) -> tuple[str, str]:
    """``(flags, body)``: the flags of a leading ``(?ims)`` or of a ``(?ims:...)`` spanning the whole
    pattern, and what they apply to."""
    found = _GLOBAL_FLAGS.match(pattern)
    if found:
        return found.group(1), pattern[found.end() :]
    found = _SCOPED_FLAGS.match(pattern)
    if found and _group_end(pattern, found.end()) == len(pattern) - 1:
        return found.group(1), pattern[found.end() : -1]
    return "", pattern


def _group_end(pattern: str, start: int) -> int:
    """Index of the ``)`` closing the group whose body starts at ``start`` (-1 if none)."""
    depth, at = 1, 0
    for token, in_class in _tokens(pattern):
        if at >= start and not in_class:
            depth += {"(": 1, ")": -1}.get(token, 0)
            if depth == 0:
                return at
        at += len(token)
    return -1
