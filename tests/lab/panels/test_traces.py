"""``TracesPanel``: pick a recent trace, see its waterfall and span table; refresh finds new traces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mastra_backends import Backend

from mastra_lab import Mastra
from mastra_lab.errors import MastraError, ToolError
from mastra_lab.lab._testing import click, panels_raise
from mastra_lab.lab.panels.traces import TracesPanel


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    with Mastra(storage=backend.storage("traces")) as m:
        yield m


def _trace(m: Mastra, name: str, children: int, fail: bool = False) -> str:
    with m.tracer.span(name, "agent") as root:
        for i in range(children):
            with m.tracer.span(f"{name}.child{i}", "tool"):
                pass
        if fail:
            with pytest.raises(ToolError), m.tracer.span(f"{name}.broken", "tool"):
                raise ToolError(f"{name} broke")
    return root.trace_id


def test_an_empty_storage_says_where_traces_come_from(mastra: Mastra) -> None:
    with panels_raise():
        panel = TracesPanel(mastra)
    assert panel.traces.options == ()
    assert panel.count.value.startswith("no traces yet")
    assert (panel.shown, bytes(panel.waterfall.value), panel.detail.value) == (None, b"", "")
    assert panel.waterfall.layout.display == "none"
    assert "mastra-traces-panel" in panel._dom_classes
    assert panel.children[-1] is panel.error


def test_selecting_a_trace_shows_its_waterfall_and_spans(mastra: Mastra) -> None:
    first = _trace(mastra, "alpha", children=1)
    second = _trace(mastra, "beta", children=2, fail=True)
    with panels_raise():
        panel = TracesPanel(mastra)
        labels = [label for label, _ in panel.traces.options]
        assert [value for _, value in panel.traces.options] == [second, first]
        assert labels[0].startswith("beta · ") and " · 4 spans · error · " in labels[0]
        assert " · 2 spans · ok · " in labels[1]
        assert panel.shown == second  # the newest is shown to begin with
        newest_png = bytes(panel.waterfall.value)
        assert newest_png.startswith(b"\x89PNG")
        assert "beta broke" in panel.detail.value and "└ beta.child1" in panel.detail.value

        panel.traces.value = first

    assert panel.shown == first
    assert bytes(panel.waterfall.value).startswith(b"\x89PNG") and bytes(panel.waterfall.value) != newest_png
    assert panel.waterfall.layout.display is None
    assert "└ alpha.child0" in panel.detail.value and "beta" not in panel.detail.value
    assert f"alpha · trace {first} · 2 spans" in panel.detail.value
    assert panel.error_text == ""


def test_refresh_lists_a_new_trace_and_keeps_the_selection(mastra: Mastra) -> None:
    first = _trace(mastra, "alpha", children=0)
    with panels_raise():
        panel = TracesPanel(mastra)
        assert panel.count.value == "1 traces"
        newer = _trace(mastra, "gamma", children=1)
        assert [v for _, v in panel.traces.options] == [first]
        click(panel.refresh)
    assert [v for _, v in panel.traces.options] == [newer, first]
    assert (panel.traces.value, panel.shown) == (first, first)
    assert panel.count.value == "2 traces"


def test_a_trace_pruned_meanwhile_shows_an_error_line(mastra: Mastra) -> None:
    older = _trace(mastra, "alpha", children=0)
    newer = _trace(mastra, "beta", children=0)
    panel = TracesPanel(mastra)
    # remove the older trace behind the panel's back, then pick it in the stale list
    assert mastra.storage.prune_spans(older_than=mastra.storage.get_trace(newer)[0]["start"]) == 1
    with panels_raise(), pytest.raises(MastraError, match="no trace"):
        panel.traces.value = older
    assert panel.error_text.startswith(f"error: no trace '{older}' in this storage")
    with panels_raise():
        click(panel.refresh)
    assert (panel.error_text, panel.shown, [v for _, v in panel.traces.options]) == ("", newer, [newer])
