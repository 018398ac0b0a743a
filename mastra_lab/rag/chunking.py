"""Cutting documents into chunks small enough to embed, each pointing back into its source.

Five strategies share one contract: a :class:`Chunk` is a verbatim slice of its document's text
(``doc.text[chunk.start:chunk.end] == chunk.text``), stripped of surrounding whitespace, at most
``max_size`` long (characters; tokens for ``token``), carrying the document's id and metadata. Options are
checked before any work, and an unknown strategy names the valid ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from mastra_lab.errors import ConfigError, MastraError
from mastra_lab.rag import _splitters as sp
from mastra_lab.rag._ids import document_id

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.rag.document import Document

__all__ = ["STRATEGIES", "Chunk", "ChunkStrategy", "Chunks", "chunk"]

ChunkStrategy = Literal["recursive", "character", "sentence", "markdown", "token"]
STRATEGIES: tuple[str, ...] = get_args(ChunkStrategy)
_DEFAULT_SIZE = {"token": 256}
_DEFAULT_CHAR_SIZE = 1000


@dataclass(repr=False)
class Chunk:
    """One piece of a document, ready to embed.

    Args:
        text: The chunk's text, exactly ``source_text[start:end]``.
        document_id: Id of the :class:`~mastra_lab.rag.Document` it came from.
        index: Position among the document's chunks (0, 1, …).
        start: Offset of ``text`` in the document's text.
        metadata: The document's metadata, plus ``headers`` (the Markdown header path) for ``markdown``.
    """

    text: str
    document_id: str
    index: int
    start: int
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> int:
        """Offset just past the chunk in the document's text."""
        return self.start + len(self.text)

    @property
    def id(self) -> str:
        """``"<document_id>:<index>"`` — stable, so re-ingesting a document replaces its vectors."""
        return f"{self.document_id}:{self.index}"

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        meta = f", metadata={self.metadata!r}" if self.metadata else ""
        return (
            f"Chunk(text={text!r}, document_id={self.document_id!r}, index={self.index}, "
            f"start={self.start}{meta})"
        )


class Chunks(list[Chunk]):
    """The chunks of one or more documents: a plain list that also turns into a DataFrame."""

    def to_df(self) -> pd.DataFrame:
        """One row per chunk: ``document_id``, ``index``, ``start``, ``end``, ``text``, then a
        ``metadata.<key>`` column per metadata key."""
        import pandas as pd

        rows = [
            {
                "document_id": c.document_id,
                "index": c.index,
                "start": c.start,
                "end": c.end,
                "text": c.text,
                **{f"metadata.{k}": v for k, v in c.metadata.items()},
            }
            for c in self
        ]
        return pd.DataFrame(rows, columns=None if rows else ["document_id", "index", "start", "end", "text"])


def _check_options(strategy: object, max_size: object, overlap: object) -> None:
    if strategy not in STRATEGIES:
        raise ConfigError(
            f"unknown chunking strategy {strategy!r}; use one of {', '.join(map(repr, STRATEGIES))}",
            code="RAG_CHUNK_STRATEGY",
            domain="rag",
            details={"strategy": repr(strategy), "valid": list(STRATEGIES)},
        )
    if not isinstance(max_size, int) or isinstance(max_size, bool) or max_size <= 0:
        raise ConfigError(
            f"max_size must be a positive int, got {max_size!r}; e.g. max_size=1000",
            code="RAG_CHUNK_SIZE",
            domain="rag",
        )
    if not isinstance(overlap, int) or isinstance(overlap, bool) or not 0 <= overlap < max_size:
        raise ConfigError(
            f"overlap must be an int with 0 <= overlap < max_size ({max_size}), got {overlap!r}",
            code="RAG_CHUNK_OVERLAP",
            domain="rag",
        )


