"""The columnar metadata view answers every filter exactly like the reference ``matches``, after any writes.

Both stores keep one view per index and update it in place on appends, replacements, metadata updates and
compacting deletes (DuckDBVector also rebuilds it from its table on reopen), so these properties drive
random write sequences through the public API - and, directly, through the view's own protocol - and
compare every answer with :func:`~mastra_lab.vector.filter.matches` on a plain model of the documents.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mastra_lab.vector import DuckDBVector, InMemoryVector, VectorStore
from mastra_lab.vector._filter_np import ColumnCache
from mastra_lab.vector.filter import MISSING, matches, parse_filter, resolve

# Small pools, so that documents and filters keep meeting the same values.
FIELDS = ["a", "b"]
STRINGS = st.sampled_from(["x", "y", "xy", "Ab"])
NUMBERS = st.sampled_from([0, 1, 2.5, -1])
SCALARS = st.one_of(STRINGS, NUMBERS, st.booleans(), st.none())
VALUES = st.one_of(
    SCALARS,
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.sampled_from(FIELDS), st.one_of(SCALARS, st.lists(SCALARS, max_size=2)), max_size=2),
)
DOC = st.dictionaries(st.sampled_from([*FIELDS, "c"]), VALUES, max_size=3)
FIRST_DOC = st.dictionaries(st.just("a"), VALUES)  # so that later writes bring paths the view has not seen
PATHS = st.sampled_from(["a", "b", "c", "a.b", "nope"])
COMPARABLE = st.one_of(NUMBERS, STRINGS)
CONDITIONS = st.one_of(
    SCALARS,
    VALUES,
    st.builds(lambda v: {"$ne": v}, SCALARS),
    st.builds(lambda op, v: {op: v}, st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), COMPARABLE),
    st.builds(lambda op, v: {op: v}, st.sampled_from(["$in", "$nin"]), st.lists(VALUES, max_size=3)),
    st.builds(lambda v: {"$exists": v}, st.booleans()),
    st.builds(lambda v: {"$regex": v}, st.sampled_from(["^x", "y$", "b|y", "A"])),
    st.builds(lambda v: {"$size": v}, st.integers(0, 2)),
    st.builds(lambda v: {"$elemMatch": {"$gte": v}}, COMPARABLE),
)
LEAVES = st.builds(lambda p, c: {p: c}, PATHS, CONDITIONS)
FILTERS = st.one_of(
    LEAVES,
    st.builds(
        lambda op, xs: {op: xs},
        st.sampled_from(["$and", "$or", "$nor"]),
        st.lists(LEAVES, min_size=1, max_size=3),
    ),
    st.builds(lambda x: {"$not": x}, LEAVES),
)
IDS = st.integers(0, 4)
WRITES = st.lists(
    st.one_of(
        st.tuples(st.just("upsert"), st.lists(st.tuples(IDS, DOC), min_size=1, max_size=4)),
        st.tuples(st.just("update"), st.tuples(IDS, DOC)),
        st.tuples(st.just("revector"), IDS),
        st.tuples(st.just("delete"), IDS),
        st.tuples(st.just("delete_where"), FILTERS),
        st.tuples(st.just("reopen"), st.none()),
    ),
    max_size=8,
)


def _probes(docs: list[Any]) -> list[dict[str, Any]]:
    """Filters that touch every column with the values it holds: equality, ranges and more per value."""
    out: list[dict[str, Any]] = [{"a": {"$regex": "y"}}, {"b": {"$size": 1}}, {"a": {"$exists": False}}]
    for path in ("a", "b", "c", "a.b"):
        seen: list[Any] = []
        for doc in docs:
            value = resolve(doc, tuple(path.split(".")))
            for v in value if isinstance(value, list) else [value]:
                if v is not MISSING and not isinstance(v, list | dict) and v not in seen:
                    seen.append(v)
        for v in seen:
            out += [{path: v}, {path: {"$ne": v}}, {path: {"$in": [v, "xy"]}}]
            if isinstance(v, int | float | str) and not isinstance(v, bool):
                out += [{path: {"$gt": v}}, {path: {"$lte": v}}]
    return out


def _apply(store: VectorStore, model: dict[str, dict[str, Any]], op: str, arg: Any) -> None:
    """One write through the public API, mirrored on the model."""
    if op == "upsert":
        batch = {f"i{k}": m for k, m in arg}  # one entry per id
        store.upsert("t", [[1.0, 0.0]] * len(batch), ids=list(batch), metadata=list(batch.values()))
        model.update(batch)
    elif op == "update" and f"i{arg[0]}" in model:
        store.update_vector("t", f"i{arg[0]}", metadata=arg[1])
        model[f"i{arg[0]}"] = arg[1]
    elif op == "revector" and f"i{arg}" in model:
        store.update_vector("t", f"i{arg}", vector=[0.5, 0.5])
    elif op == "delete":
        assert store.delete_vector("t", f"i{arg}") is (model.pop(f"i{arg}", None) is not None)
    elif op == "delete_where":
        node = parse_filter(arg)
        gone = {i for i, m in model.items() if matches(node, m)}
        assert store.delete_vectors("t", arg) == len(gone)
        for i in gone:
            del model[i]


def _check(store: VectorStore, model: dict[str, dict[str, Any]], filters: list[dict[str, Any]]) -> None:
    rows = store._resident["t"]
    assert {i: rows.metas[rows.pos[i]] for i in model} == model and rows.n == len(model)
    for flt in [*filters, *_probes(rows.metas)]:
        node = parse_filter(flt)
        assert rows.view.mask(node).tolist() == [matches(node, m) for m in rows.metas], flt
    for flt in filters:
        node = parse_filter(flt)
        got = {h.id for h in store.query("t", [1.0, 0.0], top_k=50, filter=flt)}
        assert got == {i for i, m in model.items() if matches(node, m)}, flt


@pytest.mark.parametrize("kind", ["memory", "duckdb"])
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
@given(writes=WRITES, filters=st.lists(FILTERS, min_size=1, max_size=3))
def test_every_filter_matches_the_reference_after_any_sequence_of_writes(
    kind: str, writes: list[tuple[str, Any]], filters: list[dict[str, Any]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.duckdb"
        store: VectorStore = InMemoryVector() if kind == "memory" else DuckDBVector(path)
        store.create_index("t", 2)
        model: dict[str, dict[str, Any]] = {}
        try:
            for op, arg in writes:
                if op == "reopen" and kind == "duckdb":
                    store.close()
                    store = DuckDBVector(path)  # the view is rebuilt from the table
                else:
                    _apply(store, model, op, arg)
                store.query("t", [1.0, 0.0])  # loads the rows after a reopen
                _check(store, model, filters)
        finally:
            store.close()


VIEW_OPS = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.lists(DOC, min_size=1, max_size=4)),
        st.tuples(st.just("replace"), st.lists(st.tuples(IDS, DOC), max_size=3)),
        st.tuples(st.just("delete"), st.lists(IDS, max_size=3)),
    ),
    max_size=8,
)


@pytest.mark.parametrize("max_columns", [1, 64])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    first=st.lists(FIRST_DOC, min_size=1, max_size=6) | st.lists(DOC, min_size=1, max_size=6),
    ops=VIEW_OPS,
    flt=FILTERS,
)
def test_the_view_kept_current_in_place_equals_the_reference_even_past_its_column_budget(
    max_columns: int, first: list[dict[str, Any]], ops: list[tuple[str, Any]], flt: dict[str, Any]
) -> None:
    from mastra_lab.vector._matrix import plan_removal

    node = parse_filter(flt)
    docs = list(first)
    view = ColumnCache(docs, max_columns=max_columns)
    for op, arg in ops:
        view.mask(node)  # a path past the budget is read now and then kept current like the others
        if op == "append":
            docs.extend(arg)
            view.appended()
        elif op == "replace":
            rows = {k: m for k, m in arg if k < len(docs)}
            for k, m in rows.items():
                docs[k] = m
            view.replaced(list(rows))
        else:
            dead, holes, sources = plan_removal(len(docs), np.array([k for k in arg if k < len(docs)]))
            for h, s in zip(holes.tolist(), sources.tolist(), strict=True):
                docs[h] = docs[s]
            del docs[len(docs) - len(dead) :]
            view.moved(holes, sources)
        for probe in [node, *map(parse_filter, _probes(docs))]:
            assert view.mask(probe).tolist() == [matches(probe, d) for d in docs], (op, probe)
