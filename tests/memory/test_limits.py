"""The token limiter keeps the newest messages that fit and never splits a tool call from its result."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mastra_lab.llm import Message
from mastra_lab.llm.base import ToolCall, ToolResult
from mastra_lab.memory import Memory, count_tokens, limit_messages
from mastra_lab.memory.limits import message_tokens, tool_units
from mastra_lab.storage import Storage


def _call(i: int, n: int = 1) -> list[Message]:
    calls = [ToolCall(f"c{i}-{k}", "lookup", {"q": "x" * (i % 7)}) for k in range(n)]
    return [
        Message.assistant("", calls),
        Message.tool([ToolResult(c.id, "lookup", "result " * (i % 5)) for c in calls]),
    ]


@st.composite
def conversations(draw: st.DrawFn) -> list[Message]:
    """Conversations mixing text turns, complete tool exchanges and broken halves."""
    out: list[Message] = []
    for i in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from(["user", "assistant", "pair", "pair2", "orphan-call", "orphan-result"]))
        if kind in ("user", "assistant"):
            out.append(Message(kind, [Message.user("w " * draw(st.integers(1, 30))).parts[0]]))
        elif kind in ("pair", "pair2"):
            out += _call(i, 2 if kind == "pair2" else 1)
        elif kind == "orphan-call":
            out.append(_call(i)[0])
        else:
            out.append(_call(i)[1])
    return out


def _pairs_whole(messages: list[Message]) -> bool:
    calls = {c.id for m in messages for c in m.tool_calls}
    results = {r.tool_call_id for m in messages for r in m.tool_results}
    return calls == results


@settings(max_examples=300, deadline=None)
@given(conversations(), st.one_of(st.none(), st.integers(1, 200)))
def test_limiter_keeps_a_whole_newest_tail_that_fits(messages: list[Message], limit: int | None) -> None:
    kept = limit_messages(messages, limit)
    assert _pairs_whole(kept)  # never half a tool exchange
    if limit is not None:
        assert sum(message_tokens(m) for m in kept) <= limit
    repaired = [messages[i] for unit in tool_units(messages) for i in unit]
    assert _pairs_whole(repaired)
    # the result is the newest part of the repaired conversation, in order, and nothing more fits
    assert kept == repaired[len(repaired) - len(kept) :]
    units = tool_units(messages)
    n_kept, size = 0, 0
    while size < len(kept):
        size += len(units[len(units) - 1 - n_kept])
        n_kept += 1
    assert size == len(kept)  # whole units only
    if limit is not None and n_kept < len(units):
        nxt = units[len(units) - n_kept - 1]
        assert sum(message_tokens(m) for m in kept) + sum(message_tokens(messages[i]) for i in nxt) > limit
    if limit is None:
        assert kept == repaired


def test_an_orphaned_half_is_dropped_with_its_partner() -> None:
    pair = _call(1)
    convo = [Message.user("hi"), *pair, Message.assistant("done")]
    assert limit_messages(convo, None) == convo
    assert limit_messages([pair[1], Message.assistant("done")], None) == [Message.assistant("done")]
    assert limit_messages([Message.user("hi"), pair[0]], None) == [Message.user("hi")]
    # a budget that fits the answer and the result but not the call drops both halves
    budget = message_tokens(convo[-1]) + message_tokens(pair[1])
    assert limit_messages(convo, budget) == [convo[-1]]


def test_count_tokens_is_about_four_characters_a_token() -> None:
    assert count_tokens("") == 0
    assert 2 <= count_tokens("hello world, how are you?") <= 8


def test_memory_token_limit_trims_the_history(store: Storage) -> None:
    memory = Memory(store, token_limit=30)
    memory.save_sync("t", "r", [Message.user("x " * 40), *_call(3), Message.assistant("short answer")])
    history = memory.prepare_sync("t", "r", [Message.user("next")]).history
    assert history[-1].text == "short answer"
    assert _pairs_whole(history) and sum(message_tokens(m) for m in history) <= 30
    assert all(m.text != "x " * 40 for m in history)
