"""Memory's conversation layer: threads of resources, stored turns, prepare/save, bad input."""

from __future__ import annotations

import pytest

from mastra_lab.embed import HashingEmbedder
from mastra_lab.errors import MastraError
from mastra_lab.llm import Message
from mastra_lab.llm.base import ToolCall, ToolResult
from mastra_lab.memory import Memory, MemoryMessage
from mastra_lab.storage import InMemoryStore, Storage, Thread

from .conftest import T0, Clock


def _turn(user: str, answer: str) -> list[Message]:
    return [Message.user(user), Message.assistant(answer)]


def test_threads_belong_to_resources(store: Storage) -> None:
    memory = Memory(store)
    memory.create_thread("ada", title="Paris trip", thread_id="t1")
    memory.ensure_thread("t2", "ada")
    memory.ensure_thread("t3", "bob")
    assert [t.id for t in memory.list_threads("ada")] == ["t1", "t2"]
    assert memory.list_resources() == ["ada", "bob"]
    assert memory.get_thread("t1").title == "Paris trip"
    frame = memory.threads_df("ada")
    assert list(frame["id"]) == ["t1", "t2"] and set(frame["resource_id"]) == {"ada"}


def test_saved_turns_come_back_in_order_with_parts_times_and_importance(store: Storage, clock: Clock) -> None:
    memory = Memory(store, clock=clock)
    call = ToolCall("c1", "weather", {"city": "Paris"})
    saved = memory.save_sync(
        "t1",
        "ada",
        [
            Message.user("What's the weather in Paris?"),
            Message.assistant("", [call]),
            Message.tool([ToolResult("c1", "weather", {"temp": 21})]),
            Message.assistant("21 degrees."),
        ],
    )
    assert [m.role for m in saved] == ["user", "assistant", "tool", "assistant"]
    back = memory.get_messages("t1")
    assert back == saved
    assert back[1].message.tool_calls == [call]
    assert back[2].message.tool_results[0].result == {"temp": 21}
    assert back[2].text == "weather -> {'temp': 21}"
    assert all(m.created_at >= T0 for m in back)
    assert [m.created_at for m in back] == sorted(m.created_at for m in back)
    user, calling, tool, answer = (m.importance for m in back)
    assert user > answer > tool and user > calling  # what people say outlives tool chatter
    assert isinstance(back[0], MemoryMessage) and back[0].resource_id == "ada"
    assert list(memory.messages_df("t1")["tool_calls"]) == [[], ["weather"], [], []]


def test_importance_defaults_favour_questions_and_remember_and_are_settable(store: Storage) -> None:
    memory = Memory(store)
    saved = memory.save_sync(
        "t1",
        "ada",
        [Message.user("ok"), Message.user("Please remember my name is Ada"), Message.user("why?")],
    )
    ok, remember, why = (m.importance for m in saved)
    assert remember > why > ok
    changed = memory.set_importance(saved[0].id, 0.95)
    assert changed.importance == 0.95
    assert memory.get_messages("t1")[0].importance == 0.95
    explicit = memory.save_sync("t1", "ada", [Message.user("a"), Message.user("b")], importance=[0.1, 0.2])
    assert [m.importance for m in explicit] == [0.1, 0.2]


def test_prepare_gives_the_last_n_in_order_and_dedups_a_resent_history(store: Storage) -> None:
    memory = Memory(store, last_messages=3)
    history = [*_turn("one", "1"), *_turn("two", "2")]
    memory.save_sync("t1", "ada", history)
    resent = [*history, Message.user("three")]
    prompt = memory.prepare_sync("t1", "ada", resent)
    assert [m.text for m in prompt.history] == ["1", "two", "2"]
    assert [m.text for m in prompt.new] == ["three"]
    assert prompt.system == "" and prompt.recalled == [] and prompt.tools == []
    full = prompt.to_messages("Be brief.")
    assert [(m.role, m.text) for m in full] == [
        ("system", "Be brief."),
        ("assistant", "1"),
        ("user", "two"),
        ("assistant", "2"),
        ("user", "three"),
    ]
    # only the new message: nothing to drop; a message equal to an old one but not at the tail stays new
    assert [m.text for m in memory.prepare_sync("t1", "ada", [Message.user("one")]).new] == ["one"]


