"""The body of ``Memory.prune`` and ``Memory.scores_df``: score, choose, delete from both stores.

Scores are computed per thread in one vectorised pass; the chosen messages leave the storage with one
``delete_messages`` call and the vector index with one ``delete_vectors`` call.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.memory.compaction import SUMMARY_KEY
from mastra_lab.memory.decay import PruneReport, decay_scores, doomed
from mastra_lab.memory.messages import from_stored
from mastra_lab.storage.records import StoredMessage, Thread

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["prune", "scores_frame"]


def _size(s: StoredMessage) -> int:
    return len(json.dumps(s.content, default=str)) + len(json.dumps(s.metadata, default=str)) + len(s.id)


def scores_frame(memory: Any, threads: list[Thread], half_life: timedelta, now: datetime) -> pd.DataFrame:
    """Every message of ``threads`` with its age and decay score."""
    import pandas as pd

    rows: list[dict[str, Any]] = []
    for thread in threads:
        messages = [from_stored(s) for s in memory.storage.get_messages(thread.id)]
        if not messages:
            continue
        scores = decay_scores(
            [m.importance for m in messages], [m.created_at for m in messages], now, half_life
        )
        for m, score in zip(messages, scores, strict=True):
            rows.append(
                {
                    "id": m.id,
                    "thread_id": m.thread_id,
                    "role": m.role,
                    "text": m.text,
                    "importance": m.importance,
                    "created_at": m.created_at,
                    "age_hours": (now - m.created_at).total_seconds() / 3600.0,
                    "score": float(score),
                }
            )
    columns = ["id", "thread_id", "role", "text", "importance", "created_at", "age_hours", "score"]
    return pd.DataFrame(rows, columns=columns)


def prune(
    memory: Any,
    threads: list[Thread],
    half_life: timedelta,
    min_score: float,
    keep_last: int,
    dry_run: bool,
    now: datetime,
) -> PruneReport:
    """Choose (and unless ``dry_run`` delete) the messages of ``threads`` scoring below ``min_score``."""
    examined = 0
    chosen: list[StoredMessage] = []
    rows: list[dict[str, Any]] = []
    for thread in threads:
        stored = memory.storage.get_messages(thread.id)
        examined += len(stored)
        summary = thread.metadata.get(SUMMARY_KEY)
        protected = (
            frozenset([summary["id"]]) if isinstance(summary, dict) and "id" in summary else frozenset()
        )
        messages = [from_stored(s) for s in stored]
        out, scores = doomed(messages, now, half_life, min_score, keep_last, protected)
        by_id = {s.id: s for s in stored}
        score_of = {m.id: float(s) for m, s in zip(messages, scores, strict=True)}
        for m in out:
            chosen.append(by_id[m.id])
            rows.append(
                {
                    "id": m.id,
                    "thread_id": m.thread_id,
                    "role": m.role,
                    "text": m.text,
                    "importance": m.importance,
                    "created_at": m.created_at,
                    "score": score_of[m.id],
                }
            )
    ids = [s.id for s in chosen]
    embedded = [s for s, r in zip(chosen, rows, strict=True) if r["text"] and s.type == "message"]
    dimension = _dimension(memory)
    vectors = len(embedded) if dimension else 0
    if ids and not dry_run:
        memory.storage.delete_messages(ids)
        if dimension:
            vectors = memory.vector.delete_vectors(memory.index, {"message_id": {"$in": ids}})
    freed = sum(map(_size, chosen)) + vectors * 4 * (dimension or 0)
    return PruneReport(dry_run, examined, len(ids), ids, examined - len(ids), freed, vectors, rows)


def _dimension(memory: Any) -> int | None:
    if memory.semantic_recall is None and memory._vector is None:
        return None
    if not memory._has_index():
        return None
    return int(memory.vector.describe_index(memory.index).dimension)
