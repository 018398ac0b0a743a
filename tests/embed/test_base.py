from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from mastra_lab.embed import Embedder, HashingEmbedder, OpenAIEmbedder
from mastra_lab.errors import MastraError


class LengthEmbedder(Embedder):
    """A two-dimensional embedder defined inline: (length, number of words)."""

    dimension = 2

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        items = self._check_texts(texts)
        if not items:
            return self._empty()
        return np.array([[len(t), len(t.split())] for t in items], dtype=np.float32)


def test_embed_is_the_only_abstract_method() -> None:
    assert Embedder.__abstractmethods__ == frozenset({"embed"})


async def test_default_aembed_runs_embed() -> None:
    vectors = await LengthEmbedder().aembed(["a b", "ccc"])
    assert vectors.tolist() == [[3.0, 2.0], [3.0, 1.0]]


def test_shared_input_checks_apply_to_every_embedder() -> None:
    assert LengthEmbedder().embed(()).shape == (0, 2)
    assert LengthEmbedder().embed(("a", "b")).shape == (2, 2)
    with pytest.raises(MastraError, match=r"texts\[0\] is NoneType"):
        LengthEmbedder().embed([None])  # type: ignore[list-item]


def test_name_is_declared_on_the_base_for_every_embedder() -> None:
    assert "name" in Embedder.__annotations__ and "dimension" in Embedder.__annotations__


def test_hashing_names_change_exactly_when_the_vectors_would() -> None:
    assert HashingEmbedder().name == "hashing:dim=384,ngrams=3-5,bigrams=on,lowercase=on"
    assert HashingEmbedder(dim=64, ngram_range=None, bigrams=False, lowercase=False).name == (
        "hashing:dim=64,ngrams=off,bigrams=off,lowercase=off"
    )
    variants = [
        HashingEmbedder(),
        HashingEmbedder(dim=64),
        HashingEmbedder(ngram_range=(2, 4)),
        HashingEmbedder(bigrams=False),
        HashingEmbedder(lowercase=False),
    ]
    assert len({e.name for e in variants}) == len(variants)
    text = ["The Cat sat on the mat"]
    assert HashingEmbedder().name == HashingEmbedder().name
    assert (HashingEmbedder().embed(text) == HashingEmbedder().embed(text)).all()


def test_openai_names_the_model_and_the_requested_dimensions() -> None:
    assert OpenAIEmbedder().name == "openai:text-embedding-3-small"
    assert OpenAIEmbedder("text-embedding-3-large", dimensions=256).name == (
        "openai:text-embedding-3-large,dimensions=256"
    )
