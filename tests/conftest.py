"""Suite-wide fixtures that keep tests honest: no ambient configuration, no real model calls."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from mastra_lab.llm import base as llm_base

_AMBIENT = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Strip MASTRA_* settings and provider keys so a developer's shell cannot change test outcomes."""
    for name in list(os.environ):
        if name.startswith("MASTRA_") or name in _AMBIENT:
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def no_model_requests() -> Iterator[None]:
    """Real provider calls fail unless a test opts in with the ``allow_model_requests`` fixture."""
    previous = llm_base.ALLOW_MODEL_REQUESTS
    llm_base.ALLOW_MODEL_REQUESTS = False
    yield
    llm_base.ALLOW_MODEL_REQUESTS = previous
