"""``%mastra plot KIND …``: one figure, shown as a PNG, with the numbers behind it kept in ``.data``.

Each kind is a subcommand with its own arguments and a function that returns a :class:`PlotView`; a new
kind adds one ``_add_KIND(actions)`` to :data:`_KINDS`. ``decay`` draws each memory message's score
``importance × 0.5^(age / half-life)`` over time against the prune threshold (a message is prunable from
where its line crosses the dashed one); ``workflow`` is the step graph ``%mastra graph`` shows.
``latency``, ``tokens``, ``cost`` and ``errors`` draw the telemetry figures of
:mod:`mastra_lab.telemetry.plots` from the Mastra's spans, with the table behind each in ``.data``; an
empty selection is a figure that says so, not an error.
"""

from __future__ import annotations

import argparse
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mastra_lab.lab.arguments import argparse_type, format_duration, parse_duration
from mastra_lab.lab.commands.memory import (
    add_decay_options,
    add_memory_option,
    decay_settings,
    find_thread,
    memory_of,
)
from mastra_lab.lab.commands.metrics import METRICS_BY, add_since_option, since_phrase
from mastra_lab.lab.display import FigureDisplay, Table
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PlotView"]

_EPILOG = """examples:
  %mastra plot decay
  %mastra plot decay t1 --half-life 3d --min-score 0.2
  view = %mastra plot decay t1
  view.data          (one row per message: importance, age_hours, score)
  %mastra plot workflow orders last
  %mastra plot latency --by tool --since 1h
  %mastra plot tokens --bucket 5m
  %mastra plot cost --by thread
  %mastra plot errors --by agent
"""


class PlotView(FigureDisplay):
    """A figure as a notebook shows it: a title line above the PNG; ``.data`` holds what was drawn.

    The figure is never registered with pyplot, so it is shown once, by this object, not again by
    matplotlib-inline at the end of the cell.

    Attributes:
        kind: The plot kind (``decay``).
        title: One line saying what is drawn.
        figure: The matplotlib figure.
        data: The numbers behind it (a DataFrame), or ``None``.
    """

    def __init__(self, kind: str, title: str, figure: Figure, data: Any = None, limit: int = 20) -> None:
        self.kind = kind
        self.title = title
        self.figure = figure
        self.data = data
        self.limit = limit

    def __repr__(self) -> str:
        if self.data is None:
            return self.title
        return f"{self.title}\n{Table(self.data, limit=self.limit)!r}"

    def _repr_html_(self) -> str:
        return (
            f"<div class='mastra-plot mastra-plot-{self.kind}'><div><b>{html.escape(self.title)}</b></div>"
            f"{self._img(self.title)}</div>"
        )


# -- decay -------------------------------------------------------------------------------------------------


def _add_decay(actions: Any) -> None:
    decay = actions.add_parser("decay", help="each memory message's decay score over time vs --min-score")
    decay.add_argument("thread", nargs="?", help="only this thread (default: every thread)")
    add_decay_options(
        decay, "the prune threshold drawn as a dashed line, in 0..1 (default: auto_prune's, else 0.1)"
    )
    add_memory_option(decay)
    decay.set_defaults(run=_decay)


