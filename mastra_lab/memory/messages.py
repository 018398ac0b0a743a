"""``MemoryMessage`` and the mapping between ``llm.Message`` and what storage keeps.

A message is stored with its role, its parts serialised by :func:`mastra_lab.llm.base.to_dict` (text, tool
calls, tool results), its timestamp and, in its metadata, an ``importance`` in [0, 1]. The importance drives
decay and pruning; when the caller gives none, :func:`default_importance` estimates it from the role and
the content, so what a user or the assistant *said* outlives tool chatter, and a question or an explicit
"remember …" outlives a "thanks".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mastra_lab.errors import MastraError
from mastra_lab.llm.base import Message, TextPart, from_dict, to_dict
from mastra_lab.storage.records import StoredMessage

__all__ = [
    "MemoryMessage",
    "MessageType",
    "check_importance",
    "default_importance",
    "from_stored",
    "to_stored",
]

MessageType = Literal["message", "summary"]

_ROLE_BASE = {"user": 0.55, "assistant": 0.45, "system": 0.5, "tool": 0.2}
_REMEMBER = re.compile(r"\b(remember|don't forget|do not forget|important|always|never|my name is)\b", re.I)


@dataclass(frozen=True)
class MemoryMessage:
    """One stored message of a thread, as memory hands it out.

    Attributes:
        id: The message id.
        thread_id: Its thread.
        resource_id: Whom the thread belongs to.
        role: ``user``, ``assistant``, ``system`` or ``tool``.
        message: The :class:`~mastra_lab.llm.Message` itself (parts: text, tool calls, tool results).
        created_at: When it was saved (UTC).
        importance: In [0, 1]; the decay score starts here.
        type: ``"message"``, or ``"summary"`` for a compaction summary.
    """

    id: str
    thread_id: str
    resource_id: str
    role: str
    message: Message
    created_at: datetime
    importance: float
    type: MessageType = "message"

    @property
    def text(self) -> str:
        """The text parts joined; tool calls and results as short ``name(args)`` / ``name -> result``."""
        text = self.message.text
        if text:
            return text
        bits = [f"{c.name}({_short(c.arguments)})" for c in self.message.tool_calls]
        bits += [f"{r.name} -> {_short(r.result)}" for r in self.message.tool_results]
        return "; ".join(bits)


def _short(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def default_importance(message: Message) -> float:
    """An importance in [0, 1] estimated from the role and the content.

    User and assistant text start higher than tool calls and results; longer text, a question, and words
    like "remember" or "my name is" raise it. The numbers are a heuristic, meant to be overridden with
    ``importance=`` when the application knows better.

    Args:
        message: The message to rate.
    """
    base = _ROLE_BASE.get(message.role, 0.3)
    text = message.text
    if not text:
        return round(base if message.role == "tool" else base * 0.6, 3)
    score = base + min(0.15, math.log1p(len(text)) / 60)
    if "?" in text:
        score += 0.1
    if _REMEMBER.search(text):
        score += 0.25
    return round(min(1.0, score), 3)


def check_importance(value: object, where: str = "importance") -> float:
    """``value`` as a float in [0, 1], or a :class:`MastraError` naming it and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= float(value) <= 1.0:
        raise MastraError(
            f"{where} must be a number between 0 and 1, got {value!r}; use e.g. 0.9 for something to keep "
            "and 0.1 for chatter",
            code="MEMORY_BAD_IMPORTANCE",
            domain="memory",
            details={"value": repr(value)},
        )
    return float(value)


def to_stored(
    message: Message,
    id: str,
    thread_id: str,
    resource_id: str,
    created_at: datetime,
    importance: float,
    type: MessageType = "message",
) -> StoredMessage:
    """The :class:`StoredMessage` for ``message`` (parts serialised, importance in the metadata)."""
    return StoredMessage(
        id,
        thread_id,
        message.role,
        to_dict(message.parts),
        created_at,
        resource_id,
        type,
        {"importance": importance},
    )


def from_stored(stored: StoredMessage) -> MemoryMessage:
    """The :class:`MemoryMessage` for a stored row; plain-string content (written by hand) becomes text."""
    content = stored.content
    parts = [TextPart(content)] if isinstance(content, str) else from_dict(content)
    role = stored.role if stored.role in ("system", "user", "assistant", "tool") else "user"
    importance = stored.metadata.get("importance")
    if not isinstance(importance, int | float):
        importance = default_importance(Message(role, parts))  # type: ignore[arg-type]
    kind: MessageType = "summary" if stored.type == "summary" else "message"
    return MemoryMessage(
        stored.id,
        stored.thread_id,
        stored.resource_id or "",
        stored.role,
        Message(role, parts),  # type: ignore[arg-type]
        stored.created_at,
        float(importance),
        kind,
    )
