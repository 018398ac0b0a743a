"""The one seam every embedder implements.

Vector stores, ``ingest`` and memory only need "texts in, float32 matrix out", so the base class asks an
implementer for exactly that - a ``dimension`` and ``embed(texts)`` - plus a ``name`` saying which embedding
space the vectors live in, which a vector index records so that it is never queried with vectors from
another one. Input checking and the async twin are concrete here so each embedder behaves the same on bad
input and empty batches.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mastra_lab.errors import MastraError

__all__ = ["Embedder"]


class Embedder(ABC):
    """Turns texts into vectors.

    To implement one, set ``dimension`` (the width of every vector) and ``name``, and override
    :meth:`embed`, which must return a C-contiguous ``float32`` array of shape ``(len(texts), dimension)``;
    call :meth:`_check_texts` first so bad input fails the same way everywhere, and return
    ``np.zeros((0, dimension), np.float32)`` for an empty batch. Override :meth:`aembed` when the work is
    I/O (an HTTP provider); the default runs :meth:`embed` in a worker thread.
    """

    dimension: int
    """The width of every vector."""

    name: str
    """A stable identifier of the embedding space, ``"<family>:<model-or-parameters>"``: two embedders with
    the same name must turn the same text into the same vector, so it includes every parameter that changes
    the vectors (``"hashing:dim=384,ngrams=3-5,bigrams=on,lowercase=on"``,
    ``"openai:text-embedding-3-small,dimensions=512"``). Vector indexes record it (see
    :meth:`~mastra_lab.vector.base.VectorStore.create_index`)."""

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` into a ``(len(texts), dimension)`` float32 array.

        Args:
            texts: The strings to embed (a list, tuple or any sequence of ``str``; not a single ``str``).
        """

    async def aembed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Async twin of :meth:`embed` (runs it in a worker thread unless a subclass does real async I/O).

        Args:
            texts: The strings to embed.
        """
        return await asyncio.to_thread(self.embed, texts)

    def _empty(self) -> npt.NDArray[np.float32]:
        return np.zeros((0, self.dimension), dtype=np.float32)

    @staticmethod
    def _check_texts(texts: Sequence[str]) -> list[str]:
        """``texts`` as a list, or a :class:`MastraError` naming the first bad item's index and type."""
        if isinstance(texts, (str, bytes)):
            raise MastraError(
                f"embed() takes a sequence of strings, got a single {type(texts).__name__}; "
                "wrap it in a list: embed([text])",
                code="EMBED_INPUT_TYPE",
                domain="embed",
            )
        items = list(texts)
        for i, item in enumerate(items):
            if not isinstance(item, str):
                raise MastraError(
                    f"embed() needs str items, but texts[{i}] is {type(item).__name__} ({item!r:.40}); "
                    "convert it with str() or drop it",
                    code="EMBED_INPUT_TYPE",
                    domain="embed",
                    details={"index": i, "type": type(item).__name__},
                )
        return items
