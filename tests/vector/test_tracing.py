"""Vector stores in traces: one ``vector_query`` / ``vector_upsert`` span per call, on every backend, with
counts as attributes; registered stores start traces of their Mastra, unregistered ones record nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mastra_lab.mastra import Mastra
from mastra_lab.storage import InMemoryStore
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer
from mastra_lab.vector import DuckDBVector, InMemoryVector, VectorStore

BACKENDS = {"memory": InMemoryVector, "duckdb": lambda: DuckDBVector(":memory:")}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest) -> Iterator[VectorStore]:
    with BACKENDS[request.param]() as s:
        yield s


@pytest.fixture
def spans() -> InMemoryExporter:
    return InMemoryExporter()


@pytest.fixture
def mastra(spans: InMemoryExporter) -> Iterator[Mastra]:
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([spans])) as m:
        yield m


def test_a_registered_store_traces_its_upserts_and_queries(
    store: VectorStore, mastra: Mastra, spans: InMemoryExporter
) -> None:
    mastra.add_vector("default", store)
    assert store.tracer is mastra.tracer
    store.create_index("docs", dimension=2)
    store.upsert("docs", [[1, 0], [0, 1], [1, 1]], metadata=[{"k": "a"}, {"k": "b"}, {"k": "a"}])
    store.query("docs", [1, 0], top_k=5, filter={"k": "a"})
    store.query("docs", [1, 0], top_k=1)

    upsert, filtered, plain = spans.spans
    assert (upsert.name, upsert.type, upsert.parent_span_id) == ("vector_upsert docs", "vector_upsert", None)
    assert upsert.attributes == {
        "db.system.name": store.db_system,
        "mastra.vector.index": "docs",
        "mastra.vector.count": 3,
    }
    assert (filtered.name, filtered.type) == ("vector_query docs", "vector_query")
    assert filtered.attributes == {
        "db.system.name": store.db_system,
        "mastra.vector.index": "docs",
        "mastra.vector.top_k": 5,
        "mastra.vector.filtered": True,
        "mastra.vector.results": 2,
    }
    assert (plain.attributes["mastra.vector.filtered"], plain.attributes["mastra.vector.results"]) == (
        False,
        1,
    )
    assert len({s.trace_id for s in spans.spans}) == 3  # each call outside a trace is a trace of its own


def test_backends_name_their_database_system() -> None:
    assert (InMemoryVector.db_system, DuckDBVector.db_system) == ("memory", "duckdb")


def test_a_failed_query_fails_its_span_with_the_error_code(
    store: VectorStore, mastra: Mastra, spans: InMemoryExporter
) -> None:
    mastra.add_vector("default", store)
    store.create_index("docs", dimension=2)
    tracer = mastra.tracer
    with pytest.raises(Exception, match="dimension"), tracer.span("lookup", "custom"):
        store.query("docs", [1, 0, 0])
    # the vector is checked before the span opens: bad input fails fast, so only the caller's span failed
    assert [s.name for s in spans.spans] == ["lookup"]
    assert spans.spans[0].attributes["error.type"] == "VECTOR_DIMENSION_MISMATCH"


def test_an_unregistered_store_outside_a_trace_records_nothing(
    store: VectorStore, spans: InMemoryExporter
) -> None:
    Tracer([spans])
    store.create_index("docs", dimension=2)
    store.upsert("docs", [[1, 0]])
    assert len(store.query("docs", [1, 0])) == 1
    assert spans.spans == []


def test_ingest_nests_embedding_and_upsert_spans_under_rag_ingest(
    mastra: Mastra, spans: InMemoryExporter
) -> None:
    mastra.add_vector("default", InMemoryVector())
    mastra.ingest(["Cats purr.", "Dogs bark."], "pets", progress=False)

    by_id = {s.span_id: s for s in spans.spans}
    shape = sorted((s.type, by_id[s.parent_span_id].type if s.parent_span_id else None) for s in spans.spans)
    assert shape == [("embedding", "rag_ingest"), ("rag_ingest", None), ("vector_upsert", "rag_ingest")]
    embedding = next(s for s in spans.spans if s.type == "embedding")
    assert embedding.attributes["mastra.embed.count"] == 2
    assert embedding.attributes["gen_ai.provider.name"] == "hashing"