def test_prepare_on_a_new_thread_creates_it_for_the_resource(store: Storage) -> None:
    memory = Memory(store)
    prompt = memory.prepare_sync("fresh", "ada", [Message.user("hi")])
    assert prompt.history == [] and [m.text for m in prompt.new] == ["hi"]
    assert store.get_thread("fresh") == Thread("fresh", "ada", None, {}, IsAny(), IsAny())


class IsAny:
    def __eq__(self, other: object) -> bool:
        return True


def test_memories_are_separate_per_thread_and_resource(store: Storage) -> None:
    memory = Memory(store)
    memory.save_sync("a1", "ada", _turn("ada thread one", "ok"))
    memory.save_sync("a2", "ada", _turn("ada thread two", "ok"))
    memory.save_sync("b1", "bob", _turn("bob's thread", "ok"))
    assert [m.text for m in memory.prepare_sync("a2", "ada", [Message.user("?")]).history] == [
        "ada thread two",
        "ok",
    ]
    assert [m.text for m in memory.get_messages("b1")] == ["bob's thread", "ok"]


def test_unbound_memory_works_standalone_and_bind_fills_in_storage() -> None:
    memory = Memory()
    memory.save_sync("t", "r", _turn("hi", "hello"))
    assert isinstance(memory.storage, InMemoryStore)
    fresh = Memory()
    shared = InMemoryStore()
    assert fresh.bind(shared) is fresh and fresh.storage is shared
    given = InMemoryStore()
    assert Memory(given).bind(shared).storage is given


# -- bad input --------------------------------------------------------------------------------------


def test_unknown_thread_is_a_clear_error(store: Storage) -> None:
    memory = Memory(store)
    for call in (
        lambda: memory.get_thread("ghost"),
        lambda: memory.get_messages("ghost"),
        lambda: memory.recall("ghost", "anything"),
    ):
        with pytest.raises(MastraError, match=r"unknown thread 'ghost'.*create_thread"):
            call()


def test_a_thread_of_another_resource_is_refused_before_writing(store: Storage) -> None:
    memory = Memory(store, semantic_recall=True, embedder=HashingEmbedder())
    memory.save_sync("t1", "ada", _turn("mine", "yes"))
    with pytest.raises(MastraError, match="belongs to resource 'ada', not 'eve'") as info:
        memory.save_sync("t1", "eve", _turn("steal", "no"))
    assert info.value.code == "MEMORY_THREAD_RESOURCE_MISMATCH"
    with pytest.raises(MastraError, match="belongs to resource 'ada'"):
        memory.prepare_sync("t1", "eve", [Message.user("hi")])
    with pytest.raises(MastraError, match="belongs to resource 'ada'"):
        memory.ensure_thread("t1", "eve")
    assert [m.text for m in memory.get_messages("t1")] == ["mine", "yes"]
    assert memory.vector.describe_index(memory.index).count == 2


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"semantic_recall": {"topk": 3}}, "semantic_recall has no key 'topk'; allowed keys: top_k, message"),
        ({"semantic_recall": {"scope": "world"}}, "scope'] must be 'thread' or 'resource'"),
        ({"semantic_recall": {"top_k": 0}}, r"top_k'\] must be an integer >= 1"),
        ({"working_memory": {"templat": "x"}}, "working_memory has no key 'templat'; allowed keys: template"),
        ({"working_memory": {"template": "x", "schema": dict}}, "template or a schema, not both"),
        ({"working_memory": {"schema": dict}}, "must be a pydantic model class"),
        ({"compaction": {"trigger_tokens": 10}}, "compaction needs model="),
        ({"compaction": {"model": "test", "keep": 2}}, "compaction has no key 'keep'"),
        ({"auto_prune": {"half_life": 7}}, "half_life must be a positive timedelta"),
        ({"auto_prune": {"min_score": 2}}, "min_score must be a number between 0 and 1"),
        ({"last_messages": -1}, "last_messages must be an integer >= 0"),
        ({"token_limit": 0}, "token_limit must be an integer >= 1"),
        ({"semantic_recall": "yes"}, "semantic_recall must be False, True or a dict"),
    ],
)
def test_bad_config_names_the_key_and_what_is_allowed(kwargs: dict[str, object], expected: str) -> None:
    with pytest.raises(MastraError, match=expected):
        Memory(**kwargs)  # type: ignore[arg-type]


