"""Decay and pruning: score arithmetic on an injected clock, keep_last, dry runs, both stores together."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mastra_lab.embed import HashingEmbedder
from mastra_lab.errors import MastraError
from mastra_lab.llm import Message
from mastra_lab.memory import Memory
from mastra_lab.memory.decay import decay_score
from mastra_lab.storage import Storage

from .conftest import Clock

DAY = timedelta(days=1)


def test_score_halves_every_half_life() -> None:
    assert decay_score(0.8, timedelta(0), DAY) == 0.8
    assert decay_score(0.8, DAY, DAY) == pytest.approx(0.4)
    assert decay_score(0.8, 3 * DAY, DAY) == pytest.approx(0.1)
    assert decay_score(0.5, -DAY, DAY) == 0.5


def _memory(store: Storage, clock: Clock, **kw: object) -> Memory:
    return Memory(store, embedder=HashingEmbedder(), semantic_recall=True, clock=clock, **kw)  # type: ignore[arg-type]


def test_prune_removes_low_scores_except_the_last_per_thread_from_both_stores(
    store: Storage, clock: Clock
) -> None:
    memory = _memory(store, clock)
    old = memory.save_sync(
        "t", "ada", [Message.user("chatter a"), Message.user("keep this fact")], importance=[0.2, 0.9]
    )
    clock.advance(days=2)  # scores now 0.05 and 0.225
    recent = memory.save_sync("t", "ada", [Message.user("new chatter")], importance=0.2)
    scores = memory.scores_df(thread_id="t", half_life=DAY)
    assert scores["score"].round(4).tolist() == [0.05, 0.225, 0.2]
    assert scores["age_hours"].round(1).tolist() == [48.0, 48.0, 0.0]

    preview = memory.prune(half_life=DAY, min_score=0.1, keep_last=1, dry_run=True)
    assert (preview.dry_run, preview.examined, preview.removed, preview.kept) == (True, 3, 1, 2)
    assert preview.removed_ids == [old[0].id] and preview.bytes_freed > 0
    assert len(memory.get_messages("t")) == 3 and memory.vector.describe_index(memory.index).count == 3
    assert preview.to_df()["id"].tolist() == [old[0].id]

    report = memory.prune(half_life=DAY, min_score=0.1, keep_last=1)
    assert (report.removed, report.removed_ids, report.vectors_removed) == (1, [old[0].id], 1)
    assert report.bytes_freed == preview.bytes_freed
    assert [m.id for m in memory.get_messages("t")] == [old[1].id, recent[0].id]
    assert memory.vector.describe_index(memory.index).count == 2
    # keep_last protects the newest, whatever their score
    clock.advance(days=30)
    assert memory.prune(half_life=DAY, min_score=0.1, keep_last=2).removed == 0
    assert memory.prune(half_life=DAY, min_score=0.1, keep_last=0).removed == 2


def test_prune_scopes_to_a_thread_or_resource(store: Storage, clock: Clock) -> None:
    memory = _memory(store, clock)
    memory.save_sync("a", "ada", [Message.user("x")], importance=0.1)
    memory.save_sync("b", "bob", [Message.user("y")], importance=0.1)
    clock.advance(days=10)
    assert memory.prune(min_score=0.5, keep_last=0, dry_run=True, resource_id="bob").removed == 1
    assert memory.prune(min_score=0.5, keep_last=0, thread_id="a").removed == 1
    assert [m.text for m in memory.get_messages("b")] == ["y"]


def test_auto_prune_runs_on_save(store: Storage, clock: Clock) -> None:
    memory = _memory(store, clock, auto_prune=dict(half_life=DAY, min_score=0.3, keep_last=1))
    memory.save_sync("t", "ada", [Message.user("ok")], importance=0.4)
    clock.advance(days=1)
    memory.save_sync("t", "ada", [Message.user("and now?")], importance=0.8)
    assert [m.text for m in memory.get_messages("t")] == ["and now?"]


def test_prune_bad_arguments_and_read_only(store: Storage, clock: Clock) -> None:
    memory = _memory(store, clock)
    with pytest.raises(MastraError, match="half_life must be a positive timedelta"):
        memory.prune(half_life=7)  # type: ignore[arg-type]
    with pytest.raises(MastraError, match="min_score must be a number between 0 and 1"):
        memory.prune(min_score=-1)
    with pytest.raises(MastraError, match="keep_last must be an integer >= 0"):
        memory.prune(keep_last=-2)
    with pytest.raises(MastraError, match="read-only, so it cannot prune"):
        Memory(store, read_only=True).prune()
    assert Memory(store, read_only=True).prune(dry_run=True).removed == 0


def test_clock_must_be_timezone_aware(store: Storage) -> None:
    from datetime import datetime

    memory = Memory(store, clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(MastraError, match="timezone-aware"):
        memory.save_sync("t", "r", [Message.user("x")])
