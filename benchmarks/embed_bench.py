"""Throughput of HashingEmbedder and of the chunking strategies, against baselines measured in the same run,
and retrieval quality of WordLlamaEmbedder (semantic) against HashingEmbedder (lexical).

Embedding baseline: a straightforward pure-Python loop that hashes every feature of every token (the very
same features: words, character 3–5-grams of ``<word>``, word pairs; BLAKE2b; signed) into a list per
text. The script checks that both produce the same vectors before timing anything.
Chunking baseline: naive fixed-width ``str`` slicing (no whitespace handling, no offsets), the floor any
chunker is compared with.
Retrieval quality: ``benchmarks/data/paraphrase_pairs.json`` holds query → paraphrase pairs from many domains
whose two sides share no content word and no word stem (the script checks this before measuring). Every
paraphrase is a document; recall@1 is the share of queries whose own paraphrase ranks first. Throughput of
both embedders is measured on the same texts, and WordLlamaEmbedder's against wordllama's own
``WordLlamaInference.embed(norm=True)`` over the same bundled model (the script checks they agree first).

Run: ``python benchmarks/embed_bench.py`` (``--quick`` for small sizes).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from hashlib import blake2b
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # measure this checkout, installed or not

from mastra_lab.embed import HashingEmbedder
from mastra_lab.rag import Document, chunk

TOKEN = re.compile(r"\w+")
MASK = (1 << 64) - 1
PAIRS = Path(__file__).resolve().parent / "data" / "paraphrase_pairs.json"
STOPWORDS = frozenset(
    TOKEN.findall(
        """a an the and or but of to in on at for with from by as is are was were be been it its this that
        these those i me my you your he she we they them our his her their what which who whom when where why
        how do does did will would should can could not no so if then than too very into out up down over
        under again each there here some any all more most other such only own same just s t"""
    )
)


def make_texts(n: int, seed: int = 0) -> list[str]:
    """Paragraph-sized texts (60–140 words) from a Zipf-distributed synthetic vocabulary."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "an", "er", "is", "on", "ul"]
    vocab = ["".join(rng.choice(syllables, rng.integers(1, 5))) for _ in range(20_000)]
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    texts = []
    for _ in range(n):
        words = rng.choice(len(vocab), size=int(rng.integers(60, 140)), p=weights)
        sentence = " ".join(vocab[w] for w in words)
        texts.append(sentence.capitalize().replace(" ka ", ". Ka ") + ".")
    return texts


