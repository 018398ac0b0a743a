"""One parser for the Mongo-style metadata filter language, and its reference semantics.

Every vector store accepts the same filters, so they are parsed and validated in exactly one place into a
small AST (:class:`Cond`, :class:`And`, :class:`Or`, :class:`Nor`, :class:`Not`, :class:`ElemMatch`).
Back-ends compile that AST: :func:`matches` here is the reference (one document at a time), ``_filter_np``
evaluates it vectorised over the typed metadata columns each index keeps current, ``_filter_sql`` turns it
into DuckDB SQL over a JSON column or PostgreSQL SQL over ``jsonb``, with bound parameters. Property tests
prove the back-ends agree.

Semantics (document = the metadata object of one vector):

* ``{"field": value}`` is ``{"field": {"$eq": value}}``; several keys in one object are ANDed.
* Dot paths (``"a.b"``) reach into nested objects; a path through a non-object is *missing*.
* Like MongoDB, a field holding an array matches a scalar condition if *any element* does
  (``{"tags": "x"}`` matches ``{"tags": ["x", "y"]}``); ``$eq: None`` matches null *and* missing fields;
  ``$ne``/``$nin``/``$not`` match missing fields.
* ``$gt $gte $lt $lte`` compare numbers with numbers and strings with strings (code-point order); other
  types never match. Booleans are not numbers. Arrays and objects are equal when their canonical JSON is.
* ``$exists``: the path is present (even if null). ``$size``: array length. ``$all``: an array containing
  every listed value (an empty list matches nothing). ``$contains``: substring of a string, element of an
  array, or - given a list - every listed element; on any other field (number, boolean, null) it means
  equality, as in Mastra. ``$elemMatch``: an array element matches the sub-filter (field paths, or operators
  on the element itself).
* ``$regex`` is a search (not a full match) on strings; ``$options`` beside it takes MongoDB's flags ``i``
  (ignore case), ``m`` (``^``/``$`` at every line), ``s`` (``.`` matches newlines) and ``x`` (whitespace
  and ``#`` comments in the pattern are ignored). The parser folds them into one pattern,
  ``(?ims:...)`` with ``x`` already applied, that Python's ``re`` and DuckDB's RE2 read the same way.
* An empty ``$and`` or ``$nor`` matches everything and an empty ``$or`` matches nothing (each operator's
  identity, as in Mastra's SQL stores); ``$not`` needs a non-empty filter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from mastra_lab.errors import FilterError

__all__ = [
    "FIELD_OPERATORS",
    "LOGICAL_OPERATORS",
    "MISSING",
    "And",
    "Cond",
    "ElemMatch",
    "FilterNode",
    "Nor",
    "Not",
    "Or",
    "canonical",
    "compare",
    "eq_any",
    "equal",
    "is_number",
    "match_value",
    "matches",
    "parse_filter",
    "parse_filter_json",
    "resolve",
]

LOGICAL_OPERATORS: Final = ("$and", "$or", "$nor", "$not")
FIELD_OPERATORS: Final = (
    "$eq",
    "$ne",
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$in",
    "$nin",
    "$all",
    "$elemMatch",
    "$exists",
    "$regex",
    "$contains",
    "$size",
    "$not",
    "$options",
)
_REGEX_FLAGS: Final = "imsx"
_ALL_OPERATORS: Final = ", ".join(sorted({*LOGICAL_OPERATORS, *FIELD_OPERATORS}))
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-]+$")
_MAX_DEPTH = 32


class _Missing:
    """The value of a path that does not exist in a document."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


@dataclass(frozen=True)
class Cond:
    """One operator applied at one path; ``path == ()`` means the value itself (inside ``$elemMatch``)."""

    path: tuple[str, ...]
    op: str
    value: Any


@dataclass(frozen=True)
class ElemMatch:
    """Some element of the array at ``path`` matches ``node`` (evaluated with the element as document)."""

    path: tuple[str, ...]
    node: FilterNode


@dataclass(frozen=True)
class And:
    """All children match (the empty ``And`` matches everything)."""

    children: tuple[FilterNode, ...]


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    children: tuple[FilterNode, ...]


@dataclass(frozen=True)
class Nor:
    """No child matches."""

    children: tuple[FilterNode, ...]


@dataclass(frozen=True)
class Not:
    """The child does not match."""

    child: FilterNode


FilterNode = Cond | ElemMatch | And | Or | Nor | Not


# --------------------------------------------------------------------------------------------- parsing


def _err(message: str, filter_part: Any, code: str = "VECTOR_FILTER_INVALID") -> FilterError:
    return FilterError(message, code=code, details={"filter": repr(filter_part)[:200]})


