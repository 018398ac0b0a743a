"""``%mastra traces`` and ``%mastra trace TRACE_ID``: recent traces; one trace as waterfall + span table.

``traces`` is :meth:`Mastra.traces_df <mastra_lab.Mastra.traces_df>` with its filters as options (agent,
status, minimum duration, time window). ``trace`` shows one trace: the waterfall, the span table with each
span's attributes, what went in and came out of the spans (when content capture was on) and the log
records written inside them. :class:`CellTraces` is the one-line-per-trace summary that
``%config MastraMagics.show_traces = True`` puts under chat, ask and run cells.
"""

from __future__ import annotations

import argparse
import html
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError
from mastra_lab.lab.commands.metrics import add_since_option, flushed_storage, since_phrase
from mastra_lab.lab.display import FigureDisplay, Table, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from mastra_lab.mastra import Mastra
    from mastra_lab.storage import Storage

__all__ = ["CellTraces", "TraceView", "cell_traces"]

_LIST_HINT = "%mastra traces lists the recent traces"
_RECENT = 5
_STATUSES = ("ok", "error", "running")


def _short(value: Any, width: int = 80) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _attributes_text(attributes: Any, width: int = 100) -> str:
    """``gen_ai.agent.name=support · gen_ai.usage.input_tokens=30``: the attributes on one line.

    ``gen_ai.operation.name`` is left out (the span's type says it); the full dict stays in ``.spans``.
    """
    if not isinstance(attributes, dict):
        return ""
    parts = [f"{k}={_short(v, 40)}" for k, v in attributes.items() if k != "gen_ai.operation.name"]
    return _short(" · ".join(parts), width)


class TraceView(FigureDisplay):
    """One trace as a notebook shows it: the waterfall as a PNG above the span table, then the spans'
    input and output (when captured) and the trace's log records.

    The figure is never registered with pyplot, so it is shown once, by this object, not again by
    matplotlib-inline at the end of the cell.

    Attributes:
        trace_id: The full trace id.
        figure: The :func:`~mastra_lab.telemetry.plots.plot_trace` figure.
        spans: One row per span, in waterfall order (:func:`~mastra_lab.telemetry.traces.trace_spans_df`),
            with the ``attributes`` dict and the span's ``input`` and ``output`` (``None`` unless captured).
        logs: The log records written inside the trace's spans
            (:meth:`Mastra.logs_df <mastra_lab.Mastra.logs_df>`).
    """

    def __init__(
        self,
        summary: dict[str, Any],
        figure: Figure,
        spans: pd.DataFrame,
        logs: pd.DataFrame | None = None,
        limit: int = 200,
    ) -> None:
        import pandas as pd

        self.trace_id: str = summary["trace_id"]
        self.info = summary
        """trace_id, name, start, duration_ms, span_count, status (:func:`summarize_trace`)."""
        self.figure = figure
        self.spans = spans
        self.logs = logs if logs is not None else pd.DataFrame(columns=["time", "level", "message"])
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
        shown["attributes"] = [_attributes_text(a) for a in self.spans["attributes"]]
        return Table(shown, limit=self.limit)

    def _content(self) -> Table | None:
        """The spans that carry an input or an output, or ``None`` when none does (capture was off)."""
        has = self.spans["input"].notna() | self.spans["output"].notna()
        if not has.any():
            return None
        rows = self.spans[has]
        shown = rows[["name"]].assign(
            input=[_short(v) for v in rows["input"]], output=[_short(v) for v in rows["output"]]
        )
        return Table(shown, "input and output", self.limit)

    def _logs(self) -> Table | None:
        if self.logs.empty:
            return None
        shown = self.logs[[c for c in ("time", "level", "logger", "span", "message") if c in self.logs]]
        return Table(shown, f"{len(self.logs)} log records", self.limit)

    def _parts(self) -> list[Table]:
        return [t for t in (self._table(), self._content(), self._logs()) if t is not None]

    def __repr__(self) -> str:
        return "\n\n".join([self.summary(), *(repr(t) for t in self._parts())])

    def _repr_html_(self) -> str:
        tables = "".join(t._repr_html_() for t in self._parts())
        return (
            f"<div class='mastra-trace'><div><b>{html.escape(self.summary())}</b></div>"
            f"{self._img(f'waterfall of trace {self.trace_id}', 'mastra-trace-waterfall')}{tables}</div>"
        )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected milliseconds (a number such as 250), got {text!r}"
        ) from None
    if not value >= 0:  # also NaN
        raise argparse.ArgumentTypeError(f"expected 0 or more milliseconds, got {text!r}")
    return value


def _traces_arguments(parser: CommandParser) -> None:
    parser.add_argument("--agent", metavar="NAME", help="only traces in which this agent ran")
    parser.add_argument(
        "--status", choices=_STATUSES, help="only traces that are ok, failed or still running"
    )
    parser.add_argument(
        "--min-ms", type=_milliseconds, metavar="N", help="only traces that took N ms or more"
    )
    add_since_option(parser)
    parser.add_argument(
        "--limit",
        "--last",
        dest="limit",
        type=_positive,
        metavar="N",
        help="how many (default: display_limit)",
    )