def _h64(data: bytes) -> int:
    return int.from_bytes(blake2b(data, digest_size=8).digest(), "little")


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def baseline_embed(texts: list[str], dim: int = 384, lo: int = 3, hi: int = 5) -> np.ndarray:
    """Per-token pure-Python feature hashing with exactly HashingEmbedder's features and weights."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for row, text in enumerate(texts):
        vec = [0.0] * dim

        def add(h: int, weight: float, vec: list[float] = vec) -> None:
            vec[(h >> 1) % dim] += weight if h & 1 else -weight

        prev = None
        for token in TOKEN.findall(text.lower()):
            h = _h64(b"w\x00" + token.encode("utf-8", "surrogatepass"))
            add(h, 1.0)
            padded = f"<{token}>"
            for n in range(lo, hi + 1):
                for i in range(len(padded) - n + 1):
                    add(_h64(b"c\x00" + padded[i : i + n].encode("utf-8", "surrogatepass")), 0.5)
            if prev is not None:
                add(_splitmix((prev * 0x9E3779B97F4A7C15 + h) & MASK), 1.0)
            prev = h
        norm = sum(v * v for v in vec) ** 0.5
        out[row] = [v / norm for v in vec] if norm else vec
    return out


def timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_embedding(n: int) -> None:
    texts = make_texts(n)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    sample = texts[:200]
    ours_sample = HashingEmbedder().embed(sample)
    same = np.allclose(ours_sample, baseline_embed(sample), atol=1e-5)
    print(
        f"\nHashingEmbedder(dim=384) on {n:,} paragraph texts ({mb:.1f} MB); same vectors as baseline: {same}"
    )
    if not same:
        raise SystemExit("baseline and HashingEmbedder disagree; fix before timing")

    base_n = min(n, 2_000)  # the baseline is slow; time it on a prefix and scale per text
    t_base = timed(lambda: baseline_embed(texts[:base_n])) * n / base_n
    t_cold = timed(lambda: HashingEmbedder().embed(texts))
    warm = HashingEmbedder()
    warm.embed(texts[: n // 2])
    t_warm = timed(lambda: warm.embed(texts), repeat=3)
    print(f"{'implementation':<44}{'texts/s':>12}{'MB/s':>10}{'vs baseline':>13}")
    for name, t in [
        (f"baseline: pure-Python per-token loop{'*' if base_n < n else ''}", t_base),
        ("HashingEmbedder, cold token cache", t_cold),
        ("HashingEmbedder, warm token cache", t_warm),
    ]:
        print(f"{name:<44}{n / t:>12,.0f}{mb / t:>10.2f}{t_base / t:>12.1f}x")
    if base_n < n:
        print(f"  * baseline timed on the first {base_n:,} texts and scaled to {n:,}")


def bench_chunking(n: int) -> None:
    texts = make_texts(n, seed=1)
    parts = []
    for i, t in enumerate(texts):
        if i % 10 == 0:
            parts.append(f"{'#' * (1 + i // 10 % 3)} Section {i}\n\n")
        parts.append(t + "\n\n")
    doc = Document("".join(parts))
    mb = len(doc.text.encode()) / 1e6
    print(f"\nChunking one {mb:.1f} MB Markdown document, max_size=1000 chars / 256 tokens, default overlap")
    print(f"{'strategy':<44}{'MB/s':>10}{'chunks':>10}{'vs slicing':>12}")
    text = doc.text
    t_slice = timed(lambda: [text[i : i + 1000] for i in range(0, len(text), 900)], repeat=3)
    n_slices = len(range(0, len(text), 900))
    print(f"{'baseline: naive str slicing':<44}{mb / t_slice:>10.1f}{n_slices:>10}{1:>11.2f}x")
    runs: list[tuple[str, dict[str, Any]]] = [
        (s, {"strategy": s}) for s in ("recursive", "character", "sentence", "markdown")
    ]
    runs.append(("token (whitespace)", {"strategy": "token", "tokenizer": "whitespace"}))
    from mastra_lab.rag._splitters import _CL100K_URL, _tiktoken_file_is_cached

    if _tiktoken_file_is_cached(_CL100K_URL):  # never download from a benchmark
        runs.append(("token (tiktoken cl100k_base)", {"strategy": "token", "tokenizer": "cl100k_base"}))
    else:
        print("  (tiktoken's cl100k_base file is not cached here, so the tiktoken row is skipped)")
    for name, kwargs in runs:
        t = timed(lambda kw=kwargs: chunk(doc, **kw), repeat=2)
        count = len(chunk(doc, **kwargs))
        print(f"{name:<44}{mb / t:>10.1f}{count:>10}{t_slice / t:>11.2f}x")


def content_words(text: str) -> set[str]:
    return {w for w in TOKEN.findall(text.lower()) if w not in STOPWORDS}


def shared_stems(a: str, b: str) -> set[tuple[str, str]]:
    """Content words of ``a`` and ``b`` that are equal or share their first four letters (plant, planting)."""
    return {
        (x, y)
        for x in content_words(a)
        for y in content_words(b)
        if x == y or (len(x) >= 4 and len(y) >= 4 and x[:4] == y[:4])
    }


def load_pairs() -> list[dict[str, str]]:
    """The bundled pairs, refusing to measure if any pair shares a content word or stem."""
    pairs: list[dict[str, str]] = json.loads(PAIRS.read_text(encoding="utf-8"))
    leaks = [(p["query"], sorted(shared_stems(p["query"], p["relevant"]))) for p in pairs]
    leaks = [leak for leak in leaks if leak[1]]
    if leaks:
        raise SystemExit(f"pairs that share content words (rewrite them): {leaks}")
    return pairs


def recall_at_1(embedder: Any, queries: list[str], docs: list[str]) -> float:
    scores = embedder.embed(queries) @ embedder.embed(docs).T
    return float(np.mean(scores.argmax(axis=1) == np.arange(len(queries))))


def wordllama_library() -> Any:
    """wordllama's own inference object over the bundled files (its ``WordLlama.load()`` would download)."""
    import wordllama
    from safetensors import safe_open
    from tokenizers import Tokenizer

    root = Path(wordllama.__file__).parent
    with safe_open(str(root / "weights" / "l2_supercat_256.safetensors"), framework="np") as f:
        table = f.get_tensor("embedding.weight")
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
    return wordllama.WordLlamaInference(table, tokenizer)


