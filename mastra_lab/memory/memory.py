"""``Memory``: what an agent remembers — threads of messages, semantic recall, working memory, decay.

One object owns the policy; storage and the vector index own the data. A turn costs a bounded number of
indexed reads and one write, whatever the size of the store: :meth:`Memory.prepare` reads the thread's tail
(one ``get_messages(last=N)``), embeds the latest user text once and runs one filtered vector query, then
expands the hits with one ``get_message_context`` call; :meth:`Memory.save` embeds each new message's text
once (never again), writes the turn with one ``save_messages`` call and upserts its vectors in one call.
"""

from __future__ import annotations

import builtins
import importlib.util
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab import _runtime
from mastra_lab.errors import MastraError
from mastra_lab.llm.base import Message
from mastra_lab.memory import _options as o
from mastra_lab.memory import _prune
from mastra_lab.memory._turn import TurnPlanner
from mastra_lab.memory.decay import PruneReport, check_half_life
from mastra_lab.memory.messages import MemoryMessage, check_importance, from_stored
from mastra_lab.memory.recall import MemoryPrompt, Recall
from mastra_lab.memory.working import WorkingMemoryValue
from mastra_lab.storage.records import JSONValue, Resource, Thread, utcnow
from mastra_lab.telemetry._context import open_span
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.embed.base import Embedder
    from mastra_lab.storage.base import Storage
    from mastra_lab.vector.base import VectorStore

__all__ = ["Memory", "default_embedder"]

_log = get_logger("mastra_lab.memory")

_WORKING_KEY = "working_memory"


def _err(message: str, code: str, **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="memory", details=details)


def _check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err(f"{what} must be a non-empty string, got {value!r:.60}", "MEMORY_BAD_ID", what=what)
    return value


def _turn_attributes(thread_id: str, resource_id: str | None) -> dict[str, Any]:
    """The span attributes of one turn's recall or save: the conversation and, when known, its owner."""
    attributes: dict[str, Any] = {"gen_ai.conversation.id": thread_id}
    if resource_id is not None:
        attributes["mastra.resource_id"] = resource_id
    return attributes


def default_embedder() -> Embedder:
    """The offline semantic ``WordLlamaEmbedder`` when ``wordllama`` is installed, else the hashing one."""
    if importlib.util.find_spec("wordllama") is not None:
        from mastra_lab.embed.wordllama import WordLlamaEmbedder

        return WordLlamaEmbedder()
    from mastra_lab.embed.hashing import HashingEmbedder

    return HashingEmbedder()


