"""Ingestion: documents → chunks → embeddings → vector store, in batches, with a progress bar.

Ids are ``"<document id>:<chunk index>"``, so ingesting a document again replaces its vectors instead of
duplicating them; when the index already existed, chunks left over from a longer earlier version of a
document are deleted afterwards. The index records the embedder that fills it (its ``name``): ingesting into
it with another embedder, or querying it with ``query_text`` and another one, is refused, since vectors from
different embedders are not comparable. Everything that can be checked up front (document types, chunking
options, duplicate document ids, the index's dimension and embedder) is checked before the first write.

Each vector stores the chunk text as its ``document`` and, as metadata, the document's metadata plus
``document_id``, ``chunk_index``, ``start``, ``end`` (offsets into the document's text) and, for the
``markdown`` strategy, ``headers``; these keys override document metadata of the same name.

Example:

```python
from mastra_lab.rag import Document, ingest
from mastra_lab.vector import InMemoryVector
from mastra_lab.embed import HashingEmbedder

store, emb = InMemoryVector(), HashingEmbedder()
docs = [Document("Cats purr when content.", id="cats"), Document("Rust has no GC.", id="rust")]
report = ingest(docs, store, "notes", emb, progress=False)
assert (report.documents, report.chunks, report.vectors) == (2, 2, 2)
assert store.query_text("notes", "why do cats purr", emb, top_k=1)[0].id == "cats:0"
```
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import ConfigError, MastraError, VectorError
from mastra_lab.rag.chunking import Chunk, ChunkStrategy, chunk
from mastra_lab.rag.document import Document
from mastra_lab.telemetry import get_logger

if TYPE_CHECKING:
    from mastra_lab.embed import Embedder
    from mastra_lab.vector import IndexStats, VectorStore

__all__ = ["IngestReport", "ingest"]

_log = get_logger("rag.ingest")


@dataclass(frozen=True)
class IngestReport:
    """What one :func:`ingest` call did: ``IngestReport(documents=2, chunks=7, vectors=7)``.

    Args:
        documents: Documents read.
        chunks: Chunks produced.
        vectors: Vectors upserted (one per chunk).
    """

    documents: int
    chunks: int
    vectors: int


def _as_documents(documents: Iterable[Document | str]) -> list[Document]:
    if isinstance(documents, (str, Document)):
        documents = [documents]
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(documents):
        if isinstance(item, str):
            item = Document.from_text(item)
        elif not isinstance(item, Document):
            raise MastraError(
                f"ingest() needs Document or str items, but documents[{i}] is {type(item).__name__}; "
                "wrap it with Document.from_text/from_json/…",
                code="RAG_INGEST_INPUT",
                domain="rag",
            )
        if item.id in seen:
            raise MastraError(
                f"documents[{seen[item.id]}] and documents[{i}] have the same id {item.id!r}; "
                "give them distinct id= values (or drop the duplicate)",
                code="RAG_DUPLICATE_DOCUMENT",
                domain="rag",
            )
        seen[item.id] = i
        docs.append(item)
    return docs


def _check_existing(
    vector: VectorStore, index: str, embedder: Embedder, create_index: bool
) -> IndexStats | None:
    """The index's stats, or ``None`` if it does not exist; refuses a missing index without create_index,
    and an index of another dimension or filled by another embedder."""
    if index not in vector.list_indexes():
        if not create_index:
            raise VectorError(
                f"index {index!r} does not exist; create it first or call ingest(..., create_index=True)",
                code="VECTOR_UNKNOWN_INDEX",
            )
        return None
    stats = vector.describe_index(index)
    if stats.dimension != embedder.dimension:
        raise VectorError(
            f"index {index!r} holds {stats.dimension}-dimensional vectors but the embedder makes "
            f"{embedder.dimension}; use an embedder of that dimension or ingest into a new index",
            code="VECTOR_DIMENSION_MISMATCH",
            details={"index": index, "expected": stats.dimension, "got": embedder.dimension},
        )
    return stats


def _record_embedder(
    vector: VectorStore, index: str, embedder: Embedder, metric: str, stats: IndexStats | None
) -> None:
    """Create the index recording ``embedder``, or record it on an existing index that has none.

    ``create_index`` on an existing index refuses one filled by another embedder, before anything is written.
    """
    named = embedder if isinstance(getattr(embedder, "name", None), str) else None
    if stats is None:
        vector.create_index(index, embedder.dimension, metric, embedder=named)  # type: ignore[arg-type]
    elif named is not None:
        vector.create_index(index, stats.dimension, stats.metric, embedder=named)  # type: ignore[arg-type]


def _vector_metadata(c: Chunk) -> dict[str, Any]:
    return {
        **c.metadata,
        "document_id": c.document_id,
        "chunk_index": c.index,
        "start": c.start,
        "end": c.end,
    }


def _remove_stale(vector: VectorStore, index: str, counts: dict[str, int]) -> int:
    """Delete chunks numbered past each document's new chunk count (one call per distinct count)."""
    by_count: dict[int, list[str]] = defaultdict(list)
    for doc_id, n in counts.items():
        by_count[n].append(doc_id)
    removed = 0
    for n, doc_ids in by_count.items():
        removed += vector.delete_vectors(index, {"document_id": {"$in": doc_ids}, "chunk_index": {"$gte": n}})
    return removed


