"""The offline default embedder: feature hashing, deterministic everywhere, no model download.

Why it exists: tests, notebooks and demos must run without a network or a key, and two processes (or two
machines) must produce the same vectors for the same text so a stored index stays valid. Python's ``hash()``
is salted per process, so every feature is hashed with BLAKE2b instead.

What it is honestly: a *lexical* embedding. Texts that share words, word pairs or word fragments score
high; synonyms with no shared letters ("car" / "automobile") do not. Use a model embedder
(:class:`~mastra_lab.embed.OpenAIEmbedder`, ``SentenceTransformerEmbedder``) for semantic search.

Features of each lower-cased ``\\w+`` token: the word itself, the character n-grams of ``<word>``
(3–5 by default, each weighing half a word, so long words — usually the informative ones — outweigh
"the" and "a"), and the pair with the next word. Each feature lands in ``hash % dim`` with a sign taken
from another bit of the hash (signed hashing, so collisions cancel on average instead of piling up).
Rows are L2-normalised; a text with no word characters gets the zero vector.

Speed: each distinct token is hashed once and its features are cached; a batch is then one gather plus
one ``np.bincount`` — no per-feature Python on the hot path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from hashlib import blake2b
from itertools import chain

import numpy as np
import numpy.typing as npt

from mastra_lab.embed.base import Embedder
from mastra_lab.errors import ConfigError

__all__ = ["HashingEmbedder"]

_TOKEN = re.compile(r"\w+")
_MASK64 = (1 << 64) - 1
_K_PAIR = 0x9E3779B97F4A7C15
_SUB_BATCH = 512
_CACHE_LIMIT = 200_000
_NGRAM_WEIGHT = 0.5  # per n-gram: long words (usually the informative ones) outweigh "the" and "a"


def _h64(data: bytes) -> int:
    """A stable 64-bit hash (BLAKE2b), identical in every process and on every machine."""
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


def _splitmix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The splitmix64 finaliser over an array (uint64 arithmetic wraps, as intended)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _pair_hashes(left: npt.NDArray[np.uint64], right: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Order-sensitive hash of consecutive word pairs: ``splitmix(left * K + right)`` mod 2**64."""
    return _splitmix(left * np.uint64(_K_PAIR) + right)