def _unknown_operator(op: str) -> FilterError:
    return _err(
        f"unknown filter operator {op!r}; valid operators are: {_ALL_OPERATORS}",
        op,
        code="VECTOR_FILTER_UNKNOWN_OPERATOR",
    )


def _check_json(value: Any, where: str) -> Any:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        msg = f"filter value for {where} must be JSON (str, number, bool, None, list, dict): {exc}"
        raise _err(msg, value) from exc
    return value


def parse_filter(filter: Mapping[str, Any] | None) -> FilterNode:
    """Parse and validate a Mongo-style filter into an AST.

    Args:
        filter: The filter object, e.g. ``{"genre": "news", "year": {"$gte": 2020}}``; ``None`` or ``{}``
            match everything.

    Raises:
        FilterError: The filter is malformed: unknown operator (the message lists the valid ones), a
            comparison operator at the root, ``$in`` without a list, a bad path segment, ...
    """
    if filter is None:
        return And(())
    if not isinstance(filter, Mapping):
        msg = f"a filter must be a dict such as {{'field': 'value'}}, got {type(filter).__name__}"
        raise _err(msg, filter)
    return _parse_doc(filter, 0)


def parse_filter_json(text: str) -> dict[str, Any] | None:
    """A filter typed as JSON text (a notebook option, a panel text box), validated like :func:`parse_filter`.

    Args:
        text: A JSON object such as ``{"category": "billing"}``; empty or blank text means no filter.

    Raises:
        FilterError: The text is not JSON (the message gives the line, column and character of the
            problem), is JSON but not an object, or is not a valid filter.
    """
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FilterError(
            f"the filter is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
            f"(char {exc.pos}) of {text!r}; write a JSON object with double-quoted keys and strings, "
            'such as {"category": "billing"}',
            code="VECTOR_FILTER_JSON",
            details={"filter": text[:200], "position": exc.pos},
        ) from None
    if not isinstance(value, dict):
        raise _err(
            f'the filter must be a JSON object such as {{"category": "billing"}}, '
            f"got {type(value).__name__} {text.strip()!r}",
            value,
        )
    parse_filter(value)
    return value


def _parse_doc(doc: Any, depth: int) -> FilterNode:
    if depth > _MAX_DEPTH:
        raise _err(f"filter nested deeper than {_MAX_DEPTH} levels", doc)
    if not isinstance(doc, Mapping):
        raise _err(f"expected a filter object (dict), got {doc!r}", doc)
    parts: list[FilterNode] = []
    for key, value in doc.items():
        if not isinstance(key, str):
            raise _err(f"filter keys must be strings, got {key!r}", doc)
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list):
                msg = f"{key} needs a list of filter objects, got {value!r}; write {{{key!r}: [...]}}"
                raise _err(msg, doc)
            children = tuple(_parse_doc(v, depth + 1) for v in value)
            parts.append(And(children) if key == "$and" else Or(children) if key == "$or" else Nor(children))
        elif key == "$not":
            if not isinstance(value, Mapping) or not value:
                msg = f"$not needs a non-empty filter object such as {{'genre': 'news'}}, got {value!r}"
                raise _err(msg, doc)
            parts.append(Not(_parse_doc(value, depth + 1)))
        elif key.startswith("$"):
            if key in FIELD_OPERATORS:
                raise _err(
                    f"operator {key!r} cannot be used at the root of a filter; put it under a field, "
                    f"e.g. {{'price': {{{key!r}: ...}}}}",
                    doc,
                    code="VECTOR_FILTER_ROOT_OPERATOR",
                )
            raise _unknown_operator(key)
        else:
            parts.append(_parse_field(_parse_path(key), value, depth + 1))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _parse_path(key: str) -> tuple[str, ...]:
    segments = tuple(key.split("."))
    for seg in segments:
        if not _SEGMENT.match(seg):
            raise _err(
                f"invalid field path {key!r}: each dot-separated segment must be letters, digits, '_' or '-'",
                key,
                code="VECTOR_FILTER_PATH",
            )
    return segments


def _is_operator_object(value: Any) -> bool:
    return isinstance(value, Mapping) and any(isinstance(k, str) and k.startswith("$") for k in value)


