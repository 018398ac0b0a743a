"""Evaluate a parsed filter over many metadata objects at once, with numpy.

Per-row Python on every query would cost more than the search itself, so the common leaves (equality,
``$in``, ranges, ``$exists``, ``$regex``) run on typed columns that are extracted once per path and cached
until the next write: a kind code per row, a float64 column for numbers, int codes into the *sorted* unique
strings (so string ranges are integer comparisons too) and a bool column. Rows whose value is an array - and
the rarer operators - fall back to the reference :func:`~mastra_lab.vector.filter.match_value`, on those
rows only. The result equals :func:`~mastra_lab.vector.filter.matches` row by row (tested).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from mastra_lab.vector.filter import (
    MISSING,
    And,
    Cond,
    ElemMatch,
    FilterNode,
    Nor,
    Not,
    Or,
    is_number,
    match_value,
    matches,
    resolve,
)

__all__ = ["ColumnCache"]

_MISSING, _NULL, _BOOL, _NUM, _STR, _ARRAY, _OBJECT = range(7)
_NUM_CMP: dict[str, Any] = {
    "$gt": np.greater,
    "$gte": np.greater_equal,
    "$lt": np.less,
    "$lte": np.less_equal,
}
_FAST_OPS = frozenset({"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$regex"})


def _kind(v: Any) -> int:
    if v is MISSING:
        return _MISSING
    if v is None:
        return _NULL
    if isinstance(v, bool):
        return _BOOL
    if isinstance(v, int | float):
        return _NUM
    if isinstance(v, str):
        return _STR
    return _ARRAY if isinstance(v, list) else _OBJECT


class _Column:
    """Typed views of the values at one path, one entry per row."""

    def __init__(self, values: list[Any]) -> None:
        self.values = values
        n = len(values)
        self.kind = np.fromiter((_kind(v) for v in values), dtype=np.int8, count=n)
        is_num = self.kind == _NUM
        self.num = np.full(n, np.nan)
        if is_num.any():
            self.num[is_num] = np.array([values[i] for i in np.flatnonzero(is_num)], dtype=np.float64)
        self.bool = np.full(n, -1, dtype=np.int8)
        is_bool = self.kind == _BOOL
        if is_bool.any():
            self.bool[is_bool] = np.array([values[i] for i in np.flatnonzero(is_bool)], dtype=np.int8)
        self.code = np.full(n, -1, dtype=np.int64)
        str_rows = np.flatnonzero(self.kind == _STR)
        self.strings: list[str] = []
        if len(str_rows):
            uniques, inverse = np.unique(
                np.array([values[i] for i in str_rows], dtype=object), return_inverse=True
            )
            self.strings = list(uniques)
            self.code[str_rows] = inverse
        self.array_rows = np.flatnonzero(self.kind == _ARRAY)

    def extend(self, values: list[Any]) -> None:
        """Append rows without re-reading the old ones (string codes are remapped with numpy)."""
        part, n0 = _Column(values), len(self.values)
        self.values.extend(values)
        self.kind = np.concatenate([self.kind, part.kind])
        self.num = np.concatenate([self.num, part.num])
        self.bool = np.concatenate([self.bool, part.bool])
        self.array_rows = np.concatenate([self.array_rows, part.array_rows + n0])
        merged = np.union1d(np.array(self.strings, dtype=object), np.array(part.strings, dtype=object))
        if len(merged) != len(self.strings):
            remap = np.searchsorted(merged, np.array(self.strings, dtype=object)) if self.strings else None
            if remap is not None:
                old = self.code >= 0
                self.code[old] = remap[self.code[old]]
            self.strings = list(merged)
        new_code = part.code
        if part.strings:
            new_code = part.code.copy()
            has = new_code >= 0
            new_code[has] = np.searchsorted(merged, np.array(part.strings, dtype=object))[new_code[has]]
        self.code = np.concatenate([self.code, new_code])

    def set(self, row: int, value: Any) -> None:
        """Overwrite one row's value (a new string is inserted into the sorted uniques, codes shifted)."""
        self.values[row] = value
        kind = _kind(value)
        self.kind[row] = kind
        self.num[row] = value if kind == _NUM else np.nan
        self.bool[row] = int(value) if kind == _BOOL else -1
        self.code[row] = -1
        if kind == _STR:
            pos = self.str_bound(value, "left")
            if pos == len(self.strings) or self.strings[pos] != value:
                self.code[self.code >= pos] += 1
                self.strings.insert(pos, value)
            self.code[row] = pos
        self.array_rows = np.flatnonzero(self.kind == _ARRAY)

    def move(self, holes: np.ndarray, sources: np.ndarray, n: int) -> None:
        """Mirror a compaction: the row at ``sources[i]`` moves to ``holes[i]``, then keep ``n`` rows."""
        for h, src in zip(holes.tolist(), sources.tolist(), strict=True):
            self.values[h] = self.values[src]
        del self.values[n:]
        for name in ("kind", "num", "bool", "code"):
            arr = getattr(self, name)
            arr[holes] = arr[sources]
            setattr(self, name, arr[:n].copy())
        self.array_rows = np.flatnonzero(self.kind == _ARRAY)

    def str_bound(self, value: str, side: str) -> int:
        """Position of ``value`` among the sorted unique strings (``bisect_left``/``bisect_right``)."""
        import bisect

        return (bisect.bisect_left if side == "left" else bisect.bisect_right)(self.strings, value)


