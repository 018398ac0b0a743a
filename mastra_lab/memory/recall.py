"""What memory adds to a prompt: recalled hits, the :class:`Recall` preview and the :class:`MemoryPrompt`.

Recall hits from *this* thread go back into the history in their place (older turns the recent window no
longer shows); hits from the user's *other* threads are never turned into turns of this conversation —
they are quoted in the system prompt as remembered context, with their date, so the model can tell them
apart from what was said here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra_lab.llm.base import Message

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.memory.messages import MemoryMessage
    from mastra_lab.tools import Tool

__all__ = ["MemoryPrompt", "Recall", "RecallHit", "compose_system", "remembered_text"]


@dataclass(frozen=True)
class RecallHit:
    """One semantic-recall match, with the neighbours it was expanded by.

    Attributes:
        message_id: The message that matched the query.
        thread_id: Its thread.
        score: Similarity (higher is closer).
        messages: The match and its ``message_range`` neighbours, minus what recent history already shows.
        other_thread: Whether it comes from another thread than the one being prompted.
    """

    message_id: str
    thread_id: str
    score: float
    messages: list[MemoryMessage]
    other_thread: bool


def remembered_text(hits: list[RecallHit]) -> str:
    """The system-prompt section quoting hits from other threads (``""`` when there are none)."""
    lines: list[str] = []
    for hit in hits:
        if not hit.other_thread or not hit.messages:
            continue
        when = hit.messages[0].created_at.strftime("%Y-%m-%d")
        lines.append(f"From an earlier conversation ({when}):")
        lines += [f"- {m.role}: {m.text}" for m in hit.messages if m.text]
    if not lines:
        return ""
    return "## Remembered from other conversations (context, not part of this one)\n" + "\n".join(lines)


def compose_system(working: str, summary: str, remembered: str) -> str:
    """The memory part of the system prompt: working memory, summary of earlier turns, remembered context."""
    parts = [working]
    if summary:
        parts.append(f"## Summary of the earlier conversation\n{summary}")
    parts.append(remembered)
    return "\n\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Recall:
    """Exactly what memory would add to a prompt for one query (``Memory.recall``).

    Attributes:
        thread_id: The thread.
        query: The text searched for.
        history: The messages that go into the prompt as turns (recalled same-thread hits, then the recent
            history), token-limited, tool exchanges whole.
        recalled: The semantic-recall hits.
        working_memory: The working memory shown (``None`` when it is off).
        summary: The compaction summary shown (``""`` when none).
        system: The memory part of the system prompt.
    """

    thread_id: str
    query: str
    history: list[Message]
    recalled: list[RecallHit]
    working_memory: str | dict[str, Any] | None
    summary: str
    system: str
    history_messages: list[MemoryMessage] = field(default_factory=list, repr=False)

    def to_df(self) -> pd.DataFrame:
        """One row per message added: source (history/recall/remembered), id, thread, role, text, score."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for hit in self.recalled:
            source = "remembered" if hit.other_thread else "recall"
            for m in hit.messages:
                score = hit.score if m.id == hit.message_id else None
                rows.append(_row(source, m, score))
        recalled = {r["id"] for r in rows}
        rows += [_row("history", m, None) for m in self.history_messages if m.id not in recalled]
        columns = ["source", "id", "thread_id", "role", "text", "created_at", "score"]
        return pd.DataFrame(rows, columns=columns)


def _row(source: str, m: MemoryMessage, score: float | None) -> dict[str, Any]:
    return {
        "source": source,
        "id": m.id,
        "thread_id": m.thread_id,
        "role": m.role,
        "text": m.text,
        "created_at": m.created_at,
        "score": score,
    }


@dataclass
class MemoryPrompt:
    """What :meth:`Memory.prepare` hands the agent for one turn.

    Attributes:
        system: Working memory (with its update instructions), summary and remembered context; ``""``
            when there is none.
        history: Recent stored turns (token-limited, tool exchanges whole).
        new: The incoming messages not stored yet (a client resending its history is deduplicated).
        recalled: Semantic-recall hits.
        tools: ``update_working_memory`` when working memory is on and memory is writable.
        recent: How many messages of ``history`` are recent turns (the others are same-thread recall hits).
    """

    system: str
    history: list[Message]
    new: list[Message]
    recalled: list[RecallHit] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    recent: int = 0

    def to_messages(self, instructions: str) -> list[Message]:
        """The full prompt: one system message (instructions, then memory), the history, the new messages.

        Args:
            instructions: The agent's instructions.
        """
        system = "\n\n".join(p for p in (instructions, self.system) if p)
        head = [Message.system(system)] if system else []
        return [*head, *self.history, *self.new]
