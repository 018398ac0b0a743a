"""A conversation with an agent as it streams: answer text, tool calls with their results, approvals.

The ``%%mastra chat`` cell and the chat panel show the same thing in two places, so both feed the
:class:`~mastra_lab.agent.AgentChunk` s of a run into one :class:`Transcript` and show one of its three
forms: plain text (``repr``, what a test or nbval compares), Markdown (the cell's live display) and HTML
(the panel). A tool call is one line that its result completes when it arrives, so a slow tool shows as
"running" rather than as nothing; calls that wait for a person's decision say so, and — in the cell, where
there are no buttons — say how to decide.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mastra_lab.agent import AgentChunk, AgentResult
    from mastra_lab.llm import Message, ToolCall, ToolResult

__all__ = ["Entry", "Transcript", "call_text", "summary_line", "value_text"]

Status = Literal["running", "done", "error", "pending", "declined"]

_MARKS: dict[str, str] = {"running": "…", "done": "→", "error": "✗", "pending": "…", "declined": "→"}
_LIMIT = 300


def value_text(value: Any, limit: int = _LIMIT) -> str:
    """A tool argument or result as one short line (strings bare, the rest as JSON)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def call_text(call: ToolCall) -> str:
    """``name(key=value, …)`` with each value as JSON: how a call reads in a transcript."""
    arguments = ", ".join(
        f"{k}={json.dumps(v, ensure_ascii=False, default=str)}" for k, v in call.arguments.items()
    )
    return value_text(f"{call.name}({arguments})")


def summary_line(agent: str, result: AgentResult) -> str:
    """``support · stop · 2 steps · 1 tool call · 30 in / 12 out tokens``: what the answer does not say."""
    calls = len(result.tool_calls)
    steps = f"{result.steps} step{'s' if result.steps != 1 else ''}"
    tools = f"{calls} tool call{'s' if calls != 1 else ''}"
    tokens = f"{result.usage.input_tokens} in / {result.usage.output_tokens} out tokens"
    return f"{agent} · {result.finish_reason} · {steps} · {tools} · {tokens}"


@dataclass
class Entry:
    """One line of a transcript: a user turn, a piece of answer text, a tool call, or a note.

    Attributes:
        kind: ``user``, ``text`` (the agent's words), ``tool`` or ``note``.
        text: The words (for a ``tool`` entry, the declined reason or the error, when there is one).
        call: The tool call of a ``tool`` entry.
        result: Its result, once it has arrived.
        status: A ``tool`` entry's state: ``running``, ``done``, ``error``, ``pending`` or ``declined``.
    """

    kind: Literal["user", "text", "tool", "note"]
    text: str = ""
    call: ToolCall | None = None
    result: ToolResult | None = None
    status: Status = "running"

    def outcome(self) -> str:
        """What follows the call: its result, its error, or the state it waits in."""
        if self.status == "pending":
            return f"waiting for approval (call {self.call.id})" if self.call else "waiting for approval"
        if self.status == "declined":
            return f"declined: {self.text}" if self.text else "declined"
        if self.status == "running":
            return "running"
        return value_text(self.result.result) if self.result is not None else self.text


