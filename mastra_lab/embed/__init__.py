"""Embedders: texts in, float32 matrices out.

``HashingEmbedder`` is the offline default (lexical, deterministic); ``OpenAIEmbedder`` calls any
OpenAI-compatible ``/embeddings`` API; ``SentenceTransformerEmbedder`` runs a local model when the
``local-embed`` extra is installed. All share the :class:`Embedder` base.
"""

from __future__ import annotations

from mastra_lab.embed.base import Embedder
from mastra_lab.embed.hashing import HashingEmbedder
from mastra_lab.embed.local import SentenceTransformerEmbedder
from mastra_lab.embed.openai import OpenAIEmbedder

__all__ = ["Embedder", "HashingEmbedder", "OpenAIEmbedder", "SentenceTransformerEmbedder"]
