"""plot_decay draws one line per message and the min_score threshold."""

from __future__ import annotations

from datetime import timedelta

from matplotlib.figure import Figure

from mastra_lab.llm import Message
from mastra_lab.memory import Memory, plot_decay
from mastra_lab.storage import InMemoryStore

from .conftest import Clock


def test_plot_decay_returns_a_figure_with_a_line_per_message_and_the_threshold() -> None:
    clock = Clock()
    memory = Memory(InMemoryStore(), clock=clock)
    memory.save_sync("t", "ada", [Message.user("hello"), Message.assistant("hi")], importance=[0.9, 0.3])
    clock.advance(days=3)
    fig = plot_decay(memory, "t", half_life=timedelta(days=1), min_score=0.2)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = ax.get_lines()
    scored = [ln for ln in lines if ln.get_label().startswith(("user", "assistant"))]
    assert [ln.get_label() for ln in scored] == ["user: hello", "assistant: hi"]
    assert scored[0].get_ydata()[0] == 0.9 and scored[1].get_ydata()[0] == 0.3
    assert all(ln.get_ydata()[-1] < ln.get_ydata()[0] for ln in scored)  # scores fall
    threshold = [ln for ln in lines if ln.get_label() == "min_score=0.2"]
    assert len(threshold) == 1 and list(threshold[0].get_ydata()) == [0.2, 0.2]
