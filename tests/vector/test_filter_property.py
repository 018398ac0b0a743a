"""Property test: for random documents and filters, Python, numpy and DuckDB SQL select the same ids.

The filters cover every operator, ``$regex`` with each ``$options`` flag, empty ``$and``/``$or``/``$nor``
and ``$contains`` on scalar fields.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mastra_lab.vector._filter_np import ColumnCache
from mastra_lab.vector._filter_sql import compile_sql
from mastra_lab.vector.filter import matches, parse_filter

FIELDS = ["a", "b", "c"]
STRINGS = st.sampled_from(["", "x", "y", "xy", "Ab", "b", "X", "x\ny", "a b"])
NUMBERS = st.one_of(st.integers(-3, 3), st.sampled_from([-1.5, 0.5, 2.0, 2.5]))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=2)
    ),
    max_leaves=5,
)
DOCS = st.lists(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=3), min_size=1, max_size=8)
PATHS = st.sampled_from(["a", "b", "c", "a.b", "b.c"])
COMPARABLE = st.one_of(NUMBERS, STRINGS)


def _field_conditions() -> st.SearchStrategy[Any]:
    return st.one_of(
        VALUES,
        st.builds(lambda v: {"$eq": v}, VALUES),
        st.builds(lambda v: {"$ne": v}, VALUES),
        st.builds(lambda op, v: {op: v}, st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), COMPARABLE),
        st.builds(
            lambda op, v: {op: v}, st.sampled_from(["$in", "$nin", "$all"]), st.lists(VALUES, max_size=3)
        ),
        st.builds(lambda v: {"$exists": v}, st.booleans()),
        st.builds(lambda v: {"$size": v}, st.integers(0, 3)),
        st.builds(lambda v: {"$regex": v}, st.sampled_from(["^x", "y$", "x|b", "A", "^$"])),
        st.builds(
            lambda v, o: {"$regex": v, "$options": o},
            st.sampled_from(["^x", "y$", "x.y", "^y", "a b", "A  # upper\n", "[ ]b"]),
            st.sampled_from(["", "i", "m", "s", "x", "im", "ms", "ix", "imsx"]),
        ),
        st.builds(lambda v: {"$contains": v}, st.one_of(SCALARS, st.lists(SCALARS, max_size=2))),
        st.builds(lambda v: {"$not": {"$gt": v}}, COMPARABLE),
        st.builds(lambda v: {"$elemMatch": {"$gte": v}}, COMPARABLE),
        st.builds(lambda p, v: {"$elemMatch": {p: v}}, st.sampled_from(FIELDS), VALUES),
    )


LEAVES = st.builds(lambda p, c: {p: c}, PATHS, _field_conditions())
FILTERS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.builds(
            lambda op, xs: {op: xs},
            st.sampled_from(["$and", "$or", "$nor"]),
            st.lists(inner, max_size=3),
        ),
        st.builds(lambda x: {"$not": x}, inner),
    ),
    max_leaves=4,
)

# The forms MongoDB and Mastra accept beyond plain operators, drawn often enough to meet matching documents.
MASTRA_LEAVES = st.builds(
    lambda p, c: {p: c},
    st.sampled_from(FIELDS),
    st.one_of(
        st.builds(lambda v: {"$contains": v}, SCALARS),
        st.builds(
            lambda v, o: {"$regex": v, "$options": o},
            st.sampled_from(["^x", "y$", "x.y", "^y", "a b", "[ ]b", "b  # letter b\n"]),
            st.sampled_from(["", "i", "m", "s", "x", "im", "ms", "ix", "imsx"]),
        ),
    ),
)
MASTRA_FILTERS = st.recursive(
    MASTRA_LEAVES,
    lambda inner: st.builds(
        lambda op, xs: {op: xs}, st.sampled_from(["$and", "$or", "$nor"]), st.lists(inner, max_size=2)
    ),
    max_leaves=3,
)
SCALAR_DOCS = st.lists(st.dictionaries(st.sampled_from(FIELDS), SCALARS, max_size=3), min_size=1, max_size=8)

_CON = duckdb.connect()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=DOCS, flt=FILTERS)
def test_python_numpy_and_duckdb_select_the_same_documents(
    docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    _assert_back_ends_agree(docs, flt)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=SCALAR_DOCS, flt=MASTRA_FILTERS)
def test_regex_options_empty_logicals_and_scalar_contains_agree_everywhere(
    docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    _assert_back_ends_agree(docs, flt)


def _assert_back_ends_agree(docs: list[dict[str, Any]], flt: dict[str, Any]) -> None:
    node = parse_filter(flt)
    expected = [i for i, d in enumerate(docs) if matches(node, d)]
    assert ColumnCache(docs).mask(node).nonzero()[0].tolist() == expected
    sql, params = compile_sql(node)
    rows = [(i, json.dumps(d, sort_keys=True)) for i, d in enumerate(docs)]
    got = _CON.execute(
        f"SELECT i FROM (SELECT i, CAST(m AS JSON) AS metadata FROM (SELECT UNNEST(?) AS i, UNNEST(?) AS m)) "
        f"WHERE {sql} ORDER BY i",
        [[r[0] for r in rows], [r[1] for r in rows], *params],
    ).fetchall()
    assert [r[0] for r in got] == expected, (sql, params)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=DOCS, later=DOCS, flt=FILTERS)
def test_columns_extended_after_an_append_match_a_fresh_evaluation(
    first: list[dict[str, Any]], later: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    node = parse_filter(flt)
    docs = list(first)
    cache = ColumnCache(docs)
    cache.mask(node)  # fills the columns this filter reads
    docs.extend(later)
    cache.appended()
    assert cache.mask(node).nonzero()[0].tolist() == [i for i, d in enumerate(docs) if matches(node, d)]
