"""``%mastra traces`` and ``%mastra trace TRACE_ID``: recent traces; one trace as waterfall + span table."""

from __future__ import annotations

import argparse
import html
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError
from mastra_lab.lab.display import FigureDisplay, Table, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["TraceView"]

_LIST_HINT = "%mastra traces lists the recent traces"


class TraceView(FigureDisplay):
    """One trace as a notebook shows it: the waterfall as a PNG above the span table.

    The figure is never registered with pyplot, so it is shown once, by this object, not again by
    matplotlib-inline at the end of the cell.

    Attributes:
        trace_id: The full trace id.
        figure: The :func:`~mastra_lab.telemetry.plots.plot_trace` figure.
        spans: One row per span, in waterfall order (:func:`~mastra_lab.telemetry.traces.trace_spans_df`).
    """

    def __init__(
        self, summary: dict[str, Any], figure: Figure, spans: pd.DataFrame, limit: int = 200
    ) -> None:
        self.trace_id: str = summary["trace_id"]
        self.info = summary
        """trace_id, name, start, duration_ms, span_count, status (:func:`summarize_trace`)."""
        self.figure = figure
        self.spans = spans
        self.limit = limit

    def summary(self) -> str:
        """``trace 3f2a… support.generate: 5 spans, 112.4 ms, error`` — the one-line form."""
        info = self.info
        duration = "still running" if info["duration_ms"] is None else f"{info['duration_ms']:.1f} ms"
        return (
            f"trace {self.trace_id} {info['name']}: {info['span_count']} spans, {duration}, {info['status']}"
        )

    def _table(self) -> Table:
        # Leading blanks are lost (HTML collapses them, to_string right-aligns), so the nesting is drawn:
        # "└ child" under its parent, "· └ grandchild" under that.
        shown = self.spans[["name", "type", "status", "start_ms", "duration_ms", "error", "span_id"]].copy()
        pairs = zip(self.spans["depth"], self.spans["name"], strict=True)
        shown["name"] = [("· " * (d - 1) + "└ " if d else "") + n for d, n in pairs]
        return Table(shown, limit=self.limit)

    def __repr__(self) -> str:
        return f"{self.summary()}\n{self._table()!r}"

    def _repr_html_(self) -> str:
        return (
            f"<div class='mastra-trace'><div><b>{html.escape(self.summary())}</b></div>"
            f"{self._img(f'waterfall of trace {self.trace_id}', 'mastra-trace-waterfall')}"
            f"{self._table()._repr_html_()}</div>"
        )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _traces_arguments(parser: CommandParser) -> None:
    parser.add_argument("--last", type=_positive, metavar="N", help="how many (default: display_limit)")


@command(
    "traces",
    "recent traces, newest first: name, start, duration, span count, status",
    arguments=_traces_arguments,
    epilog="examples:\n  %mastra traces\n  %mastra traces --last 5",
)
def traces_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    from mastra_lab.telemetry.traces import recent_traces_df

    limit = args.last or invocation.magics.display_limit
    df = recent_traces_df(invocation.mastra.storage, limit)
    if df.empty:
        return Table(df, "no traces yet: agents, workflows and m.tracer.span(...) save them here", limit)
    return Table(df, f"{len(df)} most recent traces (%mastra trace ID shows one)", limit)


def _trace_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "trace_id", nargs="?", help="a trace id, or a unique prefix of one (default: the latest trace)"
    )


@command(
    "trace",
    "one trace: a waterfall of its spans and the span table",
    arguments=_trace_arguments,
    epilog="examples:\n  %mastra trace\n  %mastra trace 3f2a9c41\n  view = %mastra trace 3f2a\n  view.spans",
)
def trace_command(invocation: Invocation, args: argparse.Namespace) -> TraceView:
    from mastra_lab.telemetry.plots import plot_trace
    from mastra_lab.telemetry.traces import find_trace, summarize_trace, trace_spans_df

    storage = invocation.mastra.storage
    if args.trace_id is None:
        latest = storage.list_traces(limit=1)
        if not latest:
            raise usage_error("there are no traces in this notebook's storage yet", _LIST_HINT)
        args.trace_id = latest[0]["trace_id"]
    try:
        trace_id = find_trace(storage, args.trace_id)
    except MastraError as exc:
        if exc.code == "TELEMETRY_TRACE_AMBIGUOUS":
            raise usage_error(exc.message, "give more characters of the id") from None
        raise usage_error(f"no trace {args.trace_id!r} in this notebook's storage", _LIST_HINT) from None
    spans = storage.get_trace(trace_id)
    return TraceView(summarize_trace(spans), plot_trace(spans), trace_spans_df(spans))
