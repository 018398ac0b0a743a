"""Documents: text plus metadata, built from plain text, Markdown, HTML or JSON.

A document's default id is a hash of its text and metadata rather than a random uuid: building the same
document twice gives the same id, so :func:`~mastra_lab.rag.ingest` replaces its vectors instead of adding
duplicates. Pass ``id=`` (a path, a URL, a database key) when the text will change over time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mastra_lab.errors import ConfigError, MastraError
from mastra_lab.rag._ids import document_id
from mastra_lab.rag.chunking import Chunks, ChunkStrategy, chunk

__all__ = ["Document"]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


@dataclass(repr=False)
class Document:
    """A text to search, with metadata that every chunk and stored vector carries along.

    Args:
        text: The document's text.
        metadata: JSON-able facts (``source``, ``title``, ``author`` …) copied into every chunk.
        id: A stable identifier; by default a hash of ``text`` and ``metadata`` (32 hex characters).
    """

    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise MastraError(
                f"Document text must be a str, got {type(self.text).__name__}; decode bytes first",
                code="RAG_DOCUMENT_TEXT",
                domain="rag",
            )
        if not isinstance(self.metadata, dict):
            raise MastraError(
                f"Document metadata must be a dict, got {type(self.metadata).__name__}",
                code="RAG_DOCUMENT_METADATA",
                domain="rag",
            )
        if not self.id:
            self.id = document_id(self.text, self.metadata)

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:59] + "…"
        meta = f", metadata={self.metadata!r}" if self.metadata else ""
        return f"Document(text={text!r}{meta}, id={self.id!r})"

    @classmethod
    def from_text(
        cls, text: str, metadata: Mapping[str, Any] | None = None, id: str | None = None
    ) -> Document:
        """A document from plain text.

        Args:
            text: The text, used as is.
            metadata: Facts copied into every chunk.
            id: A stable id; defaults to a hash of text and metadata.
        """
        return cls(text, dict(metadata or {}), id or "")

    @classmethod
    def from_markdown(
        cls,
        markdown: str,
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,
        *,
        front_matter: bool = True,
    ) -> Document:
        """A document from Markdown; simple ``key: value`` front matter moves into the metadata.

        Args:
            markdown: The Markdown source (kept verbatim apart from the front matter block).
            metadata: Facts copied into every chunk; they win over front-matter keys.
            id: A stable id; defaults to a hash of text and metadata.
            front_matter: Parse a leading ``---`` block of ``key: value`` lines (values as strings).
        """
        meta: dict[str, Any] = {}
        m = _FRONT_MATTER.match(markdown) if front_matter else None
        if m:
            for line in m.group(1).splitlines():
                key, sep, value = line.partition(":")
                if sep and key.strip() and not key.startswith((" ", "\t", "#")):
                    meta[key.strip()] = value.strip().strip("'\"")
            markdown = markdown[m.end() :]
        return cls(markdown, {**meta, **(metadata or {})}, id or "")

    @classmethod
    def from_html(
        cls, html: str, metadata: Mapping[str, Any] | None = None, id: str | None = None
    ) -> Document:
        """A document from HTML: readable text, with headings as Markdown ``#`` lines and ``<title>`` kept.

        Scripts and styles are dropped; block elements become line breaks; so ``strategy="markdown"``
        chunking follows the page's headings.

        Args:
            html: An HTML page or fragment.
            metadata: Facts copied into every chunk; ``title`` is added from ``<title>`` unless given.
            id: A stable id; defaults to a hash of text and metadata.
        """
        from mastra_lab.rag._html import html_to_text

        text, title = html_to_text(html)
        meta = {"title": title} if title else {}
        return cls(text, {**meta, **(metadata or {})}, id or "")

    @classmethod
    def from_json(
        cls,
        data: str | bytes | Mapping[str, Any] | Sequence[Any],
        metadata: Mapping[str, Any] | None = None,
        id: str | None = None,
        *,
        fields: Sequence[str] | None = None,
        metadata_fields: Sequence[str] = (),
    ) -> Document:
        """A document from JSON (a string, bytes, or already-parsed data).

        Without ``fields`` the whole value is flattened to one ``path: value`` line per leaf
        (``author.name: Ada``, ``tags[0]: math``), so keys stay searchable next to their values. With
        ``fields`` the text is those fields' values only, separated by blank lines.

        Args:
            data: JSON text or parsed JSON.
            metadata: Facts copied into every chunk.
            id: A stable id; defaults to a hash of text and metadata.
            fields: Dot paths (``"body"``, ``"sections.0.text"``) whose values make up the text.
            metadata_fields: Dot paths copied into the metadata under the path as key.
        """
        value = _parse_json(data)
        if fields is None:
            text = "\n".join(f"{k}: {v}" if k else v for k, v in _flatten(value, ""))
        else:
            text = "\n\n".join(_leaf_text(_get_path(value, f)) for f in fields)
        meta = {f: _get_path(value, f) for f in metadata_fields}
        return cls(text, {**meta, **(metadata or {})}, id or "")

    def chunk(
        self,
        strategy: ChunkStrategy = "recursive",
        max_size: int | None = None,
        overlap: int | None = None,
        *,
        tokenizer: object = "auto",
    ) -> Chunks:
        """Split this document into chunks; see :func:`mastra_lab.rag.chunk` for the strategies.

        Args:
            strategy: ``recursive`` (default), ``character``, ``sentence``, ``markdown`` or ``token``.
            max_size: Largest chunk in characters (tokens for ``token``); default 1000 (256 tokens).
            overlap: Repeated context between neighbouring chunks; default a tenth of ``max_size``.
            tokenizer: For ``token``: ``"auto"``, ``"whitespace"``, an encoding name or an ``Encoding``.
        """
        return chunk(self, strategy, max_size, overlap, tokenizer=tokenizer)


def _parse_json(data: str | bytes | Mapping[str, Any] | Sequence[Any]) -> Any:
    if not isinstance(data, (str, bytes, bytearray)):
        return data
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise MastraError(
            f"Document.from_json got text that is not JSON ({exc.msg} at line {exc.lineno} "
            f"column {exc.colno}); pass valid JSON or use Document.from_text",
            code="RAG_DOCUMENT_JSON",
            domain="rag",
        ) from exc


def _leaf_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _flatten(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, _leaf_text(value)


def _get_path(value: Any, path: str) -> Any:
    current = value
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            keys = ", ".join(map(repr, value)) if isinstance(value, Mapping) else "(not an object)"
            raise ConfigError(
                f"JSON field {path!r} not found (at {part!r}); top-level keys: {keys}",
                code="RAG_DOCUMENT_FIELD",
                domain="rag",
            )
    return current
