"""``%mastra memory threads | show | recall | working | prune``: what a Memory holds, recalls and forgets.

The memory is the notebook Mastra's (:meth:`~mastra_lab.Mastra.get_memory`): the one its agents share, the
one of ``--agent NAME``, or, when no agent has one, a memory over the Mastra's storage — the threads live
there, so it shows what any application wrote to the same database. Every subcommand checks what it was
given (the thread exists, the duration and score parse) before it reads or changes anything; ``prune``
without ``--dry-run`` reports what it removed.
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError
from mastra_lab.lab.arguments import argparse_type, format_duration, parse_count, parse_duration, parse_score
from mastra_lab.lab.display import Fields, Table, Text, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    from mastra_lab.memory import Memory, PruneReport, Recall
    from mastra_lab.storage.records import Thread

__all__ = [
    "PruneView",
    "RecallView",
    "add_decay_options",
    "add_memory_option",
    "decay_settings",
    "find_thread",
    "memory_of",
]

_LIST_HINT = "%mastra memory threads lists them"

_EPILOG = """examples:
  %mastra memory threads
  %mastra memory threads --resource ada
  %mastra memory show t1
  %mastra memory show t1 --last 4
  %mastra memory recall t1 "what do I like to eat?"
  %mastra memory working t1
  %%mastra memory working t1        (the cell body is merged into the working memory)
  %mastra memory prune --half-life 7d --min-score 0.2 --keep-last 5 --dry-run
  report = %mastra memory prune --thread t1
  %mastra memory threads --agent support   (when several agents have their own memory)
"""


def add_memory_option(parser: argparse.ArgumentParser) -> None:
    """``--agent NAME``: which agent's memory, when the agents of the Mastra have several."""
    parser.add_argument(
        "--agent", metavar="NAME", help="use this agent's memory (default: the Mastra's only one)"
    )


def memory_of(invocation: Invocation, args: argparse.Namespace) -> Memory:
    """The memory the command works on (see :meth:`~mastra_lab.Mastra.get_memory`)."""
    try:
        return invocation.mastra.get_memory(getattr(args, "agent", None))
    except MastraError as exc:
        agents = ", ".join(invocation.mastra.memories)
        hint = (
            f"pick one with --agent NAME (agents with memory: {agents})"
            if agents
            else "no agent has a memory: leave out --agent to use the one over the Mastra's storage"
        )
        raise usage_error(exc.message, hint) from None


def find_thread(memory: Memory, thread_id: str, where: str) -> Thread:
    """The thread ``thread_id``; an unknown one is a ``UsageError`` with the nearest known ids.

    Args:
        memory: Whose threads.
        thread_id: What was typed.
        where: The command, for the message (``%mastra memory show``).
    """
    try:
        return memory.get_thread(thread_id)
    except MastraError as exc:
        if exc.code != "MEMORY_UNKNOWN_THREAD":
            raise
    known = [t.id for t in memory.list_threads()]
    close = difflib.get_close_matches(thread_id, known, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}? {_LIST_HINT}" if close else _LIST_HINT
    raise usage_error(f"{where}: no thread {thread_id!r} in this memory", hint)


def decay_settings(memory: Memory, args: argparse.Namespace) -> dict[str, Any]:
    """half_life, min_score and keep_last: as given, else the memory's ``auto_prune`` policy, else 7d/0.1/10.

    A memory that prunes itself on save says how it forgets; a prune or a decay plot from the notebook
    then agrees with it unless told otherwise.
    """
    policy = memory.auto_prune
    given = {k: getattr(args, k, None) for k in ("half_life", "min_score", "keep_last")}
    defaults: dict[str, Any] = {"half_life": timedelta(days=7), "min_score": 0.1, "keep_last": 10}
    if policy is not None:
        defaults = {k: getattr(policy, k) for k in defaults}
    return {k: defaults[k] if v is None else v for k, v in given.items()}


