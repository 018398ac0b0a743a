"""The one seam every embedder implements.

Vector stores, ``ingest`` and memory only need "texts in, float32 matrix out", so the base class asks an
implementer for exactly that - a ``dimension`` and ``embed(texts)`` - plus a ``name`` saying which embedding
space the vectors live in, which a vector index records so that it is never queried with vectors from
another one. Input checking and the async twin are concrete here so each embedder behaves the same on bad
input and empty batches.
"""

from __future__ import annotations

import asyncio
import functools
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mastra_lab.errors import MastraError
from mastra_lab.telemetry._context import SpanOpener, current_span, open_span

__all__ = ["Embedder"]

_Matrix = npt.NDArray[np.float32]


def _span_attributes(embedder: Embedder, texts: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The span name and attributes of one ``embed`` call: ``embeddings {model}`` after OpenTelemetry.

    The model is the embedder's ``model`` (or ``model_name``) when it has one, else its whole ``name``
    (``hashing:dim=384,…``), whose prefix is the provider.
    """
    name = str(getattr(embedder, "name", type(embedder).__name__))
    model = str(getattr(embedder, "model", None) or getattr(embedder, "model_name", None) or name)
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": model,
        "gen_ai.provider.name": name.partition(":")[0],
        "mastra.embed.count": len(texts) if isinstance(texts, Sequence) else 0,
    }
    dimension = getattr(embedder, "dimension", None)
    if isinstance(dimension, int):
        attributes["gen_ai.embeddings.dimension.count"] = dimension
    return f"embeddings {model}", attributes


def _inside_embedding() -> bool:
    """Whether this call runs inside another embedding span (``embed`` delegating to ``aembed`` or back)."""
    span = current_span()
    return span is not None and span.type == "embedding"


def _traced_embed(embed: Callable[[Any, Sequence[str]], _Matrix]) -> Callable[[Any, Sequence[str]], _Matrix]:
    @functools.wraps(embed)
    def traced(self: Embedder, texts: Sequence[str]) -> _Matrix:
        if (self.tracer is None and current_span() is None) or _inside_embedding():
            return embed(self, texts)
        name, attributes = _span_attributes(self, texts)
        with open_span(name, "embedding", tracer=self.tracer, input=texts, attributes=attributes):
            return embed(self, texts)

    return traced


def _traced_aembed(
    aembed: Callable[[Any, Sequence[str]], Awaitable[_Matrix]],
) -> Callable[[Any, Sequence[str]], Awaitable[_Matrix]]:
    @functools.wraps(aembed)
    async def traced(self: Embedder, texts: Sequence[str]) -> _Matrix:
        if (self.tracer is None and current_span() is None) or _inside_embedding():
            return await aembed(self, texts)
        name, attributes = _span_attributes(self, texts)
        with open_span(name, "embedding", tracer=self.tracer, input=texts, attributes=attributes):
            return await aembed(self, texts)

    return traced


class Embedder(ABC):
    """Turns texts into vectors.

    To implement one, set ``dimension`` (the width of every vector) and ``name``, and override
    :meth:`embed`, which must return a C-contiguous ``float32`` array of shape ``(len(texts), dimension)``;
    call :meth:`_check_texts` first so bad input fails the same way everywhere, and return
    ``np.zeros((0, dimension), np.float32)`` for an empty batch. Override :meth:`aembed` when the work is
    I/O (an HTTP provider); the default runs :meth:`embed` in a worker thread.

    Every ``embed`` and ``aembed`` — the subclass's own — is wrapped, once, where the subclass is defined,
    in an ``embedding`` span (see :func:`~mastra_lab.telemetry._context.open_span`), so that each embedder
    appears in traces without writing any tracing code. One call that goes from ``embed`` to ``aembed``
    (or back) is one span.
    """

    tracer: SpanOpener | None = None
    """Where spans of calls made outside any trace go (a :class:`~mastra_lab.Mastra` sets its tracer on its
    default embedder); inside a trace the span joins it either way."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__
        if "embed" in own and not getattr(own["embed"], "__isabstractmethod__", False):
            setattr(cls, "embed", _traced_embed(own["embed"]))  # noqa: B010 (mypy refuses assigning to a method)
        if "aembed" in own:
            setattr(cls, "aembed", _traced_aembed(own["aembed"]))  # noqa: B010

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
