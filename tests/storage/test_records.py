"""The record value objects: equality and constructor-like reprs (pinned)."""

from __future__ import annotations

from datetime import UTC, datetime

from inline_snapshot import snapshot

from mastra_lab.storage import Record, Resource, StoredMessage, Thread, WorkflowRun

T = datetime(2025, 1, 1, tzinfo=UTC)


def test_reprs_read_like_constructors() -> None:
    assert repr(Record("r1", "notes", {"a": 1}, {}, T, T)) == snapshot(
        "Record(id='r1', table='notes', data={'a': 1}, metadata={}, "
        "created_at=datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), "
        "updated_at=datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc))"
    )
    assert repr(StoredMessage("m1", "t1", "user", "hi", T)) == snapshot(
        "StoredMessage(id='m1', thread_id='t1', role='user', content='hi', "
        "created_at=datetime.datetime(2025, 1, 1, 0, 0, tzinfo=datetime.timezone.utc), resource_id=None, "
        "type='text', metadata={})"
    )
    assert repr(WorkflowRun("wf", "r", "success", {}, T, T)).startswith(
        "WorkflowRun(workflow='wf', run_id='r'"
    )


def test_defaults_give_utc_timestamps_and_fresh_dicts() -> None:
    a, b = Thread("t1", "alice"), Thread("t2", "alice")
    assert a.created_at.tzinfo is UTC and a.metadata == {} and a.metadata is not b.metadata
    assert Resource("r").working_memory is None
    assert Thread("t", "r", created_at=T, updated_at=T) == Thread("t", "r", None, {}, T, T)
