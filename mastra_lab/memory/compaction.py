"""Compaction: older turns summarised by a model into one stored summary message.

When the history memory would show passes ``trigger_tokens``, everything but the newest ``keep_last``
messages is summarised (together with the previous summary, so nothing said before is lost) into a stored
message of type ``"summary"``. The split never falls inside a tool exchange: if the first kept message is a
tool result, its call is kept with it. The thread's metadata points at the current summary and the time it
covers up to; later prompts show the summary before the messages after that time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mastra_lab.llm.base import Message, Model

__all__ = ["SUMMARY_INSTRUCTIONS", "SUMMARY_KEY", "split_for_summary", "summarise", "transcript"]

SUMMARY_KEY = "memory_summary"
"""Thread-metadata key of the current summary: ``{"id": …, "until": ISO time, "text": …}``."""

SUMMARY_INSTRUCTIONS = (
    "You maintain the running summary of a conversation between a user and an assistant. Merge the "
    "previous summary with the new messages into one concise summary in the third person. Keep every fact, "
    "name, number, decision, open question and tool result that later turns may need; drop greetings and "
    "filler. Answer with the summary only."
)


def split_for_summary(messages: Sequence[Message], keep_last: int) -> int:
    """Index where the kept tail starts: ``len - keep_last``, moved back so no tool exchange is split.

    Args:
        messages: The candidate history, oldest first.
        keep_last: How many newest messages stay verbatim.
    """
    split = max(0, len(messages) - keep_last)
    while 0 < split < len(messages) and messages[split].role == "tool":
        split -= 1  # the first kept message answers a call: keep the call (and its other results) too
    return split


def transcript(messages: Sequence[Message]) -> str:
    """The messages as ``role: text`` lines, tool calls and results included in short form."""
    lines = []
    for m in messages:
        bits = [m.text] if m.text else []
        bits += [f"[calls {c.name}({c.arguments})]" for c in m.tool_calls]
        bits += [f"[{r.name} returned {str(r.result)[:300]}]" for r in m.tool_results]
        lines.append(f"{m.role}: {' '.join(bits)}")
    return "\n".join(lines)


async def summarise(model: Model, previous: str, messages: Sequence[Message], **settings: Any) -> str:
    """One model call merging ``previous`` and ``messages`` into a new summary.

    Args:
        model: The summarising model (a ``FunctionModel`` in tests).
        previous: The current summary (``""`` for none).
        messages: The messages leaving the verbatim history.
        **settings: Model settings.
    """
    prompt = f"Previous summary:\n{previous or '(none)'}\n\nNew messages:\n{transcript(messages)}"
    response = await model.generate([Message.system(SUMMARY_INSTRUCTIONS), Message.user(prompt)], **settings)
    return response.text.strip()