def _filters(args: argparse.Namespace) -> str:
    parts = [f"agent {args.agent}"] if args.agent else []
    parts += [f"status {args.status}"] if args.status else []
    parts += [f"at least {args.min_ms:g} ms"] if args.min_ms is not None else []
    return ", ".join(parts)


@command(
    "traces",
    "recent traces, newest first, with duration, spans, tokens, cost and status: traces [--agent A] "
    "[--status ok|error] [--min-ms N] [--since 1h] [--limit N]",
    arguments=_traces_arguments,
    epilog=(
        "examples:\n  %mastra traces\n  %mastra traces --limit 5\n"
        "  %mastra traces --status error --since 1h\n  %mastra traces --agent support --min-ms 500"
    ),
)
def traces_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    limit = args.limit or invocation.magics.display_limit
    df = invocation.mastra.traces_df(
        since=args.since, agent=args.agent, status=args.status, min_ms=args.min_ms, limit=limit
    )
    filters, when = _filters(args), since_phrase(args.since)
    if df.empty and not filters and not when:
        return Table(df, "no traces yet: agents, workflows and m.tracer.span(...) save them here", limit)
    if df.empty:
        return Table(df, f"no traces match ({filters or 'any'}){when}; drop a filter to see more", limit)
    which = f" with {filters}" if filters else ""
    return Table(df, f"{len(df)} most recent traces{which}{when} (%mastra trace ID shows one)", limit)


def _trace_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "trace_id", nargs="?", help="a trace id, or a unique prefix of one (default: the latest trace)"
    )


def _unknown(storage: Storage, trace_id: str) -> Exception:
    recent = storage.list_traces(limit=_RECENT)
    if not recent:
        return usage_error(f"no trace {trace_id!r}: this notebook's storage has no traces yet", _LIST_HINT)
    listed = ", ".join(f"{t['trace_id']} ({t['name']})" for t in recent)
    return usage_error(
        f"no trace {trace_id!r} in this notebook's storage; the latest are: {listed}", _LIST_HINT
    )


@command(
    "trace",
    "one trace: a waterfall of its spans, the span table with attributes, input/output and its logs",
    arguments=_trace_arguments,
    epilog=(
        "examples:\n  %mastra trace\n  %mastra trace 3f2a9c41\n  view = %mastra trace 3f2a\n"
        "  view.spans        (one row per span: attributes, input, output)\n"
        "  view.logs         (its log records)"
    ),
)
def trace_command(invocation: Invocation, args: argparse.Namespace) -> TraceView:
    import pandas as pd

    from mastra_lab.telemetry.plots import plot_trace
    from mastra_lab.telemetry.traces import find_trace, summarize_trace, trace_spans_df

    mastra = invocation.mastra
    storage = flushed_storage(mastra)
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
        raise _unknown(storage, args.trace_id) from None
    spans = storage.get_trace(trace_id)
    table = trace_spans_df(spans)
    content = {str(s["span_id"]): (s.get("input"), s.get("output")) for s in spans}
    for n, column in enumerate(("input", "output")):  # object columns: None stays None, dicts stay dicts
        values = [content[i][n] for i in table["span_id"]]
        table[column] = pd.Series(values, index=table.index, dtype=object)
    logs = mastra.logs_df(trace_id=trace_id)
    return TraceView(summarize_trace(spans), plot_trace(spans), table, logs)


# -- the summary under a cell ------------------------------------------------------------------------------


class CellTraces:
    """The traces one cell produced, a line each: root, duration, spans, tokens, cost, status.

    The lines are written when the object is made, so showing it cannot fail.

    Attributes:
        df: The :meth:`Mastra.traces_df <mastra_lab.Mastra.traces_df>` rows, oldest first.
    """

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._lines = self._format()

    def lines(self) -> list[str]:
        """``trace 3f2a9c41 · invoke_agent support · 112.4 ms · 5 spans · 30→12 tokens · $0.000042 · ok``."""
        return list(self._lines)

    def _format(self) -> list[str]:
        out = []
        for row in self.df.to_dict("records"):  # a cell makes a handful of traces, not thousands
            duration = (
                "running" if row["duration_ms"] != row["duration_ms"] else f"{row['duration_ms']:.1f} ms"
            )
            cost = "cost unknown" if row["cost_usd"] != row["cost_usd"] else f"${row['cost_usd']:.6f}"
            error = row["error"]
            status = f"{row['status']}: {_short(error, 60)}" if isinstance(error, str) else row["status"]
            out.append(
                f"trace {row['trace_id']} · {row['root']} · {duration} · {row['spans']} spans · "
                f"{row['input_tokens']}→{row['output_tokens']} tokens · {cost} · {status}"
            )
        return out or ["no trace recorded in this cell"]

    def __repr__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        lines = "".join(f"<div>{html.escape(line)}</div>" for line in self.lines())
        return f"<div class='mastra-cell-traces' style='color:gray;font-size:smaller'>{lines}</div>"


def cell_traces(mastra: Mastra, since: datetime) -> CellTraces:
    """The traces that started at or after ``since`` (when the cell began), oldest first.

    Args:
        mastra: The notebook's Mastra.
        since: When the cell started (UTC).
    """
    df = mastra.traces_df(since=since, limit=None)
    df = df[df["start"] >= since].sort_values("start", kind="stable").reset_index(drop=True)
    return CellTraces(df)
