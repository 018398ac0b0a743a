"""Retrieval-augmented generation: documents, chunking and ingestion into a vector store."""

from __future__ import annotations

from mastra_lab.rag.chunking import Chunk, Chunks, chunk
from mastra_lab.rag.document import Document
from mastra_lab.rag.ingestion import IngestReport, ingest

__all__ = ["Chunk", "Chunks", "Document", "IngestReport", "chunk", "ingest"]
