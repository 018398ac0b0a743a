"""Input checks shared by every backend, so that bad input fails the same way everywhere — before any write.

Each check raises :class:`~mastra_lab.errors.StorageError` with the bad value and the fix. Backends receive
only values that passed: table names that are safe identifiers, string ids, JSON already serialised, and
UTC datetimes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any

from mastra_lab.errors import StorageError
from mastra_lab.storage.records import EncodedJSON, JSONValue, StoredMessage, utcnow

__all__ = [
    "LEGACY_SPAN_TYPES",
    "MESSAGE_COLUMNS",
    "SPAN_COLUMNS",
    "SpanQuery",
    "WhereItems",
    "check_id",
    "check_ids",
    "check_paging",
    "check_table",
    "cutoff",
    "dumps",
    "json_object",
    "json_path",
    "message_columns",
    "normalise_message",
    "normalise_messages",
    "normalise_span",
    "prune_policy",
    "span_query",
    "to_utc",
    "where_items",
]

_TABLE_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED_PREFIXES = ("mastra", "sqlite_", "duckdb_", "pg_", "information_schema")
# Names that cannot be a view name without quoting in at least one SQL dialect we target.
_KEYWORDS_TEXT = """
all alter analyze and as asc attach between by case cast check collate column constraint create
cross current_date current_time current_timestamp default delete desc detach distinct drop else end
except exists explain from full glob group having if in index inner insert intersect into is join
key left like limit natural not null of offset on or order outer pragma primary qualify references
right row rows select set table then to transaction union unique update using vacuum values view
when where window with
"""
_SQL_KEYWORDS = frozenset(_KEYWORDS_TEXT.split())

WhereItems = list[tuple[str, list[str], str]]
"""Validated ``where`` filters: ``(json_path, path_parts, json_text_of_expected_value)``."""

MESSAGE_COLUMNS = ("id", "thread_id", "resource_id", "role", "type", "content", "metadata", "created_at")
SPAN_COLUMNS = (
    "span_id",
    "trace_id",
    "parent_span_id",
    "name",
    "type",
    "status",
    "attributes",
    "input",
    "output",
    "error",
    "start_time",
    "end_time",
    "events",
)
LEGACY_SPAN_TYPES = {
    "agent": "agent_run",
    "llm": "llm_generation",
    "tool": "tool_call",
    "workflow": "workflow_run",
    "step": "workflow_step",
}
"""Span kinds stored by older releases, and the kind each one is now called."""


def check_table(table: object) -> str:
    """Return ``table`` if it is a usable user-table name, else raise."""
    if not isinstance(table, str) or not _TABLE_RE.match(table):
        raise StorageError(
            f"invalid table name {table!r}: use lowercase letters, digits and underscores, "
            "starting with a letter (at most 63 characters), e.g. 'notes'",
            code="STORAGE_BAD_TABLE",
            details={"table": repr(table)},
        )
    if table.startswith(_RESERVED_PREFIXES) or table in _SQL_KEYWORDS:
        raise StorageError(
            f"table name {table!r} is reserved (SQL keyword or internal prefix "
            f"{'/'.join(_RESERVED_PREFIXES)}); pick another name, e.g. {table + '_items'!r}",
            code="STORAGE_RESERVED_TABLE",
            details={"table": table},
        )
    return table


def check_id(value: object, what: str = "id") -> str:
    """Return ``value`` if it is a non-empty string id, else raise."""
    if not isinstance(value, str) or not value:
        raise StorageError(
            f"{what} must be a non-empty string, got {value!r} ({type(value).__name__}); "
            f"pass str({value!r}) or leave it out to get a generated id",
            code="STORAGE_BAD_ID",
            details={"what": what, "value": repr(value)},
        )
    return value


def _find_unserialisable(value: Any, path: str) -> tuple[str, Any] | None:
    if isinstance(value, str | int | bool) or value is None:
        return None
    if isinstance(value, float):
        return None if value == value and value not in (float("inf"), float("-inf")) else (path, value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                return (f"{path} key {key!r}", key)
            found = _find_unserialisable(item, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = _find_unserialisable(item, f"{path}[{i}]")
            if found:
                return found
        return None
    return (path, value)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_encode_str: Callable[[str], str] = encode_basestring  # what _ENCODE does for a str, minus the dispatch


def dumps(value: JSONValue, what: str) -> str:
    """Serialise ``value`` to compact JSON or raise a :class:`StorageError` pointing at the bad part."""
    try:
        return _ENCODE(value)
    except (TypeError, ValueError):
        found = _find_unserialisable(value, what) or (what, value)
        raise StorageError(
            f"{found[0]} is not JSON-serialisable: {found[1]!r:.80} ({type(found[1]).__name__}); "
            "store only dict/list/str/int/float/bool/None (convert it, e.g. with str() or .isoformat())",
            code="STORAGE_NOT_JSON",
            details={"path": found[0], "type": type(found[1]).__name__},
        ) from None


def json_object(value: object, what: str) -> str:
    """Serialise a mapping (``data``/``metadata``); anything else is an error."""
    if type(value) is EncodedJSON:
        return value.text
    if value == {} and isinstance(value, dict):
        return "{}"
    if not isinstance(value, Mapping):
        raise StorageError(
            f"{what} must be a dict, got {type(value).__name__} {value!r:.60}; "
            "wrap it, e.g. {'value': ...}",
            code="STORAGE_NOT_JSON",
            details={"what": what, "type": type(value).__name__},
        )
    text = dumps(dict(value), what)
    # json.dumps turns int keys into strings silently; a round trip (in C) spots that without walking the
    # value in Python, and only a mismatch (or a tuple, which comes back a list) is looked at closely.
    if json.loads(text) != value and (found := _find_unserialisable(value, what)):
        raise StorageError(
            f"{found[0]} is not JSON-serialisable: {found[1]!r:.80} ({type(found[1]).__name__}); "
            "use string keys",
            code="STORAGE_NOT_JSON",
            details={"path": found[0], "type": type(found[1]).__name__},
        )
    return text


def to_utc(value: object, what: str) -> datetime:
    """A timezone-aware datetime or ISO-8601 string as a UTC datetime."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise StorageError(
                f"{what} {value!r} is not an ISO-8601 timestamp; use e.g. '2025-01-31T12:00:00+00:00'",
                code="STORAGE_BAD_TIMESTAMP",
            ) from None
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise StorageError(
            f"{what} must be a timezone-aware datetime, got {value!r}; use datetime.now(timezone.utc)",
            code="STORAGE_BAD_TIMESTAMP",
            details={"what": what, "value": repr(value)},
        )
    return value.astimezone(UTC)


