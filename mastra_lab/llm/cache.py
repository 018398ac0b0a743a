"""An opt-in response cache, so re-running a notebook cell does not pay for the same model call twice.

Wrap any model in :class:`CachedModel` with a :class:`ResponseCache` (DuckDB or SQLite, in memory or in a
file). A request is identified by a SHA-256 of canonical JSON of everything that shapes the answer:
provider, model, messages, tools, tool choice, output schema and settings, plus whether it was a
``generate`` or a ``stream`` call. ``generate`` returns the stored :class:`ModelResponse` on a hit;
``stream`` replays the stored events. Failures (exceptions, :class:`ErrorEvent`, ``finish_reason="error"``,
streams abandoned before their :class:`FinishEvent`) are never stored. ``cache=False`` on a call bypasses the
cache; ``cache="refresh"`` asks the model again and overwrites the entry. The most recently used payloads
are also kept in process, so a hit costs about what hashing the request costs.

DuckDB and sqlite3 are imported only when a cache is opened, so ``import mastra_lab`` stays light.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from os import PathLike
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from mastra_lab.errors import ConfigError, StorageError
from mastra_lab.llm.base import (
    ErrorEvent,
    FinishEvent,
    Message,
    Model,
    ModelResponse,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallEvent,
    ToolChoice,
    ToolDefinition,
    _Repr,
    from_dict,
    output_schema_json,
    to_dict,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Backend", "CacheMode", "CacheStats", "CachedModel", "ResponseCache", "request_key"]

Backend: TypeAlias = Literal["duckdb", "sqlite"]
CacheMode: TypeAlias = bool | Literal["refresh"]

_TABLE = "mastra_llm_cache"
_RECENT_ENTRIES = 256
"""Payloads also kept in process (least recently used dropped first), so a hit skips the database."""
_EVENT_KINDS: dict[str, type[Any]] = {
    cls.kind: cls for cls in (TextDelta, ToolCallDelta, ToolCallEvent, FinishEvent)
}


def request_key(
    model: Model,
    mode: Literal["generate", "stream"],
    messages: Sequence[Message],
    tools: Sequence[ToolDefinition] | None = None,
    tool_choice: ToolChoice = "auto",
    output_schema: dict[str, Any] | type[Any] | None = None,
    settings: dict[str, Any] | None = None,
) -> str:
    """The cache key of a request: hex SHA-256 of canonical JSON (sorted keys, no spaces) of its contents.

    Args:
        model: The model asked; its ``provider`` and ``model_name`` are part of the key.
        mode: ``"generate"`` or ``"stream"``; the two are cached separately.
        messages: The conversation.
        tools: Tools offered.
        tool_choice: The request's tool choice.
        output_schema: JSON schema dict or pydantic class for structured output.
        settings: Provider settings; values that are not JSON are keyed by their ``repr``.
    """
    document = {
        "v": 1,
        "mode": mode,
        "provider": model.provider,
        "model": model.model_name,
        "messages": to_dict(list(messages)),
        "tools": to_dict(list(tools or ())),
        "tool_choice": tool_choice,
        "output_schema": None if output_schema is None else output_schema_json(output_schema)[1],
        "settings": dict(settings or {}),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(repr=False)
class CacheStats(_Repr):
    """Hit and miss counts of one :class:`ResponseCache` object, and the entries its database holds."""

    hits: int = 0
    """Requests answered from the cache since this object was opened."""
    misses: int = 0
    """Requests that went to the model (bypassed calls count as neither)."""
    entries: int = 0
    """Responses stored in the database."""


@contextmanager
def _map_cache_errors(path: str, backend: Backend) -> Iterator[None]:
    """The one place sqlite3 and DuckDB exceptions become :class:`StorageError`."""
    if backend == "sqlite":
        import sqlite3

        family: type[Exception] = sqlite3.Error
    else:
        import duckdb

        family = duckdb.Error
    try:
        yield
    except family as exc:
        raise StorageError(
            f"response cache at {path!r} failed: {exc}; check the file is a cache of this backend and is "
            "not opened read-only or locked by another process",
            code="STORAGE_CACHE",
            details={"path": path},
        ) from exc


class ResponseCache:
    """Stores model responses and streams in DuckDB or SQLite, keyed by :func:`request_key`.

    Args:
        path: ``":memory:"`` (the default, lost when closed) or a file path; a file survives restarts.
        backend: ``"duckdb"`` (default) or ``"sqlite"``.

    Example:
        ```python
        from mastra_lab.llm import Message
        from mastra_lab.llm.cache import CachedModel, ResponseCache
        from mastra_lab.llm.testing import TestModel

        cache = ResponseCache()
        model = CachedModel(TestModel(text="hi"), cache)
        model.generate_sync([Message.user("hello")])
        model.generate_sync([Message.user("hello")])
        assert (cache.stats().hits, cache.stats().misses) == (1, 1)
        ```
    """

    def __init__(self, path: str | PathLike[str] = ":memory:", backend: Backend = "duckdb") -> None:
        if backend not in ("duckdb", "sqlite"):
            raise ConfigError(
                f"unknown response cache backend {backend!r}; use 'duckdb' or 'sqlite'",
                code="CONFIG_CACHE_BACKEND",
                details={"backend": backend},
            )
        self.path = str(path)
        self.backend: Backend = backend
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, str] = OrderedDict()
        with _map_cache_errors(self.path, self.backend):
            self._conn: Any = self._connect()
            self._conn.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (key VARCHAR PRIMARY KEY, mode VARCHAR NOT NULL, "
                "model VARCHAR NOT NULL, payload VARCHAR NOT NULL, created_at VARCHAR NOT NULL)"
            )
            if backend == "sqlite":
                self._conn.commit()

    def _connect(self) -> Any:
        if self.backend == "sqlite":
            import sqlite3

            return sqlite3.connect(self.path, check_same_thread=False)
        import duckdb

        return duckdb.connect(self.path)

    def __repr__(self) -> str:
        return f"ResponseCache(path={self.path!r}, backend={self.backend!r})"

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, _map_cache_errors(self.path, self.backend):
            if self._conn is None:
                raise StorageError(
                    f"response cache at {self.path!r} is closed; open a new ResponseCache({self.path!r})",
                    code="STORAGE_CACHE_CLOSED",
                )
            cursor = self._conn.execute(sql, list(params))
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            if self.backend == "sqlite":
                self._conn.commit()
            return rows

    def get(self, key: str) -> Any:
        """The stored payload (decoded JSON) for ``key``, or ``None``; does not count hits or misses.

        Args:
            key: A :func:`request_key`.
        """
        text = self._recent.get(key)
        if text is None:
            rows = self._query(f"SELECT payload FROM {_TABLE} WHERE key = ?", [key])
            if not rows:
                return None
            text = rows[0][0]
            self._remember(key, text)
        else:
            self._recent.move_to_end(key)
        return json.loads(text)

    def _remember(self, key: str, text: str) -> None:
        self._recent[key] = text
        if len(self._recent) > _RECENT_ENTRIES:
            self._recent.popitem(last=False)

    def put(self, key: str, mode: str, model: str, payload: Any) -> None:
        """Store ``payload`` (JSON-able) under ``key``, replacing an older entry.

        Args:
            key: A :func:`request_key`.
            mode: ``"generate"`` or ``"stream"``, kept for listing.
            model: The model id, kept for listing.
            payload: The response or event list as plain data.
        """
        stamp = datetime.now(UTC).isoformat()
        text = json.dumps(payload, ensure_ascii=False)
        self._query(
            f"INSERT OR REPLACE INTO {_TABLE} VALUES (?, ?, ?, ?, ?)", [key, mode, model, text, stamp]
        )
        self._remember(key, text)

    def stats(self) -> CacheStats:
        """Hits and misses counted by this object, and the number of stored entries."""
        (count,) = self._query(f"SELECT COUNT(*) FROM {_TABLE}")[0]
        return CacheStats(self.hits, self.misses, int(count))

    def clear(self) -> int:
        """Delete every entry and return how many there were; the counters are kept."""
        count = self.stats().entries
        self._query(f"DELETE FROM {_TABLE}")
        self._recent.clear()
        return count

    def to_df(self) -> pd.DataFrame:
        """The entries as a DataFrame (``key, mode, model, created_at, size``), newest first."""
        import pandas as pd

        rows = self._query(
            f"SELECT key, mode, model, created_at, LENGTH(payload) FROM {_TABLE} ORDER BY created_at DESC"
        )
        return pd.DataFrame(rows, columns=["key", "mode", "model", "created_at", "size"])

    def close(self) -> None:
        """Close the database; a file cache can be opened again later."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._recent.clear()