def _check_resource(memory: Memory, resource_id: str, where: str) -> None:
    known = memory.list_resources()
    if resource_id in known:
        return
    close = difflib.get_close_matches(resource_id, known, n=3, cutoff=0.5)
    hint = (
        f"did you mean {' or '.join(close)}?"
        if close
        else f"known resources: {', '.join(known) or 'none yet'}"
    )
    raise usage_error(f"{where}: no resource {resource_id!r} has threads in this memory", hint)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# -- arguments ---------------------------------------------------------------------------------------------


def add_decay_options(
    parser: argparse.ArgumentParser,
    min_score_help: str = "messages scoring below this are pruned, in 0..1 (default: auto_prune's, else 0.1)",
) -> None:
    """``--half-life`` and ``--min-score``, shared by ``memory prune`` and ``plot decay``."""
    parser.add_argument(
        "--half-life",
        type=argparse_type(parse_duration),
        metavar="DURATION",
        help="a score halves after this long: 7d, 12h, 1d12h (default: the memory's auto_prune, else 7d)",
    )
    parser.add_argument(
        "--min-score",
        type=argparse_type(parse_score),
        metavar="S",
        help=min_score_help,
    )


def _arguments(parser: CommandParser) -> None:
    actions = parser.add_subparsers(
        dest="action",
        required=True,
        metavar="threads|show|recall|working|prune",
        parser_class=CommandParser,
    )
    threads = actions.add_parser("threads", help="the threads, oldest first, optionally of one resource")
    threads.add_argument("--resource", metavar="R", help="only this resource's (user's) threads")
    threads.set_defaults(run=_threads)

    show = actions.add_parser("show", help="one thread's messages: role, text, tool calls, importance")
    show.add_argument("thread", help="the thread id")
    show.add_argument(
        "--last", type=argparse_type(parse_count), metavar="N", help="only the newest N messages"
    )
    show.set_defaults(run=_show)

    recall = actions.add_parser("recall", help="exactly what memory would add to the prompt for a query")
    recall.add_argument("thread", help="the thread the query is asked in")
    recall.add_argument("query", nargs="*", help="the user's text (quote it, or leave it unquoted)")
    recall.set_defaults(run=_recall)

    working = actions.add_parser("working", help="the working memory a thread sees (a cell body updates it)")
    working.add_argument("thread", help="the thread id")
    working.set_defaults(run=_working)

    prune = actions.add_parser(
        "prune", help="remove messages whose importance × 0.5^(age / half-life) is below --min-score"
    )
    add_decay_options(prune)
    prune.add_argument(
        "--keep-last",
        type=argparse_type(parse_count),
        metavar="N",
        help="never remove a thread's newest N messages (default: auto_prune's, else 10)",
    )
    prune.add_argument("--dry-run", action="store_true", help="only show what would be removed")
    prune.add_argument("--thread", metavar="T", help="only this thread")
    prune.add_argument("--resource", metavar="R", help="only this resource's threads")
    prune.set_defaults(run=_prune)

    for sub in (threads, show, recall, working, prune):
        add_memory_option(sub)


@command(
    "memory",
    "agent memory: threads [--resource R] | show THREAD | recall THREAD QUERY | working THREAD | prune",
    arguments=_arguments,
    cell="optional",
    epilog=_EPILOG,
)
def memory_command(invocation: Invocation, args: argparse.Namespace) -> Any:
    if invocation.cell is not None and args.action != "working":
        raise usage_error(
            f"%%mastra memory {args.action} takes no cell body",
            f"use %mastra memory {args.action} …; only %%mastra memory working THREAD takes one",
        )
    return args.run(invocation, args)


# -- subcommands ------------------------------------------------------------------------------------


