"""Compile a parsed filter to SQL over a JSON metadata column: DuckDB's ``JSON`` or PostgreSQL's ``jsonb``.

The SQL mirrors :func:`mastra_lab.vector.filter.matches` exactly (property tests check it against a real
DuckDB and a real PostgreSQL). The structure of a filter - logic, ``$in``, ``$contains``, array elements
matching scalar conditions - is compiled once, here; a :class:`_Dialect` supplies the few fragments that
differ between the two engines (paths, type tests, iterating an array, comparisons, regular expressions).
Values are always bound parameters; the only text spliced into SQL is the JSON path, built from segments
the parser already validated, and element variable names we generate. Each leaf is wrapped in
``COALESCE(..., FALSE)`` so that SQL's three-valued logic never leaks (``NOT`` of a missing field is TRUE,
as in the reference).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from mastra_lab.vector._regex_pg import postgres_regex
from mastra_lab.vector.filter import (
    And,
    Cond,
    FilterNode,
    Nor,
    Not,
    Or,
    canonical,
    is_number,
)

__all__ = ["SQLDialect", "compile_sql"]

SQLDialect = Literal["duckdb", "postgres"]

_CMP = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


@dataclass
class _Ctx:
    dialect: _Dialect
    params: list[Any] = field(default_factory=list)
    lambdas: int = 0

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return self.dialect.placeholder

    def var(self) -> str:
        self.lambdas += 1
        return f"_e{self.lambdas}"


class _Dialect:
    """The engine-specific fragments; ``e`` is always a JSON-valued SQL expression (SQL NULL if missing)."""

    placeholder = "?"

    def path(self, base: str, path: tuple[str, ...]) -> str:
        raise NotImplementedError

    def is_array(self, e: str) -> str:
        raise NotImplementedError

    def any(self, e: str, var: str, cond: str) -> str:
        """Some element ``var`` of the array ``e`` satisfies ``cond``."""
        raise NotImplementedError

    def scalar_eq(self, e: str, value: Any, ctx: _Ctx) -> str:
        """``e`` equals the JSON value ``value`` (no array-element expansion)."""
        raise NotImplementedError

    def compare(self, e: str, sym: str, value: Any, ctx: _Ctx) -> str:
        """``e sym value`` for a number or string ``value`` (other types never match)."""
        raise NotImplementedError

    def regex(self, e: str, pattern: str, ctx: _Ctx) -> str:
        raise NotImplementedError

    def substring(self, e: str, value: str, ctx: _Ctx) -> str:
        raise NotImplementedError

    def size(self, e: str, n: int, ctx: _Ctx) -> str:
        raise NotImplementedError


class _DuckDB(_Dialect):
    _NUM_TYPES = "('BIGINT','UBIGINT','DOUBLE','HUGEINT','INTEGER')"

    def path(self, base: str, path: tuple[str, ...]) -> str:
        if not path:
            return base
        # segments are validated by the parser ([A-Za-z0-9_-]+), so quoting them is safe
        json_path = "$." + ".".join(f'"{seg}"' for seg in path)
        return f"json_extract({base}, '{json_path}')"

    def is_array(self, e: str) -> str:
        return f"json_type({e}) = 'ARRAY'"

    def any(self, e: str, var: str, cond: str) -> str:
        return f"len(list_filter(json_extract({e}, '$[*]'), lambda {var}: {cond})) > 0"

    def scalar_eq(self, e: str, value: Any, ctx: _Ctx) -> str:
        if value is None:
            return f"json_type({e}) = 'NULL'"
        if isinstance(value, bool):
            return f"(json_type({e}) = 'BOOLEAN' AND TRY_CAST({e} AS BOOLEAN) = {ctx.bind(value)})"
        if is_number(value):
            bound = ctx.bind(float(value))
            return f"(json_type({e}) IN {self._NUM_TYPES} AND TRY_CAST({e} AS DOUBLE) = {bound})"
        if isinstance(value, str):
            return f"(json_type({e}) = 'VARCHAR' AND json_extract_string({e}, '$') = {ctx.bind(value)})"
        text = ctx.bind(canonical(value))
        return (
            f"(json_type({e}) IN ('ARRAY','OBJECT') AND CAST({e} AS VARCHAR) = CAST(json({text}) AS VARCHAR))"
        )

    def compare(self, e: str, sym: str, value: Any, ctx: _Ctx) -> str:
        if is_number(value):
            bound = ctx.bind(float(value))
            return f"(json_type({e}) IN {self._NUM_TYPES} AND TRY_CAST({e} AS DOUBLE) {sym} {bound})"
        return f"(json_type({e}) = 'VARCHAR' AND json_extract_string({e}, '$') {sym} {ctx.bind(value)})"

    def regex(self, e: str, pattern: str, ctx: _Ctx) -> str:
        bound = ctx.bind(pattern)
        return f"(json_type({e}) = 'VARCHAR' AND regexp_matches(json_extract_string({e}, '$'), {bound}))"

    def substring(self, e: str, value: str, ctx: _Ctx) -> str:
        bound = ctx.bind(value)
        return f"(json_type({e}) = 'VARCHAR' AND contains(json_extract_string({e}, '$'), {bound}))"

    def size(self, e: str, n: int, ctx: _Ctx) -> str:
        return f"(json_type({e}) = 'ARRAY' AND json_array_length({e}) = {ctx.bind(n)})"


class _Postgres(_Dialect):
    """``jsonb``: ``->`` yields SQL NULL for a missing key (and for a key of a non-object), JSON ``null``
    for a null. Comparisons are written so that no branch can raise on a value of another type (SQL does
    not promise to short-circuit ``AND``), and strings compare in code-point order (``COLLATE "C"``)."""

    placeholder = "%s"

    def path(self, base: str, path: tuple[str, ...]) -> str:
        if not path:
            return base
        # segments are validated by the parser ([A-Za-z0-9_-]+), so quoting them is safe
        return "(" + base + "".join(f" -> '{seg}'" for seg in path) + ")"

    def is_array(self, e: str) -> str:
        return f"jsonb_typeof({e}) = 'array'"

    def any(self, e: str, var: str, cond: str) -> str:
        elements = f"jsonb_array_elements(CASE WHEN jsonb_typeof({e}) = 'array' THEN {e} ELSE '[]' END)"
        return f"EXISTS (SELECT 1 FROM {elements} AS {var} WHERE {cond})"

    def _text(self, e: str) -> str:
        return f"({e} #>> '{{}}')"

    def scalar_eq(self, e: str, value: Any, ctx: _Ctx) -> str:
        if value is None or isinstance(value, bool) or is_number(value) or isinstance(value, str):
            # jsonb equality: numbers by value (1 = 1.0, as in Python), strings and booleans exactly
            return f"{e} = {ctx.bind(json.dumps(value, ensure_ascii=False))}::jsonb"
        # arrays and objects: equal when their text is (jsonb orders keys; [1] and [1.0] stay apart)
        text = ctx.bind(canonical(value))
        return f"(jsonb_typeof({e}) IN ('array', 'object') AND {e}::text = ({text}::jsonb)::text)"

    def compare(self, e: str, sym: str, value: Any, ctx: _Ctx) -> str:
        if is_number(value):
            return f"(jsonb_typeof({e}) = 'number' AND {e} {sym} {ctx.bind(json.dumps(value))}::jsonb)"
        return (
            f"(jsonb_typeof({e}) = 'string' AND {self._text(e)} COLLATE \"C\" {sym} {ctx.bind(value)}::text)"
        )

    def regex(self, e: str, pattern: str, ctx: _Ctx) -> str:
        bound = ctx.bind(postgres_regex(pattern))
        return f"(jsonb_typeof({e}) = 'string' AND {self._text(e)} ~ {bound}::text)"

    def substring(self, e: str, value: str, ctx: _Ctx) -> str:
        bound = ctx.bind(value)
        return f"(jsonb_typeof({e}) = 'string' AND strpos({self._text(e)}, {bound}::text) > 0)"

    def size(self, e: str, n: int, ctx: _Ctx) -> str:
        bound = ctx.bind(n)
        length = f"jsonb_array_length({e}) = {bound}::int"
        return f"CASE WHEN jsonb_typeof({e}) = 'array' THEN {length} ELSE FALSE END"


_DIALECTS: dict[str, _Dialect] = {"duckdb": _DuckDB(), "postgres": _Postgres()}


def compile_sql(
    node: FilterNode, column: str = "metadata", dialect: SQLDialect = "duckdb"
) -> tuple[str, list[Any]]:
    """SQL boolean expression and its parameters for ``node`` over the JSON column ``column``.

    Args:
        node: A node from :func:`~mastra_lab.vector.filter.parse_filter`.
        column: The (trusted) name of the JSON column (``jsonb`` for PostgreSQL).
        dialect: ``duckdb`` (``?`` placeholders) or ``postgres`` (``%s`` placeholders, for psycopg).
    """
    ctx = _Ctx(_DIALECTS[dialect])
    return _node(node, column, ctx), ctx.params


def _node(node: FilterNode, base: str, ctx: _Ctx) -> str:
    d = ctx.dialect
    if isinstance(node, Cond):
        return f"COALESCE(({_cond(d.path(base, node.path), node.op, node.value, ctx)}), FALSE)"
    if isinstance(node, And):
        if not node.children:
            return "TRUE"
        return "(" + " AND ".join(_node(c, base, ctx) for c in node.children) + ")"
    if isinstance(node, Or):
        if not node.children:
            return "FALSE"
        return "(" + " OR ".join(_node(c, base, ctx) for c in node.children) + ")"
    if isinstance(node, Nor):
        if not node.children:
            return "TRUE"
        return "(NOT (" + " OR ".join(_node(c, base, ctx) for c in node.children) + "))"
    if isinstance(node, Not):
        return f"(NOT {_node(node.child, base, ctx)})"
    expr = d.path(base, node.path)
    var = ctx.var()
    inner = _node(node.node, var, ctx)
    return f"COALESCE(({d.is_array(expr)} AND {d.any(expr, var, inner)}), FALSE)"


def _scalar_or_any(expr: str, make: Callable[[str], str], ctx: _Ctx) -> str:
    d = ctx.dialect
    var = ctx.var()
    return f"({make(expr)} OR ({d.is_array(expr)} AND {d.any(expr, var, make(var))}))"


def _eq_any(expr: str, value: Any, ctx: _Ctx) -> str:
    clause = _scalar_or_any(expr, lambda e: ctx.dialect.scalar_eq(e, value, ctx), ctx)
    if value is None:
        return f"({expr} IS NULL OR {clause})"
    return clause


def _contains_all(expr: str, values: list[Any], ctx: _Ctx) -> str:
    d = ctx.dialect
    parts = [d.any(expr, v := ctx.var(), d.scalar_eq(v, value, ctx)) for value in values]
    return "(" + " AND ".join([d.is_array(expr), *parts]) + ")"


def _contains(expr: str, value: Any, ctx: _Ctx) -> str:
    if isinstance(value, list):
        return _contains_all(expr, value, ctx)
    if isinstance(value, str):
        sub = ctx.dialect.substring(expr, value, ctx)  # bound first: its placeholder comes first
        return f"({sub} OR {_contains_all(expr, [value], ctx)})"
    element = _contains_all(expr, [value], ctx)
    if isinstance(value, dict):
        return element
    # number, boolean or null: on a scalar field of the same kind, "contains" is equality
    return f"({element} OR {ctx.dialect.scalar_eq(expr, value, ctx)})"


def _in(expr: str, values: list[Any], ctx: _Ctx) -> str:
    return "(" + (" OR ".join(f"COALESCE({_eq_any(expr, v, ctx)}, FALSE)" for v in values) or "FALSE") + ")"


def _compare(op: str) -> Callable[[str, Any, _Ctx], str]:
    sym = _CMP[op]
    return lambda e, v, c: _scalar_or_any(e, lambda x: c.dialect.compare(x, sym, v, c), c)


_OPS: dict[str, Callable[[str, Any, _Ctx], str]] = {
    "$eq": _eq_any,
    "$ne": lambda e, v, c: f"NOT COALESCE({_eq_any(e, v, c)}, FALSE)",
    "$in": _in,
    "$nin": lambda e, v, c: f"NOT {_in(e, v, c)}",
    "$gt": _compare("$gt"),
    "$gte": _compare("$gte"),
    "$lt": _compare("$lt"),
    "$lte": _compare("$lte"),
    "$exists": lambda e, v, c: f"{e} IS NOT NULL" if v else f"{e} IS NULL",
    "$regex": lambda e, v, c: _scalar_or_any(e, lambda x: c.dialect.regex(x, v, c), c),
    "$size": lambda e, v, c: c.dialect.size(e, v, c),
    "$all": lambda e, v, c: _contains_all(e, v, c) if v else "FALSE",
    "$contains": _contains,
}


def _cond(expr: str, op: str, value: Any, ctx: _Ctx) -> str:
    return _OPS[op](expr, value, ctx)
