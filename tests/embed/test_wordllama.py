from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mastra_lab.embed import HashingEmbedder, WordLlamaEmbedder
from mastra_lab.errors import ConfigError, MastraError

# Each query and its answer share no word, so only meaning can pair them.
PARAPHRASES = {
    "How do I reset my password?": "Steps to recover your account login credentials",
    "My laptop will not boot": "The notebook computer fails to start up",
    "Cheap flights to Paris": "Low-cost airfare for France's capital",
    "Flu symptoms": "Signs of influenza like fever and chills",
    "Fix a leaking faucet": "Repair the dripping kitchen tap",
    "Who won the football match?": "Final soccer score",
}
TEXTS = ["The quick brown fox jumps over the lazy dog", "Vector search with DuckDB", ""]
_WORD = re.compile(r"\w+")


def _run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env, timeout=120
    )


def test_each_query_ranks_its_paraphrase_first_without_a_shared_word() -> None:
    queries, answers = list(PARAPHRASES), list(PARAPHRASES.values())
    for query, answer in PARAPHRASES.items():
        assert not set(_WORD.findall(query.lower())) & set(_WORD.findall(answer.lower()))
    emb = WordLlamaEmbedder()
    scores = emb.embed(queries) @ emb.embed(answers).T
    assert scores.argmax(axis=1).tolist() == list(range(len(queries)))
    lexical = HashingEmbedder()
    lexical_scores = lexical.embed(queries) @ lexical.embed(answers).T
    assert np.trace(scores) / len(queries) > np.trace(lexical_scores) / len(queries) + 0.3


@pytest.mark.parametrize("dim", [256, 128, 64])
def test_embed_returns_c_contiguous_float32_rows_of_dimension(dim: int) -> None:
    vectors = WordLlamaEmbedder(dim).embed(TEXTS)
    assert vectors.shape == (3, dim)
    assert vectors.dtype == np.float32
    assert vectors.flags.c_contiguous


def test_truncated_dims_are_the_leading_columns_of_the_full_model() -> None:
    full = WordLlamaEmbedder(normalize=False).embed(TEXTS)
    for dim in (128, 64):
        assert np.array_equal(WordLlamaEmbedder(dim, normalize=False).embed(TEXTS), full[:, :dim])


def test_rows_are_unit_length_and_a_text_without_tokens_is_the_zero_vector() -> None:
    vectors = WordLlamaEmbedder().embed(["alpha beta", "gamma", ""])
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 0.0], abs=1e-6)
    assert not np.isnan(vectors).any()


def test_normalize_false_keeps_the_raw_mean_and_the_same_direction() -> None:
    raw = WordLlamaEmbedder(normalize=False).embed(["alpha beta", "gamma"])
    unit = WordLlamaEmbedder().embed(["alpha beta", "gamma"])
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    assert not np.allclose(norms, 1.0, atol=1e-3)
    assert np.allclose(raw / norms, unit, atol=1e-6)


def test_empty_input_returns_zero_rows() -> None:
    vectors = WordLlamaEmbedder(64).embed([])
    assert vectors.shape == (0, 64) and vectors.dtype == np.float32


def test_a_row_does_not_depend_on_its_batch() -> None:
    long_text = " ".join(["semantic search over a long document"] * 3000)
    texts = [f"note {i} about topic {i % 7}" for i in range(300)] + [long_text, "short", ""]
    together = WordLlamaEmbedder().embed(texts)
    picked = [*range(0, len(texts), 37), len(texts) - 3, len(texts) - 2, len(texts) - 1]
    alone = np.vstack([WordLlamaEmbedder().embed([texts[i]]) for i in picked])
    assert np.array_equal(together[picked], alone)


