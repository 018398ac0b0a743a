"""``ChatPanel``: chat with an agent — thread picker, message box, the answer streaming in, approvals.

The panel drives the same library calls as ``%%mastra chat`` and ``%mastra approve``
(:meth:`~mastra_lab.agent.Agent.stream_sync`, :meth:`~mastra_lab.agent.Agent.resume_stream_sync`) and
shows the same :class:`~mastra_lab.lab.transcript.Transcript`, as HTML: each chunk updates the
conversation widget while the run goes on, so the answer grows in place and tool calls appear, then
complete, on their own lines. A run that stops for approval puts one row per pending call under the
conversation, with Approve and Decline buttons; a click resumes the run and streams the rest.

An agent with memory has threads: the picker lists the resource's threads (newest first) and "new
thread"; picking one shows its stored conversation. Widgets carry stable attribute names and CSS classes
(``mastra-chat-panel``, ``mastra-chat-transcript``, ``mastra-chat-approve`` …) for tests and browsers.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.errors import MastraError
from mastra_lab.lab.panels._base import Panel
from mastra_lab.lab.transcript import Transcript, call_text

if TYPE_CHECKING:
    from mastra_lab.agent import Agent, AgentChunk
    from mastra_lab.llm import ToolCall
    from mastra_lab.mastra import Mastra

__all__ = ["NEW_THREAD", "ChatPanel"]

NEW_THREAD = ""
"""The thread picker's value for "start a new thread with the next message"."""


def _thread_label(thread: Any) -> str:
    when = thread.updated_at.strftime("%Y-%m-%d %H:%M")
    return f"{thread.title or thread.id} · {when}"


