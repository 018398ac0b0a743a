"""get_embedder: every name an embedder records comes back as an equal embedder; mistakes say the form."""

from __future__ import annotations

import numpy as np
import pytest

from mastra_lab.embed import (
    EMBEDDER_FAMILIES,
    HashingEmbedder,
    OpenAIEmbedder,
    WordLlamaEmbedder,
    get_embedder,
)
from mastra_lab.errors import ConfigError


@pytest.mark.parametrize(
    "embedder",
    [
        HashingEmbedder(),
        HashingEmbedder(dim=64),
        HashingEmbedder(dim=32, ngram_range=None, bigrams=False, lowercase=False),
        HashingEmbedder(dim=128, ngram_range=(2, 4)),
    ],
    ids=repr,
)
def test_a_recorded_hashing_name_rebuilds_an_equal_embedder(embedder: HashingEmbedder) -> None:
    rebuilt = get_embedder(embedder.name)
    assert rebuilt == embedder and rebuilt.name == embedder.name
    texts = ["Refunds go back to the card", "parcel tracking"]
    np.testing.assert_array_equal(rebuilt.embed(texts), embedder.embed(texts))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hashing", HashingEmbedder()),
        ("  Hashing ", HashingEmbedder()),
        ("hashing:dim=64", HashingEmbedder(dim=64)),
        ("hashing:bigrams=off, ngrams=off", HashingEmbedder(ngram_range=None, bigrams=False)),
    ],
)
def test_short_hashing_names_take_the_defaults_for_what_they_leave_out(
    name: str, expected: HashingEmbedder
) -> None:
    assert get_embedder(name) == expected


def test_offline_embedders_are_reused_by_name() -> None:
    assert get_embedder("hashing:dim=64") is get_embedder(HashingEmbedder(dim=64).name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("wordllama", WordLlamaEmbedder()),
        ("wordllama:dim=128", WordLlamaEmbedder(128)),
        ("wordllama:dim=64,normalize=off", WordLlamaEmbedder(64, normalize=False)),
        (WordLlamaEmbedder(128).name, WordLlamaEmbedder(128)),
        (WordLlamaEmbedder(256, normalize=False).name, WordLlamaEmbedder(256, normalize=False)),
    ],
)
def test_wordllama_names_short_and_recorded(name: str, expected: WordLlamaEmbedder) -> None:
    rebuilt = get_embedder(name)
    assert rebuilt == expected and rebuilt.name == expected.name


def test_openai_names_build_an_openai_embedder_without_a_request() -> None:
    small = get_embedder("openai:text-embedding-3-small,dimensions=512")
    assert isinstance(small, OpenAIEmbedder)
    assert (small.name, small.dimension) == ("openai:text-embedding-3-small,dimensions=512", 512)
    assert get_embedder("openai:text-embedding-3-large").dimension == 3072


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bert", "unknown embedder 'bert'; known embedders: hashing[:dim=384"),
        ("", "an embedder name must be a non-empty string"),
        ("hashing:size=64", "unknown parameter 'size' (known: dim, ngrams, bigrams, lowercase)"),
        ("hashing:dim=sixty", "dim='sixty' is not a positive integer"),
        ("hashing:dim", "'dim' is not key=value"),
        ("hashing:dim=64,dim=32", "'dim' is given twice"),
        ("hashing:ngrams=3", "ngrams='3' must be MIN-MAX (like 3-5) or off"),
        ("hashing:bigrams=maybe", "bigrams='maybe' must be on or off"),
        ("hashing:dim=0", "HashingEmbedder dim must be a positive int"),
        ("wordllama:dim=100", "WordLlamaEmbedder dim must be one of 64, 128, 256"),
        ("wordllama:l2_supercat:256:odd", "wordllama:l2_supercat:256[:raw]"),
        ("openai:", "the model is missing"),
        ("openai:text-embedding-3-small,size=3", "unknown parameter 'size' (known: dimensions)"),
    ],
)
def test_bad_names_fail_with_the_accepted_form(name: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        get_embedder(name)
    assert message in caught.value.message


def test_every_family_error_shows_its_form() -> None:
    with pytest.raises(ConfigError) as caught:
        get_embedder("hashing:dim=x")
    assert caught.value.message.endswith(f"the form is {EMBEDDER_FAMILIES['hashing']}")
    assert caught.value.code == "EMBED_BAD_NAME"
