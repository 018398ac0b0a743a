"""``Transcript``: a run's chunks and a thread's stored messages as plain text, Markdown and HTML."""

from __future__ import annotations

from mastra_lab.agent import AgentChunk, AgentResult
from mastra_lab.lab.transcript import Transcript, call_text, value_text
from mastra_lab.llm import Message, ToolCall, ToolResult

CALL = ToolCall("c1", "send", {"to": "<ada>", "n": 2})


def test_calls_and_values_read_as_one_short_line() -> None:
    assert call_text(CALL) == 'send(to="<ada>", n=2)'
    assert value_text({"a": [1, 2]}) == '{"a": [1, 2]}' and value_text("two\nlines") == "two lines"
    assert value_text("x" * 500) == "x" * 299 + "…"


def test_chunks_build_text_and_tool_lines_that_results_complete() -> None:
    t = Transcript("mail")
    for chunk in [
        AgentChunk("text-delta", text="Sen"),
        AgentChunk("text-delta", text="ding."),
        AgentChunk("tool-call", tool_call=CALL),
    ]:
        t.add(chunk)
    assert repr(t) == 'Sending.\n  send(to="<ada>", n=2) … running'
    t.add(AgentChunk("tool-error", tool_result=ToolResult("c1", "send", "no such user", is_error=True)))
    assert repr(t).endswith('send(to="<ada>", n=2) ✗ no such user')
    assert "&lt;ada&gt;" in t._repr_html_() and "<ada>" not in t._repr_html_()
    assert t._repr_markdown_() == 'Sending.\n\n- `send(to="<ada>", n=2)` ✗ `no such user`'


def test_a_finish_waiting_for_approval_marks_the_calls_and_says_how_to_decide() -> None:
    t = Transcript("mail")
    t.add(AgentChunk("tool-call", tool_call=CALL))
    result = AgentResult("", finish_reason="approval", run_id="r1", pending=[CALL])
    t.add(AgentChunk("finish", result=result))
    lines = repr(t).splitlines()
    assert lines[0] == '  send(to="<ada>", n=2) … waiting for approval (call c1)'
    assert lines[1:4] == [
        "waiting for approval: run r1",
        '  c1: send(to="<ada>", n=2)',
        "approve all: %mastra approve r1",
    ]
    panel = Transcript("mail", how_to_approve=False)
    panel.add(AgentChunk("finish", result=result))
    assert panel.approval_lines() == ["waiting for approval: run r1"]


def test_decisions_update_the_waiting_calls_and_begin_starts_a_new_run() -> None:
    t = Transcript("mail")
    other = ToolCall("c2", "send", {"to": "bob"})
    t.add(
        AgentChunk(
            "finish", result=AgentResult("", finish_reason="approval", run_id="r1", pending=[CALL, other])
        )
    )
    t.begin()
    assert t.result is None and t.pending == []
    t.decided([CALL, other], approved=["c1"], declined={"c2": "not bob"})
    t.add(AgentChunk("tool-result", tool_result=ToolResult("c1", "send", "sent")))
    assert repr(t).splitlines() == ['  send(to="<ada>", n=2) → sent', '  send(to="bob") → declined: not bob']


def test_stored_messages_show_as_a_conversation() -> None:
    t = Transcript("mail")
    t.add_messages(
        [
            Message.user("email ada"),
            Message.assistant("On it.", [CALL]),
            Message.tool([ToolResult("c1", "send", "sent")]),
            Message.assistant("Done."),
        ]
    )
    assert repr(t).splitlines() == ["you: email ada", "On it.", '  send(to="<ada>", n=2) → sent', "Done."]
    assert t.text == ""  # the history is not this run's answer