def cutoff(older_than: object) -> datetime:
    """``prune_*(older_than=...)``: a datetime, or a timedelta counted back from now."""
    if isinstance(older_than, timedelta):
        return utcnow() - older_than
    return to_utc(older_than, "older_than")


def json_path(key: object) -> str:
    """A ``where`` key (``"a.b"``) as a JSON path (``$.a.b``); every segment must be a plain identifier."""
    parts = key.split(".") if isinstance(key, str) else []
    if not parts or not all(_KEY_RE.match(p) for p in parts):
        raise StorageError(
            f"invalid where key {key!r}: use field names made of letters, digits and underscores, "
            "joined by dots for nested fields, e.g. {'author.name': 'Ada'}",
            code="STORAGE_BAD_WHERE",
            details={"key": repr(key)},
        )
    return "$." + ".".join(parts)


def where_items(where: Mapping[str, JSONValue] | None) -> WhereItems:
    """Validated ``where`` filters as ``(json_path, path_parts, json_text_of_expected_value)``."""
    if where is None:
        return []
    if not isinstance(where, Mapping):
        raise StorageError(
            f"where must be a dict of field -> value, got {where!r:.60}; e.g. where={{'status': 'open'}}",
            code="STORAGE_BAD_WHERE",
        )
    return [(json_path(k), k.split("."), dumps(v, f"where[{k!r}]")) for k, v in where.items()]


