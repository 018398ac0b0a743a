"""``plot_decay``: how each message's score falls over time, against the prune threshold.

One line per message from when it was saved to a little past now (its score at each moment), and a dashed
horizontal line at ``min_score``: a message is prunable from where its line crosses that one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.memory.decay import check_half_life

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_decay"]

_POINTS = 48
_MAX_LINES = 200


def plot_decay(
    memory: Any,
    thread_id: str | None = None,
    half_life: timedelta = timedelta(days=7),
    min_score: float = 0.1,
    now: datetime | None = None,
) -> Figure:
    """Each message's decay score over time (one line each) and the ``min_score`` line.

    Args:
        memory: A :class:`~mastra_lab.memory.Memory`.
        thread_id: Only this thread's messages (default: every thread).
        half_life: The decay half-life.
        min_score: The prune threshold, drawn as a dashed line.
        now: The end of the time axis (default: the memory's clock).
    """
    import numpy as np
    from matplotlib.figure import Figure

    check_half_life(half_life)
    frame = memory.scores_df(thread_id=thread_id, half_life=half_life, now=now)
    end = now or memory._now()
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot()
    start = min(frame["created_at"]) if len(frame) else end - half_life
    stop = end + (end - start) * 0.25 + timedelta(seconds=1)
    for row in frame.head(_MAX_LINES).itertuples():
        span = (stop - row.created_at).total_seconds()
        offsets = np.linspace(0.0, span, _POINTS)
        scores = row.importance * np.power(0.5, offsets / half_life.total_seconds())
        times = [row.created_at + timedelta(seconds=float(s)) for s in offsets]
        ax.plot(times, scores, linewidth=1, alpha=0.8, label=f"{row.role}: {str(row.text)[:24]}")
    ax.axhline(min_score, color="red", linestyle="--", linewidth=1.5, label=f"min_score={min_score:g}")
    ax.axvline(end, color="gray", linestyle=":", linewidth=1)  # type: ignore[arg-type]
    ax.set_xlabel("time")
    ax.set_ylabel("importance × 0.5^(age / half_life)")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"Memory decay (half-life {half_life})" + (f" — thread {thread_id}" if thread_id else ""))
    if len(frame) <= 12:
        ax.legend(fontsize=7, loc="upper right")
    fig.autofmt_xdate()
    return fig
