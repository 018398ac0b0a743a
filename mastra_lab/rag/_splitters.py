"""Span algorithms behind the chunking strategies.

Every strategy works on ``(start, end)`` offsets into the source text and never copies or rewrites text,
so each chunk is a verbatim slice of its document (``text[start:end]``) — which is what lets a search hit
point back into the source. Splitting produces small *pieces* that tile the text; :func:`merge` packs
consecutive pieces into chunks of at most ``max_size`` units, repeating trailing pieces (up to ``overlap``)
at the start of the next chunk.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Any

from mastra_lab.errors import ConfigError
from mastra_lab.telemetry import get_logger

__all__ = [
    "Span",
    "character_spans",
    "markdown_sections",
    "merge",
    "recursive_pieces",
    "resolve_tokenizer",
    "sentence_pieces",
    "token_spans",
    "trim",
]

Span = tuple[int, int]
TokenSpans = Callable[[str], tuple[Any, Any]]  # (token starts, token ends): int lists or numpy arrays

PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
LINE = re.compile(r"\n")
SENTENCE = re.compile(r"[.!?…。！？]+[\"'”’)\]]*\s+")
WORD = re.compile(r"\s+")
RECURSIVE_SEPARATORS: tuple[re.Pattern[str], ...] = (PARAGRAPH, LINE, SENTENCE, WORD)
_HEADER = re.compile(r"(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"(```|~~~)")
_MAX_SPACE = 0x3000  # the largest code point for which str.isspace() is true
_log = get_logger("rag.chunking")
_CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
_warned_fallback = False


def _cuts(text: str, lo: int, hi: int, pattern: re.Pattern[str]) -> list[int]:
    """Positions just after each separator match strictly inside ``(lo, hi)`` (separators stay left)."""
    return [m.end() for m in pattern.finditer(text, lo, hi) if lo < m.end() < hi]


def recursive_pieces(
    text: str, lo: int, hi: int, max_size: int, separators: Sequence[re.Pattern[str]] = RECURSIVE_SEPARATORS
) -> list[Span]:
    """Pieces of at most ``max_size`` characters tiling ``[lo, hi)``, cut at the coarsest separator that
    occurs, recursing with finer ones into pieces that are still too long (characters as a last resort)."""
    if hi - lo <= max_size:
        return [(lo, hi)]
    for k, pattern in enumerate(separators):
        cuts = _cuts(text, lo, hi, pattern)
        if cuts:
            out: list[Span] = []
            for a, b in pairwise([lo, *cuts, hi]):
                out.extend(recursive_pieces(text, a, b, max_size, separators[k + 1 :]))
            return out
    return [(s, min(s + max_size, hi)) for s in range(lo, hi, max_size)]


def sentence_pieces(text: str, lo: int, hi: int, max_size: int) -> list[Span]:
    """Sentences (and paragraphs) of ``[lo, hi)``; a sentence longer than ``max_size`` is cut at words."""
    bounds = sorted({*_cuts(text, lo, hi, SENTENCE), *_cuts(text, lo, hi, PARAGRAPH)})
    out: list[Span] = []
    for a, b in pairwise([lo, *bounds, hi]):
        out.extend(recursive_pieces(text, a, b, max_size, (WORD,)))
    return out


def merge(pieces: Sequence[Span], max_size: int, overlap: int) -> list[Span]:
    """Pack consecutive pieces (each at most ``max_size`` long) into spans of at most ``max_size``; each span
    after the first starts with the previous span's trailing pieces that fit in ``overlap``."""
    spans: list[Span] = []
    i, n = 0, len(pieces)
    while i < n:
        start, j = pieces[i][0], i + 1
        while j < n and pieces[j][1] - start <= max_size:
            j += 1
        end = pieces[j - 1][1]
        spans.append((start, end))
        if j >= n:
            break
        k = j  # back up over trailing pieces for the overlap, keeping room for piece j
        while k - 1 > i and end - pieces[k - 1][0] <= overlap and pieces[j][1] - pieces[k - 1][0] <= max_size:
            k -= 1
        i = k
    return spans


def character_spans(lo: int, hi: int, max_size: int, overlap: int) -> list[Span]:
    """Fixed windows of ``max_size`` characters, each starting ``max_size - overlap`` after the last."""
    step = max_size - overlap
    spans = []
    for s in range(lo, hi, step):
        spans.append((s, min(s + max_size, hi)))
        if s + max_size >= hi:
            break
    return spans


