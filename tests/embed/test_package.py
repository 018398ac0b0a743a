from __future__ import annotations

import subprocess
import sys

import mastra_lab.embed


def test_public_names_are_exactly_all() -> None:
    assert sorted(mastra_lab.embed.__all__) == [
        "EMBEDDER_FAMILIES",
        "Embedder",
        "HashingEmbedder",
        "OpenAIEmbedder",
        "SentenceTransformerEmbedder",
        "WordLlamaEmbedder",
        "get_embedder",
    ]
    assert all(getattr(mastra_lab.embed, name) for name in mastra_lab.embed.__all__)


def test_importing_embed_stays_light() -> None:
    code = (
        "import sys, mastra_lab.embed;"
        "heavy = ('numpy', 'httpx', 'pandas', 'tqdm', 'tiktoken', 'wordllama');"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_creating_an_openai_embedder_does_not_import_httpx() -> None:
    # The HTTP client (and with it httpx and the llm package) is imported at the first request.
    code = (
        "import sys; from mastra_lab.embed import OpenAIEmbedder; OpenAIEmbedder(api_key='sk-x');"
        "print(sorted(m for m in ('httpx', 'mastra_lab.llm') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
