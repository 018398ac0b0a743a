"""Content-addressed document ids, for :class:`~mastra_lab.rag.Document` and :func:`~mastra_lab.rag.chunk`.

A document built twice from the same text and metadata gets the same id, and so do its chunks
(``"<document id>:<index>"``); re-ingesting it therefore replaces its vectors instead of adding duplicates.
Chunking a plain string needs that id without building a ``Document``, which is why the rule lives here
and not in either module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from hashlib import blake2b
from typing import Any

__all__ = ["document_id"]


def document_id(text: str, metadata: Mapping[str, Any]) -> str:
    """32 hex characters hashing ``text`` and ``metadata`` (keys sorted, so their order does not matter).

    Args:
        text: The document's text.
        metadata: The document's metadata; values that are not JSON are hashed by their ``str``.
    """
    digest = blake2b(text.encode(), digest_size=16)
    digest.update(json.dumps(metadata, sort_keys=True, default=str).encode())
    return digest.hexdigest()