def _parse_field(path: tuple[str, ...], value: Any, depth: int) -> FilterNode:
    if not _is_operator_object(value):
        return Cond(path, "$eq", _check_json(value, ".".join(path) or "$eq"))
    where = ".".join(path) or "$elemMatch"
    if "$options" in value and "$regex" not in value:
        msg = f"$options on {where!r} only modifies $regex; write {{'$regex': PATTERN, '$options': ...}}"
        raise _err(msg, value)
    parts: list[FilterNode] = []
    for op, arg in value.items():
        if not (isinstance(op, str) and op.startswith("$")):
            msg = f"cannot mix operators and plain keys in the condition for {where!r}: {value!r}"
            raise _err(msg, value)
        if op not in FIELD_OPERATORS:
            raise _unknown_operator(op)
        if op == "$regex":
            parts.append(Cond(path, op, _regex_pattern(arg, value.get("$options", ""), where)))
        elif op != "$options":
            parts.append(_parse_operator(path, op, arg, where, depth))
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _regex_pattern(pattern: Any, options: Any, where: str) -> str:
    """``$regex`` and its ``$options`` as one pattern that Python's ``re`` and RE2 both read the same way.

    RE2 (DuckDB's engine) has no verbose mode, so ``x`` is applied here, by removing what verbose mode
    ignores; ``i``, ``m`` and ``s`` become a scoped group ``(?ims:...)``, which both engines support.
    """
    _need_regex(pattern, "$regex", where)
    if not isinstance(options, str):
        raise _err(f"$options on {where!r} needs a string of flags such as 'i', got {options!r}", options)
    unknown = sorted(set(options) - set(_REGEX_FLAGS))
    if unknown:
        msg = (
            f"unknown $options flag {unknown[0]!r} on {where!r}; use i, m, s or x (ignore case, "
            "anchors at every line, dot matches newline, ignore whitespace and # comments)"
        )
        raise _err(msg, options)
    body = _strip_verbose(pattern) if "x" in options else pattern
    flags = "".join(f for f in "ims" if f in options)
    if not flags:
        return body
    combined = f"(?{flags}:{body})"
    try:
        re.compile(combined)
    except re.error as exc:
        msg = f"$regex on {where!r}: move the inline flags of {pattern!r} into $options ({exc})"
        raise _err(msg, pattern) from exc
    return combined


def _strip_verbose(pattern: str) -> str:
    """``pattern`` without what verbose mode ignores: unescaped whitespace and ``#`` comments outside
    character classes."""
    out: list[str] = []
    i, n, in_class = 0, len(pattern), False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or out[-1] in ("[", "[^")
        elif ch == "[":
            in_class = True
            if pattern.startswith("[^", i):
                out.append("[^")
                i += 2
                continue
        elif ch == "#":
            end = pattern.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        elif ch.isspace():
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _parse_operator(path: tuple[str, ...], op: str, arg: Any, where: str, depth: int) -> FilterNode:
    if op == "$not":
        if not _is_operator_object(arg):
            raise _err(f"$not on {where!r} needs an operator object such as {{'$gt': 5}}, got {arg!r}", arg)
        return Not(_parse_field(path, arg, depth + 1))
    if op == "$elemMatch":
        if not isinstance(arg, Mapping) or not arg:
            raise _err(f"$elemMatch on {where!r} needs a non-empty filter object, got {arg!r}", arg)
        on_self = all(isinstance(k, str) and k.startswith("$") and k not in LOGICAL_OPERATORS for k in arg)
        node = _parse_field((), arg, depth + 1) if on_self else _parse_doc(arg, depth + 1)
        return ElemMatch(path, node)
    _VALIDATORS[op](arg, op, where)
    return Cond(path, op, _check_json(arg, where))


def _need_list(arg: Any, op: str, where: str) -> None:
    if not isinstance(arg, list):
        raise _err(f"{op} on {where!r} needs a list of values, got {arg!r}; write {{{op!r}: [{arg!r}]}}", arg)


def _need_comparable(arg: Any, op: str, where: str) -> None:
    if isinstance(arg, bool) or not isinstance(arg, int | float | str):
        raise _err(f"{op} on {where!r} needs a number or a string, got {arg!r}", arg)
    if isinstance(arg, float) and arg != arg:
        raise _err(f"{op} on {where!r} cannot compare with NaN", arg)


def _need_bool(arg: Any, op: str, where: str) -> None:
    if not isinstance(arg, bool):
        raise _err(f"{op} on {where!r} needs true or false, got {arg!r}", arg)


def _need_size(arg: Any, op: str, where: str) -> None:
    if isinstance(arg, bool) or not isinstance(arg, int) or arg < 0:
        raise _err(f"{op} on {where!r} needs a non-negative integer, got {arg!r}", arg)


def _need_regex(arg: Any, op: str, where: str) -> None:
    if not isinstance(arg, str):
        raise _err(f"{op} on {where!r} needs a pattern string, got {arg!r}", arg)
    try:
        re.compile(arg)
    except re.error as exc:
        raise _err(f"{op} on {where!r}: invalid regular expression {arg!r}: {exc}", arg) from exc


