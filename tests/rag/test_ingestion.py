from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mastra_lab.embed import HashingEmbedder
from mastra_lab.errors import ConfigError, MastraError, VectorError
from mastra_lab.rag import Document, IngestReport, ingest
from mastra_lab.vector import DuckDBVector, InMemoryVector, VectorStore

GUIDE = """# Install

Install the package with pip install mastra-lab and import it in a notebook.

# Vectors

Store embeddings in an InMemoryVector and query them by cosine similarity.

# Workflows

Workflows suspend and resume steps; snapshots are saved in storage.
"""

RECIPES = "Bake the bread at 220 degrees for forty minutes. Knead the dough first."


@pytest.fixture(params=["memory", "duckdb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorStore]:
    """Every ingest test runs against both real stores."""
    vector: VectorStore = (
        InMemoryVector() if request.param == "memory" else DuckDBVector(tmp_path / "v.duckdb")
    )
    with vector:
        yield vector


def docs() -> list[Document]:
    return [
        Document.from_markdown(GUIDE, {"source": "guide.md"}, id="guide"),
        Document.from_text(RECIPES, {"source": "bread.txt"}, id="bread"),
    ]


def test_ingest_then_query_text_finds_the_right_chunk(store: VectorStore) -> None:
    emb = HashingEmbedder()
    report = ingest(docs(), store, "kb", emb, strategy="markdown", max_size=200, progress=False)

    assert report == IngestReport(documents=2, chunks=4, vectors=4)
    assert store.describe_index("kb").count == 4
    (hit,) = store.query_text("kb", "how do I query embeddings by cosine similarity", emb, top_k=1)
    assert hit.id == "guide:1"
    assert (
        hit.document
        == "# Vectors\n\nStore embeddings in an InMemoryVector and query them by cosine similarity."
    )
    assert hit.metadata == {
        "source": "guide.md",
        "headers": ["Vectors"],
        "document_id": "guide",
        "chunk_index": 1,
        "start": GUIDE.index("# Vectors"),
        "end": GUIDE.index("# Vectors") + len(hit.document),
    }
    (bread,) = store.query_text("kb", "knead dough for bread", emb, top_k=1)
    assert bread.id == "bread:0"


def test_stored_offsets_point_back_into_the_source(store: VectorStore) -> None:
    ingest(docs(), store, "kb", max_size=60, overlap=0, progress=False)
    sources = {d.id: d.text for d in docs()}
    hits = store.query("kb", [1.0] + [0.0] * 383, top_k=100)
    assert len(hits) > 4
    for hit in hits:
        m = hit.metadata
        assert sources[m["document_id"]][m["start"] : m["end"]] == hit.document


def test_reingesting_replaces_instead_of_duplicating(store: VectorStore) -> None:
    ingest(docs(), store, "kb", max_size=60, progress=False)
    first = store.describe_index("kb").count
    ingest(docs(), store, "kb", max_size=60, progress=False)
    assert store.describe_index("kb").count == first

    shorter = Document.from_text("Only one short chunk now.", id="guide")
    report = ingest([shorter], store, "kb", max_size=60, progress=False)
    assert report.chunks == 1
    remaining = store.query("kb", [1.0] + [0.0] * 383, top_k=100, filter={"document_id": "guide"})
    assert [(r.id, r.document) for r in remaining] == [("guide:0", "Only one short chunk now.")]
    assert store.describe_index("kb").count == 1 + len(Document(RECIPES).chunk(max_size=60))


def test_small_batches_upsert_every_chunk(store: VectorStore) -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(100))
    report = ingest([text], store, "kb", HashingEmbedder(dim=32), batch_size=3, max_size=50, progress=False)
    assert report.vectors == report.chunks == store.describe_index("kb").count
    assert report.chunks > 20


def test_the_default_embedder_is_the_hashing_embedder(store: VectorStore) -> None:
    ingest(["plain strings work too"], store, "kb", progress=False)
    assert store.describe_index("kb").dimension == HashingEmbedder().dimension


def test_dimension_mismatch_is_refused_before_any_write(store: VectorStore) -> None:
    store.create_index("kb", 16)
    with pytest.raises(VectorError, match="holds 16-dimensional vectors but the embedder makes 384"):
        ingest(docs(), store, "kb", progress=False)
    assert store.describe_index("kb").count == 0


def test_missing_index_without_create_index_is_an_error(store: VectorStore) -> None:
    with pytest.raises(VectorError, match=r"index 'kb' does not exist.*create_index=True"):
        ingest(docs(), store, "kb", create_index=False, progress=False)
    assert store.list_indexes() == []


@pytest.mark.parametrize(
    ("documents", "kwargs", "error", "message"),
    [
        ([Document("a"), 3], {}, MastraError, r"documents\[1\] is int"),
        (
            [Document("a", id="x"), Document("b", id="x")],
            {},
            MastraError,
            r"documents\[0\] and documents\[1\]",
        ),
        (["a"], {"strategy": "nope"}, ConfigError, "unknown chunking strategy 'nope'"),
        (["a"], {"batch_size": 0}, ConfigError, "batch_size must be a positive int"),
    ],
)
def test_bad_input_fails_before_the_index_is_created(
    store: VectorStore,
    documents: list[object],
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        ingest(documents, store, "kb", progress=False, **kwargs)  # type: ignore[arg-type]
    assert store.list_indexes() == []


def test_progress_bar_can_be_shown_or_disabled(
    store: VectorStore, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest(docs(), store, "kb", progress=True)
    assert "ingest kb" in capsys.readouterr().err
    ingest(docs(), store, "kb", progress=False)
    assert capsys.readouterr().err == ""


def test_report_repr_is_the_constructor() -> None:
    assert (
        repr(IngestReport(documents=2, chunks=7, vectors=7))
        == "IngestReport(documents=2, chunks=7, vectors=7)"
    )


def test_ingested_chunks_survive_reopening_a_duckdb_file(tmp_path: Path) -> None:
    emb = HashingEmbedder()
    with DuckDBVector(tmp_path / "kb.duckdb") as store:
        ingest(docs(), store, "kb", emb, strategy="markdown", max_size=200, progress=False)
    with DuckDBVector(tmp_path / "kb.duckdb") as reopened:
        (hit,) = reopened.query_text("kb", "resume suspended workflow steps", emb, top_k=1)
        assert hit.id == "guide:2" and hit.metadata["headers"] == ["Workflows"]


def test_ingest_records_its_embedder_on_the_index_it_creates(store: VectorStore) -> None:
    emb = HashingEmbedder(dim=32)
    ingest(docs(), store, "kb", emb, progress=False)
    assert (
        store.describe_index("kb").embedder
        == emb.name
        == ("hashing:dim=32,ngrams=3-5,bigrams=on,lowercase=on")
    )


def test_ingest_records_its_embedder_on_an_existing_index_that_has_none(store: VectorStore) -> None:
    store.create_index("kb", 384, metric="dotproduct")
    ingest(docs(), store, "kb", progress=False)
    assert store.describe_index("kb").embedder == HashingEmbedder().name
    assert store.describe_index("kb").metric == "dotproduct"


def test_ingest_with_another_embedder_is_refused_before_any_write(store: VectorStore) -> None:
    ingest(docs(), store, "kb", HashingEmbedder(), max_size=60, progress=False)
    count = store.describe_index("kb").count
    other = HashingEmbedder(bigrams=False)
    with pytest.raises(
        VectorError,
        match=r"index 'kb' already records embedder 'hashing:dim=384,ngrams=3-5,bigrams=on,lowercase=on', "
        r"not 'hashing:dim=384,ngrams=3-5,bigrams=off,lowercase=on'; its vectors come from",
    ):
        ingest([Document("new text", id="new")], store, "kb", other, progress=False)
    assert store.describe_index("kb").count == count
    with pytest.raises(VectorError, match="was filled by embedder"):
        store.query_text("kb", "bread", other)


def test_query_text_after_reopening_refuses_an_embedder_other_than_the_one_that_ingested(
    tmp_path: Path,
) -> None:
    with DuckDBVector(tmp_path / "kb.duckdb") as store:
        ingest(docs(), store, "kb", HashingEmbedder(), progress=False)
    with DuckDBVector(tmp_path / "kb.duckdb") as reopened:
        assert reopened.describe_index("kb").embedder == HashingEmbedder().name
        assert reopened.query_text("kb", "knead the dough", HashingEmbedder(), top_k=1)[0].id == "bread:0"
        with pytest.raises(VectorError, match=r"but query_text got 'hashing:dim=384,ngrams=off"):
            reopened.query_text("kb", "knead the dough", HashingEmbedder(ngram_range=None))
