"""``%mastra plot KIND …``: one figure, shown as a PNG, with the numbers behind it kept in ``.data``.

Each kind is a subcommand with its own arguments and a function that returns a :class:`PlotView`; a new
kind adds one ``_add_KIND(actions)`` to :data:`_KINDS`. ``decay`` draws each memory message's score
``importance × 0.5^(age / half-life)`` over time against the prune threshold (a message is prunable from
where its line crosses the dashed one); ``workflow`` is the step graph ``%mastra graph`` shows.
"""

from __future__ import annotations

import argparse
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mastra_lab.lab.arguments import format_duration
from mastra_lab.lab.commands.memory import (
    add_decay_options,
    add_memory_option,
    decay_settings,
    find_thread,
    memory_of,
)
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


_KINDS: list[Callable[[Any], None]] = [_add_decay, _add_workflow]
"""Each adds one plot kind's subparser (with ``run=`` its handler)."""


def _arguments(parser: CommandParser) -> None:
    actions = parser.add_subparsers(dest="kind", required=True, metavar="KIND", parser_class=CommandParser)
    for add in _KINDS:
        add(actions)


@command(
    "plot",
    "figures: decay [THREAD] [--half-life 7d] [--min-score S] | workflow WORKFLOW [RUN_ID]",
    arguments=_arguments,
    epilog=_EPILOG,
)
def plot_command(invocation: Invocation, args: argparse.Namespace) -> PlotView:
    result: PlotView = args.run(invocation, args)
    return result