def _any_value(arg: Any, op: str, where: str) -> None:
    return None


_VALIDATORS: Final[dict[str, Callable[[Any, str, str], None]]] = {
    "$eq": _any_value,
    "$ne": _any_value,
    "$gt": _need_comparable,
    "$gte": _need_comparable,
    "$lt": _need_comparable,
    "$lte": _need_comparable,
    "$in": _need_list,
    "$nin": _need_list,
    "$all": _need_list,
    "$exists": _need_bool,
    "$contains": _any_value,
    "$size": _need_size,
}


# ------------------------------------------------------------------------------- reference semantics


def resolve(doc: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``doc`` or :data:`MISSING`."""
    value = doc
    for seg in path:
        if not isinstance(value, dict) or seg not in value:
            return MISSING
        value = value[seg]
    return value


def canonical(value: Any) -> str:
    """Canonical JSON text: how arrays and objects are compared for equality."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def is_number(value: Any) -> bool:
    """True for int/float but not bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def equal(a: Any, b: Any) -> bool:
    """Equality of two JSON values under the filter semantics (no array-element expansion)."""
    if is_number(a) and is_number(b):
        return bool(a == b)
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, list | dict) and isinstance(b, list | dict):
        return canonical(a) == canonical(b)
    return False


def compare(value: Any, op: str, arg: Any) -> bool:
    """``value <op> arg`` for numbers with numbers and strings with strings; anything else is False."""
    if is_number(arg):
        if not is_number(value):
            return False
    elif not isinstance(value, str):
        return False
    if op == "$gt":
        return bool(value > arg)
    if op == "$gte":
        return bool(value >= arg)
    if op == "$lt":
        return bool(value < arg)
    return bool(value <= arg)


def eq_any(value: Any, arg: Any) -> bool:
    """``$eq`` at a field: equal, or an element of an array field is equal; None also matches missing."""
    if arg is None and value is MISSING:
        return True
    if equal(value, arg):
        return True
    return isinstance(value, list) and any(equal(e, arg) for e in value)


def _contains(value: Any, arg: Any) -> bool:
    if isinstance(value, str):
        return isinstance(arg, str) and arg in value
    if value is None or isinstance(value, bool | int | float):
        return equal(value, arg)  # a scalar field "contains" only itself
    if not isinstance(value, list):
        return False
    if isinstance(arg, list):
        return all(any(equal(e, a) for e in value) for a in arg)
    return any(equal(e, arg) for e in value)


def _scalar_or_any(value: Any, test: Callable[[Any], bool]) -> bool:
    return test(value) or (isinstance(value, list) and any(test(e) for e in value))


def match_value(value: Any, op: str, arg: Any) -> bool:
    """Whether one (resolved) field value satisfies ``{op: arg}``."""
    if op == "$eq":
        return eq_any(value, arg)
    if op == "$ne":
        return not eq_any(value, arg)
    if op == "$in":
        return any(eq_any(value, a) for a in arg)
    if op == "$nin":
        return not any(eq_any(value, a) for a in arg)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return _scalar_or_any(value, lambda v: compare(v, op, arg))
    if op == "$exists":
        return (value is not MISSING) is arg
    if op == "$regex":
        pattern = re.compile(arg)
        return _scalar_or_any(value, lambda v: isinstance(v, str) and pattern.search(v) is not None)
    if op == "$contains":
        return _contains(value, arg)
    if op == "$size":
        return isinstance(value, list) and len(value) == arg
    if op == "$all":
        return isinstance(value, list) and bool(arg) and all(any(equal(e, a) for e in value) for a in arg)
    raise _unknown_operator(op)  # pragma: no cover - the parser rejects it first


def matches(node: FilterNode, doc: Any) -> bool:
    """Whether the document ``doc`` satisfies the parsed filter ``node`` (the reference implementation).

    Args:
        node: A node from :func:`parse_filter`.
        doc: A metadata object (or, inside ``$elemMatch``, an array element).
    """
    if isinstance(node, Cond):
        return match_value(resolve(doc, node.path), node.op, node.value)
    if isinstance(node, And):
        return all(matches(c, doc) for c in node.children)
    if isinstance(node, Or):
        return any(matches(c, doc) for c in node.children)
    if isinstance(node, Nor):
        return not any(matches(c, doc) for c in node.children)
    if isinstance(node, Not):
        return not matches(node.child, doc)
    value = resolve(doc, node.path)
    return isinstance(value, list) and any(matches(node.node, e) for e in value)
