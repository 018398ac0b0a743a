"""Property test: filters compiled to SQL over PostgreSQL's ``jsonb`` select the ids the reference does.

The same random documents and filters as ``test_filter_property`` (every operator, ``$regex`` with each
``$options`` flag, empty ``$and``/``$or``/``$nor``, ``$contains`` on scalar fields), evaluated by the
session's real PostgreSQL server against :func:`~mastra_lab.vector.filter.matches`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from pg_server import PgServer

from mastra_lab.errors import FilterError
from mastra_lab.vector._filter_sql import compile_sql
from mastra_lab.vector._regex_pg import postgres_regex
from mastra_lab.vector.filter import matches, parse_filter
from tests.vector.test_filter_property import DOCS, FILTERS, MASTRA_FILTERS, SCALAR_DOCS

_SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def pg(pg_server: PgServer) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_server.dsn, autocommit=True) as conn:
        yield conn


def _assert_postgres_agrees(conn: psycopg.Connection[Any], docs: list[dict[str, Any]], flt: Any) -> None:
    node = parse_filter(flt)
    expected = [i for i, d in enumerate(docs) if matches(node, d)]
    sql, params = compile_sql(node, dialect="postgres")
    got = conn.execute(
        "SELECT i FROM (SELECT (d.ordinality - 1)::int AS i, d.m AS metadata "
        "FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS d(m, ordinality)) AS t "
        f"WHERE {sql} ORDER BY i",
        [json.dumps(docs), *params],
    ).fetchall()
    assert [r[0] for r in got] == expected, (sql, params)


@_SETTINGS
@given(docs=DOCS, flt=FILTERS)
def test_postgres_selects_the_documents_the_reference_does(
    pg: psycopg.Connection[Any], docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    _assert_postgres_agrees(pg, docs, flt)


@_SETTINGS
@given(docs=SCALAR_DOCS, flt=MASTRA_FILTERS)
def test_regex_options_empty_logicals_and_scalar_contains_agree_on_postgres(
    pg: psycopg.Connection[Any], docs: list[dict[str, Any]], flt: dict[str, Any]
) -> None:
    _assert_postgres_agrees(pg, docs, flt)


@pytest.mark.parametrize(
    ("flt", "text", "hit"),
    [
        ({"$regex": "y$"}, "x\ny\n", True),  # Python's $ also matches before a final newline
        ({"$regex": "^y"}, "x\ny", False),
        ({"$regex": "^y", "$options": "m"}, "x\ny", True),
        ({"$regex": "x.y"}, "x\ny", False),
        ({"$regex": "x.y", "$options": "s"}, "x\ny", True),
        ({"$regex": "[^a]y"}, "x\ny", True),  # a negated class matches a newline, as in Python
        ({"$regex": r"\bb"}, "a b", True),  # word boundary, PostgreSQL's \y
        ({"$regex": r"a\Bb"}, "a b", False),
        ({"$regex": "(?i)AB"}, "xab", True),
        ({"$regex": "B", "$options": "i"}, "ab", True),
    ],
)
def test_regex_semantics_that_differ_between_the_engines_follow_python(
    pg: psycopg.Connection[Any], flt: dict[str, Any], text: str, hit: bool
) -> None:
    docs = [{"a": text}]
    assert matches(parse_filter({"a": flt}), docs[0]) is hit
    _assert_postgres_agrees(pg, docs, {"a": flt})


def test_scoped_flags_become_postgres_leading_options() -> None:
    assert postgres_regex("(?im:^a.b$)") == "(?iw)^a[^\\n]b$"
    with pytest.raises(FilterError, match=r"PostgreSQL takes flags only for the whole pattern"):
        postgres_regex("(?s:a.b)|c")
