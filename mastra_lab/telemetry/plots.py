"""Plots of telemetry, each returning a matplotlib ``Figure``; matplotlib is imported inside the functions.

The figures are made with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: they need
no GUI backend (they render with Agg wherever they run), pyplot's global list of open figures never holds
them (so matplotlib-inline does not show them a second time at the end of a cell, and nothing leaks when
a panel redraws), and they still show as a PNG when a notebook cell returns one.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import MastraError
from mastra_lab.telemetry.traces import SpanRow, load_trace, trace_layout

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.metrics import CostBy, MetricsBy, Source, TimeArg
    from mastra_lab.telemetry.tracer import Span

__all__ = [
    "ERROR_COLOR",
    "TYPE_COLORS",
    "figure_png",
    "plot_cost",
    "plot_errors",
    "plot_latency",
    "plot_tokens",
    "plot_trace",
]

TYPE_COLORS: dict[str, str] = {
    "agent_run": "#1f77b4",
    "llm_generation": "#ff7f0e",
    "tool_call": "#2ca02c",
    "workflow_run": "#9467bd",
    "workflow_step": "#8c564b",
    "workflow_parallel": "#c5b0d5",
    "workflow_loop": "#c49c94",
    "workflow_sleep": "#dbdb8d",
    "memory_recall": "#e377c2",
    "memory_save": "#f7b6d2",
    "vector_query": "#17becf",
    "vector_upsert": "#9edae5",
    "embedding": "#bcbd22",
    "http_request": "#aec7e8",
    "rag_ingest": "#98df8a",
    "custom": "#7f7f7f",
}
"""Bar colour of each span kind; kinds not listed here (older stored names, custom ones) take
:data:`_EXTRA_COLORS` in order."""

_EXTRA_COLORS = ("#ffbb78", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d")

ERROR_COLOR = "#b00020"
"""Edge, hatch and marker colour of failed spans (no span type uses red)."""


def _colors(rows: Sequence[SpanRow]) -> dict[str, str]:
    types = sorted({r.type for r in rows})
    extra = iter(_EXTRA_COLORS * (len(types) // len(_EXTRA_COLORS) + 1))
    return {t: TYPE_COLORS[t] if t in TYPE_COLORS else next(extra) for t in types}


@functools.cache
def _figure_class() -> type[Figure]:
    from matplotlib.figure import Figure

    class TraceFigure(Figure):
        """A ``Figure`` that renders itself as a PNG when a notebook cell returns it."""

        def _repr_png_(self) -> bytes:
            return figure_png(self)

    return TraceFigure


def figure_png(figure: Figure, dpi: int = 100) -> bytes:
    """``figure`` rendered as PNG bytes (Agg, tight bounding box), for HTML and image widgets.

    Args:
        figure: Any matplotlib figure.
        dpi: Resolution.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def _label(row: SpanRow) -> str:
    prefix = "    " * (row.depth - 1) + "└ " if row.depth else ""
    return f"{prefix}{row.name}{'  (orphan)' if row.orphan else ''}"


def _annotation(row: SpanRow) -> str:
    text = "running" if row.duration_ms is None else f"{row.duration_ms:.1f} ms"
    return f"{text}  ✕ error" if row.status == "error" else text


def _draw_bars(ax: Axes, rows: Sequence[SpanRow], colors: Mapping[str, str], total: float) -> None:
    minimum = total * 0.004 or 0.01  # zero-length spans still get a visible sliver
    for row in rows:
        error = row.status == "error"
        (bar,) = ax.barh(
            row.row,
            max(row.end_ms - row.start_ms, minimum),
            left=row.start_ms,
            height=0.6,
            color=colors[row.type],
            alpha=0.55 if row.running else 0.9,
            edgecolor=ERROR_COLOR if error else "none",
            linewidth=2 if error else 0,
            hatch="//" if error else ("..." if row.running else None),
            linestyle="--" if row.running else "-",
        )
        bar.set_gid(row.span_id)
        bar.set_url(row.status)
        end = row.start_ms + max(row.end_ms - row.start_ms, minimum)
        if error:
            ax.plot([end], [row.row], marker="X", color=ERROR_COLOR, markersize=9, gid=f"error:{row.span_id}")
        if row.running:
            ax.plot([end], [row.row], marker=">", color="#444444", markersize=7, gid=f"running:{row.span_id}")
        ax.annotate(
            _annotation(row),
            (end, row.row),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=ERROR_COLOR if error else "#333333",
        )


