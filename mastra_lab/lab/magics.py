"""``%mastra`` and ``%%mastra``: one magic that routes to the subcommands of :mod:`mastra_lab.lab.commands`.

The router only splits off the subcommand name, checks that the cell form is allowed, parses the arguments
and turns mistakes into one-line ``UsageError``\\s: a library error (:class:`~mastra_lab.errors.MastraError`)
already says what was wrong and how to fix it, so the router shows its message, not its traceback.
Everything else lives in the command modules.

With ``%config MastraMagics.show_traces = True`` the router also shows, under each command that runs
agents, models or workflows (``Command.traced``), one line per trace that the cell produced. That summary
is a courtesy: whatever goes wrong while making it becomes a logged one-line note, never an error in the
user's cell.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from traitlets import Bool, Integer, Unicode

from mastra_lab.errors import MastraError
from mastra_lab.lab.display import Text, usage_error
from mastra_lab.lab.registry import REGISTRY, Command, HelpRequested, Invocation, load_all
from mastra_lab.telemetry.logger import get_logger

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from mastra_lab.mastra import Mastra

_log = get_logger("lab")

__all__ = ["MastraMagics", "current_mastra", "load_ipython_extension", "unload_ipython_extension"]


@magics_class
class MastraMagics(Magics):
    """The ``%mastra`` magics; their defaults are settable with ``%config MastraMagics.<name> = …``."""

    display_limit = Integer(
        20, help="Rows shown by commands that list things (the full frame stays in .df)."
    ).tag(config=True)
    default_model = Unicode("test", help="The model `%%mastra ask` uses when none is named.").tag(config=True)
    default_embedder = Unicode(
        "hashing", help="The embedder `ingest` uses, and `vector search` when the index recorded none."
    ).tag(config=True)
    show_traces = Bool(
        False,
        help="Under %%mastra chat, %%mastra ask, %mastra run (and approve, resume): a line per trace the "
        "cell made (root, duration, spans, tokens, cost, status).",
    ).tag(config=True)

    def __init__(self, shell: InteractiveShell | None = None, **kwargs: Any) -> None:
        super().__init__(shell, **kwargs)
        self.mastra: Mastra | None = None
        """The notebook's registry, set by ``%mastra init``."""
        self.owns_mastra = False
        """Whether ``init`` created :attr:`mastra` (and so closes it when replaced or unloaded)."""

    @line_cell_magic("mastra")  # type: ignore[arg-type]
    @no_var_expand  # IPython would expand {x} and $x in the line: SQL uses both, and sql has {{var}}
    def mastra_magic(self, line: str, cell: str | None = None) -> Any:
        """Workbench commands; ``%mastra help`` lists them and ``%mastra COMMAND --help`` explains one."""
        name, _, rest = line.strip().partition(" ")
        name = name or "help"
        command = REGISTRY.get(name)
        if command is None:
            close = difflib.get_close_matches(name, REGISTRY, n=1)
            hint = f"did you mean %mastra {close[0]}?" if close else "%mastra help lists the commands"
            raise usage_error(f"unknown %mastra subcommand {name!r}", hint)
        if cell is not None and command.cell == "never":
            raise usage_error(f"%%mastra {name} takes no cell body", f"use the line form: %mastra {name} …")
        if cell is None and command.cell == "required":
            raise usage_error(
                f"%mastra {name} needs a cell body", f"write %%mastra {name} … on the first line of a cell"
            )
        invocation = Invocation(self, name, rest.strip(), cell)
        try:
            if command.raw and rest.strip() in ("-h", "--help"):
                return Text(command.help())
            args = None if command.raw else command.parse(rest)
            if command.traced and self.show_traces and self.mastra is not None:
                return self._traced(command, invocation, args)
            return command.handler(invocation, args)  # type: ignore[arg-type]
        except HelpRequested as shown:
            return Text(shown.text)
        except MastraError as exc:
            raise usage_error(str(exc)) from None

    def _traced(self, command: Command, invocation: Invocation, args: Any) -> Any:
        """Run the handler, then show the traces it made: also when it failed (that trace matters most)."""
        started = datetime.now(UTC)
        failed = True
        try:
            result = command.handler(invocation, args)
            failed = False
            return result
        finally:
            self._show_cell_traces(started, failed)

    def _show_cell_traces(self, started: datetime, failed: bool) -> None:
        """Display the traces made since ``started``; a command that failed before making any shows none."""
        from IPython.display import display

        try:
            from mastra_lab.lab.commands.traces import cell_traces

            assert self.mastra is not None
            summary = cell_traces(self.mastra, started)
            if failed and not len(summary.df):
                return
            display(summary)  # type: ignore[no-untyped-call]
        except Exception as exc:  # the summary must never break the cell it annotates
            _log.warning("could not summarise the cell's traces: %s: %s", type(exc).__name__, exc)
            display(Text(f"(trace summary unavailable: {type(exc).__name__}: {exc})"))  # type: ignore[no-untyped-call]

    def replace_mastra(self, mastra: Mastra | None, *, owned: bool) -> None:
        """Make ``mastra`` the notebook's registry, closing the previous one if ``init`` had created it."""
        if self.mastra is not None and self.owns_mastra and self.mastra is not mastra:
            self.mastra.close()
        self.mastra = mastra
        self.owns_mastra = owned


def load_ipython_extension(shell: InteractiveShell) -> None:
    """``%load_ext mastra_lab``: register the magics (loading again is harmless)."""
    load_all()
    if _find(shell) is not None:
        return
    magics = MastraMagics(shell)
    shell.register_magics(magics)


def unload_ipython_extension(shell: InteractiveShell) -> None:
    """``%unload_ext mastra_lab``: remove the magics and close the Mastra that ``init`` created."""
    magics = _find(shell)
    if magics is None:
        return
    magics.replace_mastra(None, owned=False)
    for kind in ("line", "cell"):
        shell.magics_manager.magics[kind].pop("mastra", None)
    shell.magics_manager.registry.pop(type(magics).__name__, None)
    # register_magics also made it a configurable (for %config); take it out of there too.
    shell.configurables[:] = [c for c in shell.configurables if c is not magics]  # type: ignore[comparison-overlap]


def current_mastra(shell: InteractiveShell | None = None) -> Mastra:
    """The notebook's Mastra, the one ``%mastra init`` made or attached, for use from Python cells.

    Args:
        shell: The IPython shell; by default the running one.
    """
    if shell is None:
        from IPython.core.getipython import get_ipython

        shell = get_ipython()
    magics = _find(shell) if shell is not None else None
    if magics is None or magics.mastra is None:
        raise usage_error("this notebook has no Mastra yet", "run %load_ext mastra_lab, then %mastra init")
    return magics.mastra


def _find(shell: InteractiveShell) -> MastraMagics | None:
    found = shell.magics_manager.registry.get(MastraMagics.__name__)
    return found if isinstance(found, MastraMagics) else None