def matches_where(data_json: str, where: WhereItems) -> bool:
    """Whether the JSON object ``data_json`` meets every ``where`` item: the reference semantics in Python.

    A field matches when its compact JSON equals the expected value's (``1`` ≠ ``1.0`` ≠ ``"1"``).
    """
    if not where:
        return True
    data: Any = json.loads(data_json)
    for _path, parts, expected in where:
        node = data
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        if dumps(node, "value") != expected:
            return False
    return True


def check_paging(limit: object, offset: object) -> None:
    """``limit``/``offset`` must be non-negative ints."""
    for name, value in (("limit", limit), ("offset", offset)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise StorageError(
                f"{name} must be a non-negative int, got {value!r}", code="STORAGE_BAD_ARGUMENT"
            )


def normalise_messages(messages: Iterable[object]) -> list[StoredMessage]:
    """Every message checked (see :func:`normalise_message`), duplicates by id resolved (the last wins).

    A batch of well-formed :class:`StoredMessage` objects — the usual case — is checked column by column
    instead of message by message.
    """
    msgs: list[Any] = list(messages)
    if not _well_formed(msgs):
        msgs = [normalise_message(m) for m in msgs]
    ids = [m.id for m in msgs]
    if len(set(ids)) != len(ids):
        msgs = list({m.id: m for m in msgs}.values())
    return msgs


def _well_formed(msgs: list[Any]) -> bool:
    if not all(type(m) is StoredMessage for m in msgs):
        return False
    for name in ("id", "thread_id", "role", "type"):
        if not all(type(x) is str and x for x in map(attrgetter(name), msgs)):
            return False
    return all(r is None or type(r) is str for r in map(attrgetter("resource_id"), msgs)) and all(
        type(t) is datetime and t.tzinfo is UTC for t in map(attrgetter("created_at"), msgs)
    )


def normalise_message(message: object) -> StoredMessage:
    """A :class:`StoredMessage` (or a dict with its fields) checked for types; content stays Python."""
    if isinstance(message, Mapping):
        fields = dict(message)
        try:
            message = StoredMessage(**fields)
        except TypeError as exc:
            raise StorageError(
                f"message dict {fields!r:.80} does not match StoredMessage: {exc}; "
                "give id, thread_id, role, content (and optionally created_at, resource_id, type, metadata)",
                code="STORAGE_BAD_MESSAGE",
            ) from None
    if not isinstance(message, StoredMessage):
        raise StorageError(
            f"save_messages takes StoredMessage objects or dicts, got {type(message).__name__}; "
            "build StoredMessage(id=..., thread_id=..., role=..., content=...)",
            code="STORAGE_BAD_MESSAGE",
        )
    check_id(message.id, "message id")
    check_id(message.thread_id, "thread_id")
    check_id(message.role, "role")
    check_id(message.type, "type")
    if message.resource_id is not None:
        check_id(message.resource_id, "resource_id")
    created = message.created_at
    if not (isinstance(created, datetime) and created.tzinfo is UTC):
        created = to_utc(created, "created_at")
        message = _with(message, "created_at", created)
    return message


def _with(message: StoredMessage, field: str, value: object) -> StoredMessage:
    """A copy of a (frozen) message with one field changed, without re-running ``__init__``."""
    new: StoredMessage = object.__new__(StoredMessage)
    new.__dict__.update(message.__dict__)
    new.__dict__[field] = value
    return new


def message_columns(
    messages: Iterable[StoredMessage], owners: Mapping[str, str]
) -> tuple[dict[str, list[Any]], list[StoredMessage]]:
    """Checked messages column-wise (``MESSAGE_COLUMNS``, JSON serialised) plus the messages as stored.

    This is the hot path of ``save_messages``: one comprehension per column, straight into the lists a bulk
    insert wants, no per-row tuples.
    """
    msgs = list(messages)
    resources = [m.resource_id or owners[m.thread_id] for m in msgs]
    columns: dict[str, list[Any]] = {
        "id": [m.id for m in msgs],
        "thread_id": [m.thread_id for m in msgs],
        "resource_id": resources,
        "role": [m.role for m in msgs],
        "type": [m.type for m in msgs],
        "content": [_encode_str(m.content) if type(m.content) is str else _content_json(m) for m in msgs],
        "metadata": ["{}" if m.metadata == {} else _metadata_json(m) for m in msgs],
        "created_at": [m.created_at for m in msgs],
    }
    out = [
        m if r == m.resource_id else _with(m, "resource_id", r) for m, r in zip(msgs, resources, strict=True)
    ]
    return columns, out


def _content_json(m: StoredMessage) -> str:
    return dumps(m.content, f"message {m.id!r} content")


def _metadata_json(m: StoredMessage) -> str:
    return json_object(m.metadata, f"message {m.id!r} metadata")


def _span_mapping(span: object) -> Mapping[str, Any]:
    if isinstance(span, Mapping):
        return span
    to_dict = getattr(span, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, Mapping):
            return result
    raise StorageError(
        f"save_spans takes mappings or objects with to_dict(), got {type(span).__name__}",
        code="STORAGE_BAD_SPAN",
    )


def _span_json(value: Any, span_id: str, what: str) -> str:
    # Most spans carry no content (capture is off by default): spare them the encoder's dispatch.
    return "null" if value is None else dumps(value, f"span {span_id!r} {what}")


def normalise_span(span: object) -> tuple[Any, ...]:
    """A span as a row in :data:`SPAN_COLUMNS` order: JSON fields serialised, times in UTC."""
    s = _span_mapping(span)
    span_id = check_id(s.get("span_id"), "span_id")
    trace_id = check_id(s.get("trace_id"), "trace_id")
    parent = s.get("parent_span_id")
    if parent is not None:
        check_id(parent, "parent_span_id")
    start = to_utc(s.get("start"), f"span {span_id!r} start")
    end = None if s.get("end") is None else to_utc(s.get("end"), f"span {span_id!r} end")
    error = s.get("error")
    if error is not None and not isinstance(error, Mapping):
        error = {"message": str(error)}
    status = s.get("status") or ("error" if error else "running" if end is None else "ok")
    return (
        span_id,
        trace_id,
        parent,
        str(s.get("name", "")),
        str(s.get("type", "")),
        str(status),
        json_object(s.get("attributes") or {}, f"span {span_id!r} attributes"),
        _span_json(s.get("input"), span_id, "input"),
        _span_json(s.get("output"), span_id, "output"),
        None if error is None else dumps(dict(error), f"span {span_id!r} error"),
        start,
        end,
        _events_json(s.get("events"), span_id),
    )


def _events_json(events: object, span_id: str) -> str:
    """A span's ``events`` as JSON text, each event's ``time`` as ISO-8601 UTC (read back as a datetime)."""
    if not events:
        return "[]"
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable):
        raise StorageError(
            f"span {span_id!r} events must be a list of dicts, got {type(events).__name__} {events!r:.60}; "
            "e.g. [{'name': 'log', 'time': datetime.now(timezone.utc), 'attributes': {...}}]",
            code="STORAGE_BAD_SPAN",
        )
    out: list[JSONValue] = []
    for i, event in enumerate(events):
        what = f"span {span_id!r} event {i}"
        if not isinstance(event, Mapping):
            raise StorageError(
                f"{what} must be a dict with name, time and attributes, got {type(event).__name__} "
                f"{event!r:.60}",
                code="STORAGE_BAD_SPAN",
            )
        out.append({**event, "time": to_utc(event.get("time"), f"{what} time").isoformat()})
    return dumps(out, f"span {span_id!r} events")