def _legend(ax: Axes, rows: Sequence[SpanRow], colors: Mapping[str, str]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=c, label=t) for t, c in colors.items()]
    if any(r.status == "error" for r in rows):
        handles.append(
            Line2D([], [], marker="X", color=ERROR_COLOR, linestyle="none", markersize=8, label="error")
        )
    if any(r.running for r in rows):
        handles.append(
            Line2D([], [], marker=">", color="#444444", linestyle="none", markersize=7, label="running")
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def plot_trace(
    storage_or_spans: Storage | Iterable[Mapping[str, Any] | Span],
    trace_id: str | None = None,
    *,
    ax: Axes | None = None,
) -> Figure:
    """A waterfall of one trace: a bar per span on a shared time axis, nested by depth, coloured by type.

    Rows follow the span tree (each child under its parent, earliest first, indented by depth); bars sit at
    their start time, so work that ran in parallel (``asyncio.gather``) overlaps on the time axis. Failed
    spans get a red hatched edge and an ✕, running ones a dashed bar to the trace's end and a ▸; each bar is
    annotated with its duration.

    Args:
        storage_or_spans: A :class:`~mastra_lab.storage.Storage` (the trace is read with ``get_trace``), or
            the trace's spans as dicts or :class:`~mastra_lab.telemetry.Span` objects.
        trace_id: The trace's id or a unique prefix of it (required with a storage).
        ax: Draw into these axes instead of a new figure.

    Raises:
        MastraError: The trace is unknown or has no spans; the message says how to list traces.

    Example:
        ```python
        from datetime import UTC, datetime, timedelta

        from mastra_lab.telemetry.plots import plot_trace

        t0 = datetime(2026, 1, 1, tzinfo=UTC)
        spans = [
            {"trace_id": "t1", "span_id": "a", "parent_span_id": None, "name": "agent", "type": "agent_run",
             "start": t0, "end": t0 + timedelta(milliseconds=30)},
            {"trace_id": "t1", "span_id": "b", "parent_span_id": "a", "name": "llm", "type": "llm_generation",
             "start": t0 + timedelta(milliseconds=5), "end": t0 + timedelta(milliseconds=25)},
        ]
        figure = plot_trace(spans)
        print(len(figure.axes[0].patches))  # 2
        ```
    """
    spans = load_trace(storage_or_spans, trace_id)
    rows = trace_layout(spans)
    total = max(r.end_ms for r in rows)
    colors = _colors(rows)
    if ax is None:
        figure = _figure_class()(figsize=(10, 1.2 + 0.38 * len(rows)), layout="constrained")
        ax = figure.add_subplot()
    else:
        figure = ax.get_figure(root=True)  # type: ignore[assignment]
    _draw_bars(ax, rows, colors, total)
    ax.set_yticks([r.row for r in rows], [_label(r) for r in rows], fontsize=9)
    for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
        tick.set_horizontalalignment("left")
        if row.status == "error":
            tick.set_color(ERROR_COLOR)
    ax.yaxis.set_tick_params(pad=_label_pad(ax))
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlim(0, total * 1.18 or 1.0)
    ax.set_xlabel("ms from trace start")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    root = rows[0]
    status = "error" if any(r.status == "error" for r in rows) else root.status
    short_id = str(spans[0]["trace_id"])[:12]
    ax.set_title(
        f"{root.name} · trace {short_id} · {total:.1f} ms · {len(rows)} spans · {status}",
        fontsize=10,
        loc="left",
    )
    _legend(ax, rows, colors)
    return figure


def _label_pad(ax: Axes) -> float:
    """The tick pad (points) that makes room for left-aligned labels: the widest label, measured by Agg."""
    from matplotlib.backends.backend_agg import RendererAgg

    figure = ax.get_figure(root=True)
    assert figure is not None
    renderer = RendererAgg(int(figure.bbox.width), int(figure.bbox.height), figure.dpi)  # type: ignore[no-untyped-call]
    widest = max(t.get_window_extent(renderer).width for t in ax.get_yticklabels())
    return 4 + widest * 72 / figure.dpi


# -- metrics plots ---------------------------------------------------------------------------------

_MAX_KEYS = 20
_BUCKETS = ("1s", "5s", "15s", "1min", "5min", "15min", "1h", "6h", "1D", "7D")


def _palette(keys: Sequence[str]) -> dict[str, str]:
    colors = (*TYPE_COLORS.values(), *_EXTRA_COLORS)
    return {k: colors[i % len(colors)] for i, k in enumerate(keys)}


def _selection(what: str, since: TimeArg) -> str:
    return f"{what} since {since}" if since is not None else what


def _empty(message: str) -> Figure:
    """A figure that says why there is nothing to draw, instead of an error in the user's cell."""
    figure = _figure_class()(figsize=(8, 2.2), layout="constrained")
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.set_title(message, fontsize=10, loc="left")
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="#555555")
    return figure


def _new_axes(width: float, height: float) -> tuple[Figure, Axes]:
    figure = _figure_class()(figsize=(width, height), layout="constrained")
    return figure, figure.add_subplot()


