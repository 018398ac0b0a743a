"""What the ``%mastra`` commands return: small display objects with a ``text/plain`` and an HTML form.

IPython shows a magic's return value as the cell's result, so each command returns one of these instead of
printing: the result stays in ``Out[n]``, nbval can compare it, and a test can assert on its fields.
``LiveDisplay`` is the exception that proves the rule: an output that must change while a cell runs (a
streamed answer) updates one display in place through a display id, rather than printing line after line.

:func:`usage_error` is the one way a command reports a user mistake: IPython shows a ``UsageError`` as a
single line, without a traceback.
"""

from __future__ import annotations

import base64
import html
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Fields", "FigureDisplay", "LiveDisplay", "Table", "Text", "usage_error"]


def usage_error(message: str, hint: str | None = None) -> UsageError:
    """A one-line ``UsageError``: what was wrong, then how to fix it (``message; hint``).

    Args:
        message: What was wrong, naming the offending value.
        hint: What to type instead, usually a command (``run %mastra init first``).
    """
    text = " ".join(message.split())
    if hint:
        text = f"{text} (hint: {' '.join(hint.split())})"
    return UsageError(text)


class Text:
    """A line or a paragraph of text, optionally with a richer HTML form."""

    def __init__(self, text: str, html_text: str | None = None) -> None:
        self.text = text
        self._html = html_text

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.text == self.text

    __hash__ = None  # type: ignore[assignment]

    def _repr_html_(self) -> str:
        if self._html is not None:
            return self._html
        return f"<pre style='margin:0'>{html.escape(self.text)}</pre>"


class Fields:
    """Named values shown as ``key: value`` lines, or a two-column table in HTML (status, stats, versions).

    Indexing and ``dict(fields)`` give the values back, so a notebook cell can assert on them.
    """

    def __init__(self, values: Mapping[str, Any], title: str | None = None) -> None:
        self.values = dict(values)
        self.title = title

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __iter__(self) -> Any:
        return iter(self.values)

    def keys(self) -> Iterable[str]:
        return self.values.keys()

    def __repr__(self) -> str:
        width = max((len(k) for k in self.values), default=0)
        lines = [self.title] if self.title else []
        lines += [f"{k.ljust(width)}  {v}" for k, v in self.values.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self.values.items()
        )
        caption = (
            f"<caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>"
            if self.title
            else ""
        )
        return f"<table class='mastra-fields'>{caption}{rows}</table>"


class Table:
    """A DataFrame with a title and a row limit for display; ``.df`` is the whole frame.

    Args:
        df: The rows, or a function that makes them: the frame is then built the first time it is needed
            (to show or to read), so a command that returns a table pays for pandas only when it must.
        title: A line shown above the rows (``3 indexes``).
        limit: Show at most this many rows (the rest are summarised); ``df`` keeps all of them.
    """

    def __init__(
        self, df: pd.DataFrame | Callable[[], pd.DataFrame], title: str | None = None, limit: int = 20
    ) -> None:
        self._df = df
        self.title = title
        self.limit = limit

    @property
    def df(self) -> pd.DataFrame:
        if callable(self._df):
            self._df = self._df()
        return self._df

    def __len__(self) -> int:
        return len(self.df)

    def _more(self) -> str:
        hidden = len(self.df) - self.limit
        return f"… {hidden} more rows (.df has them all)" if hidden > 0 else ""

    def __repr__(self) -> str:
        body = self.df.head(self.limit).to_string(index=False) if len(self.df.columns) else "(no columns)"
        parts = [p for p in (self.title, body, self._more()) if p]
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        title = f"<div><b>{html.escape(self.title)}</b></div>" if self.title else ""
        more = f"<div><i>{html.escape(self._more())}</i></div>" if self._more() else ""
        table: str = self.df.head(self.limit).to_html(index=False, escape=True)
        return title + table + more


class FigureDisplay(ABC):
    """Base of the objects that show a matplotlib figure: the PNG, rendered once, and its ``<img>`` tag.

    Subclasses set ``self.figure`` and write ``__repr__`` and ``_repr_html_`` (using :meth:`_img`); the
    mimebundle carries the PNG too, so a front end without HTML still shows the picture.
    """

    figure: Any
    _png: bytes | None = None

    @property
    def png(self) -> bytes:
        """The figure as PNG bytes (rendered on first use)."""
        if self._png is None:
            from mastra_lab.telemetry.plots import figure_png

            self._png = figure_png(self.figure)
        return self._png

    def _img(self, alt: str, css_class: str = "") -> str:
        image = base64.b64encode(self.png).decode("ascii")
        cls = f" class='{css_class}'" if css_class else ""
        return f"<img{cls} alt='{html.escape(alt)}' src='data:image/png;base64,{image}'/>"

    @abstractmethod
    def _repr_html_(self) -> str:
        """The figure with its caption, as HTML."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": repr(self), "text/html": self._repr_html_(), "image/png": self.png}


class LiveDisplay:
    """One output that a running cell updates in place (``display(..., display_id=True)`` then ``update``).

    Args:
        render: Turns the text so far into the object to display (a ``Markdown``, a ``Pretty`` …).
    """

    def __init__(self, render: Callable[[str], Any]) -> None:
        self._render = render
        self._handle: Any = None
        self.text = ""
        self.updates = 0

    def show(self, text: str) -> None:
        """Show ``text``: the first call creates the display, later calls replace its content."""
        from IPython.display import DisplayHandle

        self.text = text
        if self._handle is None:
            # The handle (its id) exists before anything is published: a Ctrl-C that lands while the first
            # display is being sent must not make the next call create a second display.
            self._handle = DisplayHandle()  # type: ignore[no-untyped-call]
            self._handle.display(self._render(text))
        else:
            self._handle.update(self._render(text))
        self.updates += 1
