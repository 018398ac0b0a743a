"""Compile a parsed filter to DuckDB SQL over a JSON metadata column.

The SQL mirrors :func:`mastra_lab.vector.filter.matches` exactly (a property test checks it against a real
DuckDB). Values are always bound parameters; the only text spliced into SQL is the JSON path, built from
segments the parser already validated, and lambda variable names we generate. Each leaf is wrapped in
``COALESCE(..., FALSE)`` so that SQL's three-valued logic never leaks (``NOT`` of a missing field is TRUE,
as in the reference).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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

__all__ = ["compile_sql"]

_NUM_TYPES = "('BIGINT','UBIGINT','DOUBLE','HUGEINT','INTEGER')"
_CMP = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}


@dataclass
class _Ctx:
    params: list[Any] = field(default_factory=list)
    lambdas: int = 0

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return "?"

    def var(self) -> str:
        self.lambdas += 1
        return f"_e{self.lambdas}"


def compile_sql(node: FilterNode, column: str = "metadata") -> tuple[str, list[Any]]:
    """SQL boolean expression and its parameters for ``node`` over the JSON column ``column``.

    Args:
        node: A node from :func:`~mastra_lab.vector.filter.parse_filter`.
        column: The (trusted) name of the JSON column.
    """
    ctx = _Ctx()
    return _node(node, column, ctx), ctx.params


def _node(node: FilterNode, base: str, ctx: _Ctx) -> str:
    if isinstance(node, Cond):
        return f"COALESCE(({_cond(_path(base, node.path), node.op, node.value, ctx)}), FALSE)"
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
    expr = _path(base, node.path)
    var = ctx.var()
    inner = _node(node.node, var, ctx)
    return f"COALESCE((json_type({expr}) = 'ARRAY' AND {_any(expr, var, inner)}), FALSE)"


def _path(base: str, path: tuple[str, ...]) -> str:
    if not path:
        return base
    # segments are validated by the parser ([A-Za-z0-9_-]+), so quoting them is safe
    json_path = "$." + ".".join(f'"{seg}"' for seg in path)
    return f"json_extract({base}, '{json_path}')"


def _any(expr: str, var: str, cond: str) -> str:
    return f"len(list_filter(json_extract({expr}, '$[*]'), lambda {var}: {cond})) > 0"


def _scalar_eq(expr: str, value: Any, ctx: _Ctx) -> str:
    if value is None:
        return f"json_type({expr}) = 'NULL'"
    if isinstance(value, bool):
        return f"(json_type({expr}) = 'BOOLEAN' AND TRY_CAST({expr} AS BOOLEAN) = {ctx.bind(value)})"
    if is_number(value):
        bound = ctx.bind(float(value))
        return f"(json_type({expr}) IN {_NUM_TYPES} AND TRY_CAST({expr} AS DOUBLE) = {bound})"
    if isinstance(value, str):
        return f"(json_type({expr}) = 'VARCHAR' AND json_extract_string({expr}, '$') = {ctx.bind(value)})"
    text = ctx.bind(canonical(value))
    return (
        f"(json_type({expr}) IN ('ARRAY','OBJECT') "
        f"AND CAST({expr} AS VARCHAR) = CAST(json({text}) AS VARCHAR))"
    )


def _scalar_or_any(expr: str, make: Callable[[str], str], ctx: _Ctx) -> str:
    var = ctx.var()
    return f"({make(expr)} OR (json_type({expr}) = 'ARRAY' AND {_any(expr, var, make(var))}))"


def _eq_any(expr: str, value: Any, ctx: _Ctx) -> str:
    clause = _scalar_or_any(expr, lambda e: _scalar_eq(e, value, ctx), ctx)
    if value is None:
        return f"({expr} IS NULL OR {clause})"
    return clause


def _compare(expr: str, op: str, value: Any, ctx: _Ctx) -> str:
    sym = _CMP[op]
    if is_number(value):
        bound = ctx.bind(float(value))
        return f"(json_type({expr}) IN {_NUM_TYPES} AND TRY_CAST({expr} AS DOUBLE) {sym} {bound})"
    return f"(json_type({expr}) = 'VARCHAR' AND json_extract_string({expr}, '$') {sym} {ctx.bind(value)})"


def _contains_all(expr: str, values: list[Any], ctx: _Ctx) -> str:
    parts = [_any(expr, v := ctx.var(), _scalar_eq(v, value, ctx)) for value in values]
    return "(" + " AND ".join([f"json_type({expr}) = 'ARRAY'", *parts]) + ")"


def _regex(expr: str, value: str, ctx: _Ctx) -> str:
    def make(e: str) -> str:
        bound = ctx.bind(value)
        return f"(json_type({e}) = 'VARCHAR' AND regexp_matches(json_extract_string({e}, '$'), {bound}))"

    return _scalar_or_any(expr, make, ctx)


def _contains(expr: str, value: Any, ctx: _Ctx) -> str:
    if isinstance(value, list):
        return _contains_all(expr, value, ctx)
    element = _contains_all(expr, [value], ctx)
    if isinstance(value, str):
        bound = ctx.bind(value)
        sub = f"(json_type({expr}) = 'VARCHAR' AND contains(json_extract_string({expr}, '$'), {bound}))"
        return f"({sub} OR {element})"
    if isinstance(value, dict):
        return element
    # number, boolean or null: on a scalar field of the same kind, "contains" is equality
    return f"({element} OR {_scalar_eq(expr, value, ctx)})"


def _in(expr: str, values: list[Any], ctx: _Ctx) -> str:
    return "(" + (" OR ".join(f"COALESCE({_eq_any(expr, v, ctx)}, FALSE)" for v in values) or "FALSE") + ")"


_OPS: dict[str, Callable[[str, Any, _Ctx], str]] = {
    "$eq": _eq_any,
    "$ne": lambda e, v, c: f"NOT COALESCE({_eq_any(e, v, c)}, FALSE)",
    "$in": _in,
    "$nin": lambda e, v, c: f"NOT {_in(e, v, c)}",
    "$gt": lambda e, v, c: _scalar_or_any(e, lambda x: _compare(x, "$gt", v, c), c),
    "$gte": lambda e, v, c: _scalar_or_any(e, lambda x: _compare(x, "$gte", v, c), c),
    "$lt": lambda e, v, c: _scalar_or_any(e, lambda x: _compare(x, "$lt", v, c), c),
    "$lte": lambda e, v, c: _scalar_or_any(e, lambda x: _compare(x, "$lte", v, c), c),
    "$exists": lambda e, v, c: f"{e} IS NOT NULL" if v else f"{e} IS NULL",
    "$regex": _regex,
    "$size": lambda e, v, c: f"(json_type({e}) = 'ARRAY' AND json_array_length({e}) = {c.bind(v)})",
    "$all": lambda e, v, c: _contains_all(e, v, c) if v else "FALSE",
    "$contains": _contains,
}


def _cond(expr: str, op: str, value: Any, ctx: _Ctx) -> str:
    return _OPS[op](expr, value, ctx)