def test_importance_outside_0_1_is_refused_before_writing(store: Storage) -> None:
    memory = Memory(store)
    for bad in (1.5, -0.1, [0.5], "high", True):
        with pytest.raises(MastraError, match="importance"):
            memory.save_sync("t1", "ada", _turn("a", "b"), importance=bad)  # type: ignore[arg-type]
    assert store.get_thread("t1") is None
    saved = memory.save_sync("t1", "ada", [Message.user("x")])
    with pytest.raises(MastraError, match=r"importance must be a number between 0 and 1, got 7"):
        memory.set_importance(saved[0].id, 7)
    with pytest.raises(MastraError, match="unknown message 'nope'"):
        memory.set_importance("nope", 0.5)


def test_messages_that_are_not_messages_are_refused(store: Storage) -> None:
    memory = Memory(store)
    with pytest.raises(MastraError, match=r"messages\[1\] is a str, not a Message"):
        memory.save_sync("t1", "ada", [Message.user("a"), "b"])  # type: ignore[list-item]
    with pytest.raises(MastraError, match="must be a list of Message"):
        memory.prepare_sync("t1", "ada", Message.user("a"))  # type: ignore[arg-type]
    assert store.get_thread("t1") is None


class _Exploding(HashingEmbedder):
    def embed(self, texts):  # type: ignore[no-untyped-def]
        raise RuntimeError("embedding service down")


def test_save_is_all_or_nothing_when_embedding_fails(store: Storage) -> None:
    memory = Memory(store, semantic_recall=True, embedder=_Exploding())
    with pytest.raises(RuntimeError, match="embedding service down"):
        memory.save_sync("t1", "ada", _turn("hello", "hi"))
    assert store.get_thread("t1") is None and store.get_messages("t1") == []


def test_an_agent_with_memory_sees_earlier_turns_of_the_thread_only(store: Storage) -> None:
    from mastra_lab.agent import Agent
    from mastra_lab.llm import FunctionModel
    from mastra_lab.llm.base import ModelResponse
    from mastra_lab.llm.testing import AgentInfo

    prompts: list[list[tuple[str, str]]] = []

    def model(messages: list[Message], info: AgentInfo) -> ModelResponse:
        prompts.append([(m.role, m.text) for m in messages])
        return ModelResponse(text=f"answer {len(prompts)}")

    agent = Agent("bot", "Be brief.", FunctionModel(model), memory=Memory(store))
    agent.generate_sync("first", thread_id="t1", resource_id="ada")
    agent.generate_sync("second", thread_id="t1", resource_id="ada")
    agent.generate_sync("elsewhere", thread_id="t2", resource_id="ada")
    assert prompts[1] == [
        ("system", "Be brief."),
        ("user", "first"),
        ("assistant", "answer 1"),
        ("user", "second"),
    ]
    assert prompts[2] == [("system", "Be brief."), ("user", "elsewhere")]
    assert [m.text for m in agent.memory.get_messages("t1")] == ["first", "answer 1", "second", "answer 2"]
