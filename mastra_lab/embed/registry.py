"""Embedders by name: rebuild the embedder a vector index recorded, or pick one with a short name.

An index records the ``name`` of the embedder that filled it (``"hashing:dim=384,ngrams=3-5,bigrams=on,
lowercase=on"``, ``"wordllama:l2_supercat:256"``), and only that embedder may query it. A notebook that opens
the index later, or a ``%mastra vector search`` line, has the name and not the object, so
:func:`get_embedder` turns every name an embedder of this package gives itself back into an equal embedder.
People type shorter forms (``"hashing"``, ``"wordllama:dim=128"``), which mean the defaults plus the
parameters given.

The offline embedders are cached by their full name: a search resolves its embedder on every call, and
rebuilding would throw away the hashing embedder's token cache each time (WordLlama's weights are loaded
once per process either way). Embedders that call a service are built fresh, so a key set later is seen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from mastra_lab.errors import ConfigError

if TYPE_CHECKING:
    from mastra_lab.embed.base import Embedder

__all__ = ["EMBEDDER_FAMILIES", "get_embedder"]

EMBEDDER_FAMILIES: dict[str, str] = {
    "hashing": "hashing[:dim=384,ngrams=3-5|off,bigrams=on|off,lowercase=on|off]",
    "wordllama": "wordllama[:dim=256|128|64,normalize=on|off]",
    "openai": "openai:MODEL[,dimensions=N]",
    "sentence-transformers": "sentence-transformers:MODEL",
}
"""The embedder families :func:`get_embedder` knows, each with the form of its names."""

_SWITCH = {"on": True, "off": False, "true": True, "false": False}


def _bad(name: str, family: str, problem: str) -> ConfigError:
    return ConfigError(
        f"embedder name {name!r}: {problem}; the form is {EMBEDDER_FAMILIES[family]}",
        code="EMBED_BAD_NAME",
        details={"name": name, "family": family},
    )


def _params(name: str, family: str, text: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """``"a=1,b=on"`` as a dict, refusing keys outside ``allowed``, repeats and items without ``=``."""
    params: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip().lower()
        if not sep or not value:
            raise _bad(name, family, f"{item!r} is not key=value")
        if key not in allowed:
            raise _bad(name, family, f"unknown parameter {key!r} (known: {', '.join(allowed)})")
        if key in params:
            raise _bad(name, family, f"{key!r} is given twice")
        params[key] = value
    return params


def _int(name: str, family: str, key: str, value: str) -> int:
    if not value.isdigit():
        raise _bad(name, family, f"{key}={value!r} is not a positive integer")
    return int(value)


def _switch(name: str, family: str, key: str, value: str) -> bool:
    if value not in _SWITCH:
        raise _bad(name, family, f"{key}={value!r} must be on or off")
    return _SWITCH[value]


def _hashing(name: str, rest: str) -> Embedder:
    p = _params(name, "hashing", rest, ("dim", "ngrams", "bigrams", "lowercase"))
    ngrams: tuple[int, int] | None = (3, 5)
    if p.get("ngrams") == "off":
        ngrams = None
    elif "ngrams" in p:
        lo, sep, hi = p["ngrams"].partition("-")
        if not (sep and lo.isdigit() and hi.isdigit()):
            raise _bad(name, "hashing", f"ngrams={p['ngrams']!r} must be MIN-MAX (like 3-5) or off")
        ngrams = (int(lo), int(hi))
    return _cached_hashing(
        _int(name, "hashing", "dim", p.get("dim", "384")),
        ngrams,
        _switch(name, "hashing", "bigrams", p.get("bigrams", "on")),
        _switch(name, "hashing", "lowercase", p.get("lowercase", "on")),
    )


@functools.cache
def _cached_hashing(dim: int, ngrams: tuple[int, int] | None, bigrams: bool, lowercase: bool) -> Embedder:
    from mastra_lab.embed.hashing import HashingEmbedder

    return HashingEmbedder(dim, ngram_range=ngrams, bigrams=bigrams, lowercase=lowercase)


def _wordllama(name: str, rest: str) -> Embedder:
    if rest.startswith("l2_supercat"):  # the recorded form: wordllama:l2_supercat:256[:raw]
        parts = rest.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "raw"):
            raise _bad(name, "wordllama", "a recorded name looks like wordllama:l2_supercat:256[:raw]")
        dim, normalize = _int(name, "wordllama", "dim", parts[1]), len(parts) == 2
    else:
        p = _params(name, "wordllama", rest, ("dim", "normalize"))
        dim = _int(name, "wordllama", "dim", p.get("dim", "256"))
        normalize = _switch(name, "wordllama", "normalize", p.get("normalize", "on"))
    return _cached_wordllama(dim, normalize)


@functools.cache
def _cached_wordllama(dim: int, normalize: bool) -> Embedder:
    from mastra_lab.embed.wordllama import WordLlamaEmbedder

    try:
        return WordLlamaEmbedder(dim, normalize=normalize)
    except ImportError as exc:
        raise ConfigError(str(exc), code="EMBED_NOT_INSTALLED") from exc


def _openai(name: str, rest: str) -> Embedder:
    model, _, params = rest.partition(",")
    if not model.strip():
        raise _bad(name, "openai", "the model is missing")
    p = _params(name, "openai", params, ("dimensions",))
    dimensions = _int(name, "openai", "dimensions", p["dimensions"]) if "dimensions" in p else None
    from mastra_lab.embed.openai import OpenAIEmbedder

    return OpenAIEmbedder(model.strip(), dimensions=dimensions)


def _sentence_transformers(name: str, rest: str) -> Embedder:
    if not rest.strip():
        raise _bad(name, "sentence-transformers", "the model is missing")
    from mastra_lab.embed.local import SentenceTransformerEmbedder

    try:
        return SentenceTransformerEmbedder(rest.strip())
    except ImportError as exc:
        raise ConfigError(str(exc), code="EMBED_NOT_INSTALLED") from exc


_BUILDERS: dict[str, Callable[[str, str], Embedder]] = {
    "hashing": _hashing,
    "wordllama": _wordllama,
    "openai": _openai,
    "sentence-transformers": _sentence_transformers,
}


def get_embedder(name: str) -> Embedder:
    """The embedder that ``name`` denotes: a recorded ``Embedder.name`` or a short form.

    ``get_embedder(e.name) == e`` for every embedder of this package, so an index's recorded name is enough
    to query it again. Short forms take the defaults for what they leave out: ``"hashing"`` is
    ``HashingEmbedder()``, ``"wordllama:dim=128"`` is ``WordLlamaEmbedder(128)``.

    Args:
        name: ``family[:parameters]``; the families and their forms are in :data:`EMBEDDER_FAMILIES`.

    Raises:
        ConfigError: An unknown family or parameter, a malformed value, or a missing optional package;
            the message shows the accepted form.

    Example:
        ```python
        from mastra_lab.embed import HashingEmbedder, get_embedder

        recorded = HashingEmbedder(dim=64).name  # 'hashing:dim=64,ngrams=3-5,bigrams=on,lowercase=on'
        assert get_embedder(recorded) == HashingEmbedder(dim=64)
        assert get_embedder("hashing") == HashingEmbedder()
        ```
    """
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"an embedder name must be a non-empty string, got {name!r}; try 'hashing' or 'wordllama'",
            code="EMBED_BAD_NAME",
        )
    family, _, rest = name.strip().partition(":")
    builder = _BUILDERS.get(family.strip().lower())
    if builder is None:
        forms = "; ".join(EMBEDDER_FAMILIES.values())
        raise ConfigError(
            f"unknown embedder {name!r}; known embedders: {forms}",
            code="EMBED_UNKNOWN",
            details={"name": name, "known": sorted(EMBEDDER_FAMILIES)},
        )
    return builder(name, rest.strip())
