from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from mastra_lab.embed import HashingEmbedder
from mastra_lab.errors import ConfigError, MastraError

TEXTS = ["The quick brown fox jumps over the lazy dog", "Vector search with DuckDB", ""]


def test_embed_returns_float32_rows_of_dimension() -> None:
    vectors = HashingEmbedder().embed(TEXTS)
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    assert vectors.flags.c_contiguous


def test_rows_are_l2_normalised_and_wordless_text_is_the_zero_vector() -> None:
    vectors = HashingEmbedder(dim=128).embed(["alpha beta", "gamma", "", "!!! ---"])
    norms = np.linalg.norm(vectors, axis=1)
    assert norms[:2] == pytest.approx([1.0, 1.0], abs=1e-6)
    assert norms[2:].tolist() == [0.0, 0.0]


def test_empty_input_returns_zero_rows() -> None:
    vectors = HashingEmbedder(dim=16).embed([])
    assert vectors.shape == (0, 16) and vectors.dtype == np.float32


def test_similar_texts_score_higher_than_unrelated_ones() -> None:
    query, similar, unrelated = HashingEmbedder().embed(
        [
            "how do I install the python package",
            "installing python packages with pip",
            "the recipe needs two eggs and flour",
        ]
    )
    assert float(query @ similar) > float(query @ unrelated) + 0.1


def test_character_ngrams_make_word_variants_similar() -> None:
    emb = HashingEmbedder()
    with_ngrams = emb.embed(["embedding", "embeddings"])
    without = HashingEmbedder(ngram_range=None).embed(["embedding", "embeddings"])
    assert float(with_ngrams[0] @ with_ngrams[1]) > 0.5
    assert float(without[0] @ without[1]) < float(with_ngrams[0] @ with_ngrams[1])


def test_word_order_matters_through_bigrams_only() -> None:
    a, b = HashingEmbedder().embed(["dog bites man", "man bites dog"])
    c, d = HashingEmbedder(bigrams=False).embed(["dog bites man", "man bites dog"])
    assert float(a @ b) < 0.999
    assert float(c @ d) == pytest.approx(1.0, abs=1e-6)


def test_lowercase_makes_case_irrelevant() -> None:
    a, b = HashingEmbedder().embed(["Hello World", "hello world"])
    assert np.array_equal(a, b)
    c, d = HashingEmbedder(lowercase=False).embed(["Hello World", "hello world"])
    assert not np.array_equal(c, d)


def test_batching_does_not_change_a_row() -> None:
    emb = HashingEmbedder(dim=64)
    texts = [f"document number {i} about topic {i % 7}" for i in range(1200)]
    together = emb.embed(texts)
    alone = np.vstack([HashingEmbedder(dim=64).embed([t]) for t in texts[::97]])
    assert np.array_equal(together[::97], alone)


def test_hashing_is_pinned_so_stored_indexes_stay_valid() -> None:
    vector = HashingEmbedder(dim=32).embed(["Hello world"])[0]
    assert np.flatnonzero(vector).tolist() == [4, 5, 7, 9, 12, 15, 16, 17, 18, 21, 22, 25, 26, 27, 29]
    assert vector[5] == pytest.approx(0.7071, abs=1e-4)
    assert vector[22] == pytest.approx(-0.4243, abs=1e-4)


def test_vectors_are_identical_across_processes() -> None:
    code = (
        "import hashlib; from mastra_lab.embed import HashingEmbedder;"
        f"print(hashlib.sha256(HashingEmbedder().embed({TEXTS!r}).tobytes()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    import hashlib

    assert digests == {hashlib.sha256(HashingEmbedder().embed(TEXTS).tobytes()).hexdigest()}


def test_non_str_items_are_rejected_naming_index_and_type() -> None:
    with pytest.raises(MastraError, match=r"texts\[2\] is bytes") as info:
        HashingEmbedder().embed(["a", "b", b"c"])  # type: ignore[list-item]
    assert info.value.details == {"index": 2, "type": "bytes"}


def test_a_single_string_is_rejected_with_the_fix() -> None:
    with pytest.raises(MastraError, match=r"wrap it in a list: embed\(\[text\]\)"):
        HashingEmbedder().embed("just one")


@pytest.mark.parametrize("dim", [0, -3, 2.5, True])
def test_invalid_dim_is_a_config_error(dim: object) -> None:
    with pytest.raises(ConfigError, match="dim must be a positive int"):
        HashingEmbedder(dim=dim)  # type: ignore[arg-type]


def test_invalid_ngram_range_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="ngram_range"):
        HashingEmbedder(ngram_range=(4, 2))


def test_repr_is_the_constructor_and_equality_is_by_configuration() -> None:
    assert repr(HashingEmbedder()) == "HashingEmbedder(dim=384)"
    assert repr(HashingEmbedder(64, ngram_range=None, bigrams=False)) == (
        "HashingEmbedder(dim=64, ngram_range=None, bigrams=False)"
    )
    assert HashingEmbedder(64) == HashingEmbedder(dim=64)
    assert HashingEmbedder(64) != HashingEmbedder(32)
    assert HashingEmbedder().dim == HashingEmbedder().dimension == 384


async def test_aembed_matches_embed() -> None:
    emb = HashingEmbedder(dim=32)
    assert np.array_equal(await emb.aembed(TEXTS), emb.embed(TEXTS))


def test_text_with_a_lone_surrogate_still_embeds() -> None:
    vectors = HashingEmbedder(dim=16).embed(["broken \ud800 text"])
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-6)