def _threads(invocation: Invocation, args: argparse.Namespace) -> Table:
    memory = memory_of(invocation, args)
    if args.resource is not None:
        _check_resource(memory, args.resource, "%mastra memory threads")
    df = memory.threads_df(args.resource)
    limit = invocation.magics.display_limit
    if df.empty:
        title = "no threads yet: an agent with memory saves one per conversation (generate(..., thread_id=))"
    elif args.resource is not None:
        title = f"{_plural(len(df), 'thread')} of resource {args.resource!r} (%mastra memory show THREAD)"
    else:
        resources = sorted(set(df["resource_id"]))
        title = (
            f"{_plural(len(df), 'thread')} of {_plural(len(resources), 'resource')} ({', '.join(resources)})"
        )
    return Table(df, title, limit)


def _show(invocation: Invocation, args: argparse.Namespace) -> Table:
    memory = memory_of(invocation, args)
    thread = find_thread(memory, args.thread, "%mastra memory show")
    df = memory.messages_df(thread.id)
    title = f"thread {thread.id!r} of resource {thread.resource_id!r}"
    title += f" ({thread.title})" if thread.title else ""
    title += f": {_plural(len(df), 'message')}"
    if args.last is not None and args.last < len(df):
        df = df.tail(args.last).reset_index(drop=True)
        title += f", the newest {args.last} shown"
    return Table(df, title, invocation.magics.display_limit)


def _recall(invocation: Invocation, args: argparse.Namespace) -> RecallView:
    query = " ".join(args.query).strip()
    if not query:
        raise usage_error(
            "%mastra memory recall: the query is missing",
            f'write it after the thread: %mastra memory recall {args.thread} "what is my name?"',
        )
    memory = memory_of(invocation, args)
    thread = find_thread(memory, args.thread, "%mastra memory recall")
    return RecallView(memory.recall(thread.id, query), invocation.magics.display_limit)


def _working(invocation: Invocation, args: argparse.Namespace) -> Any:
    memory = memory_of(invocation, args)
    thread = find_thread(memory, args.thread, "%mastra memory working")
    if memory.working_memory is None:
        raise usage_error(
            "this memory has no working memory",
            "turn it on with Memory(working_memory=True) or dict(template=...) / dict(schema=...)",
        )
    body = invocation.cell
    if body is not None:
        if not body.strip():
            raise usage_error(
                "%%mastra memory working: the cell body is empty", "write the lines to merge, e.g. Name: Ada"
            )
        value: Any = body
        if memory.working_memory.schema is not None:
            try:
                value = json.loads(body)
            except json.JSONDecodeError as exc:
                raise usage_error(
                    f"%%mastra memory working: this working memory is structured and the body is not JSON "
                    f"({exc.msg} at line {exc.lineno} column {exc.colno})",
                    'write the fields to change as a JSON object: {"name": "Ada"}',
                ) from None
        merged = memory.update_working_memory(value, thread_id=thread.id)
        return _working_view(merged, f"working memory of {_owner(memory, thread)}, updated")
    stored = memory.get_working_memory(thread_id=thread.id)
    if stored is None:
        return _working_view(
            memory.working_memory.initial(),
            f"no working memory stored for {_owner(memory, thread)} yet; the model starts from this",
        )
    return _working_view(stored, f"working memory of {_owner(memory, thread)}")


def _owner(memory: Memory, thread: Thread) -> str:
    spec = memory.working_memory
    if spec is not None and spec.scope == "thread":
        return f"thread {thread.id!r}"
    return f"resource {thread.resource_id!r} (shared by its threads)"


def _working_view(value: Any, title: str) -> Fields | Text:
    if isinstance(value, dict):
        return Fields(value, title=title)
    text = f"{title}\n{value}"
    return Text(text, f"<div><b>{html.escape(title)}</b></div><pre>{html.escape(str(value))}</pre>")


def _prune(invocation: Invocation, args: argparse.Namespace) -> PruneView:
    memory = memory_of(invocation, args)
    if args.thread is not None:
        find_thread(memory, args.thread, "%mastra memory prune")
    if args.resource is not None:
        _check_resource(memory, args.resource, "%mastra memory prune")
    settings = decay_settings(memory, args)
    report = memory.prune(**settings, dry_run=args.dry_run, thread_id=args.thread, resource_id=args.resource)
    return PruneView(report, settings, invocation.magics.display_limit)