def _decay(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    from mastra_lab.memory import plot_decay

    memory = memory_of(invocation, args)
    if args.thread is not None:
        find_thread(memory, args.thread, "%mastra plot decay")
    s = decay_settings(memory, args)
    half_life, min_score = s["half_life"], s["min_score"]
    scores = memory.scores_df(thread_id=args.thread, half_life=half_life)
    figure = plot_decay(memory, args.thread, half_life=half_life, min_score=min_score)
    below = int((scores["score"] < min_score).sum())
    where = f"thread {args.thread!r}" if args.thread else "every thread"
    title = (
        f"decay of {len(scores)} message{'' if len(scores) == 1 else 's'} in {where} "
        f"(half-life {format_duration(half_life)}): {below} below min score {min_score:g}"
    )
    return PlotView("decay", title, figure, scores, invocation.magics.display_limit)


# -- workflow ----------------------------------------------------------------------------------------------


def _add_workflow(actions: Any) -> None:
    workflow = actions.add_parser(
        "workflow", help="a workflow's step graph, coloured by a run: the figure of %%mastra graph"
    )
    workflow.add_argument("workflow", help="a registered workflow")
    workflow.add_argument("run_id", nargs="?", metavar="RUN_ID", help="colour the steps by this run ('last')")
    workflow.set_defaults(run=_workflow)


def _workflow(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    """What ``%mastra graph`` shows; its handler is looked up in the registry, so neither module imports the
    other."""
    from mastra_lab.lab.registry import REGISTRY

    view: PlotView = REGISTRY["graph"].handler(invocation, args)
    return view


# -- telemetry ---------------------------------------------------------------------------------------------

_ERRORS_BY = ("type", "model", "agent", "tool", "workflow")
_COST_BY = ("model", "trace", "thread", "resource")


def _add_latency(actions: Any) -> None:
    latency = actions.add_parser("latency", help="latency distribution (box per key) of the requests")
    latency.add_argument("--by", choices=METRICS_BY, default="model", help="a box per model (default), …")
    add_since_option(latency)
    latency.set_defaults(run=_latency)


def _latency(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    from mastra_lab.telemetry.metrics import metrics_df
    from mastra_lab.telemetry.plots import plot_latency

    # Read once, whole (a span inherits its agent, thread … from its ancestors): the figure and table agree.
    spans = invocation.mastra.spans_df(since=args.since)
    figure = plot_latency(spans, by=args.by)
    data = metrics_df(spans, by=args.by).reset_index()
    title = f"latency by {args.by}{since_phrase(args.since)}: {int(data['requests'].sum())} requests"
    return PlotView("latency", title, figure, data, invocation.magics.display_limit)


def _add_tokens(actions: Any) -> None:
    tokens = actions.add_parser("tokens", help="tokens over time stacked by model, with the cost line")
    tokens.add_argument(
        "--bucket", type=argparse_type(parse_duration), metavar="DURATION", help="bar width: 1m, 5m, 1h …"
    )
    add_since_option(tokens)
    tokens.set_defaults(run=_tokens)


def _tokens(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    from mastra_lab.telemetry.metrics import cost_df
    from mastra_lab.telemetry.plots import plot_tokens

    mastra = invocation.mastra
    spans = mastra.spans_df(since=args.since)
    figure = plot_tokens(spans, bucket=args.bucket, prices=mastra.prices)
    data = cost_df(spans, by="model", prices=mastra.prices).reset_index()
    total = int(data["input_tokens"].sum() + data["output_tokens"].sum())
    title = f"tokens by model{since_phrase(args.since)}: {total} tokens in {int(data['calls'].sum())} calls"
    return PlotView("tokens", title, figure, data, invocation.magics.display_limit)


def _add_cost(actions: Any) -> None:
    cost = actions.add_parser("cost", help="cost of the model calls, a bar per model, trace, thread …")
    cost.add_argument("--by", choices=_COST_BY, default="model", help="a bar per model (default), …")
    add_since_option(cost)
    cost.set_defaults(run=_cost)


def _cost(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    from mastra_lab.telemetry.metrics import cost_df
    from mastra_lab.telemetry.plots import plot_cost

    mastra = invocation.mastra
    spans = mastra.spans_df(since=args.since)
    figure = plot_cost(spans, by=args.by, prices=mastra.prices)
    data = cost_df(spans, by=args.by, prices=mastra.prices).reset_index()
    spent = "unknown" if data["cost_usd"].isna().any() else f"${data['cost_usd'].sum():.6f}"
    title = f"cost by {args.by}{since_phrase(args.since)}: {spent}"
    return PlotView("cost", title, figure, data, invocation.magics.display_limit)


def _add_errors(actions: Any) -> None:
    errors = actions.add_parser("errors", help="failed spans per kind, model, agent … stacked by error.type")
    errors.add_argument("--by", choices=_ERRORS_BY, default="type", help="a bar per span type (default), …")
    add_since_option(errors)
    errors.set_defaults(run=_errors)


def _errors(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    from mastra_lab.telemetry.plots import plot_errors

    spans = invocation.mastra.spans_df(since=args.since)  # whole: a failed span inherits its agent …
    figure = plot_errors(spans, by=args.by)
    failed = spans[spans["status"] == "error"]
    data = failed[["trace_id", "name", "type", "error_type"]].reset_index(drop=True)
    data["error"] = [e.get("message") if isinstance(e, dict) else e for e in failed["error"]]
    title = f"errors by {args.by}{since_phrase(args.since)}: {len(data)} failed spans"
    return PlotView("errors", title, figure, data, invocation.magics.display_limit)


_KINDS: list[Callable[[Any], None]] = [
    _add_decay,
    _add_workflow,
    _add_latency,
    _add_tokens,
    _add_cost,
    _add_errors,
]
"""Each adds one plot kind's subparser (with ``run=`` its handler)."""


def _arguments(parser: CommandParser) -> None:
    actions = parser.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=CommandParser)
    for add in _KINDS:
        add(actions)


@command(
    "plot",
    "figures: decay [THREAD] [--half-life 7d] [--min-score S] | workflow WORKFLOW [RUN_ID] "
    "| latency [--by K] | tokens [--bucket 5m] | cost [--by K] | errors [--by K] (all four: --since 1h)",
    arguments=_arguments,
    epilog=_EPILOG,
)
def plot_command(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    result: PlotView = args.run(invocation, args)
    return result
