"""load_documents: files by suffix into documents with path ids; every mistake names the file or pattern."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mastra_lab.errors import MastraError
from mastra_lab.rag import Document, load_documents


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "refunds.md").write_text(
        "---\ncategory: billing\ntitle: Refunds\n---\n# Refunds\nFive days.\n"
    )
    (tmp_path / "page.html").write_text(
        "<html><title>Returns</title><body><h1>Returns</h1><p>Free.</p></body>"
    )
    (tmp_path / "faq.json").write_text(json.dumps({"question": "Ship abroad?", "answer": "Yes"}))
    (tmp_path / "notes.txt").write_text("Plain text stays as it is.\n")
    return tmp_path


def test_each_suffix_has_its_reader_and_the_metadata_names_the_file(corpus: Path) -> None:
    docs = {Path(d.id).name: d for d in load_documents(corpus)}
    assert sorted(docs) == ["faq.json", "notes.txt", "page.html", "refunds.md"]
    md = docs["refunds.md"]
    assert md.metadata == {"category": "billing", "title": "Refunds", "source": "refunds.md"}
    assert md.text == "# Refunds\nFive days.\n"
    assert docs["page.html"].metadata == {"title": "Returns", "source": "page.html"}
    assert "# Returns" in docs["page.html"].text and "Free." in docs["page.html"].text
    assert docs["faq.json"].text == "question: Ship abroad?\nanswer: Yes"
    assert docs["notes.txt"] == Document(
        "Plain text stays as it is.\n", {"source": "notes.txt"}, (corpus / "notes.txt").as_posix()
    )


def test_a_glob_picks_its_files_in_sorted_order_and_ids_are_the_matched_paths(corpus: Path) -> None:
    (corpus / "sub").mkdir()
    (corpus / "sub" / "deep.md").write_text("deep")
    assert [d.id for d in load_documents(str(corpus / "*.md"))] == [(corpus / "refunds.md").as_posix()]
    deep = load_documents(str(corpus / "**" / "*.md"))
    assert [Path(d.id).name for d in deep] == ["refunds.md", "deep.md"]


def test_a_relative_glob_gives_relative_ids(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(corpus)
    assert [d.id for d in load_documents("*.txt")] == ["notes.txt"]


def test_an_edited_file_keeps_its_id(corpus: Path) -> None:
    before = load_documents(corpus / "notes.txt")[0]
    (corpus / "notes.txt").write_text("Changed.")
    after = load_documents(corpus / "notes.txt")[0]
    assert before.id == after.id and before.text != after.text


def test_a_directory_leaves_hidden_files_out(corpus: Path) -> None:
    (corpus / ".hidden.md").write_text("secret")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "HEAD").write_text("ref")
    assert len(load_documents(corpus)) == 4


def test_nothing_matching_names_the_pattern_and_the_directory(tmp_path: Path) -> None:
    with pytest.raises(MastraError) as caught:
        load_documents("no/such/*.md")
    assert caught.value.code == "RAG_NO_FILES"
    assert f"no files match 'no/such/*.md' (relative to {Path.cwd()})" in caught.value.message
    with pytest.raises(MastraError, match="no files match"):
        load_documents(tmp_path / "missing.md")
    with pytest.raises(MastraError, match="no files match"):
        load_documents(tmp_path)  # an empty directory


def test_a_binary_file_fails_naming_it_before_any_document_is_returned(corpus: Path) -> None:
    (corpus / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(MastraError) as caught:
        load_documents(corpus)
    assert caught.value.code == "RAG_BINARY_FILE"
    assert "logo.png' is not UTF-8 text (byte 0 is b'\\x89')" in caught.value.message


def test_a_text_file_with_a_nul_byte_is_binary(corpus: Path) -> None:
    (corpus / "odd.txt").write_bytes(b"abc\x00def")
    with pytest.raises(MastraError, match=r"odd.txt' is not UTF-8 text \(byte 3 is b'\\x00'\)"):
        load_documents(corpus / "odd.txt")


def test_a_json_file_that_is_not_json_names_the_file(corpus: Path) -> None:
    (corpus / "broken.json").write_text("{not json")
    with pytest.raises(MastraError) as caught:
        load_documents(corpus / "broken.json")
    assert caught.value.code == "RAG_DOCUMENT_JSON"
    assert caught.value.message.startswith(f"'{(corpus / 'broken.json').as_posix()}': Document.from_json")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_says_so(corpus: Path) -> None:
    locked = corpus / "locked.txt"
    locked.write_text("x")
    locked.chmod(0)
    try:
        with pytest.raises(MastraError) as caught:
            load_documents(locked)
    finally:
        locked.chmod(0o644)
    assert caught.value.code == "RAG_FILE_UNREADABLE"
    assert "cannot read" in caught.value.message and "Permission denied" in caught.value.message


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux's /proc")
def test_a_file_that_fails_to_read_says_so() -> None:
    # /proc/self/mem is a regular file whose offset 0 is unmapped: reading it fails, even as root
    with pytest.raises(MastraError) as caught:
        load_documents("/proc/self/mem")
    assert caught.value.code == "RAG_FILE_UNREADABLE"
    assert caught.value.message.startswith("cannot read '/proc/self/mem': ")


def test_a_utf8_bom_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "bom.md").write_bytes("\ufeff---\ncategory: account\n---\nHi".encode())
    (doc,) = load_documents(tmp_path / "bom.md")
    assert doc.metadata["category"] == "account" and doc.text == "Hi"
