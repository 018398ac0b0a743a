from __future__ import annotations

from pathlib import Path

import pytest
import tiktoken
from hypothesis import given, settings
from hypothesis import strategies as st

from mastra_lab.errors import ConfigError, MastraError
from mastra_lab.rag import Chunk, Document, chunk

CHAR_STRATEGIES = ["recursive", "character", "sentence", "markdown"]


def tiny_encoding() -> tiktoken.Encoding:
    """A real tiktoken BPE encoding built offline: all bytes plus a few English merges."""
    ranks = {bytes([i]): i for i in range(256)}
    for word in [b"th", b"he", b"the", b" t", b" the", b"in", b"ing", b"er", b" a", b"an", b" an", b"and"]:
        ranks[word] = len(ranks)
    pattern = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
    return tiktoken.Encoding(name="tiny", pat_str=pattern, mergeable_ranks=ranks, special_tokens={})


TINY = tiny_encoding()

pieces = st.one_of(
    st.text(alphabet="abcdeéz字", min_size=1, max_size=12),
    st.sampled_from(
        [
            " ",
            "  ",
            "\n",
            "\n\n",
            ". ",
            "! ",
            "? ",
            "# ",
            "## Title\n",
            "```\n",
            "\t",
            "- ",
            "\u3000",
            "\u2028",
            "\x1c",
            "\r\n",
        ]
    ),
)
texts = st.lists(pieces, max_size=60).map("".join)


def assert_chunk_contract(doc: Document, chunks: list[Chunk], max_size: int | None) -> None:
    for i, c in enumerate(chunks):
        assert doc.text[c.start : c.start + len(c.text)] == c.text
        assert c.text and c.text == c.text.strip()
        assert c.index == i and c.document_id == doc.id
        if max_size is not None:
            assert len(c.text) <= max_size
    spans = [(c.start, c.end) for c in chunks]
    assert spans == sorted(set(spans))


def covered(chunks: list[Chunk]) -> set[int]:
    return {i for c in chunks for i in range(c.start, c.end)}


@settings(max_examples=60, deadline=None)
@given(text=texts, max_size=st.integers(1, 60), data=st.data())
def test_every_strategy_returns_verbatim_slices_within_max_size(
    text: str, max_size: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(0, max_size - 1))
    doc = Document(text, {"src": "t"})
    for strategy in CHAR_STRATEGIES:
        chunks = doc.chunk(strategy, max_size, overlap)
        assert_chunk_contract(doc, chunks, max_size)
        assert all(c.metadata["src"] == "t" for c in chunks)
        wanted = {i for i, ch in enumerate(text) if not ch.isspace()}
        if strategy != "markdown":  # markdown leaves out sections holding only a header line
            assert wanted <= covered(chunks), strategy


@settings(max_examples=40, deadline=None)
@given(text=texts, max_size=st.integers(1, 20), data=st.data())
def test_token_strategy_returns_verbatim_slices_with_both_tokenizers(
    text: str, max_size: int, data: st.DataObject
) -> None:
    overlap = data.draw(st.integers(0, max_size - 1))
    doc = Document(text)
    for tokenizer in ("whitespace", TINY):
        chunks = doc.chunk("token", max_size, overlap, tokenizer=tokenizer)
        assert_chunk_contract(doc, chunks, None)
        assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered(chunks)


PROSE = " ".join(
    f"the {w}ing and other words number {i}." for i, w in enumerate(["walk", "talk", "sing"] * 20)
)


def test_whitespace_tokens_count_words() -> None:
    chunks = chunk(PROSE, "token", max_size=10, overlap=2, tokenizer="whitespace")
    assert all(len(c.text.split()) <= 10 for c in chunks)
    assert chunks[0].text.split()[-2:] == chunks[1].text.split()[:2]  # exactly two tokens of overlap


def test_tiktoken_encoding_counts_bpe_tokens() -> None:
    chunks = chunk(PROSE, "token", max_size=10, overlap=0, tokenizer=TINY)
    assert all(len(TINY.encode(c.text)) <= 10 for c in chunks)
    # byte-level BPE makes more tokens than words, so the two tokenizers really differ
    assert len(chunks) > len(chunk(PROSE, "token", max_size=10, overlap=0, tokenizer="whitespace"))


def test_token_tokenizer_errors_name_the_fix() -> None:
    with pytest.raises(ConfigError, match="unknown tiktoken encoding 'no_such_encoding'"):
        chunk("text", "token", tokenizer="no_such_encoding")
    with pytest.raises(ConfigError, match="tokenizer must be 'auto', 'whitespace'"):
        chunk("text", "token", tokenizer=42)


def test_recursive_prefers_paragraphs_then_sentences() -> None:
    text = "First paragraph here.\n\nSecond one is longer. It has two sentences.\n\nThird."
    chunks = chunk(text, max_size=30, overlap=0)
    assert [c.text for c in chunks] == [
        "First paragraph here.",
        "Second one is longer.",
        "It has two sentences.\n\nThird.",  # small neighbours are packed together up to max_size
    ]


