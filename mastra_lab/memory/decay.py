"""Importance × time decay: the score of a memory, and the report of a prune.

A message's score is ``importance × 0.5 ** (age / half_life)``: it halves every ``half_life``, so an
important fact (0.9) outlives small talk (0.3) by about 1.6 half-lives. :func:`doomed` picks what a prune
removes — everything scoring below ``min_score`` except each thread's last ``keep_last`` messages and its
current summary — with one vectorised pass over the candidates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.memory.messages import MemoryMessage

__all__ = ["PruneReport", "check_half_life", "decay_score", "decay_scores", "doomed"]


def check_half_life(half_life: object) -> timedelta:
    """``half_life`` as a positive :class:`timedelta`, or an error naming the value and the fix."""
    if not isinstance(half_life, timedelta) or half_life <= timedelta(0):
        raise MastraError(
            f"half_life must be a positive timedelta, got {half_life!r}; e.g. timedelta(days=7)",
            code="MEMORY_BAD_HALF_LIFE",
            domain="memory",
        )
    return half_life


def decay_score(importance: float, age: timedelta, half_life: timedelta) -> float:
    """``importance × 0.5 ** (age / half_life)`` (a negative age counts as zero).

    Args:
        importance: In [0, 1].
        age: How long ago the message was saved.
        half_life: After this long the score has halved.
    """
    ratio = max(age, timedelta(0)) / half_life
    return float(importance * 0.5**ratio)


def decay_scores(
    importance: Sequence[float], created: Sequence[datetime], now: datetime, half_life: timedelta
) -> Any:
    """Scores of many messages at once (a numpy array), the same formula as :func:`decay_score`."""
    import numpy as np

    seconds = np.array([(now - c).total_seconds() for c in created], dtype=np.float64)
    ages = np.maximum(seconds, 0.0) / half_life.total_seconds()
    return np.asarray(importance, dtype=np.float64) * np.power(0.5, ages)


def doomed(
    messages: Sequence[MemoryMessage],
    now: datetime,
    half_life: timedelta,
    min_score: float,
    keep_last: int,
    protected: frozenset[str] = frozenset(),
) -> tuple[list[MemoryMessage], Any]:
    """The messages a prune removes, and the scores of all ``messages`` (one thread, oldest first).

    Args:
        messages: One thread's messages in order.
        now: The time scores are computed at.
        half_life: Decay half-life.
        min_score: Remove below this.
        keep_last: Never remove the thread's newest ``keep_last`` messages.
        protected: Ids never removed (the current summary).
    """
    scores = decay_scores([m.importance for m in messages], [m.created_at for m in messages], now, half_life)
    cut = max(0, len(messages) - keep_last)
    out = [m for m, s in zip(messages[:cut], scores[:cut], strict=True) if s < min_score]
    return [m for m in out if m.id not in protected], scores


@dataclass(frozen=True)
class PruneReport:
    """What :meth:`Memory.prune` removed — or, with ``dry_run=True``, would remove.

    Attributes:
        dry_run: Whether this was only a preview (nothing was deleted).
        examined: Messages scored.
        removed: Messages removed (or that would be).
        removed_ids: Their ids.
        kept: ``examined - removed``.
        bytes_freed: Approximate bytes of message content, metadata and vectors removed.
        vectors_removed: Vector-index entries removed with them.
        rows: One dict per removed message (id, thread_id, role, text, importance, created_at, score).
    """

    dry_run: bool
    examined: int
    removed: int
    removed_ids: list[str]
    kept: int
    bytes_freed: int
    vectors_removed: int
    rows: list[dict[str, Any]] = field(default_factory=list, repr=False)

    def to_df(self) -> pd.DataFrame:
        """The removed messages, one row each."""
        import pandas as pd

        columns = ["id", "thread_id", "role", "text", "importance", "created_at", "score"]
        return pd.DataFrame(self.rows, columns=columns)
