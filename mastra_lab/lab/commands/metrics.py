"""``%mastra metrics`` and ``%mastra cost``: the numbers behind the traces, a table each.

``metrics`` is one row per model, agent, tool or workflow — requests, errors, latency percentiles, tokens,
time to first token and cost (:meth:`Mastra.metrics_df <mastra_lab.Mastra.metrics_df>`); ``cost`` is what
the model calls cost per trace, thread, resource or model. Both read the Mastra's storage after its tracer
has written what it holds, so the cell that just ran is counted.

``--since`` reads the way every workbench duration does (``30m``, ``1h``, ``7d``, ``1d12h``); the other
telemetry commands (``traces``, ``plot latency`` …) take the same option from :func:`add_since_option`.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from mastra_lab.lab.arguments import argparse_type, format_duration, parse_duration
from mastra_lab.lab.display import Table
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import Storage

__all__ = ["METRICS_BY", "add_since_option", "flushed_storage", "since_phrase"]

METRICS_BY = ("model", "agent", "tool", "workflow")
"""What ``metrics --by`` and ``plot latency --by`` group by."""

_COST_BY = ("trace", "thread", "resource", "model")


def add_since_option(parser: argparse.ArgumentParser) -> None:
    """``--since DURATION``: only spans that started within this long before now."""
    parser.add_argument(
        "--since",
        type=argparse_type(parse_duration),
        metavar="DURATION",
        help="only what started within this long before now: 30m, 1h, 7d, 1d12h (default: everything)",
    )


def since_phrase(since: timedelta | None) -> str:
    """`` in the last 1h`` for a ``--since``, else nothing: the end of a table's title."""
    return f" in the last {format_duration(since)}" if since is not None else ""


def flushed_storage(mastra: Mastra) -> Storage:
    """The Mastra's storage after its tracer has written what it holds, so the cell that just ran is there."""
    flush = getattr(mastra.tracer, "flush", None)
    if callable(flush):
        flush()
    return mastra.storage


def _metrics_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--by",
        choices=METRICS_BY,
        default="model",
        help="one row per model (default), agent, tool or workflow",
    )
    add_since_option(parser)


@command(
    "metrics",
    "requests, errors, latency p50/p95/p99, tokens and cost: metrics [--by model|agent|tool|workflow] "
    "[--since 1h]",
    arguments=_metrics_arguments,
    epilog=(
        "examples:\n  %mastra metrics\n  %mastra metrics --by agent --since 1h\n"
        "  table = %mastra metrics --by tool\n  table.df          (the whole frame, one row per tool)"
    ),
)
def metrics_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    df = invocation.mastra.metrics_df(by=args.by, since=args.since).reset_index()
    when = since_phrase(args.since)
    if df.empty:
        title = f"no {args.by} requests{when or ' yet'}: run an agent or a workflow, then look again"
    else:
        title = f"{len(df)} {args.by}{'' if len(df) == 1 else 's'}{when}, busiest first"
    return Table(df, title, invocation.magics.display_limit)


def _cost_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--by",
        choices=_COST_BY,
        default="trace",
        help="one row per trace (default), thread, resource or model",
    )
    add_since_option(parser)


@command(
    "cost",
    "what the model calls cost: cost [--by trace|thread|resource|model] [--since 1h]",
    arguments=_cost_arguments,
    epilog=(
        "examples:\n  %mastra cost\n  %mastra cost --by thread --since 1d\n\n"
        "A model with no price has cost NaN (unknown): set Mastra(prices={...}) or m.prices[...]."
    ),
)
def cost_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    df = invocation.mastra.cost_df(by=args.by, since=args.since).reset_index()
    when = since_phrase(args.since)
    if df.empty:
        title = f"no model calls with a {args.by}{when or ' yet'}"
    else:
        total = df["cost_usd"].sum(min_count=1)
        spent = "unknown (a model has no price)" if df["cost_usd"].isna().any() else f"${total:.6f}"
        title = f"cost of {int(df['calls'].sum())} model calls by {args.by}{when}: {spent}"
    return Table(df, title, invocation.magics.display_limit)
