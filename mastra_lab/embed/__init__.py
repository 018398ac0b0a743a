"""Embedders: texts in, float32 matrices out.

``HashingEmbedder`` is the offline default (lexical, deterministic); ``WordLlamaEmbedder`` is semantic and
offline too, from the model bundled with the ``semantic`` extra; ``OpenAIEmbedder`` calls any
OpenAI-compatible ``/embeddings`` API; ``SentenceTransformerEmbedder`` runs a local model when the
``local-embed`` extra is installed. All share the :class:`Embedder` base. :func:`get_embedder` rebuilds
one from its name, the one a vector index records.

The names load lazily (PEP 562), so importing this package (or ``mastra_lab``) imports neither numpy,
httpx nor wordllama until an embedder is used.
"""

from __future__ import annotations

import typing

from mastra_lab import _lazy

if typing.TYPE_CHECKING:
    from mastra_lab.embed.base import Embedder
    from mastra_lab.embed.hashing import HashingEmbedder
    from mastra_lab.embed.local import SentenceTransformerEmbedder
    from mastra_lab.embed.openai import OpenAIEmbedder
    from mastra_lab.embed.registry import EMBEDDER_FAMILIES, get_embedder
    from mastra_lab.embed.wordllama import WordLlamaEmbedder

__all__ = [
    "EMBEDDER_FAMILIES",
    "Embedder",
    "HashingEmbedder",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "WordLlamaEmbedder",
    "get_embedder",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "EMBEDDER_FAMILIES": "mastra_lab.embed.registry",
        "Embedder": "mastra_lab.embed.base",
        "HashingEmbedder": "mastra_lab.embed.hashing",
        "OpenAIEmbedder": "mastra_lab.embed.openai",
        "SentenceTransformerEmbedder": "mastra_lab.embed.local",
        "WordLlamaEmbedder": "mastra_lab.embed.wordllama",
        "get_embedder": "mastra_lab.embed.registry",
    },
)
