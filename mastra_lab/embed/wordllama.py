"""Semantic embeddings offline: the static WordLlama model that ships inside the ``wordllama`` wheel.

Why it exists: :class:`~mastra_lab.embed.HashingEmbedder` matches words, so "reset my password" never finds
"recover your login credentials". WordLlama (``l2_supercat``) is a table of token embeddings distilled from
a large language model and mean-pooled over a text's tokens: no network, no key, no GPU, about 33 MB of
memory, and meaning rather than spelling. It is a bag of tokens (word order is lost), yet it ranks
paraphrases far above lexical hashing (``benchmarks/embed_bench.py``), which is what memory recall, demos
and notebooks need.

Offline for real: ``wordllama.WordLlama.load()`` looks for the bundled tokenizer in a folder that does not
exist and then downloads it from the Hugging Face hub. This module never calls it; it reads the weights and
the tokenizer straight from the installed package's own files and builds the library's inference object
from them, so no code path can reach the network.

The model was trained Matryoshka-style, so its first 64 or 128 columns are themselves a usable embedding:
``dim`` truncates to those (smaller indexes, lower recall). The wheel ships only the 256-d weights.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from mastra_lab.embed.base import Embedder
from mastra_lab.errors import ConfigError, MastraError

__all__ = ["WordLlamaEmbedder"]

_CONFIG = "l2_supercat"
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
_DIMS = (64, 128, 256)
_BATCH = 256  # texts per tokenizer call: larger batches tokenize in parallel better
_PADDED_CHARS = 32_768  # a batch pads to its longest text: ~8k padded tokens, ~8 MB of token vectors


def _import_wordllama() -> Any:
    """Import ``wordllama`` and undo the ``logging.basicConfig(level=INFO)`` it runs at import time.

    Left alone, that call would make every library's INFO records print in a notebook or script that
    never asked for them.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    except ImportError as exc:
        raise ImportError(
            'WordLlamaEmbedder needs the wordllama package: pip install "mastra-lab[semantic]"'
        ) from exc
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)
    return wordllama


@functools.cache
def _load_model(dim: int) -> Any:
    """The inference object for the bundled model truncated to ``dim`` (loaded once per process)."""
    wordllama = _import_wordllama()
    from safetensors import safe_open
    from tokenizers import Tokenizer

    package = resources.files("wordllama")
    paths = [package.joinpath(_WEIGHTS), package.joinpath(_TOKENIZER)]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise MastraError(
            f"wordllama {getattr(wordllama, '__version__', '?')} does not bundle {', '.join(missing)}; "
            'install the supported release: pip install "mastra-lab[semantic]"',
            code="EMBED_MODEL_MISSING",
            domain="embed",
            category="system",
            details={"missing": missing},
        )
    with resources.as_file(paths[0]) as weights_path, safe_open(str(weights_path), framework="np") as f:
        table = f.get_tensor("embedding.weight")[:, :dim]
    with resources.as_file(paths[1]) as tokenizer_path:
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
    return wordllama.WordLlamaInference(table, tokenizer)


def _batches(lengths: npt.NDArray[np.int64]) -> list[npt.NDArray[np.int64]]:
    """Row indices grouped into batches of similar length (shortest first), each within the padding bound.

    Sorting keeps padding small (a batch pads to its longest text) and the bound keeps one long document
    from multiplying the memory of a whole batch.
    """
    order = np.argsort(lengths, kind="stable")
    groups: list[npt.NDArray[np.int64]] = []
    start = 0
    for end in range(1, len(order) + 1):
        longest = int(lengths[order[end - 1]])
        if end - start > 1 and (end - start > _BATCH or (end - start) * longest > _PADDED_CHARS):
            groups.append(order[start : end - 1])
            start = end - 1
    groups.append(order[start:])
    return groups


class WordLlamaEmbedder(Embedder):
    """Semantic, offline, deterministic embeddings from the WordLlama model bundled with ``wordllama``.

    Needs the ``semantic`` extra (``pip install "mastra-lab[semantic]"``; ``lab`` includes it). The model
    loads once per process, from the installed package's files only (see the module docstring).

    Args:
        dim: Width of the vectors: 256 (the full model), or 128 / 64, the truncations it was trained for.
        normalize: L2-normalise every row (a text with no tokens stays the zero vector). Keep it on for
            ``cosine`` and ``dotproduct`` indexes; off gives the raw mean of the token embeddings.

    Example:
        ```python
        from mastra_lab.embed import WordLlamaEmbedder

        emb = WordLlamaEmbedder()
        query, answer, other = emb.embed(
            ["How do I reset my password?", "Recover your account login credentials", "Lunch is at noon"]
        )
        assert query @ answer > query @ other
        ```
    """

    def __init__(self, dim: int = 256, *, normalize: bool = True) -> None:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim not in _DIMS:
            raise ConfigError(
                f"WordLlamaEmbedder dim must be one of {', '.join(map(str, _DIMS))} (the widths the bundled "
                f"model was trained to be truncated to), got {dim!r}; try dim=256",
                code="EMBED_DIMENSION",
                details={"dim": repr(dim), "allowed": list(_DIMS)},
            )
        self.dimension = dim
        self.normalize = bool(normalize)
        self.name = f"wordllama:{_CONFIG}:{dim}" + ("" if self.normalize else ":raw")
        self._model = _load_model(dim)

    @property
    def dim(self) -> int:
        """Same as :attr:`dimension`."""
        return self.dimension

    def __repr__(self) -> str:
        parts = [f"dim={self.dimension}"] + ([] if self.normalize else ["normalize=False"])
        return f"WordLlamaEmbedder({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WordLlamaEmbedder):
            return NotImplemented
        return (self.dimension, self.normalize) == (other.dimension, other.normalize)

    def __hash__(self) -> int:
        return hash((WordLlamaEmbedder, self.dimension, self.normalize))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` into float32 rows of width ``dimension`` (mean of the token embeddings).

        Args:
            texts: The strings to embed; an empty sequence gives shape ``(0, dimension)``.
        """
        items = self._check_texts(texts)
        if not items:
            return self._empty()
        out = np.empty((len(items), self.dimension), dtype=np.float32)
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        for rows in _batches(lengths):
            batch = [items[i] for i in rows]
            out[rows] = self._model.embed(batch, norm=False, batch_size=len(batch))
        if self.normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            np.divide(out, norms, out=out, where=norms > 0)
        return out
