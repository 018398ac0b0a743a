"""``%mastra agents``, ``%%mastra chat AGENT`` and ``%mastra approve RUN_ID``: talk to a registered agent.

``chat`` streams the way ``ask`` does: the answer grows in one display updated in place, with each tool
call on its own line that its result completes. The cell's result is a :class:`ChatTurn`, shown as one
summary line (the answer is already on screen). An agent with memory remembers across cells: without
``--thread`` the cells of a notebook continue one conversation per agent and resource (``--new`` starts
another), so the notebook reads like a chat; ``--thread`` names a stored thread.

A run that stops because a tool needs a person's approval shows the pending calls and the commands that
decide them. ``%mastra approve RUN_ID`` approves every pending call, ``%mastra approve RUN_ID CALL_ID …``
some, and ``--decline CALL_ID … --reason …`` declines (``last`` stands for the latest run that waits); the
resumed run streams like a chat. The run state
is in the Mastra's storage, so this works after a kernel restart too.
"""

from __future__ import annotations

import argparse
import difflib
import html
import uuid
import weakref
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError
from mastra_lab.lab.display import Fields, LiveDisplay, Table, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command
from mastra_lab.lab.transcript import Transcript, call_text, summary_line

if TYPE_CHECKING:
    from mastra_lab.agent import Agent, AgentChunk, AgentResult
    from mastra_lab.llm import ToolCall
    from mastra_lab.mastra import Mastra

__all__ = ["ChatTurn"]

_REGISTER_HINT = (
    "register one with current_mastra().add_agent(agent), or Mastra(agents=[...]) and %mastra init m"
)

_SESSION_THREADS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
"""agent → {resource: thread id}: the conversation that ``chat`` without ``--thread`` continues."""

_LAST_WAITING: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
"""magics → the run id of the latest chat or approve that ended waiting for approval (``approve last``)."""


@dataclass
class ChatTurn:
    """What ``%%mastra chat`` and ``%mastra approve`` return once the stream has ended (also in ``_``).

    Its display is one line (agent, finish reason, steps, tool calls, tokens, thread); the answer itself
    was shown by the live display above it.

    Attributes:
        agent: The agent's name.
        text: The answer: the agent's last text, as in ``AgentResult.text`` (what had arrived, when
            interrupted).
        transcript: What the live display showed (``repr`` for its plain-text form).
        result: The run's result (``None`` when the stream was interrupted before the end).
        thread_id: The memory thread, if any.
        resource_id: The thread's resource (user), if any.
        interrupted: Ctrl-C stopped the stream.
    """

    agent: str
    text: str
    transcript: Transcript
    result: AgentResult | None
    thread_id: str | None = None
    resource_id: str | None = None
    interrupted: bool = False

    @property
    def run_id(self) -> str | None:
        """The run (``%mastra approve RUN_ID`` continues it when calls are pending)."""
        return self.result.run_id if self.result is not None else None

    @property
    def pending(self) -> list[ToolCall]:
        """Tool calls waiting for approval."""
        return list(self.result.pending) if self.result is not None else []

    @property
    def finish_reason(self) -> str:
        """``stop``, ``approval``, ``max_steps`` … or ``interrupted``."""
        if self.interrupted or self.result is None:
            return "interrupted"
        return self.result.finish_reason

    def footer(self) -> str:
        """``support · stop · 2 steps · 1 tool call · 30 in / 12 out tokens · thread T``."""
        done = self.result
        line = f"{self.agent} · interrupted" if done is None else summary_line(self.agent, done)
        if self.pending:
            line += f" · {len(self.pending)} call(s) waiting: %mastra approve {self.run_id}"
        return line + (f" · thread {self.thread_id}" if self.thread_id else "")

    def __repr__(self) -> str:
        return self.footer()

    def _repr_html_(self) -> str:
        return f"<div class='mastra-chat-footer' style='color:gray'>{html.escape(self.footer())}</div>"


# -- agents -----------------------------------------------------------------------------------------------