def check_ids(ids: Iterable[object], what: str = "id") -> list[str]:
    """Every element of ``ids`` checked with :func:`check_id`."""
    if isinstance(ids, str):
        raise StorageError(
            f"expected a list of ids, got the string {ids!r}; pass [{ids!r}]", code="STORAGE_BAD_ID"
        )
    return [check_id(i, what) for i in ids]


def prune_policy(
    older_than: object, keep_errors: object, max_rows: object
) -> tuple[datetime | None, bool, int | None]:
    """``prune_spans`` arguments checked: (cutoff or None, keep_errors, max_rows or None)."""
    if older_than is None and max_rows is None:
        raise StorageError(
            "prune_spans needs older_than= (a datetime, or a timedelta counted back from now) or "
            "max_rows= (the most span rows to keep), or both; it would otherwise delete by no rule",
            code="STORAGE_BAD_ARGUMENT",
        )
    if not isinstance(keep_errors, bool):
        raise StorageError(
            f"keep_errors must be True or False, got {keep_errors!r}", code="STORAGE_BAD_ARGUMENT"
        )
    if max_rows is not None and (not isinstance(max_rows, int) or isinstance(max_rows, bool) or max_rows < 0):
        raise StorageError(
            f"max_rows must be a non-negative int or None, got {max_rows!r}", code="STORAGE_BAD_ARGUMENT"
        )
    if older_than is not None and not isinstance(older_than, datetime | timedelta | str):
        raise StorageError(
            f"older_than must be a datetime or a timedelta, got {type(older_than).__name__} "
            f"{older_than!r:.60}; e.g. older_than=timedelta(days=7)",
            code="STORAGE_BAD_ARGUMENT",
        )
    return (None if older_than is None else cutoff(older_than)), keep_errors, max_rows


