from __future__ import annotations

import subprocess
import sys

import mastra_lab.rag


def test_public_names_are_exactly_all() -> None:
    assert sorted(mastra_lab.rag.__all__) == [
        "Chunk",
        "Chunks",
        "Document",
        "IngestReport",
        "chunk",
        "ingest",
        "load_documents",
    ]
    public = {n for n in vars(mastra_lab.rag) if not n.startswith("_")} - {"annotations"}
    assert set(mastra_lab.rag.__all__) <= public


def test_importing_rag_stays_light() -> None:
    code = (
        "import sys, mastra_lab.rag;"
        "print(sorted(m for m in ('numpy', 'httpx', 'pandas', 'tqdm', 'tiktoken') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