class Memory(TurnPlanner):
    """Conversation history, semantic recall, working memory, token limits, compaction and decay.

    Args:
        storage: Where threads and messages live; by default the owning Mastra's (see :meth:`bind`), or a
            private ``InMemoryStore``.
        vector: Where message embeddings live; by default the Mastra's, a ``DuckDBVector`` in the same
            file as a ``DuckDBStore``, or a private ``InMemoryVector``.
        embedder: An :class:`~mastra_lab.embed.Embedder` or its name; default ``WordLlamaEmbedder`` when
            installed, else ``HashingEmbedder``. The index records it.
        last_messages: How many recent messages go into the prompt (``None``: all).
        semantic_recall: ``False``, ``True`` or ``dict(top_k=2, message_range=2, scope="thread"|"resource")``.
        working_memory: ``False``, ``True`` or ``dict(template=str | schema=pydantic class,
            scope="resource"|"thread")``.
        token_limit: Keep only the newest history that fits this many tokens (tool exchanges whole).
        compaction: ``dict(model=, trigger_tokens=4000, keep_last=4)``: summarise older turns.
        auto_prune: ``dict(half_life=timedelta(days=7), min_score=0.1, keep_last=10)``: prune on each save.
        read_only: Recall without ever writing (no saves, no thread creation, no working-memory tool).
        clock: Returns the current time (timezone-aware); for tests.
        index: Name of the vector index holding the message embeddings.

    Example:
        ```python
        from mastra_lab.llm import Message
        from mastra_lab.memory import Memory

        memory = Memory()
        memory.save_sync("t1", "ada", [Message.user("My name is Ada"), Message.assistant("Hi Ada!")])
        prompt = memory.prepare_sync("t1", "ada", [Message.user("What is my name?")])
        assert [m.text for m in prompt.history] == ["My name is Ada", "Hi Ada!"]
        ```
    """

    def __init__(
        self,
        storage: Storage | None = None,
        vector: VectorStore | None = None,
        embedder: Embedder | str | None = None,
        last_messages: int | None = 10,
        semantic_recall: bool | Mapping[str, Any] = False,
        working_memory: bool | Mapping[str, Any] = False,
        token_limit: int | None = None,
        compaction: Mapping[str, Any] | None = None,
        auto_prune: Mapping[str, Any] | None = None,
        read_only: bool = False,
        clock: Callable[[], datetime] | None = None,
        *,
        index: str = "memory_messages",
    ) -> None:
        self.last_messages: int | None = o.check_count("last_messages", last_messages, 0, allow_none=True)
        self.semantic_recall = o.recall_spec(semantic_recall)
        self.working_memory = o.working_spec(working_memory)
        self.token_limit: int | None = o.check_count("token_limit", token_limit, 1, allow_none=True)
        self.compaction = o.compaction_spec(compaction)
        self.auto_prune = o.prune_spec(auto_prune)
        self.read_only = bool(read_only)
        self._clock = o.check_clock(clock)
        if embedder is not None and not isinstance(embedder, str) and not hasattr(embedder, "embed"):
            raise _err(f"embedder must be an Embedder or its name, got {embedder!r:.60}", "MEMORY_BAD_CONFIG")
        self.index = _check_id(index, "index")
        self._storage = storage
        self._vector = vector
        self._embedder_choice = embedder
        self._embedder: Embedder | None = None
        self._index_ready = False
        self._owners: dict[str, str] = {}  # thread -> resource, as seen in this process (never changes)
        self._newest: dict[str, datetime] = {}  # thread -> newest message time this process wrote or read

    def __repr__(self) -> str:
        on = [
            name
            for name, value in (
                ("semantic_recall", self.semantic_recall),
                ("working_memory", self.working_memory),
                ("compaction", self.compaction),
                ("auto_prune", self.auto_prune),
            )
            if value is not None
        ]
        extra = "".join(f", {name}=..." for name in on) + (", read_only=True" if self.read_only else "")
        return f"Memory(last_messages={self.last_messages!r}{extra})"

    # -- wiring ----------------------------------------------------------------------------------------

    def bind(self, storage: Storage, vector: VectorStore | None = None) -> Memory:
        """Fill in the storage (and vector store) the constructor left out; returns ``self``.

        An agent registered on a :class:`~mastra_lab.Mastra` calls this with the Mastra's stores.

        Args:
            storage: The storage to use when none was given.
            vector: The vector store to use when none was given.
        """
        if self._storage is None:
            self._storage = storage
            self._owners.clear()
            self._newest.clear()
        if self._vector is None and vector is not None:
            self._vector = vector
            self._index_ready = False
        return self

    @property
    def storage(self) -> Storage:
        """The storage in use (a private ``InMemoryStore`` when nothing was given or bound)."""
        if self._storage is None:
            from mastra_lab.storage.memory import InMemoryStore

            self._storage = InMemoryStore()
        return self._storage

    @property
    def vector(self) -> VectorStore:
        """The vector store in use (same DuckDB file as a ``DuckDBStore``, else a private one)."""
        if self._vector is None:
            from mastra_lab.storage.duckdb import DuckDBStore

            store = self.storage
            if isinstance(store, DuckDBStore):
                from mastra_lab.vector.duckdb import DuckDBVector

                self._vector = DuckDBVector.from_store(store)
            else:
                from mastra_lab.vector.memory import InMemoryVector

                self._vector = InMemoryVector()
        return self._vector

    @property
    def embedder(self) -> Embedder:
        """The embedder of the message index."""
        if self._embedder is None:
            choice = self._embedder_choice
            if isinstance(choice, str):
                from mastra_lab.embed.registry import get_embedder

                self._embedder = get_embedder(choice)
            else:
                self._embedder = choice if choice is not None else default_embedder()
        return self._embedder

    def _now(self) -> datetime:
        now = self._clock() if self._clock is not None else utcnow()
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise _err(f"clock() must return a timezone-aware datetime, got {now!r:.60}", "MEMORY_BAD_CLOCK")
        return now

    def _check_writable(self, action: str) -> None:
        if self.read_only:
            raise _err(
                f"this Memory is read-only, so it cannot {action}; use Memory(read_only=False) to write",
                "MEMORY_READ_ONLY",
            )

    # -- threads ---------------------------------------------------------------------------------------

    def create_thread(
        self,
        resource_id: str,
        title: str | None = None,
        metadata: Mapping[str, JSONValue] | None = None,
        thread_id: str | None = None,
    ) -> Thread:
        """Start a conversation of ``resource_id`` (a user, an account…) and return its thread.

        Args:
            resource_id: Who the thread belongs to.
            title: A human title.
            metadata: Free JSON.
            thread_id: Your id (default a new uuid4 hex); an existing id is an error.
        """
        _check_id(resource_id, "resource_id")
        tid = uuid.uuid4().hex if thread_id is None else _check_id(thread_id, "thread_id")
        self._check_writable("create a thread")
        if self.storage.get_thread(tid) is not None:
            raise _err(
                f"thread {tid!r} already exists; use get_thread({tid!r}) or pick another thread_id",
                "MEMORY_THREAD_EXISTS",
                thread_id=tid,
            )
        now = self._now()
        return self.storage.save_thread(Thread(tid, resource_id, title, dict(metadata or {}), now, now))

    def get_thread(self, thread_id: str) -> Thread:
        """The thread; an unknown id is an error that names it.

        Args:
            thread_id: The thread id.
        """
        thread = self.storage.get_thread(_check_id(thread_id, "thread_id"))
        if thread is None:
            raise _err(
                f"unknown thread {thread_id!r}; create it with create_thread(resource_id, "
                f"thread_id={thread_id!r}) or list them with list_threads()",
                "MEMORY_UNKNOWN_THREAD",
                thread_id=thread_id,
            )
        return thread

    def ensure_thread(self, thread_id: str, resource_id: str | None) -> Thread:
        """The thread, created for ``resource_id`` when missing; a thread of another resource is an error.

        A read-only memory never creates it: it returns an unsaved thread instead.

        Args:
            thread_id: The thread id.
            resource_id: Its owner; ``None`` means the thread's own (a new thread is then its own resource).
        """
        thread = self._owned_thread(thread_id, resource_id)
        if thread is not None:
            return thread
        now = self._now()
        new = Thread(thread_id, resource_id or thread_id, None, {}, now, now)
        if self.read_only:
            return new
        saved = self.storage.save_thread(new)
        self._owners[thread_id] = saved.resource_id
        return saved

    def _owned_thread(self, thread_id: str, resource_id: str | None) -> Thread | None:
        _check_id(thread_id, "thread_id")
        if resource_id is not None:
            _check_id(resource_id, "resource_id")
        thread = self.storage.get_thread(thread_id)
        if thread is not None:
            self._owners[thread_id] = thread.resource_id
        if thread is not None and resource_id is not None and thread.resource_id != resource_id:
            raise _err(
                f"thread {thread_id!r} belongs to resource {thread.resource_id!r}, not {resource_id!r}; "
                f"use resource_id={thread.resource_id!r} or another thread id",
                "MEMORY_THREAD_RESOURCE_MISMATCH",
                thread_id=thread_id,
                resource_id=resource_id,
                owner=thread.resource_id,
            )
        return thread

    def list_threads(self, resource_id: str | None = None) -> builtins.list[Thread]:
        """Threads, oldest first, optionally of one resource.

        Args:
            resource_id: Only this resource's threads.
        """
        return self.storage.list_threads(
            None if resource_id is None else _check_id(resource_id, "resource_id")
        )

    def threads_df(self, resource_id: str | None = None) -> pd.DataFrame:
        """:meth:`list_threads` as a DataFrame: id, resource_id, title, created_at, updated_at, metadata.

        Args:
            resource_id: Only this resource's threads.
        """
        import pandas as pd

        rows = [
            {
                "id": t.id,
                "resource_id": t.resource_id,
                "title": t.title,
                "created_at": t.created_at,
                "updated_at": t.updated_at,
                "metadata": t.metadata,
            }
            for t in self.list_threads(resource_id)
        ]
        return pd.DataFrame(
            rows, columns=["id", "resource_id", "title", "created_at", "updated_at", "metadata"]
        )

    def list_resources(self) -> builtins.list[str]:
        """Ids of the resources that have threads, sorted."""
        return sorted({t.resource_id for t in self.storage.list_threads()})

    # -- messages --------------------------------------------------------------------------------------

    def get_messages(self, thread_id: str, last: int | None = None) -> builtins.list[MemoryMessage]:
        """A thread's stored messages (summaries included), oldest first; ``last=N`` for the newest N.

        Args:
            thread_id: An existing thread.
            last: Only the newest ``last``.
        """
        self.get_thread(thread_id)
        o.check_count("last", last, 0, allow_none=True)
        return [from_stored(s) for s in self.storage.get_messages(thread_id, last)]

    def messages_df(self, thread_id: str) -> pd.DataFrame:
        """A thread's messages: id, role, type, text, tool_calls, importance, created_at.

        Args:
            thread_id: An existing thread.
        """
        import pandas as pd

        rows = [
            {
                "id": m.id,
                "role": m.role,
                "type": m.type,
                "text": m.text,
                "tool_calls": [c.name for c in m.message.tool_calls],
                "importance": m.importance,
                "created_at": m.created_at,
            }
            for m in self.get_messages(thread_id)
        ]
        columns = ["id", "role", "type", "text", "tool_calls", "importance", "created_at"]
        return pd.DataFrame(rows, columns=columns)

    def set_importance(self, message_id: str, importance: float) -> MemoryMessage:
        """Change how important a stored message is (and so how long it survives pruning).

        Args:
            message_id: The message.
            importance: In [0, 1].
        """
        value = check_importance(importance)
        self._check_writable("change an importance")
        found = self.storage.get_messages_by_id([_check_id(message_id, "message_id")])
        if not found:
            raise _err(
                f"unknown message {message_id!r}; see messages_df(thread_id)", "MEMORY_UNKNOWN_MESSAGE"
            )
        old = found[0]
        new = type(old)(
            old.id,
            old.thread_id,
            old.role,
            old.content,
            old.created_at,
            old.resource_id,
            old.type,
            {**old.metadata, "importance": value},
        )
        return from_stored(self.storage.save_messages([new])[0])

    # -- the agent's turn ------------------------------------------------------------------------------

    async def prepare(
        self, thread_id: str, resource_id: str | None, incoming: Sequence[Message]
    ) -> MemoryPrompt:
        """What memory adds to a turn: system text, history, the really new messages, recall hits, tools.

        Args:
            thread_id: The conversation (created for ``resource_id`` when missing, unless read-only).
            resource_id: Its owner (``None``: the thread's own); a thread of another resource is an error.
            incoming: The messages of this turn; a client that resends its whole history is deduplicated
                against the stored tail.
        """
        with open_span(
            "memory_recall", "memory_recall", attributes=_turn_attributes(thread_id, resource_id)
        ) as span:
            prompt = self._prepare(thread_id, resource_id, incoming)
            span.set_attribute("mastra.memory.recent", prompt.recent)
            span.set_attribute("mastra.memory.semantic", len(prompt.recalled))
            return prompt

    def prepare_sync(
        self, thread_id: str, resource_id: str | None, incoming: Sequence[Message]
    ) -> MemoryPrompt:
        """:meth:`prepare` for code without an event loop."""
        return _runtime.run_sync(self.prepare(thread_id, resource_id, incoming))

    async def save(
        self,
        thread_id: str,
        resource_id: str | None,
        messages: Sequence[Message],
        importance: float | Sequence[float] | None = None,
    ) -> builtins.list[MemoryMessage]:
        """Store one turn, all or nothing: embeds each text once, then compacts and prunes as configured.

        Args:
            thread_id: The conversation (created when missing).
            resource_id: Its owner.
            messages: The turn's messages (user, assistant, tool), in order.
            importance: One value for all, one per message, or ``None`` for the default estimate.
        """
        with open_span(
            "memory_save", "memory_save", attributes=_turn_attributes(thread_id, resource_id)
        ) as span:
            saved = self._save_turn(thread_id, resource_id, messages, importance)
            span.set_attribute("mastra.memory.saved", len(saved))
            if saved and self.compaction is not None:
                try:
                    await self._compact(thread_id)
                except MastraError as exc:  # the turn is stored; a failed summary is retried on the next save
                    _log.warning(
                        "compaction failed; the history stays uncompacted until the next save",
                        extra={"mastra": {"thread_id": thread_id, "error": exc.message}},
                    )
            if saved and self.auto_prune is not None:
                spec = self.auto_prune
                self.prune(spec.half_life, spec.min_score, spec.keep_last, thread_id=thread_id)
            return saved

    def save_sync(
        self,
        thread_id: str,
        resource_id: str | None,
        messages: Sequence[Message],
        importance: float | Sequence[float] | None = None,
    ) -> builtins.list[MemoryMessage]:
        """:meth:`save` for code without an event loop."""
        return _runtime.run_sync(self.save(thread_id, resource_id, messages, importance))

    def recall(self, thread_id: str, query: str, resource_id: str | None = None) -> Recall:
        """Exactly what :meth:`prepare` would add to the prompt of ``thread_id`` for ``query``.

        Args:
            thread_id: An existing thread.
            query: The user text to search for.
            resource_id: Check that the thread belongs to it (default: the thread's own resource).
        """
        thread = self.get_thread(thread_id)
        if resource_id is not None:
            self._owned_thread(thread_id, resource_id)
        if not isinstance(query, str):
            raise _err(f"query must be a string, got {type(query).__name__}", "MEMORY_BAD_QUERY")
        return self._build(thread, query, self._tail(thread_id, 0), frozenset())

    def recall_df(self, thread_id: str, query: str, resource_id: str | None = None) -> pd.DataFrame:
        """:meth:`recall` as a DataFrame (see :meth:`Recall.to_df`)."""
        return self.recall(thread_id, query, resource_id).to_df()

    # -- working memory --------------------------------------------------------------------------------

    def get_working_memory(
        self, thread_id: str | None = None, resource_id: str | None = None
    ) -> WorkingMemoryValue | None:
        """The stored working memory (Markdown text, or a dict for a schema); ``None`` when none is stored.

        Args:
            thread_id: The thread (required for thread scope; gives the resource for resource scope).
            resource_id: The resource (resource scope).
        """
        spec, key = self._working_target(thread_id, resource_id)
        if spec.scope == "thread":
            raw = self.get_thread(key).metadata.get(_WORKING_KEY)
            return spec.load(raw if isinstance(raw, str) else None)
        resource = self.storage.get_resource(key)
        return spec.load(None if resource is None else resource.working_memory)

    def update_working_memory(
        self, value: Any, thread_id: str | None = None, resource_id: str | None = None
    ) -> WorkingMemoryValue:
        """Merge ``value`` into the working memory atomically and return the merged result.

        Markdown: each ``Key: value`` line replaces the stored one (empty values keep it), new lines are
        appended. Schema: the given fields replace the stored ones. Two processes updating at once both
        keep their write.

        Args:
            value: Markdown text, or a dict / model instance of the schema.
            thread_id: The thread (required for thread scope).
            resource_id: The resource (resource scope).
        """
        spec, key = self._working_target(thread_id, resource_id)
        self._check_writable("update working memory")
        result: list[WorkingMemoryValue] = []

        def merged(stored: str | None) -> str:
            result[:] = [spec.merge(spec.load(stored), value)]
            return spec.dump(result[0])

        if spec.scope == "thread":
            self.get_thread(key)

            def change_thread(t: Thread) -> Thread:
                raw = t.metadata.get(_WORKING_KEY)
                meta = {**t.metadata, _WORKING_KEY: merged(raw if isinstance(raw, str) else None)}
                return Thread(t.id, t.resource_id, t.title, meta, t.created_at, t.updated_at)

            self.storage.modify_thread(key, change_thread)
        else:

            def change_resource(r: Resource | None) -> Resource:
                if r is None:
                    now = self._now()
                    return Resource(key, merged(None), {}, now, now)
                return Resource(key, merged(r.working_memory), r.metadata, r.created_at, r.updated_at)

            self.storage.modify_resource(key, change_resource)
        return result[0]

    # -- decay -----------------------------------------------------------------------------------------

    def scores_df(
        self,
        thread_id: str | None = None,
        resource_id: str | None = None,
        half_life: timedelta = timedelta(days=7),
        now: datetime | None = None,
    ) -> pd.DataFrame:
        """Every message in scope with its decay score: id, thread_id, role, text, importance, created_at,
        age_hours, score.

        Args:
            thread_id: Only this thread.
            resource_id: Only this resource's threads.
            half_life: The decay half-life.
            now: Score at this time (default: the clock's now).
        """
        check_half_life(half_life)
        return _prune.scores_frame(self, self._scope(thread_id, resource_id), half_life, now or self._now())

    def prune(
        self,
        half_life: timedelta = timedelta(days=7),
        min_score: float = 0.1,
        keep_last: int = 10,
        dry_run: bool = False,
        thread_id: str | None = None,
        resource_id: str | None = None,
    ) -> PruneReport:
        """Remove messages whose ``importance × 0.5 ** (age / half_life)`` is below ``min_score``.

        Each thread's newest ``keep_last`` messages and its current summary always stay. Messages leave the
        storage and the vector index together.

        Args:
            half_life: After this long a score has halved.
            min_score: Remove below this score (in [0, 1]).
            keep_last: Never remove a thread's newest ``keep_last`` messages.
            dry_run: Only report what would be removed.
            thread_id: Only this thread.
            resource_id: Only this resource's threads.
        """
        check_half_life(half_life)
        o.check_min_score(min_score)
        o.check_count("keep_last", keep_last, 0)
        if not dry_run:
            self._check_writable("prune")
        threads = self._scope(thread_id, resource_id)
        return _prune.prune(self, threads, half_life, float(min_score), keep_last, bool(dry_run), self._now())

    def _scope(self, thread_id: str | None, resource_id: str | None) -> builtins.list[Thread]:
        if thread_id is not None:
            thread = self.get_thread(thread_id)
            if resource_id is not None:
                self._owned_thread(thread_id, resource_id)
            return [thread]
        return self.list_threads(resource_id)
