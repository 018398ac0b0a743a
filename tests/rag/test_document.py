from __future__ import annotations

import pytest

from mastra_lab.errors import ConfigError, MastraError
from mastra_lab.rag import Document


def test_default_id_is_a_stable_hash_of_text_and_metadata() -> None:
    a = Document.from_text("hello", {"source": "a.txt"})
    assert a.id == Document("hello", {"source": "a.txt"}).id
    assert len(a.id) == 32 and int(a.id, 16) >= 0
    assert a.id != Document("hello", {"source": "b.txt"}).id
    assert a.id != Document("hello!", {"source": "a.txt"}).id
    assert Document.from_text("hello", id="doc-1").id == "doc-1"


def test_documents_compare_by_value_and_repr_like_the_constructor() -> None:
    assert Document("x", id="1") == Document.from_text("x", id="1")
    assert repr(Document("short", {"k": 1}, id="d1")) == "Document(text='short', metadata={'k': 1}, id='d1')"
    long = Document("word " * 40, id="d2")
    assert repr(long) == f"Document(text={('word ' * 12)[:59] + '…'!r}, id='d2')"


def test_text_and_metadata_types_are_checked() -> None:
    with pytest.raises(MastraError, match="text must be a str, got bytes"):
        Document(b"raw")  # type: ignore[arg-type]
    with pytest.raises(MastraError, match="metadata must be a dict, got list"):
        Document("x", [("a", 1)])  # type: ignore[arg-type]


def test_from_markdown_moves_front_matter_into_metadata() -> None:
    doc = Document.from_markdown(
        "---\ntitle: 'Guide'\nauthor: Ada\n---\n# Intro\nBody.\n", metadata={"author": "Grace"}
    )
    assert doc.text == "# Intro\nBody.\n"
    assert doc.metadata == {"title": "Guide", "author": "Grace"}  # explicit metadata wins
    kept = Document.from_markdown("---\na: 1\n---\nBody", front_matter=False)
    assert kept.text.startswith("---") and kept.metadata == {}


HTML = """<!doctype html><html><head><title> The  Page </title><style>p { color: red }</style>
<script>alert("no")</script></head><body><nav>Home</nav>
<h1>Intro</h1><p>Hello   <b>bold</b>
 world &amp; friends.</p><ul><li>one</li><li>two</li></ul>
<h2>Code</h2><pre>def f():
    return 1</pre><p>a<br>b</p></body></html>"""


def test_from_html_keeps_readable_text_with_markdown_headings() -> None:
    doc = Document.from_html(HTML, {"source": "page.html"})
    assert doc.text == (
        "Home\n\n# Intro\n\nHello bold world & friends.\n\n- one\n- two\n\n## Code\n\n"
        "def f():\n    return 1\n\na\nb"
    )
    assert doc.metadata == {"title": "The Page", "source": "page.html"}


def test_html_documents_chunk_by_their_headings() -> None:
    chunks = Document.from_html(HTML).chunk("markdown", max_size=500)
    assert [c.metadata["headers"] for c in chunks] == [[], ["Intro"], ["Intro", "Code"]]
    assert chunks[2].text.startswith("## Code")


def test_from_json_flattens_to_path_value_lines() -> None:
    doc = Document.from_json('{"title": "Q3", "author": {"name": "Ada"}, "tags": ["math", 7], "ok": true}')
    assert doc.text == "title: Q3\nauthor.name: Ada\ntags[0]: math\ntags[1]: 7\nok: true"


def test_from_json_fields_pick_the_text_and_metadata_fields_copy_values() -> None:
    data = {"title": "Q3", "body": "Revenue grew.", "sections": [{"text": "Costs fell."}], "year": 2024}
    doc = Document.from_json(data, fields=["body", "sections.0.text"], metadata_fields=["year"])
    assert doc.text == "Revenue grew.\n\nCosts fell."
    assert doc.metadata == {"year": 2024}


def test_from_json_errors_name_the_problem() -> None:
    with pytest.raises(ConfigError, match=r"JSON field 'body' not found .*top-level keys: 'title'"):
        Document.from_json({"title": "x"}, fields=["body"])
    with pytest.raises(MastraError, match=r"not JSON .*line 1 column 2"):
        Document.from_json("{oops}")


def test_chunk_method_matches_the_module_function() -> None:
    from mastra_lab.rag import chunk

    doc = Document("One. Two. Three. " * 20, id="d")
    assert doc.chunk("sentence", 50, 10) == chunk(doc, "sentence", 50, 10)
    assert chunk("plain text").__len__() == 1  # strings are wrapped with Document.from_text


def test_from_html_survives_an_unclosed_head() -> None:
    doc = Document.from_html("<html><head><title>T</title><body><p>Body text</p>")
    assert (doc.text, doc.metadata) == ("Body text", {"title": "T"})
