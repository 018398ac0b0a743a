"""``TelemetryPanel``: filter a Mastra's traces, read one as a waterfall and span by span, see the metrics.

Filters (time range, agent, model, status) → the matching traces, newest first, each with its duration,
span count, status, tokens, cost and first error → for the selected trace, its waterfall
(:func:`~mastra_lab.telemetry.plots.plot_trace`), the span table and a span picker → for the picked span,
its attributes, its input and output (when content capture was on) and the log lines written inside it.
The **metrics** tab shows latency and token plots and the metrics table for the traces the filters match.

The panel reads spans once per refresh (:func:`~mastra_lab.telemetry.metrics.spans_df`) and derives the
filter choices, the trace rows and the metrics from that one frame, so the table and the plots always
describe the same traces. The pure helpers (:func:`filter_spans`, :func:`trace_label`,
:func:`span_detail_html`) carry the logic and are tested without a browser. Widgets carry CSS classes
``mastra-telemetry-<part>`` for tests and browsers.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.lab.panels._base import Panel

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from mastra_lab.mastra import Mastra
    from mastra_lab.telemetry.traces import SpanRow

__all__ = [
    "ALL",
    "TIME_RANGES",
    "TelemetryPanel",
    "choices",
    "filter_spans",
    "span_detail_html",
    "span_label",
    "trace_label",
]

ALL = ""
"""A filter's value for "no restriction"."""

TIME_RANGES: list[tuple[str, str]] = [
    ("all time", ALL),
    ("last 15 min", "15m"),
    ("last 1 h", "1h"),
    ("last 24 h", "24h"),
    ("last 7 d", "7d"),
]
"""The time-range choices: label → the ``since`` passed to ``spans_df`` (:data:`ALL`: no bound)."""

_STATUSES = [("all", ALL), ("ok", "ok"), ("error", "error"), ("running", "running")]
_BY = ["model", "agent", "tool", "workflow"]
_CELL = "style='text-align:left;vertical-align:top;padding:2px 8px'"
_EMPTY = "no traces yet: agents, workflows and m.tracer.span(...) save them to this Mastra's storage"
_NOT_CAPTURED = (
    "<i>not captured</i> (content capture is off by default; <code>capture_content=True</code> in the "
    "telemetry settings records prompts, completions and tool arguments)"
)


# -- pure helpers ------------------------------------------------------------------------------------------


def filter_spans(spans: pd.DataFrame, *, agent: str | None = None, model: str | None = None) -> pd.DataFrame:
    """The spans of the traces in which ``agent`` ran and ``model`` was called, whole traces kept.

    A trace counts for an agent (a model) when any of its spans carries it, so its tool calls and storage
    spans stay with it and the waterfall is never cut.

    Args:
        spans: A frame from :func:`~mastra_lab.telemetry.metrics.spans_df`.
        agent: Keep only traces with a span of this agent (``None``: any).
        model: Keep only traces with a span of this model (``None``: any).
    """
    keep = spans
    for column, value in (("agent", agent), ("model", model)):
        if value is not None:
            keep = keep[keep["trace_id"].isin(keep.loc[keep[column] == value, "trace_id"])]
    return keep


def choices(spans: pd.DataFrame, column: str) -> list[str]:
    """The distinct values of ``column`` (agent, model …) in ``spans``, sorted: a filter's options."""
    return sorted(str(v) for v in spans[column].dropna().unique())