class ChatPanel(Panel):
    """Chat with one agent (or with any agent of a Mastra, picked from a list).

    Args:
        agent: An :class:`~mastra_lab.agent.Agent`, or a :class:`~mastra_lab.Mastra` whose registered
            agents the panel offers in a picker.
        thread_id: The thread to open (a new one with this id when it does not exist yet).
        resource_id: Whose threads to list; default the thread's own resource, else the agent's name (as
            ``%%mastra chat`` does).

    Attributes:
        agent: The agent being talked to (``None`` while a Mastra given has no agents).
        agents: The agent picker (hidden when the panel was given one agent).
        refresh: Reloads the picker's agents.
        resource: Whose threads are listed (press Enter to reload).
        threads: The thread picker; its value is a thread id, or :data:`NEW_THREAD`.
        transcript: The conversation (HTML), updated in place while a run streams.
        message: The message box; ``send`` sends it.
        approvals: The rows of calls waiting for approval (see :attr:`pending_rows`).
        reason: Told to the agent when a call is declined.
        status: The last run's summary line.
        conversation: The :class:`~mastra_lab.lab.transcript.Transcript` on display.
        thread_id: The thread the next message goes to (``None`` for a new one, or without memory).
    """

    def __init__(
        self, agent: Agent | Mastra, thread_id: str | None = None, resource_id: str | None = None
    ) -> None:
        super().__init__()
        self.add_class("mastra-chat-panel")
        self._mastra, self.agent = _mastra_and_agent(agent)
        self.thread_id: str | None = None
        self.run_id: str | None = None
        self._loading = False
        self.conversation = Transcript(self._name(), how_to_approve=False)
        self.agents = widgets.Dropdown(
            description="agent", options=self._agent_names(), value=self.agent_name
        )
        self.refresh = widgets.Button(description="Refresh", icon="refresh", tooltip="reload the agent list")
        self.agents.layout.display = self.refresh.layout.display = (
            None if self._mastra is not None else "none"
        )
        self.resource = widgets.Text(description="resource", continuous_update=False)
        self.threads = widgets.Dropdown(description="thread", options=[])
        self.transcript = widgets.HTML()
        self.message = widgets.Textarea(
            placeholder="a message to the agent", layout=widgets.Layout(width="100%")
        )
        self.send = widgets.Button(description="Send", button_style="primary", icon="paper-plane")
        self.approvals = widgets.VBox()
        self._rows: list[widgets.HBox] = []
        self._row_calls: list[str] = []
        self.reason = widgets.Text(description="reason", placeholder="why a call is declined (optional)")
        self.reason.layout.display = "none"
        self.status = widgets.HTML()
        self._classes()
        self.agents.observe(self.guard(self._on_agent), names="value")
        self.refresh.on_click(self.guard(lambda _button: self.reload_agents()))
        self.resource.observe(self.guard(lambda _change: self.reload_threads()), names="value")
        self.threads.observe(self.guard(self._on_thread), names="value")
        self.send.on_click(self.guard(lambda _button: self.send_message()))
        self.set_body(
            widgets.HBox([self.agents, self.refresh]),
            widgets.HBox([self.resource, self.threads]),
            self.transcript,
            self.approvals,
            self.reason,
            self.message,
            widgets.HBox([self.send, self.status]),
        )
        self.guard(self._open)(thread_id, resource_id)

    def _classes(self) -> None:
        for widget, name in (
            (self.agents, "agents"),
            (self.refresh, "refresh"),
            (self.resource, "resource"),
            (self.threads, "threads"),
            (self.transcript, "transcript"),
            (self.message, "message"),
            (self.send, "send"),
            (self.approvals, "approvals"),
            (self.reason, "reason"),
            (self.status, "status"),
        ):
            widget.add_class(f"mastra-chat-{name}")

    @property
    def agent_name(self) -> str | None:
        """The name of the agent being talked to (``None`` while the Mastra has none)."""
        return self.agent.name if self.agent is not None else None

    def _name(self) -> str:
        return self.agent.name if self.agent is not None else "agent"

    def _require(self) -> Agent:
        if self.agent is None:
            raise MastraError(
                "there is no agent to chat with; register one with add_agent(agent), then Refresh"
            )
        return self.agent

    def _agent_names(self) -> list[str]:
        if self._mastra is not None:
            return sorted(self._mastra.agents)
        return [self.agent.name] if self.agent is not None else []

    def reload_agents(self) -> None:
        """Read the Mastra's agents again; keep the one picked if it is still registered."""
        if self._mastra is None:
            return
        names = self._agent_names()
        keep = self.agent_name if self.agent_name in names else (names[0] if names else None)
        self._loading = True
        try:
            self.agents.options = names
            self.agents.value = keep
        finally:
            self._loading = False
        if keep != self.agent_name or self.agent is None:
            self.agent = self._mastra.agents[keep] if keep is not None else None
            self._open(None, None)

    # -- threads ---------------------------------------------------------------------------------------

    def _open(self, thread_id: str | None, resource_id: str | None) -> None:
        self.send.disabled = self.agent is None
        if self.agent is None:
            self.resource.layout.display = self.threads.layout.display = "none"
            self._show_conversation([])
            self.status.value = (
                "<i>no agents yet: register one with <code>add_agent(agent)</code>, then press Refresh</i>"
            )
            return
        memory = self.agent.memory
        if memory is None:
            self.resource.layout.display = self.threads.layout.display = "none"
            self._show_conversation([])
            self.status.value = "<i>this agent has no memory: each message stands alone</i>"
            return
        self.resource.layout.display = self.threads.layout.display = None
        self.status.value = ""
        if thread_id is not None and resource_id is None:
            known = {t.id: t for t in memory.list_threads()}
            resource_id = known[thread_id].resource_id if thread_id in known else None
        self._loading = True
        try:
            self.resource.value = resource_id or self.agent.name
        finally:
            self._loading = False
        self.reload_threads(select=thread_id)

    def reload_threads(self, select: str | None = None) -> None:
        """List the resource's threads again, select ``select`` (default: keep the selection), show it."""
        if self.agent is None or self.agent.memory is None or self._loading:
            return
        self._list_threads(select)
        self.show_thread(self.threads.value)

    def _list_threads(self, select: str | None) -> None:
        memory = self._require().memory
        wanted = select if select is not None else self.threads.value
        threads = sorted(memory.list_threads(self.resource.value.strip() or None), key=lambda t: t.updated_at)
        options = [("new thread", NEW_THREAD), *((_thread_label(t), t.id) for t in reversed(threads))]
        ids = [value for _, value in options]
        if wanted and wanted not in ids:  # a thread named up front, created by its first message
            options.insert(1, (f"{wanted} (new)", wanted))
            ids.insert(1, wanted)
        self._loading = True
        try:
            self.threads.options = options
            self.threads.value = wanted if wanted in ids else NEW_THREAD
        finally:
            self._loading = False

    def show_thread(self, thread_id: str) -> None:
        """Show ``thread_id``'s stored conversation (nothing for :data:`NEW_THREAD`)."""
        memory = self._require().memory
        self.thread_id = thread_id or None
        stored = []
        if memory is not None and thread_id and thread_id in {t.id for t in memory.list_threads()}:
            stored = [m.message for m in memory.get_messages(thread_id)]
        self._show_conversation(stored)

    def _show_conversation(self, messages: list[Any]) -> None:
        self.conversation = Transcript(self._name(), how_to_approve=False)
        self.conversation.add_messages(messages)
        self.run_id = None
        self._set_approvals([])
        self._render()

    def _on_thread(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show_thread(change["new"])

    def _on_agent(self, change: dict[str, Any]) -> None:
        if self._mastra is None or self._loading:
            return
        previous = self.agent_name
        self.agent = self._mastra.agents[change["new"]]
        resource = self.resource.value.strip()
        self._open(None, None if resource in ("", previous) else resource)

    # -- running ---------------------------------------------------------------------------------------

    def send_message(self) -> None:
        """Send the message box to the agent and stream the answer into the conversation."""
        agent = self._require()
        text = self.message.value.strip()
        if not text:
            raise MastraError("type a message first")
        resource = None
        if agent.memory is not None:
            resource = self.resource.value.strip() or agent.name
            self.thread_id = self.thread_id or uuid.uuid4().hex
        self.message.value = ""
        self.conversation.user(text)
        self._run(agent.stream_sync(text, self.thread_id, resource))

    def approve(self, call_id: str) -> None:
        """Run the pending call ``call_id`` and stream the rest of the run."""
        self._decide([call_id], {})

    def decline(self, call_id: str) -> None:
        """Decline the pending call ``call_id`` (the agent is told the reason box) and stream the rest."""
        self._decide([], {call_id: self.reason.value.strip() or "declined in the chat panel"})

    def _decide(self, approve: list[str], decline: dict[str, str]) -> None:
        if self.run_id is None:
            raise MastraError("no run is waiting for approval in this panel")
        agent = self._require()
        run_id, pending = self.run_id, agent.pending(self.run_id)
        chunks = agent.resume_stream_sync(run_id, approve, decline)  # checks the ids before any change
        self.conversation.decided(pending, approve, decline)
        self.reason.value = ""
        self._run(chunks)

    def _run(self, chunks: Generator[AgentChunk, None, None]) -> None:
        self.conversation.begin()
        self._set_approvals([])
        self.send.disabled = True
        self.status.value = "<i>running…</i>"
        try:
            for chunk in chunks:
                self.conversation.add(chunk)
                if chunk.type != "step-finish":
                    self._render()
        finally:
            chunks.close()
            self.send.disabled = False
        self._finished()

    def _finished(self) -> None:
        conversation = self.conversation
        self.status.value = html.escape(conversation.status_line())
        self._render()
        if conversation.error is not None:
            raise conversation.error
        result = conversation.result
        if (
            self.agent is not None
            and self.agent.memory is not None
            and result is not None
            and result.thread_id
        ):
            self._list_threads(result.thread_id)  # a new thread now exists; the transcript stays as it is
        self.run_id = result.run_id if result is not None and result.pending else None
        self._set_approvals(conversation.pending)

    # -- view ------------------------------------------------------------------------------------------

    def _render(self) -> None:
        if self.conversation.entries:
            # column-reverse keeps the scroll at the bottom: the newest words stay in view as they stream
            self.transcript.value = (
                "<div style='max-height:520px;overflow-y:auto;display:flex;flex-direction:column-reverse'>"
                f"{self.conversation._repr_html_()}</div>"
            )
        else:
            self.transcript.value = (
                "<i class='mastra-chat-empty'>no messages yet: type one below and press Send</i>"
            )

    @property
    def pending_rows(self) -> list[widgets.HBox]:
        """The rows on show, one per call waiting for approval: ``(label, Approve, Decline)``."""
        return [row for row in self.approvals.children if row.layout.display != "none"]

    def _set_approvals(self, pending: list[ToolCall]) -> None:
        # Rows are reused and hidden, never removed: a box whose child views are still being created in
        # the browser when the child is taken out fails there ("Could not add child view to box").
        while len(self._rows) < len(pending):
            self._add_row()
        self._row_calls = [call.id for call in pending]
        for index, row in enumerate(self._rows):
            if index < len(pending):
                label = f"<code>{html.escape(call_text(pending[index]))}</code> <i>waits for approval</i>"
                row.children[0].value = label
            row.layout.display = None if index < len(pending) else "none"
        self.reason.layout.display = None if pending else "none"

    def _add_row(self) -> None:
        index = len(self._rows)
        approve = widgets.Button(description="Approve", button_style="success", icon="check")
        decline = widgets.Button(description="Decline", button_style="danger", icon="times")
        approve.add_class("mastra-chat-approve")
        decline.add_class("mastra-chat-decline")
        approve.on_click(self.guard(lambda _b: self.approve(self._row_calls[index])))
        decline.on_click(self.guard(lambda _b: self.decline(self._row_calls[index])))
        row = widgets.HBox([widgets.HTML(), approve, decline])
        row.add_class("mastra-chat-pending")
        self._rows.append(row)
        self.approvals.children = (*self.approvals.children, row)


def _mastra_and_agent(given: Any) -> tuple[Mastra | None, Agent | None]:
    from mastra_lab.agent import Agent
    from mastra_lab.mastra import Mastra

    if isinstance(given, Agent):
        return None, given
    if isinstance(given, Mastra):
        agents = given.agents
        return given, agents[sorted(agents)[0]] if agents else None
    raise MastraError(f"ChatPanel takes an Agent or a Mastra, got {given!r:.80}")
