"""The value objects every storage backend reads and writes.

They are plain frozen dataclasses so that a record read from DuckDB compares equal to the same record read
from SQLite or from memory — the conformance suite relies on that. Timestamps are always timezone-aware UTC
(``datetime.timezone.utc``), whatever the backend stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "EncodedJSON",
    "JSONValue",
    "Record",
    "Resource",
    "StoredMessage",
    "Thread",
    "WorkflowRun",
    "utcnow",
]

JSONValue = Any
"""Anything :func:`json.dumps` accepts without help: dict, list, str, int, float, bool, None."""


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime (the only kind storage hands out)."""
    return datetime.now(UTC)


class EncodedJSON(dict[str, Any]):
    """A JSON object that comes with its own compact serialisation, which storage writes as it is.

    For a caller that saves a large, mostly unchanged object again and again (a workflow saves its run's
    snapshot after every step) and can keep the encoded form of the unchanged parts: encoding only what
    changed keeps each save proportional to the change. ``text`` must be the JSON of the dict's contents,
    with string keys only.
    """

    def __init__(self, data: dict[str, Any], text: str) -> None:
        super().__init__(data)
        self.text = text


@dataclass(frozen=True)
class Record:
    """One row of a user table (``store.create("notes", {...})``).

    Attributes:
        id: The record id (a string; uuid4 hex unless the caller chose one).
        table: The user table it belongs to.
        data: The JSON object the caller stored; ``where=`` filters look inside it.
        metadata: A second JSON object for bookkeeping that filters do not touch.
        created_at: When it was created (UTC); never changes.
        updated_at: When it was last changed (UTC).
    """

    id: str
    table: str
    data: dict[str, JSONValue]
    metadata: dict[str, JSONValue]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Thread:
    """A conversation: an ordered list of messages that belongs to one resource (a user, an account…).

    Attributes:
        id: The thread id.
        resource_id: Who the thread belongs to.
        title: A human title, optional.
        metadata: Free JSON for the application.
        created_at: Creation time (UTC).
        updated_at: Last change of the thread itself (UTC).
    """

    id: str
    resource_id: str
    title: str | None = None
    metadata: dict[str, JSONValue] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class StoredMessage:
    """A message as storage keeps it; the Memory layer maps ``llm.Message`` to and from it.

    Attributes:
        id: The message id; saving a message with an existing id replaces it.
        thread_id: The thread it belongs to (the thread must exist).
        role: ``"user"``, ``"assistant"``, ``"system"`` or ``"tool"`` (not checked by storage).
        content: JSON: a string, or a list of part dicts.
        created_at: When it was said (UTC); messages come back ordered by it.
        resource_id: The resource; filled in from the thread when left ``None``.
        type: A free discriminator (``"text"`` by default).
        metadata: Free JSON for the application.
    """

    id: str
    thread_id: str
    role: str
    content: JSONValue
    created_at: datetime = field(default_factory=utcnow)
    resource_id: str | None = None
    type: str = "text"
    metadata: dict[str, JSONValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """Whoever threads belong to; carries the resource-scoped working memory.

    Attributes:
        id: The resource id.
        working_memory: Free text (often Markdown) the agent keeps up to date.
        metadata: Free JSON for the application.
        created_at: Creation time (UTC).
        updated_at: Last change (UTC).
    """

    id: str
    working_memory: str | None = None
    metadata: dict[str, JSONValue] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class WorkflowRun:
    """The stored state of one workflow run, as ``list_runs`` returns it.

    Attributes:
        workflow: The workflow id.
        run_id: The run id.
        status: The snapshot's ``"status"`` value (``success``, ``suspended`` …), ``None`` if it had none.
        snapshot: The whole snapshot dict as saved.
        created_at: First save (UTC).
        updated_at: Latest save (UTC).
    """

    workflow: str
    run_id: str
    status: str | None
    snapshot: dict[str, JSONValue]
    created_at: datetime
    updated_at: datetime
