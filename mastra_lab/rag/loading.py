"""Files to documents: a path, a directory or a glob in, one :class:`Document` per file out.

The reader is chosen by suffix (``.md``/``.markdown`` → :meth:`Document.from_markdown`, so front matter
becomes metadata; ``.html``/``.htm`` → :meth:`Document.from_html`; ``.json`` → :meth:`Document.from_json`;
anything else is plain text). Each document's id is the file's path as matched, not a hash of its text: a
file edited and ingested again then *replaces* its vectors instead of adding a second copy beside the old
one. ``source`` in the metadata is the file's name, which is what a filter or a results table shows.

Every file is read before anything is returned, so a binary or unreadable file among many fails the whole
call with its name, before a single vector is written.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from pathlib import Path

from mastra_lab.errors import MastraError
from mastra_lab.rag.document import Document

__all__ = ["READERS", "load_documents"]

READERS: dict[str, Callable[..., Document]] = {
    ".md": Document.from_markdown,
    ".markdown": Document.from_markdown,
    ".html": Document.from_html,
    ".htm": Document.from_html,
    ".json": Document.from_json,
}
"""File suffix (lower case) → the ``Document`` constructor that reads it; other suffixes are plain text."""

_GLOB_CHARS = frozenset("*?[")


def _error(message: str, code: str, path: str) -> MastraError:
    return MastraError(message, code=code, domain="rag", details={"path": path})


def _matches(path_or_glob: str) -> list[Path]:
    """The files ``path_or_glob`` names: a file, every file under a directory, or a glob's files, sorted."""
    pattern = os.path.expanduser(path_or_glob)
    if _GLOB_CHARS & set(pattern):
        found = [Path(p) for p in glob.glob(pattern, recursive=True)]
    elif Path(pattern).is_dir():
        root = Path(pattern)
        found = [p for p in root.rglob("*") if not any(s.startswith(".") for s in p.relative_to(root).parts)]
    else:
        found = [Path(pattern)] if Path(pattern).exists() else []
    files = sorted(p for p in found if p.is_file())
    if not files:
        where = f" (relative to {Path.cwd()})" if not Path(pattern).is_absolute() else ""
        raise _error(
            f"no files match {path_or_glob!r}{where}; check the path, or quote a glob like 'data/*.md'",
            "RAG_NO_FILES",
            path_or_glob,
        )
    return files


def _read_text(path: Path) -> str:
    name = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(
            f"cannot read {name!r}: {exc.strerror or exc}; check that the file exists and is readable",
            "RAG_FILE_UNREADABLE",
            name,
        ) from exc
    try:
        text = data.decode("utf-8-sig")
        bad = data.find(b"\x00")  # valid UTF-8, but no text file holds NUL bytes
    except UnicodeDecodeError as exc:
        bad = exc.start
    if bad < 0:
        return text
    raise _error(
        f"{name!r} is not UTF-8 text (byte {bad} is {data[bad : bad + 1]!r}); "
        "load text, Markdown, HTML or JSON files only, or leave this file out of the pattern",
        "RAG_BINARY_FILE",
        name,
    )


def load_documents(path_or_glob: str | os.PathLike[str]) -> list[Document]:
    """Read the files that ``path_or_glob`` names into documents (readers and ids: see the module doc).

    Args:
        path_or_glob: A file, a directory (every file under it, hidden ones left out) or a glob pattern
            (``"data/*.md"``, ``"docs/**/*.html"``), relative to the current directory unless absolute.

    Raises:
        MastraError: Nothing matches (the message names the pattern and the directory it was read from),
            a file cannot be read, is not UTF-8 text, or is a ``.json`` file that is not JSON.

    Example:
        ```python
        import tempfile
        from pathlib import Path

        from mastra_lab.rag import load_documents

        with tempfile.TemporaryDirectory() as tmp:
            Path(tmp, "refunds.md").write_text("---\\ncategory: billing\\n---\\nRefunds take five days.")
            (doc,) = load_documents(Path(tmp, "*.md"))
        assert doc.metadata == {"category": "billing", "source": "refunds.md"}
        assert doc.text == "Refunds take five days."
        ```
    """
    documents = []
    for path in _matches(os.fspath(path_or_glob)):
        text = _read_text(path)
        reader: Callable[..., Document] = READERS.get(path.suffix.lower(), Document.from_text)
        try:
            documents.append(reader(text, {"source": path.name}, id=path.as_posix()))
        except MastraError as exc:
            raise _error(f"{path.as_posix()!r}: {exc.message}", exc.code, path.as_posix()) from exc
    return documents