def plot_latency(source: Source, *, by: MetricsBy = "model", since: TimeArg = None) -> Figure:
    """Latency distribution per model, agent, tool or workflow: a horizontal box plot, busiest key on top.

    Each box spans the 25th to 75th percentile of the key's request durations (see
    :func:`~mastra_lab.telemetry.metrics.metrics_df` for what counts as a request), the line is the median,
    whiskers reach 1.5 IQR and dots are outliers; the label carries the request count and p95. At most 20
    keys are drawn.

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from ``spans_df``.
        by: ``"model"``, ``"agent"``, ``"tool"`` or ``"workflow"``.
        since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
    """
    from mastra_lab.telemetry.metrics import _calls_by, _check_choice, metrics_df, spans_df

    _check_choice(by, "by", ["model", "agent", "tool", "workflow"])
    spans = spans_df(source, since=since)
    calls = _calls_by(spans, by)
    calls = calls[calls["duration_ms"].notna()]
    if calls.empty:
        return _empty(f"no spans match: {_selection(f'finished {by} requests', since)}")
    table = metrics_df(spans, by=by).loc[lambda t: t.index.isin(calls[by])].head(_MAX_KEYS)
    keys = [str(k) for k in table.index]
    groups = calls.groupby(by)["duration_ms"]
    data = [groups.get_group(k).to_numpy() for k in table.index]
    figure, ax = _new_axes(9, 1.4 + 0.42 * len(keys))
    result = ax.boxplot(data, orientation="horizontal", patch_artist=True, widths=0.6)
    for box, median, key, color in zip(
        result["boxes"], result["medians"], keys, _palette(keys).values(), strict=True
    ):
        box.set_facecolor(color)
        box.set_alpha(0.8)
        box.set_gid(key)
        median.set_gid(f"median:{key}")
    counts, p95 = table["requests"], table["p95_ms"]
    labels = [f"{k}  (n={int(n)}, p95 {p:.0f} ms)" for k, n, p in zip(keys, counts, p95, strict=True)]
    ax.set_yticks(range(1, len(keys) + 1), labels, fontsize=9)
    ax.set_ylim(len(keys) + 0.5, 0.5)
    ax.set_xlabel("duration (ms)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"latency by {by} · {len(calls)} requests", fontsize=10, loc="left")
    return figure


def _bucket(value: str | timedelta | None, start: pd.Timestamp, end: pd.Timestamp) -> pd.Timedelta:
    import pandas as pd

    if value is None:
        span = end - start
        return next((pd.Timedelta(b) for b in _BUCKETS if span / pd.Timedelta(b) <= 40), pd.Timedelta("7D"))
    try:
        bucket = pd.Timedelta(value)
    except ValueError:
        bucket = pd.Timedelta(0)
    if bucket <= pd.Timedelta(0):
        raise MastraError(
            f"bucket={value!r} is not a time bucket; pass a timedelta or a string such as '1min', '15min', "
            "'1h' or '1D'",
            code="TELEMETRY_BAD_ARGUMENT",
            domain="telemetry",
        )
    return bucket


def plot_tokens(
    source: Source,
    *,
    since: TimeArg = None,
    bucket: str | timedelta | None = None,
    prices: Mapping[str, Any] | None = None,
) -> Figure:
    """Tokens over time, stacked by model, with cost on a second axis.

    A bar per time bucket and model (input plus output tokens of its ``llm_generation`` spans), stacked so
    the bar's height is the bucket's total; the line is the bucket's cost in USD (broken where a model has
    no price, since the cost is then unknown).

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from ``spans_df``.
        since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
        bucket: Bucket width (``"1min"``, ``"1h"``, a timedelta); by default about 40 buckets or fewer.
        prices: Model prices merged over the default table.
    """
    from mastra_lab.telemetry.metrics import _sum_or_unknown, spans_df

    spans = spans_df(source, since=since, type="llm_generation", prices=prices)
    if spans.empty:
        return _empty(f"no spans match: {_selection('model calls', since)}")
    width = _bucket(bucket, spans["start"].min(), spans["start"].max())
    spans = spans.assign(
        bucket=spans["start"].dt.floor(width),
        tokens=spans["input_tokens"].fillna(0) + spans["output_tokens"].fillna(0),
        model=spans["model"].fillna("(unknown model)"),
    )
    tokens = spans.pivot_table(index="bucket", columns="model", values="tokens", aggfunc="sum", fill_value=0)
    order = tokens.sum().sort_values(ascending=False).index
    tokens = tokens[order]
    cost = _sum_or_unknown(spans, "bucket", "cost_usd").reindex(tokens.index)
    figure, ax = _new_axes(10, 4.2)
    x = tokens.index.tz_localize(None).to_pydatetime()
    bottom = None
    for model, color in _palette(list(order)).items():
        ax.bar(
            x,
            tokens[model],
            width / timedelta(days=1),
            bottom=bottom,
            align="edge",
            color=color,
            label=str(model),
            gid=str(model),
        )
        bottom = tokens[model] if bottom is None else bottom + tokens[model]
    ax.set_ylabel("tokens (input + output)")
    ax.set_xlabel("time (UTC)")
    twin = ax.twinx()
    centers = (tokens.index + width / 2).tz_localize(None).to_pydatetime()
    twin.plot(
        centers, cost.to_numpy(dtype=float), color="#222222", marker="o", label="cost (USD)", gid="cost"
    )
    twin.set_ylabel("cost (USD)")
    twin.set_ylim(bottom=0)
    known = cost.notna().all()
    spent = f"${cost.sum():.4f}" if known else "cost unknown for unpriced models"
    title = f"tokens per {_human(width)} by model · {int(tokens.to_numpy().sum())} tokens · {spent}"
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.08, 1.0), fontsize=8, frameon=False)
    figure.autofmt_xdate()
    return figure