def _agents_arguments(parser: CommandParser) -> None:
    parser.add_argument("name", nargs="?", help="one agent: its model, tools, memory and waiting runs")


@command(
    "agents",
    "the registered agents (name, model, tools, memory), or one agent: agents [NAME]",
    arguments=_agents_arguments,
)
def agents_command(invocation: Invocation, args: argparse.Namespace) -> Table | Fields:
    mastra = invocation.mastra
    if args.name is not None:
        return _describe(_agent(mastra, args.name, "agents"))
    df = mastra.agents_df()
    title = f"{len(df)} agents" if len(df) else f"no agents yet; {_REGISTER_HINT}"
    return Table(df, title=title, limit=invocation.magics.display_limit)


def _describe(agent: Agent) -> Fields:
    info = agent.describe()
    runs = agent.runs_df()
    waiting = list(runs.loc[runs["pending"] > 0, "run_id"])
    values = {
        **info,
        "tools": ", ".join(info["tools"]) or "none",
        "memory": info["memory"] or "none",
        "runs": len(runs),
        "waiting for approval": ", ".join(waiting) or "none",
    }
    return Fields(values, title=f"agent {agent.name}")


def _agent(mastra: Mastra, name: str, where: str) -> Agent:
    """The registered agent ``name``; a "did you mean" ``UsageError`` otherwise."""
    agents = mastra.agents
    if name in agents:
        found: Agent = agents[name]
        return found
    close = difflib.get_close_matches(name, agents, n=1)
    if close:
        hint = f"did you mean {close[0]}?"
    elif agents:
        hint = f"the agents are: {', '.join(sorted(agents))}"
    else:
        hint = _REGISTER_HINT
    raise usage_error(f"%mastra {where}: no agent named {name!r} in this notebook's Mastra", hint)


# -- chat -------------------------------------------------------------------------------------------------


def _chat_arguments(parser: CommandParser) -> None:
    parser.add_argument("agent", help="a registered agent (%%mastra agents lists them)")
    parser.add_argument("--thread", help="a memory thread to continue (created when --resource is given)")
    parser.add_argument("--resource", help="whose thread it is (a user id); default: the agent's name")
    parser.add_argument("--new", action="store_true", help="start a new thread instead of continuing")
    parser.add_argument("--max-steps", type=int, help="model requests this run may make")


@command(
    "chat",
    "chat with an agent; the cell body is the message: %%mastra chat AGENT [--thread T] [--resource R]",
    arguments=_chat_arguments,
    traced=True,
    cell="optional",  # so that the line form answers --help; without a body it says how to write the cell
    epilog=(
        "examples:\n  %%mastra chat support\n  Where is my order A-1001?\n\n"
        "  %%mastra chat support --thread t1 --resource alice\n  And my refund?\n\n"
        "A run that waits for approval shows the %mastra approve commands that continue it."
    ),
)
def chat_command(invocation: Invocation, args: argparse.Namespace) -> ChatTurn:
    if invocation.cell is None or not invocation.cell.strip():
        what = "is empty" if invocation.cell is not None else "is the cell body"
        raise usage_error(
            f"%%mastra chat needs a message, and the message {what}",
            f"write %%mastra chat {args.agent} on the first line of a cell and the message below it",
        )
    agent = _agent(invocation.mastra, args.agent, "chat")
    if args.max_steps is not None and args.max_steps < 1:
        raise usage_error(f"--max-steps {args.max_steps} must be at least 1", "drop it or give 1 or more")
    thread_id, resource_id = _thread(agent, args)
    transcript = Transcript(agent.name)
    chunks = agent.stream_sync(invocation.cell.strip(), thread_id, resource_id, max_steps=args.max_steps)
    interrupted = _show(chunks, transcript)
    _remember_waiting(invocation, transcript)
    return ChatTurn(
        agent.name, _answer(transcript), transcript, transcript.result, thread_id, resource_id, interrupted
    )


