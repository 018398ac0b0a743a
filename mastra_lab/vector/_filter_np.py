"""The columnar view of one index's metadata, and the vectorised evaluation of filters over it.

Per-row Python on every query would cost more than the search itself, so each index keeps its metadata a
second time as typed numpy columns (:mod:`mastra_lab.vector._columns`), one per path found in any document
(up to :data:`MAX_COLUMNS` of them), built when rows are written and kept current by every later write. A
filter - however new - is then a few numpy comparisons per leaf: equality, ``$in``, ranges, ``$exists`` and
``$regex`` run on the typed columns (string ranges are integer comparisons on codes into the *sorted* unique
strings; a regex is tried once per distinct string). Rows whose value is an array fall back to the reference
:func:`~mastra_lab.vector.filter.match_value`, on those rows only; the rarer operators (``$all``,
``$elemMatch``, ``$size``, ``$contains``) are answered by the reference
:func:`~mastra_lab.vector.filter.matches`, row by row. The result equals ``matches`` for every row (a
property test checks it after arbitrary writes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final

import numpy as np

from mastra_lab.vector._columns import KIND_MISSING as _MISSING
from mastra_lab.vector._columns import KIND_NULL as _NULL
from mastra_lab.vector._columns import Column as _Column
from mastra_lab.vector._columns import batch_paths
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

__all__ = ["MAX_COLUMNS", "ColumnCache"]

_NUM_CMP: dict[str, Any] = {
    "$gt": np.greater,
    "$gte": np.greater_equal,
    "$lt": np.less,
    "$lte": np.less_equal,
}
_FAST_OPS = frozenset({"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$regex"})
MAX_COLUMNS: Final = 64
"""Paths materialised as columns when written; further paths get a column the first time a filter reads
them (one pass over the documents) and are kept current from then on. Bounds memory for documents with
many distinct keys."""


class ColumnCache:
    """Columns for every path of a collection's documents, kept current by the writes instead of rebuilt.

    The owner keeps the documents in one list and tells the view what changed: :meth:`appended` after adding
    documents at the end, :meth:`replaced` after overwriting some, :meth:`moved` after a compacting delete.
    Both vector stores keep one per index (in :class:`~mastra_lab.vector._rows.Rows`), so every filter on
    either is answered here.

    Args:
        docs: The documents, one per row (the list is read, never copied or changed).
        max_columns: How many paths to materialise as documents are written (see :data:`MAX_COLUMNS`).
    """

    def __init__(self, docs: Sequence[Any], max_columns: int = MAX_COLUMNS) -> None:
        self.docs = docs
        self._max_columns = max_columns
        self._columns: dict[tuple[str, ...], _Column] = {}
        self._rows = 0
        self._partial = False  # some path was left out because MAX_COLUMNS were already materialised
        self.appended()

    def appended(self) -> None:
        """Documents were added at the end of ``docs``: extend every column with them only."""
        start = self._rows
        new = list(self.docs[start:])
        self._rows = len(self.docs)
        if not new:
            return
        batch = batch_paths(new)
        for path, col in self._columns.items():
            values = batch.pop(path, None)
            col.extend(values if values is not None else [MISSING] * len(new))
        for path, values in batch.items():
            if self._full():
                break
            col = _Column.missing(start)
            col.extend(values)
            self._columns[path] = col

    def replaced(self, rows: Sequence[int] | np.ndarray) -> None:
        """The documents at ``rows`` (distinct row numbers) were replaced: overwrite those entries only."""
        at = np.asarray(rows, dtype=np.int64)
        if not len(at):
            return
        new = [self.docs[r] for r in at.tolist()]
        batch = batch_paths(new)
        for path, col in self._columns.items():
            values = batch.pop(path, None)
            col.assign(at, values if values is not None else [MISSING] * len(new))
        for path, values in batch.items():
            if self._full():
                break
            col = _Column.missing(len(self.docs))
            col.assign(at, values)
            self._columns[path] = col

    def moved(self, holes: np.ndarray, sources: np.ndarray) -> None:
        """Rows were deleted and the list compacted (see ``plan_removal``): mirror it in the columns."""
        self._rows = len(self.docs)
        for col in self._columns.values():
            col.move(holes, sources, self._rows)

    def _full(self) -> bool:
        if len(self._columns) < self._max_columns:
            return False
        self._partial = True
        return True

    def column(self, path: tuple[str, ...]) -> _Column:
        """The column at ``path``; a path no document has is an all-missing column (not kept)."""
        col = self._columns.get(path)
        if col is None:
            if not self._partial:
                return _Column.missing(len(self.docs))
            col = _Column.of([resolve(d, path) for d in self.docs])
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