def _human(width: pd.Timedelta) -> str:
    seconds = width.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


_ERROR_KEYS = ("type", "model", "agent", "tool", "workflow")


def plot_errors(source: Source, *, by: str = "type", since: TimeArg = None) -> Figure:
    """Failed spans per span kind, model, agent, tool or workflow: horizontal bars stacked by ``error.type``.

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from ``spans_df``.
        by: ``"type"`` (the span kind), ``"model"``, ``"agent"``, ``"tool"`` or ``"workflow"``.
        since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
    """
    from mastra_lab.telemetry.metrics import _check_choice, spans_df

    _check_choice(by, "by", _ERROR_KEYS)
    failed = spans_df(source, since=since, status="error")
    failed = failed[failed[by].notna()]
    if failed.empty:
        return _empty(f"no spans match: {_selection(f'failed spans with a {by}', since)}")
    failed = failed.assign(error_type=failed["error_type"].fillna("error"))
    counts = failed.groupby([by, "error_type"]).size().unstack(fill_value=0)
    counts = counts.loc[counts.sum(axis=1).sort_values(ascending=False).index[:_MAX_KEYS]]
    counts = counts[counts.sum().sort_values(ascending=False).index]
    figure, ax = _new_axes(9, 1.4 + 0.42 * len(counts))
    rows = range(len(counts))
    left = None
    for kind, color in _palette(list(counts.columns)).items():
        ax.barh(rows, counts[kind], left=left, height=0.6, color=color, label=str(kind), gid=str(kind))
        left = counts[kind] if left is None else left + counts[kind]
    ax.set_yticks(list(rows), [str(k) for k in counts.index], fontsize=9)
    ax.set_ylim(len(counts) - 0.5, -0.5)
    ax.set_xlabel("failed spans")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"errors by {by} · {len(failed)} failed spans", fontsize=10, loc="left")
    ax.legend(title="error.type", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return figure


def plot_cost(
    source: Source,
    *,
    by: CostBy = "model",
    since: TimeArg = None,
    prices: Mapping[str, Any] | None = None,
) -> Figure:
    """Cost per model, trace, thread or resource (:func:`~mastra_lab.telemetry.metrics.cost_df`): a bar
    each, most expensive on top; keys whose calls include an unpriced model are labelled "unknown".

    Args:
        source: A :class:`~mastra_lab.storage.Storage` or a DataFrame from ``spans_df``.
        by: ``"model"``, ``"trace"``, ``"thread"`` or ``"resource"``.
        since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
        prices: Model prices merged over the default table.
    """
    from mastra_lab.telemetry.metrics import cost_df

    table = cost_df(source, by=by, since=since, prices=prices).head(_MAX_KEYS)
    if table.empty:
        return _empty(f"no spans match: {_selection(f'model calls with a {by}', since)}")
    figure, ax = _new_axes(9, 1.4 + 0.42 * len(table))
    rows = list(range(len(table)))
    bars = ax.barh(rows, table["cost_usd"].fillna(0), height=0.6, color=_palette(["cost"])["cost"])
    for bar, key, cost in zip(bars, table.index, table["cost_usd"], strict=True):
        bar.set_gid(str(key))
        text = "unknown" if cost != cost else f"${cost:.4f}"
        ax.annotate(
            text,
            (bar.get_width(), bar.get_y() + 0.3),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(rows, [str(k)[:40] for k in table.index], fontsize=9)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel("cost (USD)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"cost by {by} · {int(table['calls'].sum())} model calls", fontsize=10, loc="left")
    return figure