def _spans(
    text: str, strategy: str, max_size: int, overlap: int, tokenizer: object
) -> list[tuple[tuple[int, int], list[str] | None]]:
    """``(span, header_path)`` per chunk, before whitespace trimming; header_path only for markdown."""
    n = len(text)
    if strategy == "character":
        return [(s, None) for s in sp.character_spans(0, n, max_size, overlap)]
    if strategy == "token":
        return [(s, None) for s in sp.token_spans(text, sp.resolve_tokenizer(tokenizer), max_size, overlap)]
    if strategy == "sentence":
        return [(s, None) for s in sp.merge(sp.sentence_pieces(text, 0, n, max_size), max_size, overlap)]
    if strategy == "recursive":
        return [(s, None) for s in sp.merge(sp.recursive_pieces(text, 0, n, max_size), max_size, overlap)]
    out: list[tuple[tuple[int, int], list[str] | None]] = []
    for (lo, hi), path in sp.markdown_sections(text):
        pieces = sp.recursive_pieces(text, lo, hi, max_size)
        out.extend((s, path) for s in sp.merge(pieces, max_size, overlap))
    return out


def chunk(
    document: Document | str,
    strategy: ChunkStrategy = "recursive",
    max_size: int | None = None,
    overlap: int | None = None,
    *,
    tokenizer: object = "auto",
) -> Chunks:
    """Split a document into chunks (see :meth:`Document.chunk <mastra_lab.rag.Document.chunk>`).

    Args:
        document: A :class:`~mastra_lab.rag.Document`, or a plain string (wrapped by ``Document.from_text``).
        strategy: ``recursive`` (paragraph → line → sentence → word → character), ``character`` (fixed
            windows), ``sentence``, ``markdown`` (per header section, header path in ``metadata["headers"]``)
            or ``token``.
        max_size: Largest chunk, in characters (tokens for ``token``); default 1000 (256 tokens).
        overlap: How much of a chunk's end repeats at the start of the next, in the same unit; default a tenth
            of ``max_size``. Whole pieces are repeated, so the overlap is at most this much.
        tokenizer: For ``token`` only: ``"auto"`` (tiktoken's ``cl100k_base`` when tiktoken is installed and
            the encoding file is already in its local cache — ``auto`` never downloads — otherwise
            whitespace-separated words, with one logged warning), ``"whitespace"``, a tiktoken encoding name
            (tiktoken may download it once), or a ``tiktoken.Encoding``.

    Example:
        ```python
        from mastra_lab.rag import Document

        doc = Document.from_markdown("# Intro\\nHello.\\n\\n## Setup\\nRun pip install.")
        chunks = doc.chunk(strategy="markdown", max_size=200)
        assert [c.metadata["headers"] for c in chunks] == [["Intro"], ["Intro", "Setup"]]
        assert all(doc.text[c.start : c.end] == c.text for c in chunks)
        ```
    """
    text, doc_id, doc_metadata = _source(document)
    size = max_size if max_size is not None else _DEFAULT_SIZE.get(str(strategy), _DEFAULT_CHAR_SIZE)
    _check_options(strategy, size, overlap if overlap is not None else 0)
    lap = overlap if overlap is not None else size // 10
    chunks = Chunks()
    for span, path in _spans(text, strategy, size, lap, tokenizer):
        trimmed = sp.trim(text, span)
        if trimmed is None or (chunks and chunks[-1].start <= trimmed[0] and trimmed[1] <= chunks[-1].end):
            continue  # only whitespace, or nothing the previous chunk does not already hold
        start, end = trimmed
        metadata = dict(doc_metadata) if path is None else {**doc_metadata, "headers": list(path)}
        chunks.append(Chunk(text[start:end], doc_id, len(chunks), start, metadata))
    return chunks


def _source(document: object) -> tuple[str, str, dict[str, Any]]:
    """Text, id and metadata of a :class:`~mastra_lab.rag.Document`, or of a string (as ``from_text`` does).

    Read by attribute rather than by ``isinstance``, so chunking does not import the document module (which
    imports this one for :meth:`Document.chunk`).
    """
    if isinstance(document, str):
        return document, document_id(document, {}), {}
    text, doc_id, metadata = (getattr(document, a, None) for a in ("text", "id", "metadata"))
    if not (isinstance(text, str) and isinstance(doc_id, str) and isinstance(metadata, dict)):
        raise MastraError(
            f"chunk() takes a Document or a str, got {type(document).__name__}; "
            "wrap other text with Document.from_text(...)",
            code="RAG_DOCUMENT_TEXT",
            domain="rag",
        )
    return text, doc_id, metadata
