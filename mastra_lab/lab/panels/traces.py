"""``TracesPanel``: a Mastra's recent traces; picking one shows its waterfall and span table."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.lab.panels._base import Panel

if TYPE_CHECKING:
    from mastra_lab.mastra import Mastra

__all__ = ["TracesPanel"]

_EMPTY = "no traces yet: agents, workflows and m.tracer.span(...) save them to this Mastra's storage"


def _option(trace: dict[str, Any]) -> str:
    duration = "running" if trace["duration_ms"] is None else f"{trace['duration_ms']:.1f} ms"
    return (
        f"{trace['name'] or '(no root span)'} · {duration} · {trace['span_count']} spans · "
        f"{trace['status']} · {trace['trace_id'][:8]}"
    )


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return json.dumps(value, default=str) if value else ""
    return "" if value is None else str(value)


class TracesPanel(Panel):
    """Recent traces (newest first) with a refresh button; the selected one as a waterfall and a span table.

    Attributes:
        traces: The list of recent traces (a ``Select``; its value is the trace id).
        refresh: Reloads the list, keeping the selection when that trace is still there.
        waterfall: The selected trace's :func:`~mastra_lab.telemetry.plots.plot_trace` as a PNG image.
        detail: The selected trace's summary and span table (HTML).
        shown: The id of the trace on display, or ``None``.

    Args:
        mastra: Whose storage the traces are read from.
        limit: How many recent traces to list.
    """

    def __init__(self, mastra: Mastra, *, limit: int = 50) -> None:
        super().__init__()
        self.mastra = mastra
        self.limit = limit
        self.shown: str | None = None
        self._loading = False
        self.count = widgets.HTML()
        self.refresh = widgets.Button(description="refresh", icon="refresh", tooltip="reload the trace list")
        self.traces = widgets.Select(options=[], rows=8, layout=widgets.Layout(width="100%"))
        self.waterfall = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.detail = widgets.HTML()
        for widget, name in [
            (self.count, "count"),
            (self.refresh, "refresh"),
            (self.traces, "list"),
            (self.waterfall, "waterfall"),
            (self.detail, "detail"),
        ]:
            widget.add_class(f"mastra-traces-{name}")
        self.add_class("mastra-traces-panel")
        self.traces.observe(self.guard(self._on_select), names="value")
        self.refresh.on_click(self.guard(lambda _button: self.reload()))
        self.set_body(widgets.HBox([self.refresh, self.count]), self.traces, self.waterfall, self.detail)
        self.guard(self.reload)()

    def reload(self) -> None:
        """Read the recent traces again; keep the selection if it is still listed, else pick the newest."""
        from mastra_lab.telemetry.traces import recent_traces

        keep = self.traces.value
        found = recent_traces(self.mastra.storage, self.limit)
        ids = [t["trace_id"] for t in found]
        self._loading = True
        try:
            self.traces.options = [(_option(t), t["trace_id"]) for t in found]
            self.traces.value = keep if keep in ids else (ids[0] if ids else None)
        finally:
            self._loading = False
        self.count.value = f"{len(ids)} traces" if ids else html.escape(_EMPTY)
        self.show(self.traces.value)

    def show(self, trace_id: str | None) -> None:
        """Draw ``trace_id``'s waterfall and span table (nothing, for ``None``)."""
        from mastra_lab.telemetry.plots import figure_png, plot_trace
        from mastra_lab.telemetry.traces import find_trace, summarize_trace, trace_spans_df

        if trace_id is None:
            self.shown = None
            self.waterfall.value = b""
            self.waterfall.layout.display = "none"
            self.detail.value = ""
            return
        storage = self.mastra.storage
        spans = storage.get_trace(find_trace(storage, trace_id))
        self.waterfall.value = figure_png(plot_trace(spans))
        self.waterfall.layout.display = None
        self.detail.value = _detail_html(summarize_trace(spans), trace_spans_df(spans))
        self.shown = trace_id

    def _on_select(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show(change["new"])


def _detail_html(summary: dict[str, Any], spans: Any) -> str:
    shown = spans[["name", "type", "status", "start_ms", "duration_ms", "error", "attributes"]].copy()
    pairs = zip(spans["depth"], spans["name"], strict=True)
    shown["name"] = [("· " * (d - 1) + "└ " if d else "") + n for d, n in pairs]
    shown["attributes"] = shown["attributes"].map(_cell)
    shown["error"] = shown["error"].map(_cell)
    duration = "running" if summary["duration_ms"] is None else f"{summary['duration_ms']:.1f} ms"
    title = (
        f"{summary['name']} · trace {summary['trace_id']} · {summary['span_count']} spans · {duration} · "
        f"{summary['status']}"
    )
    table: str = shown.to_html(index=False, escape=True, classes="mastra-trace-spans", na_rep="")
    return f"<div><b>{html.escape(title)}</b></div>{table}"