def trim(text: str, span: Span) -> Span | None:
    """``span`` without leading/trailing whitespace, or ``None`` when nothing else is left."""
    start, end = span
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def markdown_sections(text: str) -> list[tuple[Span, list[str]]]:
    """``((start, end), header_path)`` for the preamble and each ATX-headed section of ``text``.

    A section runs from its header line to the next header of any level; headers inside fenced code
    blocks do not count. Sections with nothing but their header line are left out (their title still
    appears in the header path of the sections below).
    """
    heads: list[tuple[int, int, int, str]] = []  # (line start, body start, level, title)
    fence: str | None = None
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        opener = _FENCE.match(stripped)
        if opener and (fence is None or opener.group(1) == fence):
            fence = None if fence else opener.group(1)
        elif fence is None and (m := _HEADER.match(stripped)) and not line[0].isspace():
            heads.append((pos, pos + len(line), len(m.group(1)), m.group(2)))
        pos += len(line)
    sections: list[tuple[Span, list[str]]] = []
    if not heads or heads[0][0] > 0:
        sections.append(((0, heads[0][0] if heads else len(text)), []))
    stack: list[tuple[int, str]] = []
    for idx, (start, body, level, title) in enumerate(heads):
        stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
        end = heads[idx + 1][0] if idx + 1 < len(heads) else len(text)
        if text[body:end].strip():
            sections.append(((start, end), [t for _, t in stack]))
    return sections


def token_spans(text: str, tokenize: TokenSpans, max_size: int, overlap: int) -> list[Span]:
    """Windows of ``max_size`` tokens, each starting ``max_size - overlap`` tokens after the last."""
    starts, ends = tokenize(text)
    windows = character_spans(0, len(starts), max_size, overlap)
    return [(int(starts[a]), int(ends[b - 1])) for a, b in windows]


@lru_cache(maxsize=1)
def _space_table() -> Any:
    import numpy as np

    table = np.zeros(_MAX_SPACE + 2, dtype=bool)  # every code point above _MAX_SPACE maps to the last slot
    table[[c for c in range(_MAX_SPACE + 1) if chr(c).isspace()]] = True
    return table


def whitespace_tokens(text: str) -> tuple[Any, Any]:
    """Starts and ends of the runs of non-whitespace characters (the approximation without tiktoken).

    Vectorised: one UTF-32 view of the text, a lookup table of ``str.isspace`` code points, and the
    positions where "is space" flips.
    """
    import numpy as np

    if not text:
        return [], []
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    space = _space_table()[np.minimum(codes, _MAX_SPACE + 1)]
    padded = np.concatenate(([True], space, [True]))
    flips = np.flatnonzero(padded[1:] != padded[:-1])
    return flips[0::2], flips[1::2]  # arrays: only window edges are read, so no list of a million ints


def _tiktoken_tokens(encoding: Any) -> TokenSpans:
    def tokenize(text: str) -> tuple[list[int], list[int]]:
        tokens = encoding.encode(text, disallowed_special=())
        if not tokens:
            return [], []
        _, starts = encoding.decode_with_offsets(tokens)
        return starts, [*starts[1:], len(text)]

    return tokenize


@lru_cache(maxsize=8)
def _load_encoding(name: str) -> Any:
    try:
        import tiktoken
    except ImportError as exc:
        raise ConfigError(
            f'tokenizer={name!r} needs tiktoken: pip install "mastra-lab[tokens]", '
            'or use tokenizer="whitespace"',
            code="RAG_TOKENIZER",
            domain="rag",
        ) from exc
    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise ConfigError(
            f"unknown tiktoken encoding {name!r}; try 'cl100k_base' or 'o200k_base'",
            code="RAG_TOKENIZER",
            domain="rag",
        ) from exc


def _tiktoken_file_is_cached(url: str) -> bool:
    """Whether tiktoken would read ``url`` from its local cache (same rule as ``tiktoken.load``)."""
    cache_dir = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if cache_dir is None:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    return bool(cache_dir) and os.path.exists(os.path.join(cache_dir, hashlib.sha1(url.encode()).hexdigest()))


def _auto_tokens() -> TokenSpans:
    """cl100k_base when tiktoken can load it without the network, else whitespace tokens (said once)."""
    global _warned_fallback
    if importlib.util.find_spec("tiktoken") is not None and _tiktoken_file_is_cached(_CL100K_URL):
        return _tiktoken_tokens(_load_encoding("cl100k_base"))
    if not _warned_fallback:
        _warned_fallback = True
        _log.warning(
            "token chunking uses whitespace tokens: tiktoken or its cached cl100k_base file is missing; "
            "pass tokenizer='cl100k_base' to let tiktoken download it, or tokenizer='whitespace' to "
            "choose whitespace explicitly"
        )
    return whitespace_tokens


def resolve_tokenizer(tokenizer: object) -> TokenSpans:
    """Token-span function for ``"auto"``, ``"whitespace"``, a tiktoken encoding name or ``Encoding``."""
    if tokenizer == "whitespace":
        return whitespace_tokens
    if tokenizer == "auto":
        return _auto_tokens()
    if isinstance(tokenizer, str):
        return _tiktoken_tokens(_load_encoding(tokenizer))
    if hasattr(tokenizer, "encode") and hasattr(tokenizer, "decode_with_offsets"):
        return _tiktoken_tokens(tokenizer)
    raise ConfigError(
        f"tokenizer must be 'auto', 'whitespace', a tiktoken encoding name or a tiktoken.Encoding, "
        f"got {tokenizer!r}",
        code="RAG_TOKENIZER",
        domain="rag",
    )
