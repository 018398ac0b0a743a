"""The per-turn work of :class:`~mastra_lab.memory.Memory`: read the tail, recall, build, save, compact.

Kept apart from the public facade so each step is small and the hot path is easy to audit: every step is a
bounded, indexed storage call or one vector query — no scan of the store, no per-row loop over it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError
from mastra_lab.llm.base import Message
from mastra_lab.memory import _options as o
from mastra_lab.memory.compaction import SUMMARY_KEY, split_for_summary, summarise
from mastra_lab.memory.limits import count_tokens, limit_messages, message_tokens
from mastra_lab.memory.messages import (
    MemoryMessage,
    check_importance,
    default_importance,
    from_stored,
    to_stored,
)
from mastra_lab.memory.recall import MemoryPrompt, Recall, RecallHit, compose_system, remembered_text
from mastra_lab.memory.working import WorkingMemorySpec, WorkingMemoryValue
from mastra_lab.storage.records import StoredMessage, Thread

if TYPE_CHECKING:
    from mastra_lab.embed.base import Embedder
    from mastra_lab.storage.base import Storage
    from mastra_lab.tools import Tool
    from mastra_lab.vector.base import VectorStore

__all__ = ["TurnPlanner", "dedup_incoming"]

_TICK = timedelta(microseconds=1)


def _err(message: str, code: str, **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="memory", details=details)


def dedup_incoming(incoming: Sequence[Message], stored: Sequence[Message]) -> list[Message]:
    """``incoming`` minus the prefix that repeats the stored tail (a client resending its history).

    The longest prefix of ``incoming`` whose end matches the end of ``stored`` (over the part both hold)
    is dropped; what follows it is new.

    Args:
        incoming: The turn's messages as the client sent them.
        stored: The thread's newest stored messages, oldest first.
    """
    if not stored or not incoming:
        return list(incoming)
    last = stored[-1]
    for j in range(len(incoming), 0, -1):
        if incoming[j - 1] != last:
            continue
        k = min(j, len(stored))
        if list(incoming[j - k : j]) == list(stored[len(stored) - k :]):
            return list(incoming[j:])
    return list(incoming)


def _check_messages(messages: object, what: str) -> list[Message]:
    if isinstance(messages, Message | str) or not isinstance(messages, Sequence):
        raise _err(
            f"{what} must be a list of Message, got {type(messages).__name__}; wrap it: [Message.user(...)]",
            "MEMORY_BAD_MESSAGES",
        )
    for i, m in enumerate(messages):
        if not isinstance(m, Message):
            raise _err(
                f"{what}[{i}] is a {type(m).__name__}, not a Message; build it with Message.user(...)",
                "MEMORY_BAD_MESSAGES",
                index=i,
            )
    return list(messages)


def _importances(importance: object, messages: list[Message]) -> list[float]:
    if importance is None:
        return [default_importance(m) for m in messages]
    if isinstance(importance, int | float) and not isinstance(importance, bool):
        return [check_importance(importance)] * len(messages)
    if (
        not isinstance(importance, Sequence)
        or isinstance(importance, str)
        or len(importance) != len(messages)
    ):
        raise _err(
            f"importance must be a number in [0, 1] or one per message ({len(messages)}), "
            f"got {importance!r:.60}",
            "MEMORY_BAD_IMPORTANCE",
        )
    return [check_importance(v, f"importance[{i}]") for i, v in enumerate(importance)]


def _summary_of(thread: Thread) -> tuple[str, datetime | None]:
    meta = thread.metadata.get(SUMMARY_KEY)
    if not isinstance(meta, dict) or not isinstance(meta.get("until"), str):
        return "", None
    return str(meta.get("text") or ""), datetime.fromisoformat(meta["until"])


class TurnPlanner:
    """Mixin of :class:`Memory` holding the turn's steps; see ``memory.py`` for the public methods."""

    last_messages: int | None
    semantic_recall: o.RecallSpec | None
    working_memory: WorkingMemorySpec | None
    token_limit: int | None
    compaction: o.CompactionSpec | None
    read_only: bool
    index: str
    _index_ready: bool
    _owners: dict[str, str]
    _newest: dict[str, datetime]
    if TYPE_CHECKING:

        @property
        def storage(self) -> Storage: ...
        @property
        def vector(self) -> VectorStore: ...
        @property
        def embedder(self) -> Embedder: ...

    _now: Callable[[], datetime]
    ensure_thread: Callable[[str, str | None], Thread]
    _owned_thread: Callable[[str, str | None], Thread | None]
    get_thread: Callable[[str], Thread]
    get_working_memory: Callable[..., WorkingMemoryValue | None]
    update_working_memory: Callable[..., WorkingMemoryValue]

    # -- reading ---------------------------------------------------------------------------------------

    def _tail(self, thread_id: str, extra: int) -> list[MemoryMessage]:
        """The newest stored messages the prompt may show (one bounded read)."""
        last = None if self.last_messages is None else self.last_messages + extra + 1
        tail = [from_stored(s) for s in self.storage.get_messages(thread_id, last)]
        if tail:
            self._newest[thread_id] = tail[-1].created_at
        return tail

    def _prepare(self, thread_id: str, resource_id: str | None, incoming: object) -> MemoryPrompt:
        messages = _check_messages(incoming, "incoming")
        thread = self.ensure_thread(thread_id, resource_id)
        tail = self._tail(thread_id, len(messages))
        new = dedup_incoming(messages, [m.message for m in tail if m.type == "message"])
        users = [m for m in (new or messages) if m.role == "user" and m.text]
        query = users[-1].text if users else ""
        recall = self._build(thread, query, tail, frozenset())
        tools = self._working_tools(thread) if self.working_memory is not None and not self.read_only else []
        hits = {m.id for h in recall.recalled if not h.other_thread for m in h.messages}
        recent = sum(1 for m in recall.history_messages if m.id not in hits)
        return MemoryPrompt(recall.system, recall.history, new, recall.recalled, tools, recent)

    def _recent(self, thread: Thread, tail: list[MemoryMessage]) -> tuple[str, list[MemoryMessage]]:
        summary, until = _summary_of(thread)
        recent = [m for m in tail if m.type == "message" and (until is None or m.created_at > until)]
        if self.last_messages is not None:
            recent = recent[max(0, len(recent) - self.last_messages) :] if self.last_messages else []
        return summary, recent

    def _build(self, thread: Thread, query: str, tail: list[MemoryMessage], skip: frozenset[str]) -> Recall:
        summary, recent = self._recent(thread, tail)
        hits = self._search(thread, query, {m.id for m in recent} | skip) if query.strip() else []
        mine = {m.id: m for h in hits if not h.other_thread for m in h.messages}
        ordered = sorted(mine.values(), key=lambda m: m.created_at) + recent
        history = limit_messages([m.message for m in ordered], self.token_limit)
        kept = {id(m) for m in history}
        history_messages = [m for m in ordered if id(m.message) in kept]
        working = None
        working_text = ""
        if self.working_memory is not None:
            working = self._read_working(thread)
            working_text = self.working_memory.system_text(working, not self.read_only)
        system = compose_system(working_text, summary, remembered_text(hits))
        return Recall(thread.id, query, history, hits, working, summary, system, history_messages)

    def _read_working(self, thread: Thread) -> WorkingMemoryValue | None:
        spec = self.working_memory
        assert spec is not None
        if spec.scope == "thread":
            raw = thread.metadata.get("working_memory")
            return spec.load(raw if isinstance(raw, str) else None)
        resource = self.storage.get_resource(thread.resource_id)
        return spec.load(None if resource is None else resource.working_memory)

    def _search(self, thread: Thread, query: str, shown: set[str]) -> list[RecallHit]:
        spec = self.semantic_recall
        if spec is None or not self._has_index():
            return []
        where = {"thread_id": thread.id} if spec.scope == "thread" else {"resource_id": thread.resource_id}
        vector = self.embedder.embed([query])[0]
        results = self.vector.query(self.index, vector, top_k=spec.top_k + len(shown), filter=where)
        found = [r for r in results if r.id not in shown][: spec.top_k]
        if not found:
            return []
        context = self.storage.get_message_context(
            [r.id for r in found], spec.message_range, spec.message_range
        )
        seen = set(shown)
        hits = []
        for r in found:
            around = [
                from_stored(s) for s in context.get(r.id, []) if s.type == "message" and s.id not in seen
            ]
            if not around:
                continue  # pruned meanwhile, or already shown by an earlier hit
            seen |= {m.id for m in around}
            other = str(r.metadata.get("thread_id")) != thread.id
            hits.append(RecallHit(r.id, str(r.metadata.get("thread_id")), float(r.score), around, other))
        return hits

    def _has_index(self) -> bool:
        if not self._index_ready:
            self._index_ready = self.index in self.vector.list_indexes()
        return self._index_ready

    def _ensure_index(self) -> None:
        if self._index_ready:
            return
        self.vector.create_index(self.index, embedder=self.embedder)
        self._index_ready = True

    # -- writing ---------------------------------------------------------------------------------------

    def _save_turn(
        self, thread_id: str, resource_id: str | None, turn: object, importance: object
    ) -> list[MemoryMessage]:
        messages = _check_messages(turn, "messages")
        weights = _importances(importance, messages)
        if self.read_only or not messages:
            self._owned_thread(thread_id, resource_id)
            return []
        known = self._owners.get(thread_id)
        if known is not None and resource_id in (None, known):
            existing: Thread | None = Thread(thread_id, known)  # seen in this process: owners never change
        else:
            existing = self._owned_thread(thread_id, resource_id)
        texts = [(i, m.text) for i, m in enumerate(messages) if m.text.strip()]
        vectors = None
        if self.semantic_recall is not None and texts:
            self._ensure_index()
            vectors = self.embedder.embed([t for _, t in texts])  # before any write: a failure saves nothing
        owner = existing.resource_id if existing is not None else (resource_id or thread_id)
        if existing is None:
            self.ensure_thread(thread_id, owner)
        resource_id = owner
        stored = self._stamp(thread_id, resource_id, messages, weights)
        self.storage.save_messages(stored)
        if vectors is not None:
            try:
                self.vector.upsert(
                    self.index,
                    vectors,
                    metadata=[
                        {"thread_id": thread_id, "resource_id": resource_id, "message_id": stored[i].id}
                        for i, _ in texts
                    ],
                    ids=[stored[i].id for i, _ in texts],
                    documents=[t for _, t in texts],
                )
            except BaseException:
                self.storage.delete_messages([s.id for s in stored])
                raise
        return [from_stored(s) for s in stored]

    def _stamp(
        self, thread_id: str, resource_id: str, messages: list[Message], weights: list[float]
    ) -> list[StoredMessage]:
        """Stored rows with strictly increasing times after the thread's newest message."""
        base = self._now()
        newest = self._newest.get(thread_id)
        if newest is None:
            found = self.storage.get_messages(thread_id, 1)
            newest = found[0].created_at if found else None
        if newest is not None and newest >= base:
            base = newest + _TICK
        self._newest[thread_id] = base + (len(messages) - 1) * _TICK
        return [
            to_stored(m, uuid.uuid4().hex, thread_id, resource_id, base + i * _TICK, w)
            for i, (m, w) in enumerate(zip(messages, weights, strict=True))
        ]

    async def _compact(self, thread_id: str) -> None:
        spec = self.compaction
        assert spec is not None
        thread = self.get_thread(thread_id)
        previous, _ = _summary_of(thread)
        window = max(self.last_messages or 0, spec.keep_last + 1)
        tail = [from_stored(s) for s in self.storage.get_messages(thread_id, window * 2 + 1)]
        _, recent = self._recent(thread, tail)
        messages = [m.message for m in recent]
        if sum(message_tokens(m, count_tokens) for m in messages) <= spec.trigger_tokens:
            return
        split = split_for_summary(messages, spec.keep_last)
        if split <= 0:
            return
        older = recent[:split]
        text = await summarise(spec.model, previous, messages[:split])
        until = older[-1].created_at
        summary = to_stored(Message.system(text), uuid.uuid4().hex, thread_id, thread.resource_id, until, 1.0)
        summary = StoredMessage(
            summary.id,
            summary.thread_id,
            summary.role,
            summary.content,
            summary.created_at,
            summary.resource_id,
            "summary",
            {**summary.metadata, "covers": [older[0].id, older[-1].id], "count": len(older)},
        )
        self.storage.save_messages([summary])
        pointer = {"id": summary.id, "until": until.isoformat(), "text": text}

        def point(t: Thread) -> Thread:
            return Thread(t.id, t.resource_id, t.title, {**t.metadata, SUMMARY_KEY: pointer})

        await asyncio.to_thread(self.storage.modify_thread, thread_id, point)

    # -- working memory --------------------------------------------------------------------------------

    def _working_target(
        self, thread_id: str | None, resource_id: str | None
    ) -> tuple[WorkingMemorySpec, str]:
        spec = self.working_memory
        if spec is None:
            raise _err(
                "working memory is off; turn it on with Memory(working_memory=dict(template=...)) "
                "or dict(schema=YourModel)",
                "MEMORY_WORKING_MEMORY_OFF",
            )
        if spec.scope == "thread":
            if thread_id is None:
                raise _err(
                    "this working memory is scoped to a thread: pass thread_id=", "MEMORY_BAD_ARGUMENT"
                )
            if resource_id is not None:
                self._owned_thread(thread_id, resource_id)
            return spec, thread_id
        if resource_id is not None:
            if thread_id is not None:
                self._owned_thread(thread_id, resource_id)
            return spec, resource_id
        if thread_id is None:
            raise _err(
                "this working memory is scoped to a resource: pass resource_id= (or thread_id=)",
                "MEMORY_BAD_ARGUMENT",
            )
        return spec, self.get_thread(thread_id).resource_id

    def _working_tools(self, thread: Thread) -> list[Tool]:
        from mastra_lab.tools import Tool as ToolClass

        spec = self.working_memory
        assert spec is not None
        memory = self

        def execute(args: dict[str, Any], ctx: Any = None) -> dict[str, Any]:
            merged = memory.update_working_memory(
                args["memory"], thread_id=thread.id, resource_id=thread.resource_id
            )
            return {"updated": True, "working_memory": merged}

        description = (
            "Update the working memory: what you know about the user and this conversation. Pass only "
            "what changed; everything else is kept."
        )
        return [ToolClass("update_working_memory", description, spec.tool_parameters(), execute)]