def _event_to_dict(event: StreamEvent) -> dict[str, Any]:
    return {f.name: to_dict(getattr(event, f.name)) for f in fields(event) if f.name != "_"}


def _event_from_dict(data: dict[str, Any]) -> StreamEvent:
    cls = _EVENT_KINDS[data["kind"]]
    event: StreamEvent = cls(**{k: from_dict(v) for k, v in data.items()})
    return event


class CachedModel(Model):
    """A model that answers repeated requests from a :class:`ResponseCache` instead of asking ``model``.

    Every call takes one extra keyword, ``cache``: ``True`` (default) reads and writes the cache,
    ``False`` bypasses it, ``"refresh"`` asks the model and overwrites the entry. Only requests that reach
    ``model`` show up in :func:`~mastra_lab.llm.testing.capture_messages`.

    Args:
        model: The model to ask on a miss.
        cache: Where responses are kept.
    """

    def __init__(self, model: Model, cache: ResponseCache) -> None:
        super().__init__(model.model_name)
        self.provider = model.provider
        self.model = model
        self.cache = cache

    def __repr__(self) -> str:
        return f"CachedModel({self.model!r}, cache={self.cache!r})"

    async def generate(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        *,
        cache: CacheMode = True,
        **settings: Any,
    ) -> ModelResponse:
        """The cached response, or ``model``'s answer (then stored); arguments as :meth:`Model.generate`."""
        key = request_key(self, "generate", messages, tools, tool_choice, output_schema, settings)
        if cache is True and (stored := self.cache.get(key)) is not None:
            self.cache.hits += 1
            response: ModelResponse = from_dict(stored)
            return response
        if cache:
            self.cache.misses += 1
        response = await self.model.generate(messages, tools, tool_choice, output_schema, **settings)
        if cache and response.finish_reason != "error":
            self.cache.put(key, "generate", self.id, to_dict(response))
        return response

    async def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        *,
        cache: CacheMode = True,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Replay the cached events, or stream ``model``'s and store them once its finish event arrives."""
        key = request_key(self, "stream", messages, tools, tool_choice, output_schema, settings)
        if cache is True and (stored := self.cache.get(key)) is not None:
            self.cache.hits += 1
            for data in stored:
                yield _event_from_dict(data)
            return
        if cache:
            self.cache.misses += 1
        recorded: list[dict[str, Any]] | None = [] if cache else None
        async for event in self.model.stream(messages, tools, tool_choice, output_schema, **settings):
            if isinstance(event, ErrorEvent):
                recorded = None  # a failed stream is never stored
            elif recorded is not None:
                recorded.append(_event_to_dict(event))
                if isinstance(event, FinishEvent) and event.finish_reason != "error":
                    self.cache.put(key, "stream", self.id, recorded)
            yield event
