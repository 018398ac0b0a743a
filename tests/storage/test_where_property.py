"""Property: ``where`` equality means the same thing on every backend (JSON equality of the field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg_server import PgServer, fresh_schema

from mastra_lab.storage import DuckDBStore, InMemoryStore, PostgresStore, SQLiteStore

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
values = st.one_of(
    scalars, st.lists(scalars, max_size=3), st.dictionaries(st.sampled_from("xy"), scalars, max_size=2)
)
documents = st.lists(st.dictionaries(st.sampled_from(["a", "b"]), values, max_size=2), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=documents, probe=st.integers(min_value=0, max_value=5), key=st.sampled_from(["a", "b"]))
def test_where_selects_the_same_records_everywhere(
    docs: list[dict[str, Any]], probe: int, key: str, tmp_path: Path, pg_server: PgServer
) -> None:
    target = docs[probe % len(docs)].get(key)
    as_json = json.dumps  # documented semantics: a field matches when its JSON equals the value's JSON
    expected = [f"d{i}" for i, d in enumerate(docs) if key in d and as_json(d[key]) == as_json(target)]
    with fresh_schema(pg_server) as schema:  # a new schema per example, as the others get a new database
        stores = (
            InMemoryStore(),
            DuckDBStore(),
            SQLiteStore(":memory:"),
            PostgresStore(pg_server.dsn, schema),
        )
        for store in stores:
            with store:
                for i, d in enumerate(docs):
                    store.create("docs", d, id=f"d{i}")
                found = [r.id for r in store.list("docs", where={key: target})]
                assert found == expected, type(store).__name__
