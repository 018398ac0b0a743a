"""Retrieval-augmented generation: documents (from files, too), chunking and ingestion into a vector store."""

from __future__ import annotations

from mastra_lab.rag.chunking import Chunk, Chunks, chunk
from mastra_lab.rag.document import Document
from mastra_lab.rag.ingestion import IngestReport, ingest
from mastra_lab.rag.loading import load_documents

__all__ = ["Chunk", "Chunks", "Document", "IngestReport", "chunk", "ingest", "load_documents"]