def _thread(agent: Agent, args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The thread and resource this chat uses; every mistake is raised before the run starts."""
    memory = agent.memory
    if memory is None:
        if args.thread or args.resource or args.new:
            raise usage_error(
                f"agent {agent.name!r} has no memory, so it keeps no threads",
                "give it memory=Memory(), or drop --thread/--resource/--new",
            )
        return None, None
    if args.thread is not None:
        if args.new:
            raise usage_error("--new starts a thread and --thread continues one", "give one of them")
        return _named_thread(agent, args.thread, args.resource)
    resource = args.resource or agent.name
    session = _SESSION_THREADS.setdefault(agent, {})
    if args.new or resource not in session:
        session[resource] = uuid.uuid4().hex
    return session[resource], resource


def _named_thread(agent: Agent, thread_id: str, resource: str | None) -> tuple[str, str | None]:
    try:
        thread = agent.memory.get_thread(thread_id)
    except MastraError as exc:
        if exc.code != "MEMORY_UNKNOWN_THREAD":
            raise
        if resource is None:
            raise usage_error(
                f"%%mastra chat: unknown thread {thread_id!r}",
                "add --resource USER to start it; %mastra memory threads lists the threads",
            ) from None
        _SESSION_THREADS.setdefault(agent, {})[resource] = thread_id
        return thread_id, resource
    if resource is not None and thread.resource_id != resource:
        raise usage_error(
            f"%%mastra chat: thread {thread_id!r} belongs to resource {thread.resource_id!r}, "
            f"not {resource!r}",
            f"use --resource {thread.resource_id}, or another thread",
        )
    _SESSION_THREADS.setdefault(agent, {})[thread.resource_id] = thread.id
    return thread.id, thread.resource_id


def _show(chunks: Generator[AgentChunk, None, None], transcript: Transcript) -> bool:
    """Stream ``chunks`` into one display; Ctrl-C stops and keeps what came. Returns whether it was stopped.

    A failed run (an ``error`` chunk) is shown up to where it failed and then raised.
    """
    live = LiveDisplay(lambda _text: _CellView(transcript))
    interrupted = False
    try:
        for chunk in chunks:
            transcript.add(chunk)
            if chunk.type != "step-finish":
                live.show(repr(transcript))
    except KeyboardInterrupt:
        interrupted = True
        transcript.note = f"interrupted: kept the {len(transcript.text)} characters that had arrived"
    finally:
        chunks.close()
    if transcript.error is not None:
        transcript.note = "the run failed here; the error is below"
    if transcript.note is not None or not live.updates:
        live.show(repr(transcript))
    if transcript.error is not None:
        raise transcript.error
    return interrupted


class _CellView:
    """The live display's content: the transcript as Markdown (the answer is Markdown) and plain text."""

    def __init__(self, transcript: Transcript) -> None:
        self.transcript = transcript

    def __repr__(self) -> str:
        return repr(self.transcript)

    def _repr_markdown_(self) -> str:
        return self.transcript._repr_markdown_()


# -- approve ----------------------------------------------------------------------------------------------


def _approve_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "run_id", help="the run waiting for approval (the chat output shows it), or 'last' for the latest"
    )
    parser.add_argument("calls", nargs="*", metavar="CALL_ID", help="calls to approve (default: all pending)")
    parser.add_argument(
        "--decline", nargs="+", action="extend", default=[], metavar="CALL_ID", help="calls not to run"
    )
    parser.add_argument("--reason", help="why the calls are declined (the agent is told)")


@command(
    "approve",
    "decide the tool calls a run waits for, and stream the rest of it: approve RUN_ID [CALL_ID ...] "
    "[--decline CALL_ID ...] [--reason R]",
    arguments=_approve_arguments,
    traced=True,
    epilog=(
        "examples:\n  %mastra approve 3f2a…            approve every pending call\n"
        "  %mastra approve last             the same, for the latest chat that waits\n"
        "  %mastra approve 3f2a… call_1     approve one (the others keep waiting)\n"
        '  %mastra approve 3f2a… --decline call_1 --reason "not that file"'
    ),
)
def approve_command(invocation: Invocation, args: argparse.Namespace) -> ChatTurn:
    if args.run_id == "last":
        args.run_id = _last_waiting(invocation)
    agent, pending = _run_owner(invocation.mastra, args.run_id)
    approve, decline = _decisions(args, pending)
    transcript = Transcript(agent.name)
    transcript.add_note(_decision_note(args.run_id, pending, approve, decline))
    transcript.decided(pending, approve, decline)
    chunks = agent.resume_stream_sync(args.run_id, approve, decline)
    interrupted = _show(chunks, transcript)
    _remember_waiting(invocation, transcript)
    result = transcript.result
    thread, resource = (result.thread_id, result.resource_id) if result is not None else (None, None)
    return ChatTurn(agent.name, _answer(transcript), transcript, result, thread, resource, interrupted)