def _number(value: Any) -> float | None:
    """``value`` as a float, ``None`` for missing values (``None``, ``NaN``, ``NaT``)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


def _cost(value: Any) -> str:
    cost = _number(value)
    if cost is None:
        return "cost ?"
    return "$0" if cost == 0 else f"${cost:.3g}"


def trace_label(row: Mapping[str, Any]) -> str:
    """One trace as a line of the list: root · duration · spans · status · tokens · cost · id · error.

    Args:
        row: A row of :func:`~mastra_lab.telemetry.metrics.traces_df` (as a dict).
    """
    duration = _number(row.get("duration_ms"))
    tokens = sum(_number(row.get(c)) or 0 for c in ("input_tokens", "output_tokens"))
    parts = [
        str(row.get("root") or "(no root span)"),
        "running" if duration is None else f"{duration:.1f} ms",
        f"{int(_number(row.get('spans')) or 0)} spans",
        str(row.get("status")),
        f"{int(tokens)} tokens",
        _cost(row.get("cost_usd")),
        str(row.get("trace_id"))[:8],
    ]
    error = row.get("error")
    if isinstance(error, str) and error:
        parts.append(error if len(error) <= 80 else error[:79] + "…")
    return " · ".join(parts)


def span_label(row: SpanRow) -> str:
    """One span as a line of the span picker: indented by depth, with its kind, duration and status."""
    duration = "running" if row.duration_ms is None else f"{row.duration_ms:.1f} ms"
    indent = "· " * max(row.depth - 1, 0) + ("└ " if row.depth else "")
    return f"{indent}{row.name} · {row.type} · {duration} · {row.status}"


def _json(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=1, ensure_ascii=False, default=str)
    return f"<pre style='margin:0;white-space:pre-wrap'>{html.escape(text)}</pre>"


def _fields(rows: list[tuple[str, str]], css: str) -> str:
    body = "".join(f"<tr><th {_CELL}>{html.escape(k)}</th><td {_CELL}>{v}</td></tr>" for k, v in rows)
    return f"<table class='{css}'>{body}</table>"


def _when(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return html.escape(value)
    return value.strftime("%H:%M:%S.%f")[:-3] if isinstance(value, datetime) else ""


def _error_text(error: Any) -> str:
    if isinstance(error, Mapping):
        kind = error.get("code") or error.get("type")
        message = error.get("message")
        return ": ".join(str(p) for p in (kind, message) if p)
    return "" if error is None else str(error)


def _events_html(events: list[dict[str, Any]]) -> str:
    if not events:
        return "<i>no log events in this span</i>"
    head = "".join(f"<th {_CELL}>{h}</th>" for h in ("time", "level", "logger", "message"))
    rows = []
    for event in events:
        attributes = event.get("attributes") or {}
        if event.get("name") == "log":
            level, logger = attributes.get("level", ""), attributes.get("logger", "")
            message = attributes.get("message", "")
        else:
            level, logger = "", event.get("name", "")
            message = json.dumps(attributes, ensure_ascii=False, default=str) if attributes else ""
        cells = [_when(event.get("time")), html.escape(str(level)), html.escape(str(logger))]
        cells.append(html.escape(str(message)))
        rows.append("<tr>" + "".join(f"<td {_CELL}>{c}</td>" for c in cells) + "</tr>")
    return f"<table class='mastra-telemetry-logs'><thead><tr>{head}</tr></thead>{''.join(rows)}</table>"


def span_detail_html(span: Mapping[str, Any], row: SpanRow | None = None) -> str:
    """One span in full: its facts, attributes, input and output ("not captured" when absent), log events.

    Args:
        span: The span as :meth:`~mastra_lab.storage.Storage.get_trace` returns it.
        row: Where it sits in its trace (:func:`~mastra_lab.telemetry.traces.trace_layout`), for the
            offset from the trace start.
    """
    facts = [
        ("span", f"<b>{html.escape(str(span.get('name', '')))}</b>"),
        ("kind", html.escape(str(span.get("type") or "custom"))),
        ("status", f"<b class='mastra-telemetry-span-status'>{html.escape(str(span.get('status')))}</b>"),
    ]
    if row is not None:
        duration = "running" if row.duration_ms is None else f"{row.duration_ms:.1f} ms"
        facts.append(("duration", f"{duration}, from {row.start_ms:.1f} ms after the trace start"))
    facts.append(("started", _when(span.get("start"))))
    facts.append(("span id", f"<code>{html.escape(str(span.get('span_id')))}</code>"))
    if span.get("parent_span_id"):
        facts.append(("parent", f"<code>{html.escape(str(span['parent_span_id']))}</code>"))
    if span.get("error"):
        error = html.escape(_error_text(span["error"]))
        facts.append(("error", f"<span style='color:#b00020'>{error}</span>"))
    attributes = span.get("attributes") or {}
    attribute_rows = [(str(k), _json(attributes[k])) for k in sorted(attributes)]
    content = [
        (what, _NOT_CAPTURED if span.get(what) is None else _json(span.get(what)))
        for what in ("input", "output")
    ]
    parts = [
        _fields(facts, "mastra-telemetry-span-fields"),
        "<div><b>attributes</b></div>",
        _fields(attribute_rows, "mastra-telemetry-attributes") if attribute_rows else "<i>no attributes</i>",
        _fields(content, "mastra-telemetry-content"),
        "<div><b>logs</b></div>",
        _events_html(list(span.get("events") or [])),
    ]
    return "".join(parts)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _spans_table_html(summary: dict[str, Any], spans: Any) -> str:
    shown = spans[["name", "type", "status", "start_ms", "duration_ms", "error"]].copy()
    pairs = zip(spans["depth"], spans["name"], strict=True)
    shown["name"] = [("· " * (d - 1) + "└ " if d else "") + n for d, n in pairs]
    shown["error"] = shown["error"].map(_cell)
    duration = "running" if summary["duration_ms"] is None else f"{summary['duration_ms']:.1f} ms"
    title = (
        f"{summary['name']} · trace {summary['trace_id']} · {summary['span_count']} spans · {duration} · "
        f"{summary['status']}"
    )
    table: str = shown.to_html(index=False, escape=True, classes="mastra-trace-spans", na_rep="")
    return f"<div><b>{html.escape(title)}</b></div>{table}"


def _frame_html(frame: pd.DataFrame, css: str) -> str:
    shown = frame.reset_index()
    table: str = shown.to_html(index=False, escape=True, classes=css, na_rep="", float_format="{:.4g}".format)
    return table


# -- the panel ---------------------------------------------------------------------------------------------


class TelemetryPanel(Panel):
    """A Mastra's traces, filtered; one as a waterfall with span details; latency and token metrics.

    Args:
        mastra: Whose storage the spans are read from (and whose ``prices`` cost them).
        limit: How many of the matching traces to list (the newest).

    Attributes:
        since, agent, model, status: The filters (time range, agent, model, status); changing one
            reads the spans again and lists what matches. The agent and model choices come from the
            spans in the time range.
        refresh: Reads the spans again, keeping the filters and the selection where they still apply.
        count: How many traces match, or why there are none.
        traces: The matching traces, newest first (a ``Select``; its value is the trace id).
        matched: The matching traces as a :func:`~mastra_lab.telemetry.metrics.traces_df` frame (all of
            them, not only the listed ``limit``).
        waterfall: The selected trace's waterfall (PNG); :attr:`figure` is the matplotlib figure.
        detail: The selected trace's summary line and span table (HTML).
        spans: The selected trace's spans in tree order (a ``Select``; its value is the span id).
        span_detail: The picked span's facts, attributes, input/output and log events (HTML).
        tabs: The **traces** and **metrics** tabs; the metrics are drawn when their tab is shown.
        by, metrics_table, latency, tokens: The metrics tab: the grouping, the metrics table, and the
            latency and token plots for the matching traces.
        shown: The id of the trace on display, or ``None``.
    """

    def __init__(self, mastra: Mastra, *, limit: int = 50) -> None:
        super().__init__()
        self.add_class("mastra-telemetry-panel")
        self.add_class("mastra-traces-panel")
        self.mastra = mastra
        self.limit = limit
        self.shown: str | None = None
        self.figure: Figure | None = None
        self.matched: pd.DataFrame | None = None
        self._spans: pd.DataFrame | None = None
        self._trace: dict[str, dict[str, Any]] = {}
        self._rows: dict[str, SpanRow] = {}
        self._metrics_stale = True
        self._loading = False
        self._build()
        self.guard(self.reload)()

    def _build(self) -> None:
        self.since = widgets.Dropdown(description="time", options=TIME_RANGES, value=ALL)
        self.agent = widgets.Dropdown(description="agent", options=[("all", ALL)], value=ALL)
        self.model = widgets.Dropdown(description="model", options=[("all", ALL)], value=ALL)
        self.status = widgets.Dropdown(description="status", options=_STATUSES, value=ALL)
        self.refresh = widgets.Button(description="Refresh", icon="refresh", tooltip="read the spans again")
        self.count = widgets.HTML()
        self.traces = widgets.Select(options=[], rows=8, layout=widgets.Layout(width="100%"))
        self.waterfall = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.detail = widgets.HTML()
        self.spans = widgets.Select(
            description="span", options=[], rows=6, layout=widgets.Layout(width="100%")
        )
        self.span_detail = widgets.HTML()
        self.by = widgets.Dropdown(description="by", options=_BY, value="model")
        self.metrics_table = widgets.HTML()
        self.latency = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.tokens = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        for widget, name in (
            (self.since, "since"),
            (self.agent, "agent"),
            (self.model, "model"),
            (self.status, "status"),
            (self.refresh, "refresh"),
            (self.count, "count"),
            (self.traces, "traces"),
            (self.waterfall, "waterfall"),
            (self.detail, "detail"),
            (self.spans, "spans"),
            (self.span_detail, "span-detail"),
            (self.by, "by"),
            (self.metrics_table, "metrics-table"),
            (self.latency, "latency"),
            (self.tokens, "tokens"),
        ):
            widget.add_class(f"mastra-telemetry-{name}")
        traces_tab = widgets.VBox([self.traces, self.waterfall, self.detail, self.spans, self.span_detail])
        metrics_tab = widgets.VBox([self.by, self.metrics_table, self.latency, self.tokens])
        self.tabs = widgets.Tab(children=[traces_tab, metrics_tab])
        self.tabs.titles = ("traces", "metrics")
        self.tabs.add_class("mastra-telemetry-tabs")
        for filter_ in (self.since, self.agent, self.model, self.status):
            filter_.observe(self.guard(self._on_filter), names="value")
        self.refresh.on_click(self.guard(lambda _button: self.reload()))
        self.traces.observe(self.guard(self._on_trace), names="value")
        self.spans.observe(self.guard(self._on_span), names="value")
        self.by.observe(self.guard(lambda _change: self.draw_metrics()), names="value")
        self.tabs.observe(self.guard(self._on_tab), names="selected_index")
        self.set_body(
            widgets.HBox([self.since, self.status, self.refresh]),
            widgets.HBox([self.agent, self.model]),
            self.count,
            self.tabs,
        )

    # -- loading ---------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the spans of the time range again (after the tracer has written what it holds) and list
        the traces the filters match.

        The selection is kept while that trace still matches; otherwise the newest is shown.
        """
        spans = self.mastra.spans_df(since=self.since.value or None)  # writes pending spans first
        self._spans = spans
        self._loading = True
        try:
            self._set_choices(self.agent, choices(spans, "agent"))
            self._set_choices(self.model, choices(spans, "model"))
        finally:
            self._loading = False
        self._list()

    def _set_choices(self, dropdown: widgets.Dropdown, values: list[str]) -> None:
        keep = dropdown.value
        dropdown.options = [("all", ALL), *((v, v) for v in values)]
        dropdown.value = keep if keep in values else ALL

    def _list(self) -> None:
        from mastra_lab.telemetry.metrics import traces_df

        assert self._spans is not None
        spans = filter_spans(self._spans, agent=self.agent.value or None, model=self.model.value or None)
        matched = traces_df(spans, status=self.status.value or None, limit=None, prices=self.mastra.prices)
        self.matched = matched
        listed = matched.head(self.limit)
        ids = [str(t) for t in listed["trace_id"]]
        keep = self.traces.value
        self._loading = True
        try:
            self.traces.options = [(trace_label(r), str(r["trace_id"])) for r in listed.to_dict("records")]
            self.traces.value = keep if keep in ids else (ids[0] if ids else None)
        finally:
            self._loading = False
        self.count.value = self._count_html(len(matched), len(ids))
        self._metrics_stale = True
        if self.tabs.selected_index == 1:
            self.draw_metrics()
        self.show(self.traces.value)

    def _count_html(self, matched: int, listed: int) -> str:
        if matched:
            more = f", the newest {listed} listed" if listed < matched else ""
            return f"{matched} traces{more}"
        if self._spans is not None and self._spans.empty and not self.since.value:
            return html.escape(_EMPTY)
        picked = [
            f"{name} {widget.label}"
            for name, widget in (
                ("time:", self.since),
                ("agent", self.agent),
                ("model", self.model),
                ("status", self.status),
            )
            if widget.value
        ]
        return "<i>no traces match " + html.escape(", ".join(picked)) + ": widen the filters</i>"

    # -- the selected trace ----------------------------------------------------------------------------

    def show(self, trace_id: str | None) -> None:
        """Draw ``trace_id``'s waterfall, span table and span picker (nothing, for ``None``)."""
        from mastra_lab.telemetry.plots import figure_png, plot_trace
        from mastra_lab.telemetry.traces import find_trace, summarize_trace, trace_layout, trace_spans_df

        if trace_id is None:
            self.shown, self.figure = None, None
            self.waterfall.value, self.waterfall.layout.display = b"", "none"
            self.detail.value = ""
            self._set_spans([], {})
            return
        storage = self.mastra.storage
        spans = storage.get_trace(find_trace(storage, trace_id))
        self.figure = plot_trace(spans)
        self.waterfall.value = figure_png(self.figure)
        self.waterfall.layout.display = None
        self.detail.value = _spans_table_html(summarize_trace(spans), trace_spans_df(spans))
        self._trace = {str(s["span_id"]): s for s in spans}
        self._set_spans(trace_layout(spans), self._trace)
        self.shown = trace_id

    def _set_spans(self, rows: list[SpanRow], by_id: dict[str, dict[str, Any]]) -> None:
        self._rows = {r.span_id: r for r in rows}
        self._trace = by_id
        failed = [r.span_id for r in rows if r.status == "error"]
        first = failed[0] if failed else (rows[0].span_id if rows else None)
        self._loading = True
        try:
            self.spans.options = [(span_label(r), r.span_id) for r in rows]
            self.spans.value = first
        finally:
            self._loading = False
        self.show_span(first)

    def show_span(self, span_id: str | None) -> None:
        """Show span ``span_id`` of the trace on display in full (the first failed span is picked first)."""
        span = self._trace.get(span_id) if span_id is not None else None
        self.span_detail.value = "" if span is None else span_detail_html(span, self._rows.get(str(span_id)))

    # -- metrics ---------------------------------------------------------------------------------------

    def draw_metrics(self) -> None:
        """Draw the metrics table and the latency and token plots for the traces the filters match."""
        from mastra_lab.telemetry.metrics import metrics_df
        from mastra_lab.telemetry.plots import figure_png, plot_latency, plot_tokens

        if self._spans is None or self.matched is None:
            return
        spans = self._spans[self._spans["trace_id"].isin(self.matched["trace_id"])]
        by = self.by.value
        table = metrics_df(spans, by=by, prices=self.mastra.prices)
        self.metrics_table.value = (
            _frame_html(table, "mastra-telemetry-metrics")
            if not table.empty
            else f"<i>no {html.escape(by)} requests in the matching traces</i>"
        )
        self.latency.value = figure_png(plot_latency(spans, by=by))
        self.tokens.value = figure_png(plot_tokens(spans, prices=self.mastra.prices))
        self.latency.layout.display = self.tokens.layout.display = None
        self._metrics_stale = False

    # -- callbacks -------------------------------------------------------------------------------------

    def _on_filter(self, _change: dict[str, Any]) -> None:
        if not self._loading:
            self.reload()  # read again: a filter change also shows what ran since the last refresh

    def _on_trace(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show(change["new"])

    def _on_span(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show_span(change["new"])

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == 1 and self._metrics_stale:
            self.draw_metrics()
