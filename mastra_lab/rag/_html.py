"""HTML to readable text with the standard library's ``html.parser`` (no extra dependency).

Scripts, styles and other non-content elements are dropped, inline whitespace is collapsed, block elements
become line or paragraph breaks, headings become Markdown ``#`` headings and list items ``- `` bullets — so
the ``markdown`` chunking strategy works on HTML documents too. ``<pre>`` keeps its text as written.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

_SKIP = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "object"})
_PARAGRAPH = frozenset(
    {
        "p", "div", "section", "article", "header", "footer", "main", "aside", "nav", "ul", "ol", "table",
        "blockquote", "pre", "dl", "figure", "figcaption", "form", "address", "hr", "details", "summary",
    }
)  # fmt: skip
_LINE = frozenset({"br", "tr", "dt", "dd", "caption"})
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_LINE_BREAK, _PARA_BREAK = "\x01", "\x00"  # sentinels, resolved once at the end
_BREAKS = re.compile(r"[ \t]*[\x00\x01][\x00\x01 \t]*")
_SPACES = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._pre = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in _SKIP:
            self._skip += 1
        elif tag in _HEADINGS:
            self.parts.append(_PARA_BREAK + "#" * _HEADINGS[tag] + " ")
        elif tag == "li":
            self.parts.append(_LINE_BREAK + "- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _PARAGRAPH:
            self.parts.append(_PARA_BREAK)
            self._pre += tag == "pre"
        elif tag in _LINE:
            self.parts.append(_LINE_BREAK)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINE or tag == "hr":
            self.parts.append(_LINE_BREAK)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HEADINGS or tag in _PARAGRAPH:
            self.parts.append(_PARA_BREAK)
            self._pre -= tag == "pre" and self._pre > 0
        elif tag in ("li", "tr"):
            self.parts.append(_LINE_BREAK)

    def handle_data(self, data: str) -> None:
        data = data.replace("\x00", "").replace("\x01", "")
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data if self._pre else _SPACES.sub(" ", data))


def html_to_text(html: str) -> tuple[str, str]:
    """``(text, title)`` of an HTML document or fragment; ``title`` is ``""`` when there is none."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    joined = "".join(parser.parts)
    text = _BREAKS.sub(lambda m: "\n\n" if "\x00" in m.group() else "\n", joined)
    return text.strip(), _SPACES.sub(" ", parser.title).strip()