class Transcript:
    """The entries of a conversation, fed from stored messages and from a run's chunks.

    Args:
        agent: The agent's name, for the summary line and the approval commands.
        how_to_approve: Spell out the ``%mastra approve`` commands under pending calls (the panel, which
            has buttons, does not).

    Attributes:
        entries: Everything so far, in order.
        result: The run's :class:`~mastra_lab.agent.AgentResult` once its ``finish`` chunk came.
        error: The error of an ``error`` chunk (the run failed).
        note: A last line of what happened to the display itself (``interrupted: …``).
    """

    def __init__(self, agent: str, *, how_to_approve: bool = True) -> None:
        self.agent = agent
        self.how_to_approve = how_to_approve
        self.entries: list[Entry] = []
        self.result: AgentResult | None = None
        self.error: BaseException | None = None
        self.note: str | None = None
        self._answer: list[str] = []

    # -- feeding ---------------------------------------------------------------------------------------

    @property
    def text(self) -> str:
        """The agent's words of the run being fed (not of the history)."""
        return "".join(self._answer)

    @property
    def pending(self) -> list[ToolCall]:
        """The calls the run stopped for, waiting for approval."""
        return list(self.result.pending) if self.result is not None else []

    def user(self, text: str) -> None:
        """Add a user turn."""
        self.entries.append(Entry("user", text))

    def add_note(self, text: str) -> None:
        """Add a line that is neither the agent's words nor a tool call."""
        self.entries.append(Entry("note", text))

    def add_messages(self, messages: Iterable[Message]) -> None:
        """Add stored turns (a thread's history): user text, agent text, tool calls with their results."""
        for message in messages:
            if message.role == "user" and message.text:
                self.user(message.text)
            elif message.role == "assistant":
                if message.text:
                    self.entries.append(Entry("text", message.text))
                for call in message.tool_calls:
                    self.entries.append(Entry("tool", call=call))
            elif message.role == "tool":
                for result in message.tool_results:
                    self._complete(result)

    def begin(self) -> None:
        """Start feeding another run: the entries stay, the last run's result, error and text go."""
        self.result, self.error, self.note = None, None, None
        self._answer = []

    def decided(
        self, calls: Iterable[ToolCall], approved: Iterable[str], declined: Mapping[str, str]
    ) -> None:
        """Show the decisions a resumed run starts from: approved calls run next, declined ones say why."""
        approved = set(approved)
        for call in calls:
            if call.id in declined:
                entry = self._tool_entry(call)
                entry.status, entry.text = "declined", declined[call.id]
            elif call.id in approved:
                self._tool_entry(call).status = "running"

    def add(self, chunk: AgentChunk) -> None:
        """Take one chunk of a run into the transcript."""
        if chunk.type == "text-delta":
            self._answer.append(chunk.text)
            last = self.entries[-1] if self.entries else None
            if last is not None and last.kind == "text":
                last.text += chunk.text
            else:
                self.entries.append(Entry("text", chunk.text))
        elif chunk.type == "tool-call" and chunk.tool_call is not None:
            self.entries.append(Entry("tool", call=chunk.tool_call))
        elif chunk.type in ("tool-result", "tool-error"):
            if chunk.tool_result is not None:
                self._complete(chunk.tool_result)
            elif chunk.error is not None:
                self.add_note(f"the model's tool call could not be used: {chunk.error}")
        elif chunk.type == "finish" and chunk.result is not None:
            self.result = chunk.result
            for call in chunk.result.pending:
                self._tool_entry(call).status = "pending"
        elif chunk.type == "error":
            self.error = chunk.error

    def _tool_entry(self, call: ToolCall) -> Entry:
        for entry in reversed(self.entries):
            if entry.kind == "tool" and entry.call is not None and entry.call.id == call.id:
                return entry
        entry = Entry("tool", call=call)
        self.entries.append(entry)
        return entry

    def _complete(self, result: ToolResult) -> None:
        for entry in reversed(self.entries):
            if entry.kind == "tool" and entry.call is not None and entry.call.id == result.tool_call_id:
                if entry.status != "declined":
                    entry.result, entry.status = result, "error" if result.is_error else "done"
                return

    # -- forms -----------------------------------------------------------------------------------------

    def status_line(self) -> str:
        """The summary line once the run finished, what went wrong, or ``""`` while it runs."""
        if self.error is not None:
            return f"{self.agent} · the run failed: {self.error}"
        if self.result is None:
            return ""
        return summary_line(self.agent, self.result)

    def approval_lines(self) -> list[str]:
        """What is pending and, when ``how_to_approve``, the commands that decide it."""
        if not self.pending or self.result is None:
            return []
        run = self.result.run_id
        lines = [f"waiting for approval: run {run}"]
        if self.how_to_approve:
            lines += [f"  {c.id}: {call_text(c)}" for c in self.pending]
            lines += [
                f"approve all: %mastra approve {run}",
                f"approve some: %mastra approve {run} CALL_ID ...",
                f'decline: %mastra approve {run} --decline CALL_ID ... --reason "why"',
            ]
        return lines

    def __repr__(self) -> str:
        lines = []
        for entry in self.entries:
            if entry.kind == "user":
                lines.append(f"you: {entry.text}")
            elif entry.kind == "text":
                lines.append(entry.text)
            elif entry.kind == "note":
                lines.append(f"({entry.text})")
            elif entry.call is not None:
                lines.append(f"  {call_text(entry.call)} {_MARKS[entry.status]} {entry.outcome()}")
        lines += self.approval_lines()
        if self.note:
            lines.append(f"({self.note})")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        blocks: list[str] = []
        for entry in self.entries:
            if entry.kind == "user":
                blocks.append(f"**you:** {entry.text}")
            elif entry.kind == "text":
                blocks.append(entry.text)
            elif entry.kind == "note":
                blocks.append(f"*{entry.text}*")
            elif entry.call is not None:
                blocks.append(
                    f"- {_code(call_text(entry.call))} {_MARKS[entry.status]} {_code(entry.outcome())}"
                )
        approval = self.approval_lines()
        if approval:
            head, *rest = approval
            blocks.append(f"**{head}**\n\n" + "\n".join(_labelled(line.strip()) for line in rest))
        if self.note:
            blocks.append(f"*{self.note}*")
        return "\n\n".join(_join_lists(blocks))

    def _repr_html_(self) -> str:
        parts = [_entry_html(e) for e in self.entries]
        approval = self.approval_lines()
        if approval:
            items = "".join(f"<div><code>{html.escape(line.strip())}</code></div>" for line in approval[1:])
            parts.append(f"<div class='mastra-chat-approval'><b>{html.escape(approval[0])}</b>{items}</div>")
        if self.note:
            parts.append(f"<div class='mastra-chat-note'><i>{html.escape(self.note)}</i></div>")
        return f"<div class='mastra-chat'>{''.join(parts)}</div>"