class ColumnCache:
    """Columns of one collection's metadata, extracted lazily per path and kept up to date by the writes
    (appends, replacements, compacting deletes) instead of being rebuilt.

    Args:
        docs: The metadata objects, one per row (the list is read, never copied or changed).
    """

    def __init__(self, docs: Sequence[Any]) -> None:
        self.docs = docs
        self._columns: dict[tuple[str, ...], _Column] = {}

    def invalidate(self) -> None:
        """Forget every column (call after a replacement, update or delete)."""
        self._columns.clear()

    def replaced(self, rows: Sequence[int]) -> None:
        """The documents at ``rows`` were replaced: update those entries of the cached columns."""
        for path, col in self._columns.items():
            for row in rows:
                col.set(row, resolve(self.docs[row], path))

    def moved(self, holes: np.ndarray, sources: np.ndarray) -> None:
        """Rows were deleted and the list compacted (see ``plan_removal``): mirror it in the columns."""
        for col in self._columns.values():
            col.move(holes, sources, len(self.docs))

    def appended(self) -> None:
        """Rows were added at the end of ``docs``: extend the cached columns with them only."""
        for path, col in self._columns.items():
            col.extend([resolve(d, path) for d in self.docs[len(col.values) :]])

    def column(self, path: tuple[str, ...]) -> _Column:
        col = self._columns.get(path)
        if col is None:
            col = _Column([resolve(d, path) for d in self.docs])
            self._columns[path] = col
        return col

    def mask(self, node: FilterNode) -> np.ndarray:
        """Boolean mask over the rows: which documents satisfy ``node``.

        Args:
            node: A node from :func:`~mastra_lab.vector.filter.parse_filter`.
        """
        n = len(self.docs)
        if isinstance(node, And):
            out = np.ones(n, dtype=bool)
            for child in node.children:
                out &= self.mask(child)
            return out
        if isinstance(node, Or | Nor):
            out = np.zeros(n, dtype=bool)
            for child in node.children:
                out |= self.mask(child)
            return ~out if isinstance(node, Nor) else out
        if isinstance(node, Not):
            return ~self.mask(node.child)
        if isinstance(node, ElemMatch) or node.op not in _FAST_OPS or not node.path:
            return np.fromiter((matches(node, d) for d in self.docs), dtype=bool, count=n)
        return self._leaf(node)

    def _leaf(self, node: Cond) -> np.ndarray:
        col = self.column(node.path)
        op, arg = node.op, node.value
        if op == "$ne":
            return ~self._leaf(Cond(node.path, "$eq", arg))
        if op == "$nin":
            return ~self._leaf(Cond(node.path, "$in", arg))
        if op == "$exists":
            return np.asarray((col.kind != _MISSING) if arg else (col.kind == _MISSING))
        if op == "$in":
            out = np.zeros(len(col.kind), dtype=bool)
            for value in arg:
                out |= _scalar_mask(col, "$eq", value)
        else:
            out = _scalar_mask(col, op, arg)
        for row in col.array_rows:  # arrays: Mongo's any-element rule, on those rows only
            out[row] = match_value(col.values[row], op, arg)
        return out


def _scalar_mask(col: _Column, op: str, arg: Any) -> np.ndarray:
    """The mask for rows holding a non-array value (array rows are overwritten by the caller)."""
    if op == "$eq":
        return _eq_mask(col, arg)
    if op == "$regex":
        pattern = re.compile(arg)
        hits = np.array([pattern.search(s) is not None for s in col.strings] + [False], dtype=bool)
        return hits[col.code]  # code -1 (not a string) picks the trailing False
    if is_number(arg):
        with np.errstate(invalid="ignore"):
            return np.asarray(_NUM_CMP[op](col.num, arg))
    lo, hi = 0, len(col.strings)
    if op == "$gt":
        lo = col.str_bound(arg, "right")
    elif op == "$gte":
        lo = col.str_bound(arg, "left")
    elif op == "$lt":
        hi = col.str_bound(arg, "left")
    else:
        hi = col.str_bound(arg, "right")
    return (col.code >= lo) & (col.code < hi)


def _eq_mask(col: _Column, arg: Any) -> np.ndarray:
    if arg is None:
        return np.asarray((col.kind == _MISSING) | (col.kind == _NULL))
    if isinstance(arg, bool):
        return np.asarray(col.bool == int(arg))
    if is_number(arg):
        return np.asarray(col.num == arg)
    if isinstance(arg, str):
        pos = col.str_bound(arg, "left")
        if pos < len(col.strings) and col.strings[pos] == arg:
            return np.asarray(col.code == pos)
        return np.zeros(len(col.kind), dtype=bool)
    return np.fromiter((match_value(v, "$eq", arg) for v in col.values), dtype=bool, count=len(col.values))
