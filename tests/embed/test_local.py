from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from mastra_lab.embed import SentenceTransformerEmbedder


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None, reason="sentence-transformers installed"
)
def test_missing_extra_raises_with_the_install_hint() -> None:
    with pytest.raises(ImportError, match=r'pip install "mastra-lab\[local-embed\]"'):
        SentenceTransformerEmbedder()


def test_local_model_embeds_normalised_float32() -> None:
    pytest.importorskip("sentence_transformers")
    embedder = SentenceTransformerEmbedder()
    vectors = embedder.embed(["hello", "world"])
    assert vectors.shape == (2, embedder.dimension) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert embedder.embed([]).shape == (0, embedder.dimension)