def _code(text: str) -> str:
    return f"`{text.replace('`', chr(39))}`" if text else ""


def _labelled(line: str) -> str:
    """``label: text`` as a list item whose text is code (a call, or a command to copy)."""
    label, _, text = line.partition(": ")
    return f"- {label}: {_code(text)}"


def _join_lists(blocks: list[str]) -> list[str]:
    """Consecutive tool lines as one Markdown list rather than one list per line."""
    joined: list[str] = []
    for block in blocks:
        if joined and block.startswith("- ") and joined[-1].startswith("- "):
            joined[-1] += "\n" + block
        else:
            joined.append(block)
    return joined


_STYLES = {
    "user": "margin:4px 0;font-weight:bold",
    "text": "margin:4px 0;white-space:pre-wrap",
    "note": "margin:4px 0;color:gray;font-style:italic",
    "tool": "margin:2px 0 2px 12px;font-family:monospace;font-size:90%",
}


def _entry_html(entry: Entry) -> str:
    style = _STYLES[entry.kind]
    if entry.kind == "tool" and entry.call is not None:
        body = (
            f"{html.escape(call_text(entry.call))} {_MARKS[entry.status]} "
            f"<span class='mastra-chat-outcome'>{html.escape(entry.outcome())}</span>"
        )
        classes = f"mastra-chat-tool mastra-chat-tool-{entry.status}"
        return (
            f"<div class='{classes}' data-call-id='{html.escape(entry.call.id)}' style='{style}'>{body}</div>"
        )
    text = f"you: {entry.text}" if entry.kind == "user" else entry.text
    return f"<div class='mastra-chat-{entry.kind}' style='{style}'>{html.escape(text)}</div>"
