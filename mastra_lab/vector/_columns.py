"""Typed, growable columns of metadata values: what the numpy filter evaluator reads instead of documents.

One :class:`Column` holds the values found at one path (``("source",)``, ``("author", "name")``) of every
row of an index, as numpy arrays: a kind code per row, a float64 column for numbers, an int8 column for
booleans and int codes into the *sorted* unique strings (so string ranges are integer comparisons too), plus
the raw values for the rows that need the reference semantics (arrays). Columns grow like the vector matrix
(capacity grows geometrically) and change in place on every kind of write - appends, replacements and the
compaction that deletes do - so keeping them current costs work proportional to the rows written, never a
rebuild. :func:`batch_paths` finds every path of a batch of documents and its values, one pass per path.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from mastra_lab.vector.filter import MISSING

__all__ = [
    "KIND_ARRAY",
    "KIND_BOOL",
    "KIND_MISSING",
    "KIND_NULL",
    "KIND_NUM",
    "KIND_OBJECT",
    "KIND_STR",
    "Column",
    "batch_paths",
    "kind_of",
]

KIND_MISSING, KIND_NULL, KIND_BOOL, KIND_NUM, KIND_STR, KIND_ARRAY, KIND_OBJECT = range(7)
_TYPE_KIND: dict[type, int] = {
    type(MISSING): KIND_MISSING,
    type(None): KIND_NULL,
    bool: KIND_BOOL,
    int: KIND_NUM,
    float: KIND_NUM,
    str: KIND_STR,
    list: KIND_ARRAY,
    dict: KIND_OBJECT,
}


def kind_of(v: Any) -> int:
    """The kind code of one value (subclasses of the JSON types included)."""
    if v is MISSING:
        return KIND_MISSING
    if v is None:
        return KIND_NULL
    if isinstance(v, bool):
        return KIND_BOOL
    if isinstance(v, int | float):
        return KIND_NUM
    if isinstance(v, str):
        return KIND_STR
    return KIND_ARRAY if isinstance(v, list) else KIND_OBJECT


def _kinds(values: Sequence[Any]) -> np.ndarray:
    """Kind codes of many values: a type lookup in C for the exact JSON types, :func:`kind_of` for others."""
    kinds = np.fromiter(map(_TYPE_KIND.get, map(type, values), repeat(-1)), dtype=np.int8, count=len(values))
    for i in np.flatnonzero(kinds < 0).tolist():
        kinds[i] = kind_of(values[i])
    return kinds


def _float(v: Any) -> float:
    try:
        return float(v)
    except OverflowError:  # an integer beyond float64: keep its sign, and its order against ordinary numbers
        return float("inf") if v > 0 else float("-inf")


def _floats(values: list[Any]) -> np.ndarray:
    try:
        return np.array(values, dtype=np.float64)
    except OverflowError:
        return np.array([_float(v) for v in values], dtype=np.float64)


class Column:
    """The values at one path, one entry per row (see the module docstring).

    ``kind``, ``num``, ``bool`` and ``code`` are views of the live rows; ``values`` is the list of raw values
    (:data:`~mastra_lab.vector.filter.MISSING` where the path is absent); ``array_rows`` lists the rows whose
    value is an array; ``strings`` are the sorted distinct strings that ``code`` points into (it may also hold
    strings no row uses any more, which no comparison can tell apart from absent ones).
    """

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.strings: list[str] = []
        self.array_rows = np.empty(0, dtype=np.int64)
        self._kind: npt.NDArray[np.int8] = np.empty(0, dtype=np.int8)
        self._num: npt.NDArray[np.float64] = np.empty(0, dtype=np.float64)
        self._bool: npt.NDArray[np.int8] = np.empty(0, dtype=np.int8)
        self._code: npt.NDArray[np.int64] = np.empty(0, dtype=np.int64)

    @classmethod
    def of(cls, values: list[Any]) -> Column:
        """A column holding ``values``."""
        col = cls()
        col.extend(values)
        return col

    @classmethod
    def missing(cls, n: int) -> Column:
        """A column of ``n`` rows that all lack the path."""
        col = cls()
        col._reserve(n)
        col._kind[:n] = KIND_MISSING
        col._num[:n] = np.nan
        col._bool[:n] = -1
        col._code[:n] = -1
        col.values = [MISSING] * n
        return col

    @property
    def kind(self) -> npt.NDArray[np.int8]:
        return self._kind[: len(self.values)]

    @property
    def num(self) -> npt.NDArray[np.float64]:
        return self._num[: len(self.values)]

    @property
    def bool(self) -> npt.NDArray[np.int8]:
        return self._bool[: len(self.values)]

    @property
    def code(self) -> npt.NDArray[np.int64]:
        return self._code[: len(self.values)]

    def _reserve(self, rows: int) -> None:
        if rows <= len(self._kind):
            return
        cap = max(rows, int(len(self._kind) * 1.5) + 16)
        n = len(self.values)
        for attr in ("_kind", "_num", "_bool", "_code"):
            old = getattr(self, attr)
            new = np.empty(cap, dtype=old.dtype)
            new[:n] = old[:n]
            setattr(self, attr, new)

    def extend(self, values: list[Any]) -> None:
        """Append rows (work proportional to ``len(values)``, plus a code shift if new strings arrive)."""
        start, end = len(self.values), len(self.values) + len(values)
        self._reserve(end)
        kinds = _kinds(values)
        self._kind[start:end] = kinds
        self._num[start:end] = np.nan
        self._bool[start:end] = -1
        self._code[start:end] = -1
        self.values.extend(values)
        rows = np.arange(start, end, dtype=np.int64)
        self._fill(rows, kinds, values)
        arrays = np.flatnonzero(kinds == KIND_ARRAY)
        if len(arrays):
            self.array_rows = np.concatenate([self.array_rows, rows[arrays]])

    def assign(self, rows: np.ndarray, values: list[Any]) -> None:
        """Overwrite the values at ``rows`` (distinct row numbers)."""
        had_arrays = bool(len(self.array_rows)) and bool((self._kind[rows] == KIND_ARRAY).any())
        for row, value in zip(rows.tolist(), values, strict=True):
            self.values[row] = value
        kinds = _kinds(values)
        self._kind[rows] = kinds
        self._num[rows] = np.nan
        self._bool[rows] = -1
        self._code[rows] = -1
        self._fill(rows, kinds, values)
        if had_arrays or (kinds == KIND_ARRAY).any():
            self.array_rows = np.flatnonzero(self.kind == KIND_ARRAY)
        self._drop_unused_strings()

    def move(self, holes: np.ndarray, sources: np.ndarray, n: int) -> None:
        """Mirror a compaction: the row at ``sources[i]`` moves to ``holes[i]``, then keep ``n`` rows."""
        for hole, src in zip(holes.tolist(), sources.tolist(), strict=True):
            self.values[hole] = self.values[src]
        del self.values[n:]
        for arr in (self._kind, self._num, self._bool, self._code):
            arr[holes] = arr[sources]
        if len(self.array_rows):
            self.array_rows = np.flatnonzero(self.kind == KIND_ARRAY)
        self._drop_unused_strings()

    def _fill(self, rows: np.ndarray, kinds: np.ndarray, values: list[Any]) -> None:
        """Write the typed entries of ``rows`` (whose slots were just reset) from ``values``."""
        for kind, target in ((KIND_NUM, self._num), (KIND_BOOL, self._bool)):
            at = np.flatnonzero(kinds == kind)
            if len(at):
                picked = [values[i] for i in at.tolist()]
                target[rows[at]] = _floats(picked) if kind == KIND_NUM else np.array(picked, dtype=np.int8)
        at = np.flatnonzero(kinds == KIND_STR)
        if len(at):
            self._code[rows[at]] = self._encode([values[i] for i in at.tolist()])

    def _encode(self, strs: list[str]) -> np.ndarray:
        """Codes of ``strs``, merging new strings into the sorted uniques and shifting existing codes."""
        distinct = sorted(set(strs))
        old = self.strings
        at = [bisect.bisect_left(old, s) for s in distinct]
        fresh = [(p, s) for p, s in zip(at, distinct, strict=True) if p == len(old) or old[p] != s]
        if fresh:
            if old:
                inserted = np.array([p for p, _ in fresh], dtype=np.int64)
                shift = np.zeros(len(old) + 1, dtype=np.int64)  # the extra 0 is picked by code -1 (no string)
                shift[:-1] = np.searchsorted(inserted, np.arange(len(old)), side="right")
                codes = self.code
                codes += shift[codes]
            if len(fresh) <= 8:  # the usual single write: a memmove per string beats rebuilding the list
                for offset, (p, string) in enumerate(fresh):
                    old.insert(p + offset, string)
            else:
                self.strings = sorted(old + [s for _, s in fresh])  # two sorted runs: one linear merge
        lookup = {s: bisect.bisect_left(self.strings, s) for s in distinct}
        return np.fromiter(map(lookup.__getitem__, strs), dtype=np.int64, count=len(strs))

    def _drop_unused_strings(self) -> None:
        """Forget strings no row uses once they outnumber the rows (keeps memory bounded under updates)."""
        if len(self.strings) <= 2 * len(self.values) + 64:
            return
        codes = self.code
        used = np.unique(codes[codes >= 0])
        remap = np.full(len(self.strings), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        has = codes >= 0
        codes[has] = remap[codes[has]]
        self.strings = [self.strings[i] for i in used.tolist()]

    def str_bound(self, value: str, side: str) -> int:
        """Position of ``value`` among the sorted unique strings (``bisect_left``/``bisect_right``)."""
        return (bisect.bisect_left if side == "left" else bisect.bisect_right)(self.strings, value)


def batch_paths(docs: Sequence[Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[Any]]:
    """Every path present in at least one of ``docs`` (objects, recursively), with its value per document.

    A document without the path, or where it runs through a non-object, gets
    :data:`~mastra_lab.vector.filter.MISSING` - exactly what :func:`~mastra_lab.vector.filter.resolve`
    returns. Array elements are not paths (a dot path never enters an array).

    Args:
        docs: The documents (normally the metadata objects of a batch of rows).
        prefix: The path of ``docs`` themselves when they are nested values.
    """
    is_object = list(map(isinstance, docs, repeat(dict)))
    every = all(is_object)
    if not every and not any(is_object):
        return {}
    objects = docs if every else [d for d, o in zip(docs, is_object, strict=True) if o]
    out: dict[tuple[str, ...], list[Any]] = {}
    for key in set().union(*objects):
        if every:
            values = [d.get(key, MISSING) for d in docs]
        else:
            values = [d.get(key, MISSING) if o else MISSING for d, o in zip(docs, is_object, strict=True)]
        path = (*prefix, key)
        out[path] = values
        out.update(batch_paths(values, path))
    return out