def test_recursive_overlap_repeats_whole_trailing_pieces() -> None:
    text = "one two three four five six seven eight nine ten"
    chunks = chunk(text, max_size=20, overlap=10)
    # "four " (5 chars with its space) fits in the overlap; "three four " (11) would not
    assert [c.text for c in chunks] == [
        "one two three four",
        "four five six seven",
        "six seven eight",
        "eight nine ten",
    ]


def test_character_windows_overlap_exactly() -> None:
    chunks = chunk("abcdefghij", "character", max_size=4, overlap=1)
    assert [(c.text, c.start) for c in chunks] == [("abcd", 0), ("defg", 3), ("ghij", 6)]


def test_sentence_strategy_packs_whole_sentences() -> None:
    text = "Cats purr. Dogs bark loudly! Birds sing? Fish swim."
    chunks = chunk(text, "sentence", max_size=30, overlap=0)
    assert [c.text for c in chunks] == ["Cats purr. Dogs bark loudly!", "Birds sing? Fish swim."]


MARKDOWN = """Preamble text.

# Guide

## Install

Run pip install.

```bash
# not a header
pip install mastra-lab
```

## Use

### Advanced

Deep text.

# Appendix
The end.
"""


def test_markdown_keeps_the_header_path_and_ignores_headers_in_code() -> None:
    chunks = chunk(Document(MARKDOWN, {"source": "guide.md"}), "markdown", max_size=200, overlap=0)
    assert [c.metadata["headers"] for c in chunks] == [
        [],
        ["Guide", "Install"],
        ["Guide", "Use", "Advanced"],
        ["Appendix"],
    ]
    assert "# not a header" in chunks[1].text
    assert all(c.metadata["source"] == "guide.md" for c in chunks)


def test_markdown_sub_splits_long_sections_keeping_the_path() -> None:
    text = "# Big\n\n" + "\n\n".join(f"Paragraph {i} says something." for i in range(10))
    chunks = chunk(text, "markdown", max_size=60, overlap=0)
    assert len(chunks) > 3
    assert all(c.metadata["headers"] == ["Big"] and len(c.text) <= 60 for c in chunks)


def test_defaults_are_1000_characters_with_a_tenth_overlap() -> None:
    text = "word " * 1000
    chunks = chunk(text)
    assert max(len(c.text) for c in chunks) <= 1000
    assert chunks[1].start < chunks[0].end  # overlapping
    assert chunks[0].end - chunks[1].start <= 100


def test_whitespace_only_text_has_no_chunks() -> None:
    for strategy in ["recursive", "character", "sentence", "markdown", "token"]:
        assert chunk(" \n\t ", strategy, tokenizer="whitespace") == []  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategy": "words"}, "unknown chunking strategy 'words'; use one of 'recursive', 'character'"),
        ({"max_size": 0}, "max_size must be a positive int, got 0"),
        ({"max_size": 10, "overlap": 10}, r"0 <= overlap < max_size \(10\), got 10"),
        ({"max_size": 10, "overlap": -1}, "got -1"),
    ],
)
def test_bad_options_are_rejected_with_the_valid_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        chunk("some text", **kwargs)  # type: ignore[arg-type]


def test_chunk_repr_end_and_id() -> None:
    c = chunk(Document("Hello there.", {"k": "v"}, id="doc"))[0]
    assert repr(c) == "Chunk(text='Hello there.', document_id='doc', index=0, start=0, metadata={'k': 'v'})"
    assert (c.end, c.id) == (12, "doc:0")
    assert c == Chunk("Hello there.", "doc", 0, 0, {"k": "v"})


def test_chunks_turn_into_a_dataframe() -> None:
    chunks = chunk(Document(MARKDOWN, {"source": "guide.md"}, id="g"), "markdown", max_size=200, overlap=0)
    df = chunks.to_df()
    assert list(df.columns) == [
        "document_id",
        "index",
        "start",
        "end",
        "text",
        "metadata.source",
        "metadata.headers",
    ]
    assert df["index"].tolist() == [0, 1, 2, 3]
    assert df.loc[1, "metadata.headers"] == ["Guide", "Install"]
    assert list(chunk("   ").to_df().columns) == ["document_id", "index", "start", "end", "text"]


def test_auto_tokenizer_never_downloads_and_falls_back_to_whitespace(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))  # an empty cache: tiktoken would have to download
    auto = chunk(PROSE, "token", max_size=8, overlap=0)
    assert auto == chunk(PROSE, "token", max_size=8, overlap=0, tokenizer="whitespace")


def test_a_plain_string_chunks_under_the_id_from_text_would_give() -> None:
    assert chunk("Hello there.")[0].document_id == Document.from_text("Hello there.").id


def test_what_is_neither_a_document_nor_a_string_is_refused_by_name() -> None:
    with pytest.raises(MastraError, match="chunk\\(\\) takes a Document or a str, got bytes"):
        chunk(b"Hello")  # type: ignore[arg-type]
