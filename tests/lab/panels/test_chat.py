"""``ChatPanel``: threads, a message streamed into the conversation, tool calls inline, approvals."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError
from mastra_lab.lab._testing import click, panels_raise
from mastra_lab.lab.panels import ChatPanel
from mastra_lab.lab.panels.chat import NEW_THREAD
from mastra_lab.llm import FunctionModel, Message, ModelResponse, TestModel, ToolCall
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.memory import Memory
from mastra_lab.tools import tool

SENT: list[str] = []


@tool(requires_approval=True)
def send_email(to: str) -> str:
    """Send an email."""
    SENT.append(to)
    return f"sent to {to}"


def mailer(messages: list[Message], info: AgentInfo) -> ModelResponse:
    """Asks to email two people; then reports what came back."""
    if messages[-1].role != "tool":
        calls = [ToolCall("c1", "send_email", {"to": "ada"}), ToolCall("c2", "send_email", {"to": "bob"})]
        return ModelResponse("Sending.", calls)
    return ModelResponse(" | ".join(str(r.result) for r in messages[-1].tool_results))


def echo(messages: list[Message], info: AgentInfo) -> str:
    users = [m.text for m in messages if m.role == "user"]
    return f"{len(users)} user messages; last: {users[-1]}"


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    SENT.clear()
    agents = [
        Agent("echo", "", FunctionModel(echo), memory=Memory()),
        Agent("mail", "", FunctionModel(mailer), tools=[send_email], memory=Memory()),
        Agent("calc", "", TestModel(text="two")),
    ]
    with Mastra(storage=backend.storage("chat"), agents=agents) as m:
        yield m


def _send(panel: ChatPanel, text: str) -> None:
    panel.message.value = text
    click(panel.send)


def _pending_rows(panel: ChatPanel) -> list[Any]:
    rows = panel.pending_rows
    assert all("mastra-chat-pending" in row._dom_classes for row in rows)
    return rows


def test_a_new_panel_offers_a_new_thread_for_the_agents_own_resource(mastra: Mastra) -> None:
    with panels_raise():
        panel = ChatPanel(mastra.get_agent("echo"))
    assert panel.resource.value == "echo"
    assert panel.threads.options == (("new thread", NEW_THREAD),) and panel.threads.value == NEW_THREAD
    assert "no messages yet" in panel.transcript.value
    assert panel.agents.layout.display == "none"  # one agent given: no picker
    assert "mastra-chat-panel" in panel._dom_classes and panel.children[-1] is panel.error


def test_send_streams_the_answer_into_the_conversation_and_lists_the_new_thread(mastra: Mastra) -> None:
    shown = threading.Event()
    released: list[bool] = []

    async def stream(messages: list[Message], info: AgentInfo) -> Any:
        yield "Hel"
        released.append(await asyncio.to_thread(shown.wait, 10))
        yield "lo"

    agent = Agent("slow", "", FunctionModel(stream_fn=stream), memory=Memory())
    mastra.add_agent(agent)
    with panels_raise():
        panel = ChatPanel(agent)
        seen: list[str] = []

        def watch(change: dict[str, Any]) -> None:
            seen.append(change["new"])
            if "Hel" in change["new"]:
                shown.set()

        panel.transcript.observe(watch, names="value")
        _send(panel, "hi")

    assert released == [True]  # "Hel" was in the widget before the model sent the rest
    assert any("Hel" in v and "Hello" not in v for v in seen) and "Hello" in seen[-1]
    assert panel.message.value == "" and not panel.send.disabled
    assert panel.status.value == "slow · stop · 1 step · 0 tool calls · 1 in / 1 out tokens"
    thread = panel.thread_id
    assert thread is not None and panel.threads.value == thread
    assert [value for _, value in panel.threads.options] == [NEW_THREAD, thread]
    assert [m.role for m in agent.memory.get_messages(thread)] == ["user", "assistant"]


def test_picking_a_thread_shows_its_conversation_and_continues_it(mastra: Mastra) -> None:
    agent = mastra.get_agent("echo")
    agent.generate_sync("first question", thread_id="t1", resource_id="ada")
    with panels_raise():
        panel = ChatPanel(agent, resource_id="ada")
        assert [value for _, value in panel.threads.options] == [NEW_THREAD, "t1"]
        panel.threads.value = "t1"
        assert "you: first question" in panel.transcript.value
        assert "1 user messages; last: first question" in panel.transcript.value
        _send(panel, "second")
    assert "2 user messages; last: second" in panel.transcript.value
    assert panel.thread_id == "t1" and len(agent.memory.get_messages("t1")) == 4

    with panels_raise():
        opened = ChatPanel(agent, thread_id="t1")  # the thread gives the resource
    assert opened.resource.value == "ada" and opened.threads.value == "t1"
    assert "you: second" in opened.transcript.value


def test_a_thread_named_up_front_is_created_by_the_first_message(mastra: Mastra) -> None:
    agent = mastra.get_agent("echo")
    with panels_raise():
        panel = ChatPanel(agent, thread_id="fresh", resource_id="bea")
        assert panel.threads.options[1] == ("fresh (new)", "fresh")
        _send(panel, "hello")
    assert agent.memory.get_thread("fresh").resource_id == "bea"
    assert panel.threads.value == "fresh" and panel.threads.options[1][0].startswith("fresh · ")


def test_approve_and_decline_buttons_resume_the_run(mastra: Mastra) -> None:
    with panels_raise():
        panel = ChatPanel(mastra.get_agent("mail"))
        _send(panel, "email the team")
        rows = _pending_rows(panel)
        assert len(rows) == 2 and SENT == []
        assert "waiting for approval (call c1)" in panel.transcript.value
        assert panel.status.value.startswith("mail · approval · ")

        approve_c1 = rows[0].children[1]
        assert approve_c1.description == "Approve" and "mastra-chat-approve" in approve_c1._dom_classes
        click(approve_c1)
        assert SENT == ["ada"] and len(_pending_rows(panel)) == 1  # c2 still waits
        assert "sent to ada" in panel.transcript.value

        panel.reason.value = "not bob"
        click(_pending_rows(panel)[0].children[2])
    assert SENT == ["ada"] and _pending_rows(panel) == [] and panel.run_id is None
    assert len(panel.approvals.children) == 2  # the rows stay, hidden, for the next approval
    assert "sent to ada | The user declined this call: not bob" in panel.transcript.value
    assert "declined: not bob" in panel.transcript.value
    assert panel.status.value.startswith("mail · stop · 2 steps")


def test_a_mastra_gives_an_agent_picker(mastra: Mastra) -> None:
    with panels_raise():
        panel = ChatPanel(mastra)
        assert panel.agents.options == ("calc", "echo", "mail") and panel.agent.name == "calc"
        assert panel.threads.layout.display == "none"  # calc has no memory
        _send(panel, "1 + 1?")
        assert "two" in panel.transcript.value and panel.thread_id is None
        panel.agents.value = "echo"
    assert panel.agent is mastra.get_agent("echo") and panel.threads.layout.display is None
    assert panel.resource.value == "echo" and "no messages yet" in panel.transcript.value


def test_mistakes_show_one_line_and_change_nothing(mastra: Mastra) -> None:
    panel = ChatPanel(mastra.get_agent("echo"))
    click(panel.send)
    assert panel.error_text == "error: type a message first"
    with panels_raise(), pytest.raises(MastraError, match="type a message first"):
        click(panel.send)
    assert mastra.storage.list_threads() == []
    with pytest.raises(MastraError, match="ChatPanel takes an Agent or a Mastra"):
        ChatPanel("echo")  # type: ignore[arg-type]


def test_a_mastra_without_agents_says_how_to_add_one_and_refresh_finds_it() -> None:
    with Mastra() as empty:
        with panels_raise():
            panel = ChatPanel(empty)
        assert panel.agent is None and panel.agents.options == () and panel.send.disabled
        assert "no agents yet" in panel.status.value
        click(panel.send)
        assert panel.error_text.startswith("error: there is no agent to chat with")
        empty.add_agent(Agent("echo", "", FunctionModel(echo), memory=Memory()))
        with panels_raise():
            click(panel.refresh)
            assert panel.agent_name == "echo" and not panel.send.disabled
            _send(panel, "hello")
        assert "1 user messages; last: hello" in panel.transcript.value


def test_a_failing_run_shows_its_error_line(mastra: Mastra) -> None:
    async def broken(messages: list[Message], info: AgentInfo) -> Any:
        yield "Let me"
        raise MastraError("the model is down")

    agent = Agent("broken", "", FunctionModel(stream_fn=broken))
    mastra.add_agent(agent)
    panel = ChatPanel(agent)
    _send(panel, "hi")
    assert panel.error_text == "error: the model is down"
    assert "Let me" in panel.transcript.value and not panel.send.disabled
    assert panel.status.value == "broken · the run failed: the model is down"
