"""What every panel shares: an error line, and callbacks that report failures instead of losing them.

ipywidgets swallows exceptions raised in callbacks (a button's handler logs a traceback nobody sees), so a
broken panel looks merely unresponsive. Each panel callback goes through :meth:`Panel.guard`: a failure is
shown in the panel as one red line (a library error's message says what to fix), and, when
:attr:`Panel.raise_errors` is set, as tests do, it is raised as well so the test fails.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import ipywidgets as widgets

from mastra_lab.errors import MastraError

__all__ = ["Panel"]

F = TypeVar("F", bound=Callable[..., Any])


class Panel(widgets.VBox):  # type: ignore[misc]
    """A ``VBox`` with an error line at the bottom and guarded callbacks."""

    raise_errors: ClassVar[bool] = False
    """Raise callback failures after showing them (set by the test helpers)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = widgets.HTML(value="", layout=widgets.Layout(min_height="0"))
        self._error_text = ""
        self.error.add_class("mastra-error")

    def set_body(self, *children: widgets.Widget) -> None:
        """Lay out ``children`` above the error line."""
        self.children = (*children, self.error)

    @property
    def error_text(self) -> str:
        """The error line as plain text (empty when the last action succeeded)."""
        return self._error_text

    def show_error(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, MastraError) else f"{type(exc).__name__}: {exc}"
        self._error_text = f"error: {message}"
        self.error.value = f"<span style='color:#b00020'><b>error:</b> {html.escape(message)}</span>"

    def clear_error(self) -> None:
        self._error_text = ""
        self.error.value = ""

    def guard(self, callback: F) -> F:
        """Wrap a widget callback: clear the error line, run, and show (and in tests raise) any failure."""

        @functools.wraps(callback)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.clear_error()
            try:
                return callback(*args, **kwargs)
            except Exception as exc:
                self.show_error(exc)
                if Panel.raise_errors:
                    raise
                return None

        return guarded  # type: ignore[return-value]
