"""Compaction: older turns become one stored summary, shown before the kept messages, tool pairs whole."""

from __future__ import annotations

from mastra_lab.llm import FunctionModel, Message
from mastra_lab.llm.base import ModelResponse, ToolCall, ToolResult
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.memory import Memory
from mastra_lab.memory.compaction import split_for_summary
from mastra_lab.storage import Storage


def test_split_never_starts_the_kept_part_with_a_tool_result() -> None:
    call = Message.assistant("", [ToolCall("c", "f")])
    result = Message.tool([ToolResult("c", "f", 1)])
    msgs = [Message.user("a"), call, result, Message.assistant("b")]
    assert split_for_summary(msgs, 1) == 3
    assert split_for_summary(msgs, 2) == 1  # keeping the result means keeping its call
    assert split_for_summary(msgs, 10) == 0


def test_history_past_the_trigger_is_summarised_into_a_stored_summary(store: Storage) -> None:
    requests: list[list[Message]] = []

    def summariser(messages: list[Message], info: AgentInfo) -> ModelResponse:
        requests.append(messages)
        return ModelResponse(text=f"summary #{len(requests)}")

    memory = Memory(
        store,
        last_messages=20,
        compaction=dict(model=FunctionModel(summariser), trigger_tokens=60, keep_last=2),
    )
    memory.save_sync(
        "t", "ada", [Message.user("I am planning a trip to Kyoto in May"), Message.assistant("Nice")]
    )
    assert requests == []  # under the trigger: nothing to do
    memory.save_sync(
        "t",
        "ada",
        [
            Message.user("Find me flights for the first week, budget 900 euros please"),
            Message.assistant("", [ToolCall("c1", "flights", {"to": "KIX"})]),
            Message.tool([ToolResult("c1", "flights", ["LH 123", "AF 456"])]),
            Message.assistant("Two options: LH 123 and AF 456."),
        ],
    )
    assert len(requests) == 1
    prompt_text = requests[0][1].text
    assert "Kyoto" in prompt_text and "flights" in prompt_text and "Previous summary:\n(none)" in prompt_text
    stored = memory.get_messages("t")
    summaries = [m for m in stored if m.type == "summary"]
    assert [m.text for m in summaries] == ["summary #1"]
    prompt = memory.prepare_sync("t", "ada", [Message.user("Book the first")])
    assert "## Summary of the earlier conversation\nsummary #1" in prompt.system
    # the kept tail starts at the tool call, never between the call and its result
    assert [m.role for m in prompt.history] == ["assistant", "tool", "assistant"]
    assert prompt.history[0].tool_calls[0].id == "c1"
    # a second compaction folds the previous summary in
    memory.save_sync(
        "t",
        "ada",
        [Message.user("Book LH 123 for me now, with a window seat " * 3), Message.assistant("Done, booked.")],
    )
    assert len(requests) == 2 and "Previous summary:\nsummary #1" in requests[1][1].text
    assert "summary #2" in memory.recall("t", "flight").system
    assert memory.recall("t", "flight").summary == "summary #2"


def test_a_failing_summariser_keeps_the_turn_and_the_history(store: Storage) -> None:
    from mastra_lab.errors import ProviderError

    def broken(messages: list[Message], info: AgentInfo) -> ModelResponse:
        raise ProviderError("provider down", code="DOWN")

    memory = Memory(store, compaction=dict(model=FunctionModel(broken), trigger_tokens=5, keep_last=1))
    saved = memory.save_sync(
        "t", "ada", [Message.user("a long enough message to pass"), Message.assistant("ok")]
    )
    assert [m.id for m in memory.get_messages("t")] == [m.id for m in saved]
    assert [m.text for m in memory.prepare_sync("t", "ada", []).history] == [
        "a long enough message to pass",
        "ok",
    ]
