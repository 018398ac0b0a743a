"""The filter language: parsing/validation, documented semantics, and the three back-ends agreeing."""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

from mastra_lab.errors import FilterError
from mastra_lab.vector import VectorStore
from mastra_lab.vector._filter_np import ColumnCache
from mastra_lab.vector._filter_sql import compile_sql
from mastra_lab.vector.filter import And, Cond, ElemMatch, Not, Or, matches, parse_filter, parse_filter_json

DOCS: list[dict[str, Any]] = [
    {"genre": "news", "year": 2021, "tags": ["x", "y"], "author": {"name": "ann", "age": 40}},
    {"genre": "blog", "year": 2019, "tags": ["y"], "score": 4.5, "draft": True},
    {"genre": "news", "year": 2023, "tags": "x", "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 9}]},
    {"genre": None, "title": "Hello World"},
    {},
]

CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({"genre": "news"}, [0, 2]),
    ({"genre": {"$eq": "news"}, "year": {"$gte": 2022}}, [2]),
    ({"tags": "x"}, [0, 2]),
    ({"tags": ["y"]}, [1]),
    ({"genre": None}, [3, 4]),
    ({"genre": {"$ne": "news"}}, [1, 3, 4]),
    ({"year": {"$gt": 2019, "$lt": 2023}}, [0]),
    ({"genre": {"$gt": "c"}}, [0, 2]),
    ({"genre": {"$in": ["blog", None]}}, [1, 3, 4]),
    ({"genre": {"$nin": ["news"]}}, [1, 3, 4]),
    ({"tags": {"$all": ["x", "y"]}}, [0]),
    ({"tags": {"$size": 1}}, [1]),
    ({"items": {"$elemMatch": {"sku": "b", "qty": {"$gt": 5}}}}, [2]),
    ({"items": {"$elemMatch": {"sku": "a", "qty": {"$gt": 5}}}}, []),
    ({"score": {"$exists": True}}, [1]),
    ({"score": {"$exists": False}}, [0, 2, 3, 4]),
    ({"title": {"$regex": "^Hel+o"}}, [3]),
    ({"title": {"$contains": "World"}}, [3]),
    ({"tags": {"$contains": "y"}}, [0, 1]),
    ({"author.name": "ann"}, [0]),
    ({"author.age": {"$lte": 40}}, [0]),
    ({"$or": [{"draft": True}, {"year": 2023}]}, [1, 2]),
    ({"$and": [{"genre": "news"}, {"tags": "y"}]}, [0]),
    ({"$nor": [{"genre": "news"}, {"genre": "blog"}]}, [3, 4]),
    ({"year": {"$not": {"$gt": 2020}}}, [1, 3, 4]),
    ({"$not": {"genre": "news"}}, [1, 3, 4]),
    ({"draft": 1}, []),
    ({"year": 2021.0}, [0]),
    ({"year": "2021"}, []),
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE t (i INTEGER, metadata JSON)")
    c.executemany(
        "INSERT INTO t VALUES (?, ?)", [(i, json.dumps(d, sort_keys=True)) for i, d in enumerate(DOCS)]
    )
    return c


def _sql_ids(con: duckdb.DuckDBPyConnection, node: Any) -> list[int]:
    sql, params = compile_sql(node)
    return [r[0] for r in con.execute(f"SELECT i FROM t WHERE {sql} ORDER BY i", params).fetchall()]


@pytest.mark.parametrize(("flt", "expected"), CASES, ids=[json.dumps(c[0]) for c in CASES])
def test_filter_semantics_in_python_numpy_and_sql(
    con: duckdb.DuckDBPyConnection, flt: dict[str, Any], expected: list[int]
) -> None:
    node = parse_filter(flt)
    assert [i for i, d in enumerate(DOCS) if matches(node, d)] == expected
    assert ColumnCache(DOCS).mask(node).nonzero()[0].tolist() == expected
    assert _sql_ids(con, node) == expected


MASTRA_DOCS: list[dict[str, Any]] = [
    {"title": "Hello World", "n": 3, "flag": True, "none": None},
    {"title": "hello\nworld", "n": 4, "flag": False, "tags": ["a", "b"]},
    {"title": "HELLO", "n": 3.0},
    {},
]

MASTRA_CASES: list[tuple[dict[str, Any], list[int]]] = [
    ({"title": {"$regex": "^hello"}}, [1]),
    ({"title": {"$regex": "^hello", "$options": "i"}}, [0, 1, 2]),
    ({"title": {"$regex": "^world"}}, []),
    ({"title": {"$regex": "^world$", "$options": "m"}}, [1]),
    ({"title": {"$regex": "hello.world"}}, []),
    ({"title": {"$regex": "hello.world", "$options": "s"}}, [1]),
    ({"title": {"$regex": "h e l l o  # spaces and comments are ignored\n [ ]world", "$options": "xi"}}, [0]),
    ({"title": {"$not": {"$regex": "^h", "$options": "i"}}}, [3]),
    ({"tags": {"$elemMatch": {"$regex": "A", "$options": "i"}}}, [1]),
    ({"$and": []}, [0, 1, 2, 3]),
    ({"$nor": []}, [0, 1, 2, 3]),
    ({"$or": []}, []),
    ({"$and": [], "n": 3}, [0, 2]),
    ({"$or": [], "n": 3}, []),
    ({"$not": {"$or": []}}, [0, 1, 2, 3]),
    ({"n": {"$contains": 3}}, [0, 2]),
    ({"flag": {"$contains": False}}, [1]),
    ({"none": {"$contains": None}}, [0]),
    ({"n": {"$contains": "3"}}, []),
    ({"title": {"$contains": 3}}, []),
    ({"title": {"$contains": "World"}}, [0]),
    ({"tags": {"$contains": "a"}}, [1]),
    ({"tags": {"$contains": ["b", "a"]}}, [1]),
]


@pytest.fixture(scope="module")
def mastra_con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE t (i INTEGER, metadata JSON)")
    c.executemany(
        "INSERT INTO t VALUES (?, ?)",
        [(i, json.dumps(d, sort_keys=True)) for i, d in enumerate(MASTRA_DOCS)],
    )
    return c


@pytest.mark.parametrize(("flt", "expected"), MASTRA_CASES, ids=[json.dumps(c[0]) for c in MASTRA_CASES])
def test_mastra_compatible_forms_agree_in_python_numpy_and_sql(
    mastra_con: duckdb.DuckDBPyConnection, flt: dict[str, Any], expected: list[int]
) -> None:
    """``$regex`` with ``$options``, identities of empty logical lists, ``$contains`` on a scalar."""
    node = parse_filter(flt)
    assert [i for i, d in enumerate(MASTRA_DOCS) if matches(node, d)] == expected
    assert ColumnCache(MASTRA_DOCS).mask(node).nonzero()[0].tolist() == expected
    assert _sql_ids(mastra_con, node) == expected


def test_regex_options_become_one_pattern_every_back_end_reads_the_same_way() -> None:
    assert parse_filter({"t": {"$regex": "a b", "$options": "xsi"}}) == Cond(("t",), "$regex", "(?is:ab)")
    assert parse_filter({"t": {"$regex": "^a", "$options": ""}}) == Cond(("t",), "$regex", "^a")


def test_parse_builds_an_ast_with_bare_values_as_eq_and_dot_paths() -> None:
    node = parse_filter(
        {"a.b": 1, "c": {"$gt": 2, "$lt": 5}, "$or": [{"d": "x"}, {"e": {"$not": {"$eq": 1}}}]}
    )
    assert node == And(
        (
            Cond(("a", "b"), "$eq", 1),
            And((Cond(("c",), "$gt", 2), Cond(("c",), "$lt", 5))),
            Or((Cond(("d",), "$eq", "x"), Not(Cond(("e",), "$eq", 1)))),
        )
    )
    assert parse_filter({"xs": {"$elemMatch": {"$gt": 1}}}) == ElemMatch(("xs",), Cond((), "$gt", 1))
    assert parse_filter(None) == And(()) == parse_filter({})


@pytest.mark.parametrize(
    ("flt", "message"),
    [
        (
            {"a": {"$near": 1}},
            r"unknown filter operator '\$near'; valid operators are: \$all, \$and, \$contains",
        ),
        ({"$where": "x"}, r"unknown filter operator '\$where'"),
        ({"$gt": 5}, r"operator '\$gt' cannot be used at the root"),
        ({"a": {"$in": "x"}}, r"\$in on 'a' needs a list of values, got 'x'"),
        ({"a": {"$nin": 3}}, r"\$nin on 'a' needs a list"),
        ({"a": {"$gt": [1]}}, r"\$gt on 'a' needs a number or a string"),
        ({"a": {"$gt": True}}, r"needs a number or a string"),
        ({"a": {"$exists": 1}}, r"\$exists on 'a' needs true or false"),
        ({"a": {"$size": -1}}, r"non-negative integer"),
        ({"a": {"$regex": "("}}, r"invalid regular expression"),
        ({"a": {"$gt": 1, "b": 2}}, r"cannot mix operators and plain keys"),
        ({"$or": {"a": 1}}, r"\$or needs a list of filter objects"),
        ({"$not": {}}, r"\$not needs a non-empty filter object"),
        ({"a": {"$options": "i"}}, r"\$options on 'a' only modifies \$regex"),
        ({"a": {"$regex": "x", "$options": "iq"}}, r"unknown \$options flag 'q' on 'a'; use i, m, s or x"),
        ({"a": {"$regex": "x", "$options": 1}}, r"\$options on 'a' needs a string of flags"),
        ({"a": {"$regex": "(?i)x", "$options": "m"}}, r"move the inline flags of '\(\?i\)x' into \$options"),
        ({"$options": "i"}, r"operator '\$options' cannot be used at the root"),
        ({"a'); DROP TABLE t; --": 1}, r"invalid field path"),
        ({"a..b": 1}, r"invalid field path"),
        ({"a": {"$not": 5}}, r"\$not on 'a' needs an operator object"),
        ({"a": {"$elemMatch": 5}}, r"\$elemMatch on 'a' needs a non-empty filter object"),
        ({"a": {"$eq": float("nan")}}, r"must be JSON"),
    ],
)
def test_malformed_filters_raise_filter_error_naming_the_problem(flt: Any, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(flt)


def test_filter_that_is_not_a_dict_is_rejected() -> None:
    with pytest.raises(FilterError, match="a filter must be a dict"):
        parse_filter(["a"])  # type: ignore[arg-type]


def test_sql_binds_values_as_parameters_never_in_the_text() -> None:
    sql, params = compile_sql(parse_filter({"name": "x' OR 1=1 --", "n": {"$in": [1, 2]}}))
    assert "OR 1=1" not in sql
    assert "x' OR 1=1 --" in params and 1.0 in params


STORE_CASES = [
    (docs, flt, want) for docs, cases in ((DOCS, CASES), (MASTRA_DOCS, MASTRA_CASES)) for flt, want in cases
]


@pytest.mark.parametrize(
    ("docs", "flt", "expected"), STORE_CASES, ids=[json.dumps(c[1]) for c in STORE_CASES]
)
def test_every_store_answers_each_filter_form_like_the_reference(
    store: VectorStore, docs: list[dict[str, Any]], flt: dict[str, Any], expected: list[int]
) -> None:
    store.create_index("t", 2)
    store.upsert("t", [[1.0, 0.0]] * len(docs), ids=[str(i) for i in range(len(docs))], metadata=docs)
    hits = store.query("t", [1.0, 0.0], top_k=len(docs), filter=flt)
    assert sorted(int(h.id) for h in hits) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", None),
        ("  \n", None),
        ('{"category": "billing"}', {"category": "billing"}),
        ('{"year": {"$gte": 2020}, "tags": ["a"]}', {"year": {"$gte": 2020}, "tags": ["a"]}),
    ],
)
def test_a_json_filter_parses_to_its_object_and_blank_means_none(text: str, expected: Any) -> None:
    assert parse_filter_json(text) == expected


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        (
            "{category: 'billing'}",
            "VECTOR_FILTER_JSON",
            "the filter is not valid JSON: Expecting property name enclosed in double quotes at line 1 "
            "column 2 (char 1) of \"{category: 'billing'}\"",
        ),
        ('{"a": 1,\n "b": }', "VECTOR_FILTER_JSON", "Expecting value at line 2 column 7 (char 15)"),
        ('["billing"]', "VECTOR_FILTER_INVALID", "must be a JSON object such as"),
        ('{"year": {"$after": 2020}}', "VECTOR_FILTER_UNKNOWN_OPERATOR", "unknown filter operator '$after'"),
    ],
)
def test_a_bad_json_filter_says_where_and_what(text: str, code: str, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter_json(text)
    assert caught.value.code == code
    assert message in caught.value.message
