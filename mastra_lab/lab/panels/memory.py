"""``MemoryPanel``: browse what an agent remembers, preview what it would recall, and prune with a preview.

Resource → thread → messages (roles, text, tool calls, importance); the thread's working memory in an
editor; a query box that shows exactly what memory would add to the prompt for it
(:meth:`~mastra_lab.memory.Memory.recall`); the decay plot (:func:`~mastra_lab.memory.plot_decay`); and
pruning in two steps: **Preview prune** runs a dry run and lists what would go, and only then does the
**Prune** button remove them, with the settings of that preview (changing a setting or the thread asks for
a new preview). The panel calls the same library functions as ``%mastra memory`` and ``%mastra plot decay``,
and parses the half-life and score the same way.
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from mastra_lab.errors import MastraError
from mastra_lab.lab.arguments import format_duration, parse_count, parse_duration, parse_score
from mastra_lab.lab.panels._base import Panel

if TYPE_CHECKING:
    from mastra_lab.mastra import Mastra
    from mastra_lab.memory import Memory, MemoryMessage, PruneReport, Recall

__all__ = ["MemoryPanel"]

_CELL = "style='text-align:left;vertical-align:top;padding:2px 8px'"
_STORAGE = "(storage)"
_EXCERPT = 300
_EMPTY = (
    "<i>no conversations yet: an agent with memory saves one thread per conversation "
    "(<code>agent.generate(..., thread_id=..., resource_id=...)</code>); press Refresh</i>"
)


def _cell(text: str, tag: str = "td") -> str:
    return f"<{tag} {_CELL}>{text}</{tag}>"


def _table(head: list[str], rows: list[list[str]], css: str) -> str:
    header = "".join(_cell(h, "th") for h in head)
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table class='{css}'><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _excerpt(text: str) -> str:
    text = text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"
    return html.escape(text).replace("\n", "<br>")


def _messages_html(messages: list[MemoryMessage]) -> str:
    if not messages:
        return "<i>this thread has no messages</i>"
    rows = []
    for m in messages:
        calls = "<br>".join(
            f"<code>{html.escape(c.name)}({html.escape(json.dumps(c.arguments, ensure_ascii=False))})</code>"
            for c in m.message.tool_calls
        )
        role = m.role if m.type == "message" else f"{m.role} (summary)"
        rows.append(
            [
                html.escape(role),
                _excerpt(m.message.text or ("" if calls else m.text)),
                calls,
                f"{m.importance:.2f}",
                html.escape(m.created_at.strftime("%Y-%m-%d %H:%M")),
            ]
        )
    return _table(["role", "text", "tool calls", "importance", "saved"], rows, "mastra-memory-messages")


def _recall_html(recall: Recall) -> str:
    import pandas as pd

    rows = []
    for row in recall.to_df().itertuples():
        score = "" if pd.isna(row.score) else f"{row.score:.3f}"
        rows.append(
            [
                html.escape(str(row.source)),
                html.escape(str(row.thread_id)),
                html.escape(str(row.role)),
                _excerpt(str(row.text)),
                score,
            ]
        )
    other = sum(1 for h in recall.recalled if h.other_thread)
    title = (
        f"for {recall.query!r}: {len(recall.history)} history messages, {len(recall.recalled)} recall hits"
        + (f" ({other} from other threads)" if other else "")
    )
    table = _table(["source", "thread", "role", "text", "score"], rows, "mastra-memory-recall-rows")
    system = recall.system or "(nothing: no working memory, summary or remembered context)"
    return (
        f"<div><b>{html.escape(title)}</b></div>{table}<div><i>added to the system prompt:</i></div>"
        f"<pre class='mastra-memory-recall-system'>{html.escape(system)}</pre>"
    )


def _report_html(report: PruneReport, rule: str) -> str:
    if report.dry_run:
        head = f"would remove {report.removed} of {report.examined} messages ({rule})"
        head += "; press Prune to remove them" if report.removed else "; nothing to prune"
    else:
        head = (
            f"removed {report.removed} of {report.examined} messages, {report.bytes_freed} bytes, "
            f"{report.vectors_removed} vectors ({rule})"
        )
    if not report.removed:
        return f"<div><b>{html.escape(head)}</b></div>"
    rows = [
        [
            html.escape(str(r["thread_id"])),
            html.escape(str(r["role"])),
            _excerpt(str(r["text"])),
            f"{r['importance']:.2f}",
            f"{r['score']:.3f}",
        ]
        for r in report.rows
    ]
    table = _table(["thread", "role", "text", "importance", "score"], rows, "mastra-memory-prune-rows")
    return f"<div><b>{html.escape(head)}</b></div>{table}"


class MemoryPanel(Panel):
    """Resource → threads → messages, working memory, a recall preview, the decay plot and pruning.

    Args:
        mastra: Whose memory: its agents' (a picker when they have several) or the one over its storage
            (:meth:`~mastra_lab.Mastra.get_memory`).
        agent: Start on this agent's memory.

    Attributes:
        source: Which memory (agent names; hidden when there is only one).
        resource: The resources (users) that have threads.
        thread: The selected resource's threads (the value is the thread id).
        messages: The selected thread's messages.
        working: The working-memory editor; **save_working** merges its text (JSON for a schema).
        query, preview_recall, recall: What memory would add to the prompt for the query.
        half_life, min_score, keep_last, scope: The decay and prune settings.
        decay: The decay plot (PNG); **plot** redraws it.
        preview_prune, prune, prune_result: Dry run first, then the real prune.
        last_recall: The last :class:`~mastra_lab.memory.Recall` shown, or ``None``.
        last_report: The last :class:`~mastra_lab.memory.PruneReport` (preview or real), or ``None``.
    """

    def __init__(self, mastra: Mastra, *, agent: str | None = None) -> None:
        super().__init__()
        self.add_class("mastra-memory-panel")
        self.mastra = mastra
        self.last_recall: Recall | None = None
        self.last_report: PruneReport | None = None
        self._previewed: tuple[Any, ...] | None = None
        self._loading = False
        names = list(mastra.memories)
        self.source = widgets.Dropdown(description="memory", options=names or [_STORAGE])
        if agent is not None:
            mastra.get_memory(agent)  # an unknown agent, or one without memory, fails here, by name
            self.source.value = agent
        self.source.layout.display = None if len(self.source.options) > 1 else "none"
        self.refresh = widgets.Button(description="Refresh", icon="refresh", tooltip="reload threads")
        self.resource = widgets.Dropdown(description="resource", options=[])
        self.thread = widgets.Select(
            description="thread", options=[], rows=6, layout=widgets.Layout(width="100%")
        )
        self.messages = widgets.HTML()
        self.working = widgets.Textarea(
            description="working", layout=widgets.Layout(width="100%", height="9em")
        )
        self.save_working = widgets.Button(description="Save working memory", icon="save")
        self.working_note = widgets.HTML()
        self.query = widgets.Text(description="query", placeholder="what would be recalled for this message?")
        self.preview_recall = widgets.Button(description="Preview recall", icon="search")
        self.recall = widgets.HTML()
        policy = self.memory.auto_prune  # a memory that prunes itself starts the boxes at its own policy
        self.half_life = widgets.Text(
            value=format_duration(policy.half_life) if policy else "7d",
            description="half-life",
            placeholder="7d, 12h, 1d12h",
        )
        self.min_score = widgets.BoundedFloatText(
            value=policy.min_score if policy else 0.1, min=0.0, max=1.0, step=0.05, description="min score"
        )
        self.keep_last = widgets.BoundedIntText(
            value=policy.keep_last if policy else 10, min=0, max=1_000_000, description="keep last"
        )
        self.scope = widgets.Dropdown(
            description="prune",
            options=[("this thread", "thread"), ("this resource", "resource"), ("every thread", "all")],
            value="thread",
        )
        self.plot = widgets.Button(description="Plot", icon="line-chart", tooltip="redraw the decay plot")
        self.decay = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.preview_prune = widgets.Button(description="Preview prune", icon="eye")
        self.prune = widgets.Button(description="Prune", button_style="danger", icon="trash", disabled=True)
        self.prune_result = widgets.HTML()
        for widget, name in (
            (self.source, "source"),
            (self.refresh, "refresh"),
            (self.resource, "resource"),
            (self.thread, "thread"),
            (self.messages, "messages"),
            (self.working, "working"),
            (self.save_working, "save-working"),
            (self.working_note, "working-note"),
            (self.query, "query"),
            (self.preview_recall, "preview-recall"),
            (self.recall, "recall"),
            (self.half_life, "half-life"),
            (self.min_score, "min-score"),
            (self.keep_last, "keep-last"),
            (self.scope, "scope"),
            (self.plot, "plot"),
            (self.decay, "decay"),
            (self.preview_prune, "preview-prune"),
            (self.prune, "prune"),
            (self.prune_result, "prune-result"),
        ):
            widget.add_class(f"mastra-memory-{name}")
        self.source.observe(self.guard(self._on_source), names="value")
        self.refresh.on_click(self.guard(lambda _button: self.reload()))
        self.resource.observe(self.guard(self._on_resource), names="value")
        self.thread.observe(self.guard(self._on_thread), names="value")
        self.save_working.on_click(self.guard(self._save_working))
        self.preview_recall.on_click(self.guard(self._preview_recall))
        self.plot.on_click(self.guard(lambda _button: self.draw_decay()))
        self.preview_prune.on_click(self.guard(self._preview_prune))
        self.prune.on_click(self.guard(self._prune))
        for setting in (self.half_life, self.min_score, self.keep_last, self.scope):
            setting.observe(self.guard(lambda _change: self._forget_preview()), names="value")
        self.set_body(
            widgets.HBox([self.source, self.resource, self.refresh]),
            self.thread,
            self.messages,
            widgets.HTML("<b>working memory</b>"),
            self.working,
            widgets.HBox([self.save_working, self.working_note]),
            widgets.HTML("<b>what would be recalled</b>"),
            widgets.HBox([self.query, self.preview_recall]),
            self.recall,
            widgets.HTML("<b>decay and pruning</b>"),
            widgets.HBox([self.half_life, self.min_score]),
            widgets.HBox([self.keep_last, self.scope]),
            widgets.HBox([self.plot, self.preview_prune, self.prune]),
            self.decay,
            self.prune_result,
        )
        self.guard(self.reload)()

    @property
    def memory(self) -> Memory:
        """The memory on display."""
        name = self.source.value
        return self.mastra.get_memory(None if name == _STORAGE else name)

    # -- loading ---------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the memories, resources and threads again, keeping each selection that still exists."""
        keep_resource, keep_thread = self.resource.value, self.thread.value
        names = tuple(self.mastra.memories) or (_STORAGE,)
        self._loading = True
        try:
            if names != self.source.options:  # an agent with memory was registered since
                keep = self.source.value
                self.source.options = names
                self.source.value = keep if keep in names else names[0]
                self.source.layout.display = None if len(names) > 1 else "none"
        finally:
            self._loading = False
        resources = self.memory.list_resources()
        self._loading = True
        try:
            self.resource.options = resources
            first = resources[0] if resources else None
            self.resource.value = keep_resource if keep_resource in resources else first
        finally:
            self._loading = False
        self._load_threads(keep_thread)

    def _load_threads(self, keep: str | None = None) -> None:
        threads = [] if self.resource.value is None else self.memory.list_threads(self.resource.value)
        ids = [t.id for t in threads]
        self._loading = True
        try:
            self.thread.options = [(f"{t.title} · {t.id}" if t.title else t.id, t.id) for t in threads]
            self.thread.value = keep if keep in ids else (ids[0] if ids else None)
        finally:
            self._loading = False
        self.show_thread()

    def _on_source(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.reload()

    def _on_resource(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self._load_threads()

    def _on_thread(self, change: dict[str, Any]) -> None:
        if not self._loading:
            self.show_thread()

    def show_thread(self) -> None:
        """Show the selected thread's messages, working memory and decay plot; forget old previews."""
        self.recall.value = ""
        self.last_recall = None
        self._forget_preview()
        self.prune_result.value = ""
        thread_id = self.thread.value
        if thread_id is None:
            self.messages.value = _EMPTY
            self.working.value, self.working.disabled, self.working_note.value = "", True, ""
            self.save_working.disabled = True
            self.decay.value, self.decay.layout.display = b"", "none"
            return
        memory = self.memory
        self.messages.value = _messages_html(memory.get_messages(thread_id))
        self._show_working(memory, thread_id)
        self.draw_decay()

    def _show_working(self, memory: Memory, thread_id: str) -> None:
        spec = memory.working_memory
        if spec is None:
            self.working.value, self.working.disabled = "", True
            self.save_working.disabled = True
            self.working_note.value = "<i>working memory is off for this memory</i>"
            return
        stored = memory.get_working_memory(thread_id=thread_id)
        value = spec.initial() if stored is None else stored
        self.working.value = json.dumps(value, indent=2) if isinstance(value, dict) else str(value)
        self.working.disabled = self.save_working.disabled = bool(memory.read_only)
        where = (
            "this thread only" if spec.scope == "thread" else f"shared by resource {self.resource.value!r}"
        )
        state = "the template; nothing stored yet" if stored is None else "stored"
        self.working_note.value = html.escape(f"{state} · {where}")

    # -- actions ---------------------------------------------------------------------------------------

    def _selected(self) -> str:
        if self.thread.value is None:
            raise MastraError(
                "there is no thread to work on; pick a resource and a thread (or press Refresh)"
            )
        return str(self.thread.value)

    def _save_working(self, *_: Any) -> None:
        thread_id = self._selected()
        memory = self.memory
        text = self.working.value
        value: Any = text
        if memory.working_memory is not None and memory.working_memory.schema is not None:
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise MastraError(
                    f"this working memory is structured: write a JSON object ({exc.msg} at line {exc.lineno})"
                ) from None
        memory.update_working_memory(value, thread_id=thread_id)
        self._show_working(memory, thread_id)
        self.working_note.value = "saved · " + self.working_note.value

    def _preview_recall(self, *_: Any) -> None:
        self.recall.value = ""
        self.last_recall = None
        thread_id = self._selected()
        query = self.query.value.strip()
        if not query:
            raise MastraError("type a query first: the message whose recall you want to see")
        self.last_recall = self.memory.recall(thread_id, query)
        self.recall.value = _recall_html(self.last_recall)

    def _settings(self) -> dict[str, Any]:
        """half_life, min_score, keep_last and the prune scope, checked (a bad half-life is an error)."""
        scope = self.scope.value
        thread_id = self._selected() if scope != "all" else None
        return {
            "half_life": parse_duration(self.half_life.value),
            "min_score": parse_score(self.min_score.value),
            "keep_last": parse_count(self.keep_last.value),
            "thread_id": thread_id if scope == "thread" else None,
            "resource_id": self.resource.value if scope == "resource" else None,
        }

    def draw_decay(self) -> None:
        """Draw the selected thread's decay plot with the current half-life and min score."""
        from mastra_lab.memory import plot_decay
        from mastra_lab.telemetry.plots import figure_png

        self.decay.value, self.decay.layout.display = b"", "none"
        settings = self._settings()
        figure = plot_decay(
            self.memory, self._selected(), half_life=settings["half_life"], min_score=settings["min_score"]
        )
        self.decay.value = figure_png(figure)
        self.decay.layout.display = None

    def _rule(self, s: dict[str, Any]) -> str:
        return (
            f"half-life {format_duration(s['half_life'])}, min score {s['min_score']:g}, "
            f"keep last {s['keep_last']}"
        )

    def _forget_preview(self) -> None:
        self._previewed = None
        self.prune.disabled = True
        self.prune.description = "Prune"

    def _preview_prune(self, *_: Any) -> None:
        self._forget_preview()
        self.prune_result.value = ""
        settings = self._settings()
        report = self.memory.prune(dry_run=True, **settings)
        self.last_report = report
        self.prune_result.value = _report_html(report, self._rule(settings))
        if report.removed:
            self._previewed = tuple(sorted(settings.items()))
            self.prune.disabled = False
            self.prune.description = f"Prune {report.removed}"

    def _prune(self, *_: Any) -> None:
        settings = self._settings()
        if self._previewed is None or self._previewed != tuple(sorted(settings.items())):
            self._forget_preview()
            raise MastraError("preview first: press Preview prune to see what these settings remove")
        report = self.memory.prune(dry_run=False, **settings)
        self.last_report = report
        self.reload()
        self.prune_result.value = _report_html(report, self._rule(settings))
