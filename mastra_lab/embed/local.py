"""Local sentence-embedding models through ``sentence-transformers`` (an optional extra).

Semantic embeddings without a network call at query time — the model is downloaded once by the library
and cached. The import is deferred to the constructor, so ``mastra_lab.embed`` imports without the extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from mastra_lab.embed.base import Embedder

__all__ = ["SentenceTransformerEmbedder"]


def _import_sentence_transformers() -> Any:
    try:
        import sentence_transformers
    except ImportError as exc:
        raise ImportError(
            "SentenceTransformerEmbedder needs the sentence-transformers package: "
            'pip install "mastra-lab[local-embed]"'
        ) from exc
    return sentence_transformers


class SentenceTransformerEmbedder(Embedder):
    """Embeddings from a local ``sentence-transformers`` model, L2-normalised float32.

    Args:
        model_name: A model on the Hugging Face hub or a local path.
        device: ``"cpu"``, ``"cuda"`` … (``None`` lets the library choose).
        batch_size: Texts per forward pass.
        **model_kwargs: Passed to ``sentence_transformers.SentenceTransformer``.
    """

    def __init__(
        self,
        model_name: str = "sentence-transformers/all-MiniLM-L6-v2",
        *,
        device: str | None = None,
        batch_size: int = 32,
        **model_kwargs: Any,
    ) -> None:
        st = _import_sentence_transformers()
        self.model_name = model_name
        self.name = f"sentence-transformers:{model_name}"
        self.batch_size = batch_size
        self._model = st.SentenceTransformer(model_name, device=device, **model_kwargs)
        getter = getattr(self._model, "get_sentence_embedding_dimension", None)
        self.dimension = int(getter()) if getter else int(self._model.encode(["x"]).shape[1])

    def __repr__(self) -> str:
        return f"SentenceTransformerEmbedder(model_name={self.model_name!r})"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` with the local model.

        Args:
            texts: The strings to embed.
        """
        items = self._check_texts(texts)
        if not items:
            return self._empty()
        vectors = self._model.encode(
            items, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