# -- views ------------------------------------------------------------------------------------------


class RecallView:
    """What memory would add to a prompt for one query: the rows added and the system-prompt text.

    Attributes:
        recall: The :class:`~mastra_lab.memory.Recall` itself.
        df: One row per message added (source history/recall/remembered, id, thread, role, text, score).
    """

    def __init__(self, recall: Recall, limit: int = 20) -> None:
        self.recall = recall
        self.limit = limit
        self._df: Any = None

    @property
    def df(self) -> Any:
        if self._df is None:
            self._df = self.recall.to_df()
        return self._df

    def summary(self) -> str:
        """``recall for 'bees' in thread 't2': 2 history messages, 1 hit (1 from other threads)``."""
        r = self.recall
        other = sum(1 for h in r.recalled if h.other_thread)
        hits = _plural(len(r.recalled), "hit") + (f" ({other} from other threads)" if other else "")
        extra = ", a summary" if r.summary else ""
        return (
            f"recall for {r.query!r} in thread {r.thread_id!r}: "
            f"{_plural(len(r.history), 'history message')}, {hits}{extra}"
        )

    def __repr__(self) -> str:
        table = Table(self.df, limit=self.limit)
        system = self.recall.system or "(nothing: no working memory, summary or remembered context)"
        return f"{self.summary()}\n{table!r}\nadded to the system prompt:\n{system}"

    def _repr_html_(self) -> str:
        table = Table(self.df, limit=self.limit)._repr_html_()
        system = self.recall.system or "(nothing: no working memory, summary or remembered context)"
        return (
            f"<div class='mastra-recall'><div><b>{html.escape(self.summary())}</b></div>{table}"
            f"<div><i>added to the system prompt:</i></div><pre>{html.escape(system)}</pre></div>"
        )


class PruneView:
    """A prune's outcome: one line saying what was (or would be) removed, and the removed messages.

    Attributes:
        report: The :class:`~mastra_lab.memory.PruneReport`.
        settings: half_life, min_score and keep_last as used.
        df: The removed messages (``report.to_df()``).
    """

    def __init__(self, report: PruneReport, settings: dict[str, Any], limit: int = 20) -> None:
        self.report = report
        self.settings = settings
        self.limit = limit
        self._df: Any = None

    @property
    def df(self) -> Any:
        if self._df is None:
            self._df = self.report.to_df()
        return self._df

    def summary(self) -> str:
        """``removed 3 of 10 messages (1.2 kB, 3 vectors); half-life 7d, min score 0.1, keep last 10``."""
        r, s = self.report, self.settings
        rule = f"half-life {format_duration(s['half_life'])}, min score {s['min_score']:g}"
        rule += f", keep last {s['keep_last']}"
        size = f"{r.bytes_freed / 1000:.1f} kB" if r.bytes_freed >= 1000 else f"{r.bytes_freed} bytes"
        if r.dry_run:
            head = f"dry run: would remove {r.removed} of {_plural(r.examined, 'message')} ({size})"
            tail = "; nothing was removed" + ("; run without --dry-run to remove them" if r.removed else "")
            return f"{head}; {rule}{tail}"
        return (
            f"removed {r.removed} of {_plural(r.examined, 'message')} ({size}, "
            f"{_plural(r.vectors_removed, 'vector')}); {rule}"
        )

    def __repr__(self) -> str:
        if not self.report.removed:
            return self.summary()
        return f"{self.summary()}\n{Table(self.df, limit=self.limit)!r}"

    def _repr_html_(self) -> str:
        table = Table(self.df, limit=self.limit)._repr_html_() if self.report.removed else ""
        return f"<div class='mastra-prune'><div><b>{html.escape(self.summary())}</b></div>{table}</div>"
