"""Semantic recall: embedded once at save, searched per turn, expanded by neighbours, deduplicated."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from mastra_lab.embed import HashingEmbedder
from mastra_lab.llm import Message
from mastra_lab.memory import Memory
from mastra_lab.storage import Storage


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting every text it embeds."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.seen += list(texts)
        return super().embed(texts)


FILLER = [f"small talk number {i} about nothing" for i in range(6)]


def _fill(memory: Memory, thread: str, resource: str, facts: dict[int, str]) -> None:
    for i, text in enumerate(FILLER):
        memory.save_sync(thread, resource, [Message.user(facts.get(i, text)), Message.assistant(f"ok {i}")])


def test_each_message_is_embedded_once_at_save_never_per_prepare(store: Storage) -> None:
    embedder = CountingEmbedder()
    memory = Memory(store, embedder=embedder, semantic_recall=True)
    memory.save_sync("t1", "ada", [Message.user("I keep bees"), Message.assistant("Nice hobby")])
    assert embedder.seen == ["I keep bees", "Nice hobby"]
    memory.prepare_sync("t1", "ada", [Message.user("what do I keep?")])
    memory.prepare_sync("t1", "ada", [Message.user("what do I keep?")])
    assert embedder.seen == ["I keep bees", "Nice hobby", "what do I keep?", "what do I keep?"]
    stats = memory.vector.describe_index("memory_messages")
    assert (stats.count, stats.embedder) == (2, embedder.name)  # the index records its embedder


def test_recall_expands_hits_by_neighbours_and_skips_recent_history(store: Storage) -> None:
    memory = Memory(
        store,
        embedder=HashingEmbedder(),
        last_messages=2,
        semantic_recall=dict(top_k=1, message_range=1),
    )
    _fill(memory, "t1", "ada", {1: "my locker code is 4711"})
    recall = memory.recall("t1", "what is my locker code")
    [hit] = recall.recalled
    assert not hit.other_thread and hit.thread_id == "t1"
    assert [m.text for m in hit.messages] == ["ok 0", "my locker code is 4711", "ok 1"]
    # same-thread hits go back into the history in their place, before the recent window
    assert [m.text for m in recall.history] == ["ok 0", "my locker code is 4711", "ok 1", FILLER[5], "ok 5"]
    assert recall.system == ""
    frame = recall.to_df()
    assert list(frame["source"]) == ["recall"] * 3 + ["history"] * 2
    assert frame["score"].notna().sum() == 1
    # what the recent window already shows is never recalled again
    again = memory.recall("t1", FILLER[5])
    recent_ids = {m.id for m in memory.get_messages("t1", last=2)}
    assert again.recalled and all(m.id not in recent_ids for h in again.recalled for m in h.messages)


def test_resource_scope_recalls_other_threads_as_remembered_context(store: Storage) -> None:
    memory = Memory(
        store,
        embedder=HashingEmbedder(),
        semantic_recall=dict(top_k=1, message_range=1, scope="resource"),
    )
    _fill(memory, "old", "ada", {3: "my cat is called Miso"})
    memory.save_sync("other-user", "bob", [Message.user("my cat is called Rex")])
    prompt = memory.prepare_sync("new", "ada", [Message.user("what is my cat called?")])
    [hit] = prompt.recalled
    assert hit.other_thread and hit.thread_id == "old"
    assert prompt.history == []  # not turns of this conversation
    assert "Remembered from other conversations" in prompt.system
    assert "- user: my cat is called Miso" in prompt.system
    assert "Rex" not in prompt.system  # another resource's memory never leaks
    assert memory.recall_df("new", "cat")["source"].tolist()[:1] == ["remembered"]


def test_thread_scope_does_not_see_other_threads(store: Storage) -> None:
    memory = Memory(store, embedder=HashingEmbedder(), semantic_recall=dict(top_k=3))
    memory.save_sync("a", "ada", [Message.user("the wifi password is hunter2")])
    memory.save_sync("b", "ada", [Message.user("hello")])
    hits = memory.recall("b", "wifi password").recalled
    assert all(h.thread_id == "b" for h in hits)
    assert "hunter2" not in str([m.text for h in hits for m in h.messages])


def test_read_only_memory_recalls_without_writing(store: Storage) -> None:
    writer = Memory(store, embedder=HashingEmbedder(), semantic_recall=dict(top_k=1, scope="resource"))
    writer.save_sync("t1", "ada", [Message.user("my favourite tea is sencha")])
    reader = Memory(
        store,
        writer.vector,
        embedder=HashingEmbedder(),
        semantic_recall=dict(scope="resource"),
        read_only=True,
    )
    before = (
        store.list_threads(),
        store.get_messages("t1"),
        writer.vector.describe_index(writer.index).count,
    )
    prompt = reader.prepare_sync("t2", "ada", [Message.user("which tea do I like?")])
    assert "sencha" in prompt.system
    assert reader.save_sync("t2", "ada", [Message.user("hi"), Message.assistant("hello")]) == []
    assert (
        store.list_threads(),
        store.get_messages("t1"),
        writer.vector.describe_index(writer.index).count,
    ) == before
    assert store.get_thread("t2") is None


def test_the_default_embedder_is_the_offline_semantic_one() -> None:
    from mastra_lab.embed import WordLlamaEmbedder

    memory = Memory(semantic_recall=True)
    assert isinstance(memory.embedder, WordLlamaEmbedder)
    memory.save_sync("t", "ada", [Message.user("I adore my dog")])
    assert memory.vector.describe_index(memory.index).embedder == memory.embedder.name


def test_an_embedder_given_by_name_is_built_and_recorded(store: Storage) -> None:
    memory = Memory(store, embedder="hashing", semantic_recall=True)
    memory.save_sync("t", "ada", [Message.user("hello")])
    assert memory.vector.describe_index(memory.index).embedder == HashingEmbedder().name
