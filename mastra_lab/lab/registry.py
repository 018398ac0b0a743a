"""The registry of ``%mastra`` subcommands, and what a handler gets to work with.

Each module of :mod:`mastra_lab.lab.commands` registers its commands with :func:`command` when it is
imported; the router in :mod:`mastra_lab.lab.magics` imports every one of them (:func:`load_all`), so a new
area adds a module there and never edits the router. ``help``, each command's ``--help`` and the "did you
mean" message are all read from :data:`REGISTRY`.

A handler receives an :class:`Invocation` (the shell, the settings, the cell body, the notebook's Mastra)
and the parsed arguments, calls public library functions, and returns a display object.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from mastra_lab.lab.display import usage_error

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from mastra_lab.lab.magics import MastraMagics
    from mastra_lab.mastra import Mastra

__all__ = ["REGISTRY", "Command", "CommandParser", "HelpRequested", "Invocation", "command", "load_all"]

CellUse = Literal["never", "optional", "required"]
Handler = Callable[["Invocation", argparse.Namespace], Any]


class HelpRequested(Exception):
    """``--help`` was given: the router shows this text instead of running the command."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class CommandParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` that raises instead of exiting: a bad option is a one-line ``UsageError``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise usage_error(f"{self.prog}: {message}", f"see {self.prog} --help")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise HelpRequested(self.format_help())

    def print_help(self, file: Any = None) -> None:
        raise HelpRequested(self.format_help())


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, one-line summary, arguments and handler.

    Attributes:
        raw: The handler reads ``invocation.line`` itself (``sql``, whose text must not go through shlex);
            the parser is then used only for ``--help`` and for the options the handler splits off.
        traced: The command runs agents, models or workflows, so ``show_traces`` summarises the traces it
            made under its output.
    """

    name: str
    summary: str
    handler: Handler
    arguments: Callable[[CommandParser], None]
    cell: CellUse = "never"
    raw: bool = False
    epilog: str | None = None
    traced: bool = False

    def parser(self) -> CommandParser:
        """The command's parser, built once: argparse setup costs more than a fast query."""
        parser = _PARSERS.get(self)
        if parser is not None:
            return parser
        parser = CommandParser(
            prog=f"%mastra {self.name}",
            description=self.summary,
            epilog=self.epilog,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.arguments(parser)
        _PARSERS[self] = parser
        return parser

    def parse(self, line: str) -> argparse.Namespace:
        """The arguments of ``line`` (shlex-split; unbalanced quotes are a ``UsageError``)."""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise usage_error(
                f"%mastra {self.name}: cannot split the arguments: {exc}", "close the quote"
            ) from None
        return self.parser().parse_args(argv)

    def help(self) -> str:
        return self.parser().format_help()


_PARSERS: dict[Command, CommandParser] = {}

REGISTRY: dict[str, Command] = {}
"""Subcommand name → :class:`Command`, filled by the modules of this package."""


def _no_arguments(parser: CommandParser) -> None:
    return None


def command(
    name: str,
    summary: str,
    *,
    arguments: Callable[[CommandParser], None] = _no_arguments,
    cell: CellUse = "never",
    raw: bool = False,
    epilog: str | None = None,
    traced: bool = False,
) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``%mastra NAME``.

    Args:
        name: The subcommand (one word).
        summary: One line for ``%mastra help``.
        arguments: Adds the command's arguments to its parser.
        cell: Whether ``%%mastra NAME`` takes a cell body: ``never``, ``optional`` or ``required``.
        raw: The handler parses ``invocation.line`` itself.
        epilog: Examples shown at the end of ``--help``.
        traced: ``show_traces`` summarises the traces the command made (it runs agents, models, workflows).
    """

    def register(handler: Handler) -> Handler:
        if name in REGISTRY and REGISTRY[name].handler is not handler:
            raise ValueError(f"the %mastra subcommand {name!r} is registered twice")
        REGISTRY[name] = Command(name, summary, handler, arguments, cell, raw, epilog, traced)
        return handler

    return register


def load_all() -> dict[str, Command]:
    """Import every command module of this package (each registers itself) and return the registry."""
    from mastra_lab.lab import commands

    for module in pkgutil.iter_modules(commands.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{module.name}")
    return REGISTRY


@dataclass
class Invocation:
    """What a handler works with: the shell, the magics' settings, the raw line and the cell body.

    Attributes:
        line: The arguments after the subcommand name, verbatim.
        cell: The cell body for ``%%mastra``, else ``None``.
    """

    magics: MastraMagics
    name: str
    line: str
    cell: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def shell(self) -> InteractiveShell:
        shell = self.magics.shell
        assert shell is not None, "the magics are registered with a shell"
        return shell

    @property
    def user_ns(self) -> dict[str, Any]:
        return self.shell.user_ns  # type: ignore[no-any-return]

    @property
    def mastra(self) -> Mastra:
        """The notebook's :class:`~mastra_lab.Mastra`; a ``UsageError`` saying how to make one if none."""
        mastra = self.magics.mastra
        if mastra is None:
            raise usage_error(
                f"%mastra {self.name} needs a Mastra and this notebook has none yet",
                "run %mastra init (in-memory), %mastra init --db FILE.duckdb, or %mastra init NAME to use an "
                "existing Mastra variable",
            )
        return mastra
