"""PgVector on a real PostgreSQL: the HNSW index it builds, ``ef``, bulk upserts, sharing between processes,
and every bad input - each a clear error, before anything is written, without the password."""

from __future__ import annotations

import logging
import multiprocessing
import pickle
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import psycopg
import pytest
from pg_server import PgServer, fresh_schema, require_ordinary_role

from mastra_lab.errors import VectorError
from mastra_lab.vector import InMemoryVector, PgVector

from .test_ann import embeddings_like

DIM = 32


@pytest.fixture
def schema(pg_server: PgServer) -> Iterator[str]:
    with fresh_schema(pg_server) as name:
        yield name


@pytest.fixture
def store(pg_server: PgServer, schema: str) -> Iterator[PgVector]:
    with PgVector(pg_server.dsn, schema=schema) as s:
        yield s


def _sql(pg_server: PgServer, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []


def _tables(pg_server: PgServer, schema: str) -> list[str]:
    return [r[0] for r in _sql(pg_server, "SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])]


# ---------------------------------------------------------------------------------------------- HNSW


@pytest.mark.parametrize(
    ("metric", "opclass"),
    [("cosine", "vector_cosine_ops"), ("euclidean", "vector_l2_ops"), ("dotproduct", "vector_ip_ops")],
)
def test_hnsw_index_is_a_pgvector_index_with_the_metrics_opclass_m_and_ef_construction(
    store: PgVector, pg_server: PgServer, schema: str, metric: str, opclass: str
) -> None:
    store.create_index("docs", DIM, metric=metric, index="hnsw", m=12, ef_construction=48)  # type: ignore[arg-type]
    ((indexdef,),) = _sql(
        pg_server,
        "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE '%%hnsw%%'",
        [schema],
    )
    assert f"USING hnsw (embedding {opclass}) WITH (m='12', ef_construction='48')" in indexdef


def test_flat_index_has_no_hnsw_index_and_searches_exactly(
    store: PgVector, pg_server: PgServer, schema: str
) -> None:
    store.create_index("docs", DIM)
    assert (
        _sql(
            pg_server, "SELECT 1 FROM pg_indexes WHERE schemaname = %s AND indexdef LIKE '%%hnsw%%'", [schema]
        )
        == []
    )
    x = embeddings_like(300, DIM)
    exact = InMemoryVector()
    exact.create_index("docs", DIM)
    for s in (store, exact):
        s.upsert("docs", x, ids=[f"v{i}" for i in range(300)])
    for q in x[:5]:
        assert [h.id for h in store.query("docs", q, top_k=10)] == [
            h.id for h in exact.query("docs", q, top_k=10)
        ]


def _recall(store: PgVector, exact: InMemoryVector, queries: np.ndarray, **kw: Any) -> float:
    hits = 0
    for q in queries:
        truth = {h.id for h in exact.query("docs", q, top_k=10, **kw)}
        hits += len(truth & {h.id for h in store.query("docs", q, top_k=10, **kw)})
    return hits / (10 * len(queries))


@pytest.fixture(scope="module")
def loaded(pg_server: PgServer) -> Iterator[tuple[PgVector, InMemoryVector, np.ndarray, str]]:
    """4,000 embedding-like vectors in an HNSW PgVector (a sparse graph, so ``ef`` shows) and in an exact
    in-memory index."""
    x = embeddings_like(4050, DIM, seed=3)
    meta = [{"i": i, "group": i % 100, "even": i % 2 == 0} for i in range(4000)]
    ids = [f"v{i}" for i in range(4000)]
    with fresh_schema(pg_server) as schema, PgVector(pg_server.dsn, schema=schema) as store:
        exact = InMemoryVector()
        exact.create_index("docs", DIM)
        store.create_index("docs", DIM, index="hnsw", m=4, ef_construction=8)
        exact.upsert("docs", x[:4000], ids=ids, metadata=meta)
        store.upsert("docs", x[:4000], ids=ids, metadata=meta)
        yield store, exact, x[4000:], schema


def test_hnsw_recall_at_10_is_high_and_ef_is_honoured(
    loaded: tuple[PgVector, InMemoryVector, np.ndarray, str],
) -> None:
    store, exact, queries, _ = loaded
    narrow, wide = _recall(store, exact, queries, ef=10), _recall(store, exact, queries, ef=400)
    assert wide >= 0.95
    assert narrow < wide  # a narrower search of the same graph finds fewer true neighbours


def test_queries_use_the_hnsw_index(
    loaded: tuple[PgVector, InMemoryVector, np.ndarray, str], pg_server: PgServer
) -> None:
    store, _, queries, schema = loaded
    stat = "SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = %s AND indexrelname LIKE 'hnsw_%%'"
    ((before,),) = _sql(pg_server, stat, [schema])
    store.query("docs", queries[0], top_k=10)
    deadline = time.monotonic() + 20  # the server publishes index statistics about once a second
    while _sql(pg_server, stat, [schema])[0][0] == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _sql(pg_server, stat, [schema])[0][0] > before


def test_filtered_hnsw_queries_return_top_k_matches_even_when_few_rows_match(
    loaded: tuple[PgVector, InMemoryVector, np.ndarray, str],
) -> None:
    store, exact, queries, _ = loaded
    for flt in ({"group": 7}, {"group": {"$in": [1, 2, 3]}}, {"even": True}):
        hits = store.query("docs", queries[0], top_k=10, filter=flt, ef=400)
        assert len(hits) == 10
        assert {h.id for h in hits} == {h.id for h in exact.query("docs", queries[0], top_k=10, filter=flt)}
    rare = {"i": {"$in": [5, 900, 3999]}}  # fewer matches than top_k: every one, best first
    assert [h.id for h in store.query("docs", queries[0], top_k=10, filter=rare)] == [
        h.id for h in exact.query("docs", queries[0], top_k=10, filter=rare)
    ]
    assert len(store.query("docs", queries[0], top_k=10, filter=rare)) == 3


def test_ef_outside_pgvectors_range_is_refused(
    loaded: tuple[PgVector, InMemoryVector, np.ndarray, str],
) -> None:
    store, _, queries, _ = loaded
    with pytest.raises(
        VectorError, match=r"ef must be an integer from 1 to 1000 \(pgvector's hnsw.ef_search\), got 0"
    ):
        store.query("docs", queries[0], ef=0)


def test_rebuild_index_reindexes_and_keeps_answers(
    loaded: tuple[PgVector, InMemoryVector, np.ndarray, str],
) -> None:
    store, exact, queries, _ = loaded
    store.rebuild_index("docs")
    assert _recall(store, exact, queries, ef=400) >= 0.95


# ------------------------------------------------------------------------------------------- writes


def test_bulk_upsert_copies_rows_and_replaces_existing_ids(store: PgVector) -> None:
    x = embeddings_like(600, DIM)
    store.create_index("docs", DIM)
    store.upsert("docs", x[:500], ids=[f"v{i}" for i in range(500)], metadata=[{"i": i} for i in range(500)])
    store.upsert(
        "docs",
        x[400:600],
        ids=[f"v{i}" for i in range(400, 600)],
        metadata=[{"i": i, "again": True} for i in range(400, 600)],
        documents=[f"doc {i}" for i in range(400, 600)],
    )
    assert store.describe_index("docs").count == 600
    (hit,) = store.query("docs", x[450], top_k=1, include_vector=True)
    assert (hit.id, hit.metadata, hit.document) == ("v450", {"i": 450, "again": True}, "doc 450")
    assert hit.vector == pytest.approx(x[450].tolist(), rel=1e-6)
    assert store.query("docs", x[10], top_k=1)[0].metadata == {"i": 10}
    assert len(store.query("docs", x[0], top_k=300, filter={"again": True})) == 200


def test_long_index_names_get_distinct_tables(store: PgVector) -> None:
    a, b = "a" * 62 + "1", "a" * 62 + "2"
    store.create_index(a, 2)
    store.create_index(b, 2)
    store.upsert(a, [[1, 0]], ids=["in-a"])
    assert store.describe_index(b).count == 0
    assert store.list_indexes() == [a, b]


def _upsert_in_child(store: PgVector, ids: list[str]) -> None:
    store.upsert("docs", [[1.0, float(i)] for i in range(len(ids))], ids=ids)
    store.close()


def test_a_pickled_store_reopens_in_another_process_on_the_same_indexes(store: PgVector) -> None:
    store.create_index("docs", 2)
    clone = pickle.loads(pickle.dumps(store))
    assert repr(clone) == repr(store)
    clone.close()
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_upsert_in_child, args=(store, ["from-child-0", "from-child-1"]))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    assert {h.id for h in store.query("docs", [1, 0], top_k=5)} == {"from-child-0", "from-child-1"}


# ---------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"dimension": 2001, "index": "hnsw"},
            r"pgvector's HNSW index takes at most 2,000 dimensions, got 2,001; use index='flat'",
        ),
        ({"dimension": 16001}, r"pgvector's vector type takes at most 16,000 dimensions, got 16,001"),
    ],
)
def test_a_dimension_above_pgvectors_limit_is_refused_before_anything_is_created(
    store: PgVector, pg_server: PgServer, schema: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(VectorError, match=message):
        store.create_index("docs", **kwargs)
    assert store.list_indexes() == []
    assert _tables(pg_server, schema) == ["mastra_vector_indexes"]
    store.create_index("wide", 2001)  # a flat index holds it, searched exactly
    assert store.describe_index("wide").dimension == 2001


def test_a_database_without_the_vector_extension_says_how_to_install_it(pg_server: PgServer) -> None:
    require_ordinary_role(pg_server)
    database = f"noext_{uuid.uuid4().hex[:8]}"
    _sql(pg_server, f"CREATE DATABASE {database} OWNER mastra")
    try:
        with pytest.raises(VectorError, match=r"CREATE EXTENSION vector") as info:
            PgVector(pg_server.database_dsn(database), schema="vectors")
        message = str(info.value)
        assert f"database {database!r}" in message and "may not create it; as a superuser" in message
        assert info.value.code == "VECTOR_EXTENSION_MISSING"
        assert pg_server.password not in message
        with psycopg.connect(pg_server.database_dsn(database)) as conn:  # nothing was written
            assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'vectors'").fetchone() is None
    finally:
        _sql(pg_server, f"DROP DATABASE {database} WITH (FORCE)")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_server_names_host_and_port_but_never_the_password(pg_server: PgServer) -> None:
    port = _closed_port()
    dsn = f"postgresql://mastra:{pg_server.password}@127.0.0.1:{port}/mastra"
    with pytest.raises(VectorError, match=rf"cannot connect to PostgreSQL at 127\.0\.0\.1:{port}") as info:
        PgVector(dsn, connect_timeout=1)
    assert pg_server.password not in str(info.value) and pg_server.password not in repr(info.value.details)


def test_a_wrong_password_is_a_clear_error_without_either_password(
    pg_server: PgServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-password-9z"
    dsn = f"postgresql://mastra:{wrong}@{pg_server.host}:{pg_server.port}/mastra"
    with (
        caplog.at_level(logging.DEBUG),
        pytest.raises(VectorError, match=r"refused the password for user 'mastra'") as info,
    ):
        PgVector(dsn)
    assert wrong not in str(info.value) and pg_server.password not in str(info.value)
    assert wrong not in caplog.text


def test_repr_and_server_errors_never_show_the_password(store: PgVector, pg_server: PgServer) -> None:
    assert repr(store).startswith(f"PgVector('{pg_server.shown}', schema='t_")
    assert pg_server.password not in repr(store)
    store.create_index("docs", 2)
    _sql(pg_server, f'DROP TABLE "{store.schema}".vec_docs')  # changed behind the store's back
    with pytest.raises(
        VectorError, match=r'failed to query \'docs\': relation ".*vec_docs" does not exist'
    ) as info:
        store.query("docs", [1, 0])
    assert pg_server.password not in str(info.value)


def test_a_schema_that_is_not_an_identifier_is_refused(pg_server: PgServer) -> None:
    with pytest.raises(VectorError, match=r"invalid schema name 'a;b'"):
        PgVector(pg_server.dsn, schema="a;b")