@dataclass(frozen=True)
class SpanQuery:
    """Checked ``query_spans`` filters; ``None`` means "no filter", an empty tuple matches nothing.

    ``types`` already includes the legacy names of the kinds asked for (see :data:`LEGACY_SPAN_TYPES`).
    """

    since: datetime | None = None
    until: datetime | None = None
    trace_ids: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    limit: int | None = None


def span_query(
    since: object, until: object, trace_ids: object, types: object, status: object, limit: object
) -> SpanQuery:
    """``query_spans`` arguments checked and normalised into a :class:`SpanQuery`."""
    start = None if since is None else _moment(since, "since")
    end = None if until is None else _moment(until, "until")
    if start is not None and end is not None and start > end:
        raise StorageError(
            f"since ({start.isoformat()}) is after until ({end.isoformat()}); swap them or drop one",
            code="STORAGE_BAD_ARGUMENT",
        )
    if limit is not None:
        check_paging(limit, 0)
        assert isinstance(limit, int)
    kinds = _names(types, "types")
    if kinds is not None:
        kinds = tuple(sorted({*kinds, *(old for old, new in LEGACY_SPAN_TYPES.items() if new in kinds)}))
    return SpanQuery(start, end, _names(trace_ids, "trace_ids"), kinds, _names(status, "status"), limit)


def _moment(value: object, what: str) -> datetime:
    """A datetime (or ISO string), or a timedelta counted back from now, as UTC."""
    if isinstance(value, timedelta):
        return utcnow() - value
    return to_utc(value, what)


def _names(value: object, what: str) -> tuple[str, ...] | None:
    """One string or an iterable of strings as a tuple (``None`` stays ``None``)."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, Mapping | bytes):
        items = [value]
    names = tuple(items)
    bad = next((x for x in names if not isinstance(x, str) or not x), _NOTHING)
    if bad is not _NOTHING:
        raise StorageError(
            f"{what} must be a non-empty string or a list of them, got {bad!r:.60} ({type(bad).__name__}) "
            f"in {value!r:.60}; e.g. {what}=['abc']",
            code="STORAGE_BAD_ARGUMENT",
        )
    return names


_NOTHING = object()