def _answer(transcript: Transcript) -> str:
    """The run's answer (its last text, as ``AgentResult.text``), or what had arrived when interrupted."""
    return transcript.result.text if transcript.result is not None else transcript.text


def _remember_waiting(invocation: Invocation, transcript: Transcript) -> None:
    if transcript.result is not None and transcript.pending:
        _LAST_WAITING[invocation.magics] = transcript.result.run_id
    elif transcript.result is not None and _LAST_WAITING.get(invocation.magics) == transcript.result.run_id:
        del _LAST_WAITING[invocation.magics]


def _last_waiting(invocation: Invocation) -> str:
    run_id = _LAST_WAITING.get(invocation.magics)
    if run_id is None:
        raise usage_error(
            "%mastra approve last: no chat of this notebook is waiting for approval",
            "a %%mastra chat whose tool calls need approval shows its run id",
        )
    return run_id


def _run_owner(mastra: Mastra, run_id: str) -> tuple[Agent, list[ToolCall]]:
    """The registered agent whose run ``run_id`` is, and the calls the run waits for (at least one)."""
    for agent in mastra.agents.values():
        try:
            pending: list[ToolCall] = agent.pending(run_id)
        except MastraError as exc:
            if exc.code == "AGENT_UNKNOWN_RUN":
                continue
            raise
        if not pending:
            raise usage_error(
                f"%mastra approve: run {run_id!r} of agent {agent.name!r} has no tool call waiting "
                "for approval",
                f"it has finished or was resumed already; %mastra agents {agent.name} lists its waiting runs",
            )
        return agent, pending
    raise usage_error(
        f"%mastra approve: no agent of this notebook's Mastra has a run {run_id!r}",
        "copy the run id from the chat output that asked for approval; "
        "%mastra agents NAME lists the runs waiting",
    )


def _decisions(args: argparse.Namespace, pending: list[ToolCall]) -> tuple[list[str], dict[str, str]]:
    ids = [c.id for c in pending]
    unknown = [i for i in [*args.calls, *args.decline] if i not in ids]
    if unknown:
        listed = ", ".join(f"{c.id} ({call_text(c)})" for c in pending)
        raise usage_error(
            f"%mastra approve: call {unknown[0]!r} is not pending in run {args.run_id!r}; pending: {listed}",
            "copy the call ids from the chat output",
        )
    both = sorted(set(args.calls) & set(args.decline))
    if both:
        raise usage_error(f"%mastra approve: call {both[0]!r} is both approved and declined", "choose one")
    if args.reason is not None and not args.decline:
        raise usage_error(
            "%mastra approve: --reason goes with --decline", "add --decline CALL_ID, or drop --reason"
        )
    approve = list(args.calls) or [i for i in ids if i not in args.decline]
    reason = args.reason or "no reason given"
    return approve, {i: reason for i in args.decline}


def _decision_note(run_id: str, pending: list[ToolCall], approve: list[str], decline: dict[str, str]) -> str:
    waiting = [c.id for c in pending if c.id not in approve and c.id not in decline]
    parts = [f"resumed run {run_id}"]
    parts += [f"approved {', '.join(approve)}"] if approve else []
    parts += [f"declined {', '.join(decline)}"] if decline else []
    parts += [f"still waiting: {', '.join(waiting)}"] if waiting else []
    return "; ".join(parts)