def test_vectors_are_identical_across_processes() -> None:
    code = f"""
        import hashlib
        from mastra_lab.embed import WordLlamaEmbedder
        print(hashlib.sha256(WordLlamaEmbedder().embed({TEXTS!r}).tobytes()).hexdigest())
    """
    digests = {_run(code, env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert digests == {hashlib.sha256(WordLlamaEmbedder().embed(TEXTS).tobytes()).hexdigest()}


def test_vectors_are_pinned_so_stored_indexes_stay_valid() -> None:
    vector = WordLlamaEmbedder(64).embed(["Hello world"])[0]
    assert vector[:6].tolist() == pytest.approx([0.2032, 0.0716, 0.0943, -0.0772, -0.0026, 0.0691], abs=1e-4)
    assert int(vector.argmax()) == 35


def test_loading_and_embedding_never_touch_the_network(tmp_path: Path) -> None:
    # Every socket connect and name lookup is recorded and refused unless it targets loopback. HOME points
    # at an empty folder, so no cached download can stand in for the files inside the installed package.
    code = """
        import json, sys
        attempts = []

        def guard(event, args):
            if event == "socket.getaddrinfo":
                host = args[0].decode() if isinstance(args[0], bytes) else str(args[0])
            elif event == "socket.connect" and isinstance(args[1], tuple):  # not a Unix socket path
                host = str(args[1][0])
            else:
                return
            if host not in ("127.0.0.1", "::1", "localhost"):
                attempts.append([event, host])
                raise OSError(f"network blocked: {event} {host}")

        sys.addaudithook(guard)
        from mastra_lab.embed import WordLlamaEmbedder

        shape = list(WordLlamaEmbedder().embed(["How do I reset my password?"]).shape)
        seen_by_embedder = list(attempts)
        import socket
        try:
            socket.getaddrinfo("huggingface.co", 443)
        except OSError:
            pass
        print(json.dumps({"shape": shape, "embedder": seen_by_embedder, "control": attempts}))
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE"))}
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    proc = _run(code, env=env)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["shape"] == [1, 256]
    assert result["embedder"] == []
    assert result["control"] == [["socket.getaddrinfo", "huggingface.co"]]  # the guard does catch lookups
    assert not (tmp_path / ".cache").exists()


def test_importing_wordllama_leaves_root_logging_as_it_was() -> None:
    # wordllama calls logging.basicConfig(level=INFO) when imported; that must not leak into the user's setup.
    code = """
        import logging
        from mastra_lab.embed import WordLlamaEmbedder
        WordLlamaEmbedder().embed(["hi"])
        root = logging.getLogger()
        print(len(root.handlers), logging.getLevelName(root.level))
    """
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "WARNING"]


def test_a_missing_wordllama_package_names_the_extra() -> None:
    code = """
        import sys
        sys.modules["wordllama"] = None  # what "not installed" looks like to the import system
        from mastra_lab.embed import WordLlamaEmbedder
        try:
            WordLlamaEmbedder()
        except ImportError as exc:
            print(exc)
    """
    proc = _run(code)
    assert proc.stdout.strip() == (
        'WordLlamaEmbedder needs the wordllama package: pip install "mastra-lab[semantic]"'
    )


def test_a_wordllama_without_the_bundled_model_files_is_named_with_the_fix(tmp_path: Path) -> None:
    stand_in = tmp_path / "wordllama"
    stand_in.mkdir()
    (stand_in / "__init__.py").write_text('__version__ = "9.9"\n')
    code = """
        from mastra_lab.embed import WordLlamaEmbedder
        from mastra_lab.errors import MastraError
        try:
            WordLlamaEmbedder()
        except MastraError as exc:
            print(exc.code, exc.details["missing"][0].endswith("l2_supercat_256.safetensors"))
            print(exc)
    """
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    proc = _run(code, env=env)
    first, message = proc.stdout.splitlines()
    assert first == "EMBED_MODEL_MISSING True"
    assert message.startswith("wordllama 9.9 does not bundle ")
    assert message.endswith('pip install "mastra-lab[semantic]"')


def test_non_str_items_are_rejected_naming_index_and_type() -> None:
    with pytest.raises(MastraError, match=r"texts\[1\] is int") as info:
        WordLlamaEmbedder().embed(["a", 7])  # type: ignore[list-item]
    assert info.value.details == {"index": 1, "type": "int"}


def test_a_single_string_is_rejected_with_the_fix() -> None:
    with pytest.raises(MastraError, match=r"wrap it in a list: embed\(\[text\]\)"):
        WordLlamaEmbedder().embed("just one")


@pytest.mark.parametrize("dim", [0, 100, 512, 1024, True, "256", 256.0])
def test_a_dim_the_model_was_not_trained_for_is_a_config_error(dim: object) -> None:
    with pytest.raises(ConfigError, match=r"dim must be one of 64, 128, 256 .*got .*; try dim=256"):
        WordLlamaEmbedder(dim=dim)  # type: ignore[arg-type]


def test_repr_equality_and_name_follow_the_configuration() -> None:
    assert repr(WordLlamaEmbedder()) == "WordLlamaEmbedder(dim=256)"
    assert repr(WordLlamaEmbedder(64, normalize=False)) == "WordLlamaEmbedder(dim=64, normalize=False)"
    assert WordLlamaEmbedder(128) == WordLlamaEmbedder(dim=128)
    assert WordLlamaEmbedder(128) != WordLlamaEmbedder(64)
    assert len({WordLlamaEmbedder(), WordLlamaEmbedder(256)}) == 1
    assert WordLlamaEmbedder().name == "wordllama:l2_supercat:256"
    assert WordLlamaEmbedder(64, normalize=False).name == "wordllama:l2_supercat:64:raw"
    assert WordLlamaEmbedder(64).dim == WordLlamaEmbedder(64).dimension == 64


async def test_aembed_matches_embed() -> None:
    emb = WordLlamaEmbedder()
    assert np.array_equal(await emb.aembed(TEXTS), emb.embed(TEXTS))