def bench_retrieval() -> bool:
    """Recall@1 on the bundled pairs; False when the ``semantic`` extra is missing."""
    pairs = load_pairs()
    queries, docs = [p["query"] for p in pairs], [p["relevant"] for p in pairs]
    n_domains = len({p["domain"] for p in pairs})
    try:
        t0 = time.perf_counter()
        from mastra_lab.embed import WordLlamaEmbedder

        WordLlamaEmbedder()
        t_load = time.perf_counter() - t0
    except ImportError as exc:
        print(f"\nRetrieval quality skipped: {exc}")
        return False
    print(
        f"\nRetrieval: {len(queries)} queries from {n_domains} domains, each against all {len(docs)} "
        f"paraphrases (no shared content words; chance = {1 / len(docs):.3f}); "
        f"WordLlama model load {t_load:.2f} s"
    )
    embedders: list[Any] = [WordLlamaEmbedder(d) for d in (256, 128, 64)] + [HashingEmbedder()]
    print(f"{'embedder':<36}{'recall@1':>10}")
    for emb in embedders:
        print(f"{emb!r:<36}{recall_at_1(emb, queries, docs):>10.3f}")
    return True


def bench_semantic_throughput(n: int) -> None:
    """WordLlamaEmbedder against wordllama's own ``embed`` and against HashingEmbedder, on the same texts."""
    from mastra_lab.embed import WordLlamaEmbedder

    pairs = load_pairs()
    pair_texts = [p["query"] for p in pairs] + [p["relevant"] for p in pairs]
    short = (pair_texts * (n // len(pair_texts) + 1))[:n]
    paragraphs = make_texts(n, seed=2)
    library = wordllama_library()
    same = np.allclose(
        WordLlamaEmbedder().embed(short[:500]), library.embed(short[:500], norm=True), atol=1e-5
    )
    print(f"\nThroughput (texts/s, best of 3, fresh embedders); same vectors as wordllama's embed: {same}")
    if not same:
        raise SystemExit("WordLlamaEmbedder and wordllama disagree; fix before timing")
    print(
        f"{'texts':<40}{'WordLlama':>11}{'wordllama lib':>15}{'vs lib':>8}{'Hashing':>10}{'WL/Hashing':>12}"
    )
    workloads = [(f"{n:,} short texts (the pairs, repeated)", short), (f"{n:,} paragraphs", paragraphs)]
    for label, texts in workloads:
        # A fresh HashingEmbedder each time starts with a cold token cache; WordLlama has no cache (its
        # model, loaded once, is shared by every instance).
        t_wl = timed(lambda texts=texts: WordLlamaEmbedder().embed(texts), repeat=3)
        t_lib = timed(lambda texts=texts: library.embed(texts, norm=True), repeat=3)
        t_hs = timed(lambda texts=texts: HashingEmbedder().embed(texts), repeat=3)
        print(
            f"{label:<40}{n / t_wl:>11,.0f}{n / t_lib:>15,.0f}{t_lib / t_wl:>7.2f}x"
            f"{n / t_hs:>10,.0f}{t_hs / t_wl:>11.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (1,000 texts)")
    parser.add_argument("--texts", type=int, default=None, help="number of texts (default 10,000)")
    args = parser.parse_args()
    n = args.texts or (1_000 if args.quick else 10_000)
    bench_embedding(n)
    if bench_retrieval():
        bench_semantic_throughput(n)
    bench_chunking(n)


if __name__ == "__main__":
    main()
