"""Agent memory: threads of messages, semantic recall, working memory, token limits, compaction, decay.

The names load lazily (PEP 562), so ``import mastra_lab`` does not import numpy or the storage backends.
"""

from __future__ import annotations

import typing as _typing

from mastra_lab import _lazy

if _typing.TYPE_CHECKING:
    from mastra_lab.memory.decay import PruneReport
    from mastra_lab.memory.limits import count_tokens, limit_messages
    from mastra_lab.memory.memory import Memory
    from mastra_lab.memory.messages import MemoryMessage
    from mastra_lab.memory.plots import plot_decay
    from mastra_lab.memory.recall import MemoryPrompt, Recall, RecallHit

__all__ = [
    "Memory",
    "MemoryMessage",
    "MemoryPrompt",
    "PruneReport",
    "Recall",
    "RecallHit",
    "count_tokens",
    "limit_messages",
    "plot_decay",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "Memory": "mastra_lab.memory.memory",
        "MemoryMessage": "mastra_lab.memory.messages",
        "MemoryPrompt": "mastra_lab.memory.recall",
        "PruneReport": "mastra_lab.memory.decay",
        "Recall": "mastra_lab.memory.recall",
        "RecallHit": "mastra_lab.memory.recall",
        "count_tokens": "mastra_lab.memory.limits",
        "limit_messages": "mastra_lab.memory.limits",
        "plot_decay": "mastra_lab.memory.plots",
    },
)
