"""The Mastra's view of its vector indexes: find one by name, list them, search and ingest by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_lab import Mastra
from mastra_lab.embed import HashingEmbedder, get_embedder
from mastra_lab.errors import MastraError, VectorError
from mastra_lab.mastra import IndexRef
from mastra_lab.rag import Document
from mastra_lab.storage import DuckDBStore
from mastra_lab.vector import DuckDBVector, IndexStats, InMemoryVector

DOCS = [
    Document("Refunds go back to the card we charged.", {"category": "billing"}, id="refunds"),
    Document("Parcels leave the warehouse within two days.", {"category": "shipping"}, id="parcels"),
    Document("Reset your password from the sign-in page.", {"category": "account"}, id="password"),
]


@pytest.fixture
def mastra() -> Iterator[Mastra]:
    # content capture on: a test below reads an ingest span's input and output
    vectors = {"default": InMemoryVector(), "archive": InMemoryVector()}
    with Mastra(vectors=vectors, telemetry={"capture_content": True}) as m:
        m.ingest(DOCS, "help", progress=False)
        m.ingest(DOCS[:1], "help", store="archive", embedder="hashing:dim=64", progress=False)
        m.ingest(DOCS, "faq", store="archive", progress=False)
        yield m


def test_list_indexes_goes_by_store_then_index(mastra: Mastra) -> None:
    assert [r.path for r in mastra.list_indexes()] == ["archive/faq", "archive/help", "default/help"]
    ref = mastra.list_indexes()[0]
    assert ref == IndexRef("archive", "faq", mastra.get_vector("archive"))
    assert repr(ref) == "IndexRef(store_name='archive', index_name='faq')"


def test_an_index_name_unique_across_stores_is_found_without_its_store(mastra: Mastra) -> None:
    ref = mastra.find_index("faq")
    assert ref.path == "archive/faq"
    assert ref.describe() == IndexStats(384, 3, "cosine", HashingEmbedder().name)


def test_store_slash_index_picks_one_of_several(mastra: Mastra) -> None:
    assert mastra.find_index("archive/help").describe().count == 1
    assert mastra.find_index("default/help").describe().count == 3


def test_an_ambiguous_index_lists_the_store_index_forms(mastra: Mastra) -> None:
    with pytest.raises(MastraError) as caught:
        mastra.find_index("help")
    assert caught.value.code == "MASTRA_AMBIGUOUS"
    assert caught.value.message == (
        "index 'help' is in 2 vector stores: archive/help, default/help; name one as STORE/INDEX"
    )


@pytest.mark.parametrize("name", ["nope", "default/faq", "missing/help"])
def test_an_unknown_index_lists_the_known_ones(mastra: Mastra, name: str) -> None:
    with pytest.raises(MastraError) as caught:
        mastra.find_index(name)
    assert caught.value.code == "MASTRA_NOT_FOUND"
    assert caught.value.message == (
        f"no vector index named {name!r}; known indexes: archive/faq, archive/help, default/help"
    )


def test_no_index_yet_says_how_to_make_one() -> None:
    with Mastra(vectors={"default": InMemoryVector()}) as m, pytest.raises(MastraError) as caught:
        m.find_index("help")
    assert "known indexes: none yet (ingest documents first" in caught.value.message


def test_indexes_df_has_one_row_per_index_with_its_stats(mastra: Mastra) -> None:
    df = mastra.indexes_df()
    assert list(df.columns) == ["store", "index", "dimension", "count", "metric", "embedder"]
    assert df.to_dict("records")[1] == {
        "store": "archive",
        "index": "help",
        "dimension": 64,
        "count": 1,
        "metric": "cosine",
        "embedder": HashingEmbedder(dim=64).name,
    }
    with Mastra() as empty:
        assert empty.indexes_df().empty and list(empty.indexes_df().columns) == list(df.columns)


def test_search_uses_the_embedder_the_index_recorded(mastra: Mastra) -> None:
    # archive/help was filled by a 64-dimensional hashing embedder; the default would not fit it
    hits = mastra.search("archive/help", "refund to my card")
    assert [h.id for h in hits] == ["refunds:0"]
    with pytest.raises(VectorError) as caught:
        mastra.search("archive/help", "refund", embedder="hashing")
    assert caught.value.code == "VECTOR_EMBEDDER_MISMATCH"


def test_search_passes_top_k_and_filter(mastra: Mastra) -> None:
    assert len(mastra.search("default/help", "the", top_k=2)) == 2
    hits = mastra.search("default/help", "password reset", filter={"category": "shipping"})
    assert [h.id for h in hits] == ["parcels:0"]


def test_search_of_an_index_without_a_recorded_embedder_takes_the_default() -> None:
    emb = HashingEmbedder(dim=32)
    store = InMemoryVector()
    store.create_index("raw", dimension=32)
    store.upsert("raw", emb.embed(["alpha beta", "gamma"]), ids=["a", "g"])
    with Mastra(vectors={"default": store}) as m:
        assert m.search("raw", "gamma", default_embedder="hashing:dim=32")[0].id == "g"
        assert m.search("raw", "gamma", default_embedder=emb)[0].id == "g"


def test_an_unrebuildable_recorded_embedder_asks_for_the_object() -> None:
    class Custom(HashingEmbedder):
        def __init__(self, dim: int) -> None:
            super().__init__(dim)
            self.name = "custom:v1"

    store = InMemoryVector()
    store.create_index("c", embedder=Custom(dim=16))
    with Mastra(vectors={"default": store}) as m:
        with pytest.raises(MastraError) as caught:
            m.search("c", "text")
        assert caught.value.message.startswith(
            "index 'default/c' records embedder 'custom:v1', which cannot be rebuilt from its name "
            "(unknown embedder 'custom:v1'"
        )
        assert m.search("c", "text", embedder=Custom(dim=16)) == []


def test_ingest_goes_to_the_default_store_or_the_only_one() -> None:
    with Mastra(vectors={"only": InMemoryVector()}) as m:
        assert m.ingest(DOCS, "help", progress=False).vectors == 3
        assert m.find_index("help").path == "only/help"


def test_ingest_again_keeps_the_recorded_embedder() -> None:
    with Mastra(vectors={"default": InMemoryVector()}) as m:
        m.ingest(DOCS, "help", embedder="hashing:dim=64", progress=False)
        m.ingest(DOCS[:1], "help", progress=False)  # not the default 384-d one: the recorded one
        assert m.find_index("help").describe() == IndexStats(64, 3, "cosine", HashingEmbedder(dim=64).name)
        with pytest.raises(VectorError, match="already records embedder"):
            m.ingest(DOCS, "help", embedder="hashing:dim=64,bigrams=off", progress=False)


def test_ingest_without_a_store_to_pick_says_what_to_do() -> None:
    with Mastra() as m, pytest.raises(MastraError, match="this Mastra has no vector store; register one"):
        m.ingest(DOCS, "help", progress=False)
    with (
        Mastra(vectors={"a": InMemoryVector(), "b": InMemoryVector()}) as m,
        pytest.raises(MastraError, match=r"several vector stores \(a, b\) and none is named 'default'"),
    ):
        m.ingest(DOCS, "help", progress=False)
    with (
        Mastra(vectors={"a": InMemoryVector()}) as m,
        pytest.raises(MastraError, match="known vector stores: a"),
    ):
        m.ingest(DOCS, "help", store="z", progress=False)


def test_indexes_of_a_duckdb_file_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "app.duckdb"
    with DuckDBStore(path) as storage, Mastra(storage=storage) as m:
        m.add_vector("default", DuckDBVector.from_store(storage))
        m.ingest(DOCS, "help", embedder=get_embedder("hashing:dim=64"), progress=False)
    with DuckDBStore(path) as storage, Mastra(storage=storage) as m:
        m.add_vector("default", DuckDBVector.from_store(storage))
        assert m.indexes_df()["count"].tolist() == [3]
        assert m.search("help", "warehouse parcels", top_k=1)[0].id == "parcels:0"


def test_ingest_is_traced_and_nests_under_the_callers_span(mastra: Mastra) -> None:
    with mastra.tracer.span("refresh", "workflow") as root:
        mastra.ingest(DOCS[1:], "help", progress=False)
    spans = {s["name"]: s for s in mastra.storage.get_trace(root.trace_id)}
    embedding = "embeddings hashing:dim=384,ngrams=3-5,bigrams=on,lowercase=on"
    assert set(spans) == {"refresh", "rag_ingest default/help", embedding, "vector_upsert help"}
    assert spans["rag_ingest default/help"]["parent_span_id"] == root.span_id
    ingest_id = spans["rag_ingest default/help"]["span_id"]
    assert spans[embedding]["parent_span_id"] == spans["vector_upsert help"]["parent_span_id"] == ingest_id
    assert spans["rag_ingest default/help"]["input"] == {"index": "default/help"}
    assert spans["rag_ingest default/help"]["output"] == {"documents": 2, "chunks": 2, "vectors": 2}


def test_a_failed_ingest_is_a_span_with_its_error(mastra: Mastra) -> None:
    with pytest.raises(MastraError):
        mastra.ingest(DOCS, "help", embedder="hashing:dim=64", progress=False)
    traces = mastra.storage.list_traces()
    (trace,) = [t for t in traces if t["name"] == "rag_ingest default/help" and t["error"]]
    (span,) = mastra.storage.get_trace(trace["trace_id"])
    assert span["error"]["code"] == "VECTOR_DIMENSION_MISMATCH"