def ingest(
    documents: Iterable[Document | str],
    vector: VectorStore,
    index: str,
    embedder: Embedder | None = None,
    *,
    batch_size: int = 64,
    strategy: ChunkStrategy = "recursive",
    max_size: int | None = None,
    overlap: int | None = None,
    tokenizer: object = "auto",
    metric: str = "cosine",
    create_index: bool = True,
    progress: bool = True,
) -> IngestReport:
    """Chunk, embed and upsert documents into ``vector``'s ``index`` (stored fields: see the module doc).

    Args:
        documents: :class:`Document` objects or plain strings.
        vector: Any vector store (``InMemoryVector``, ``DuckDBVector``).
        index: The index name; created with the embedder's dimension when missing and ``create_index``.
            The embedder is recorded on it (on an existing index that records none, too).
        embedder: Defaults to ``HashingEmbedder()`` (offline, lexical); an index filled by another
            embedder is refused before anything is written.
        batch_size: Chunks embedded and upserted per step.
        strategy: Chunking strategy (see :func:`mastra_lab.rag.chunk`).
        max_size: Largest chunk (characters; tokens for ``token``).
        overlap: Repeated context between neighbouring chunks.
        tokenizer: Tokenizer for the ``token`` strategy.
        metric: Metric for a newly created index.
        create_index: Create the index when it does not exist (else that is an error).
        progress: Show a ``tqdm`` progress bar (a widget in Jupyter).
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(
            f"batch_size must be a positive int, got {batch_size!r}; try 64", code="RAG_BATCH_SIZE"
        )
    docs = _as_documents(documents)
    if embedder is None:
        from mastra_lab.embed import HashingEmbedder

        embedder = HashingEmbedder()
    per_doc = [chunk(d, strategy, max_size, overlap, tokenizer=tokenizer) for d in docs]
    chunks = [c for cs in per_doc for c in cs]
    stats = _check_existing(vector, index, embedder, create_index)
    _record_embedder(vector, index, embedder, metric, stats)
    upserted = _upsert_batches(chunks, vector, index, embedder, batch_size, progress)
    removed = (
        _remove_stale(vector, index, {d.id: len(cs) for d, cs in zip(docs, per_doc, strict=True)})
        if stats is not None
        else 0
    )
    counts = {"documents": len(docs), "chunks": len(chunks), "stale_removed": removed}
    _log.info("ingested", extra={"mastra": {"index": index, **counts}})
    return IngestReport(documents=len(docs), chunks=len(chunks), vectors=upserted)


def _upsert_batches(
    chunks: Sequence[Chunk],
    vector: VectorStore,
    index: str,
    embedder: Embedder,
    batch_size: int,
    progress: bool,
) -> int:
    from tqdm.auto import tqdm

    upserted = 0
    with tqdm(total=len(chunks), desc=f"ingest {index}", unit="chunk", disable=not progress) as bar:
        for lo in range(0, len(chunks), batch_size):
            batch = chunks[lo : lo + batch_size]
            texts = [c.text for c in batch]
            vectors = embedder.embed(texts)
            if getattr(vectors, "shape", None) != (len(batch), embedder.dimension):
                raise VectorError(
                    f"{embedder!r} returned vectors shaped {getattr(vectors, 'shape', None)} for "
                    f"{len(batch)} texts; expected ({len(batch)}, {embedder.dimension})",
                    code="VECTOR_DIMENSION_MISMATCH",
                )
            ids = vector.upsert(
                index,
                vectors,
                metadata=[_vector_metadata(c) for c in batch],
                ids=[c.id for c in batch],
                documents=texts,
            )
            upserted += len(ids)
            bar.update(len(batch))
    return upserted