class HashingEmbedder(Embedder):
    """Deterministic, offline, lexical embeddings by feature hashing (see the module docstring).

    Args:
        dim: Width of the vectors (384 matches common small sentence models, so indexes are swappable).
        ngram_range: Smallest and largest character n-gram taken from ``<word>``; ``None`` turns them off.
        bigrams: Also hash each pair of consecutive words.
        lowercase: Lower-case texts before tokenising.

    Example:
        ```python
        from mastra_lab.embed import HashingEmbedder

        emb = HashingEmbedder(dim=64)
        vectors = emb.embed(["the cat sat", "a cat sat down"])
        assert vectors.shape == (2, 64) and str(vectors.dtype) == "float32"
        ```
    """

    def __init__(
        self,
        dim: int = 384,
        *,
        ngram_range: tuple[int, int] | None = (3, 5),
        bigrams: bool = True,
        lowercase: bool = True,
    ) -> None:
        if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
            raise ConfigError(
                f"HashingEmbedder dim must be a positive int, got {dim!r}; try dim=384",
                code="EMBED_DIMENSION",
            )
        if ngram_range is not None:
            lo, hi = ngram_range
            if not (isinstance(lo, int) and isinstance(hi, int) and 1 <= lo <= hi):
                raise ConfigError(
                    f"ngram_range must be (min, max) with 1 <= min <= max, got {ngram_range!r}; "
                    "try (3, 5), or None to turn character n-grams off",
                    code="EMBED_NGRAM_RANGE",
                )
        self.dimension = dim
        self.ngram_range = ngram_range
        self.bigrams = bigrams
        self.lowercase = lowercase
        ngrams = "off" if ngram_range is None else f"{ngram_range[0]}-{ngram_range[1]}"
        self.name = (
            f"hashing:dim={dim},ngrams={ngrams},bigrams={'on' if bigrams else 'off'},"
            f"lowercase={'on' if lowercase else 'off'}"
        )
        # token -> (word hash, feature columns, signed feature weights)
        self._cache: dict[str, tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]] = {}

    @property
    def dim(self) -> int:
        """Same as :attr:`dimension`."""
        return self.dimension

    def __repr__(self) -> str:
        parts = [f"dim={self.dimension}"]
        if self.ngram_range != (3, 5):
            parts.append(f"ngram_range={self.ngram_range!r}")
        if not self.bigrams:
            parts.append("bigrams=False")
        if not self.lowercase:
            parts.append("lowercase=False")
        return f"HashingEmbedder({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, HashingEmbedder):
            return NotImplemented
        return self._config() == other._config()

    def __hash__(self) -> int:
        return hash(self._config())

    def _config(self) -> tuple[object, ...]:
        return (self.dimension, self.ngram_range, self.bigrams, self.lowercase)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed ``texts`` into L2-normalised float32 rows of width ``dimension``.

        Args:
            texts: The strings to embed; an empty sequence gives shape ``(0, dimension)``.
        """
        items = self._check_texts(texts)
        out = np.zeros((len(items), self.dimension), dtype=np.float32)
        for lo in range(0, len(items), _SUB_BATCH):
            out[lo : lo + _SUB_BATCH] = self._embed_batch(items[lo : lo + _SUB_BATCH])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    def _token_features(self, token: str) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Hash one token's unigram and character n-gram features (cached per embedder)."""
        hashes = [_h64(b"w\x00" + token.encode("utf-8", "surrogatepass"))]
        weights = [1.0]
        if self.ngram_range is not None:
            padded = f"<{token}>"
            lo, hi = self.ngram_range
            grams = [padded[i : i + n] for n in range(lo, hi + 1) for i in range(len(padded) - n + 1)]
            if grams:
                hashes.extend(_h64(b"c\x00" + g.encode("utf-8", "surrogatepass")) for g in grams)
                weights.extend([_NGRAM_WEIGHT] * len(grams))
        h = np.array(hashes, dtype=np.uint64)
        cols = ((h >> np.uint64(1)) % np.uint64(self.dimension)).astype(np.int64)
        signs = np.where(h & np.uint64(1), 1.0, -1.0)
        return hashes[0], cols, signs * np.array(weights)

    def _lookup(
        self, tokens: list[str]
    ) -> tuple[npt.NDArray[np.uint64], list[npt.NDArray[np.int64]], list[npt.NDArray[np.float64]]]:
        cache = self._cache
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        word_hashes, cols, weights = [], [], []
        for token in tokens:
            entry = cache.get(token)
            if entry is None:
                entry = cache[token] = self._token_features(token)
            word_hashes.append(entry[0])
            cols.append(entry[1])
            weights.append(entry[2])
        return np.array(word_hashes, dtype=np.uint64), cols, weights

    def _embed_batch(self, texts: list[str]) -> npt.NDArray[np.float64]:
        n, dim = len(texts), self.dimension
        token_lists = [_TOKEN.findall(t.lower() if self.lowercase else t) for t in texts]
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=n)
        local: dict[str, int] = {}
        ids = np.array([local.setdefault(t, len(local)) for t in chain.from_iterable(token_lists)], np.int64)
        if ids.size == 0:
            return np.zeros((n, dim))
        word_hash, col_list, weight_list = self._lookup(list(local))
        counts = np.fromiter(map(len, col_list), dtype=np.int64, count=len(col_list))
        starts = np.cumsum(counts) - counts
        all_cols, all_weights = np.concatenate(col_list), np.concatenate(weight_list)
        text_of = np.repeat(np.arange(n, dtype=np.int64), lengths)

        # Expand every token occurrence into its cached features: one gather, no Python per feature.
        per_occ = counts[ids]
        first = np.repeat(np.cumsum(per_occ) - per_occ, per_occ)
        pos = np.arange(int(per_occ.sum()), dtype=np.int64) - first + np.repeat(starts[ids], per_occ)
        rows = [np.repeat(text_of, per_occ)]
        cols = [all_cols[pos]]
        weights = [all_weights[pos]]

        if self.bigrams and ids.size > 1:
            same_text = text_of[1:] == text_of[:-1]
            occ_hash = word_hash[ids]
            ph = _pair_hashes(occ_hash[:-1][same_text], occ_hash[1:][same_text])
            rows.append(text_of[1:][same_text])
            cols.append(((ph >> np.uint64(1)) % np.uint64(dim)).astype(np.int64))
            weights.append(np.where(ph & np.uint64(1), 1.0, -1.0))

        flat = np.concatenate(rows) * dim + np.concatenate(cols)
        acc = np.bincount(flat, weights=np.concatenate(weights), minlength=n * dim)
        return acc.astype(np.float64, copy=False).reshape(n, dim)
