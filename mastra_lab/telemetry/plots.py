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
from typing import TYPE_CHECKING, Any

from mastra_lab.telemetry.traces import SpanRow, load_trace, trace_layout

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.tracer import Span

__all__ = ["ERROR_COLOR", "TYPE_COLORS", "figure_png", "plot_trace"]

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
