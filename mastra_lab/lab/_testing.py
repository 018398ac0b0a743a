"""Test helpers for magics and panels: a real IPython shell with the extension loaded, and a real click.

``TestingShell`` is an ``InteractiveShell`` (no terminal, history in memory) that runs ``%mastra`` lines and
cells the way a notebook does and captures what they display, including in-place updates. ``click`` calls
a button's handlers directly, so a failing callback raises into the test instead of being logged and lost
by ipywidgets; :func:`panels_raise` makes guarded panel callbacks re-raise after showing their error.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core.displaypub import CapturingDisplayPublisher
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from mastra_lab.lab.magics import MastraMagics

__all__ = ["TestingShell", "click", "panels_raise"]


class TestingShell:
    """An IPython shell with ``mastra_lab`` loaded.

    Attributes:
        shell: The ``InteractiveShell``.
        outputs: Everything displayed so far, as ``{"data", "metadata", "transient", "update"}`` dicts.
    """

    __test__ = False  # not a pytest test class

    def __init__(self, user_ns: dict[str, Any] | None = None) -> None:
        config = Config()
        config.HistoryManager.hist_file = ":memory:"
        # The process-wide instance, as a kernel's shell is: IPython.display.display() publishes through
        # InteractiveShell.instance(), so a shell built any other way would not capture what commands display.
        InteractiveShell.clear_instance()
        self.shell = InteractiveShell.instance(config=config, user_ns=user_ns)
        self.publisher = CapturingDisplayPublisher(shell=self.shell)  # type: ignore[no-untyped-call]
        self.shell.display_pub = self.publisher
        self.shell.extension_manager.load_extension("mastra_lab")  # type: ignore[union-attr]

    @property
    def magics(self) -> MastraMagics:
        return self.shell.magics_manager.registry["MastraMagics"]  # type: ignore[no-any-return]

    @property
    def ns(self) -> dict[str, Any]:
        """The user namespace (``-o VAR`` and ``VAR <<`` write here)."""
        return self.shell.user_ns  # type: ignore[no-any-return]

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return self.publisher.outputs

    def line(self, line: str) -> Any:
        """Run ``%mastra LINE`` and return its result."""
        return self.shell.run_line_magic("mastra", line)

    def cell(self, line: str, body: str) -> Any:
        """Run a ``%%mastra LINE`` cell with ``body`` and return its result."""
        return self.shell.run_cell_magic("mastra", line, body)  # type: ignore[no-untyped-call]

    def usage_error(self, line: str, body: str | None = None) -> str:
        """The message of the ``UsageError`` that ``%mastra LINE`` (or the cell) raises; fails if none is."""
        try:
            if body is None:
                self.line(line)
            else:
                self.cell(line, body)
        except UsageError as exc:
            return str(exc)
        raise AssertionError(f"%mastra {line} raised no UsageError")

    def run_cell(self, source: str) -> Any:
        """Run a whole cell as a notebook would (magics, Python, the displayed result)."""
        return self.shell.run_cell(source, store_history=False)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        self.shell.extension_manager.unload_extension("mastra_lab")  # type: ignore[union-attr]
        self.shell.cleanup()  # type: ignore[no-untyped-call]
        # Every InteractiveShell registers an exit hook that resets it and runs a full gc.collect(); a test
        # session makes hundreds of shells, and those collections made the interpreter's exit take minutes.
        atexit.unregister(self.shell.atexit_operations)
        InteractiveShell.clear_instance()


def click(button: Any) -> None:
    """Run ``button``'s click handlers; unlike ``Button.click()``, their exceptions reach the caller."""
    for handler in button._click_handlers.callbacks:
        handler(button)


@contextmanager
def panels_raise() -> Iterator[None]:
    """Within the block, a failing panel callback shows its error line and then raises."""
    from mastra_lab.lab.panels._base import Panel

    previous, Panel.raise_errors = Panel.raise_errors, True
    try:
        yield
    finally:
        Panel.raise_errors = previous
