"""``%mastra help`` and ``%mastra version``: read from the registry and the installed packages."""

from __future__ import annotations

import argparse
import html
import platform
from importlib.metadata import PackageNotFoundError, version

from mastra_lab.lab.display import Fields, Text, usage_error
from mastra_lab.lab.registry import REGISTRY, CommandParser, Invocation, command

__all__: list[str] = []

_FORMS = {"never": "%mastra", "optional": "%mastra / %%mastra", "required": "%%mastra"}


def _help_arguments(parser: CommandParser) -> None:
    parser.add_argument("command", nargs="?", help="show this command's help instead of the list")


@command("help", "list the commands, or explain one: %mastra help COMMAND", arguments=_help_arguments)
def help_command(invocation: Invocation, args: argparse.Namespace) -> Text:
    if args.command:
        found = REGISTRY.get(args.command)
        if found is None:
            raise usage_error(
                f"unknown %mastra subcommand {args.command!r}", "%mastra help lists the commands"
            )
        return Text(found.help())
    names = sorted(REGISTRY)
    width = max(map(len, names))
    lines = ["%mastra COMMAND [options] — COMMAND --help explains one", ""]
    lines += [f"  {name.ljust(width)}  {REGISTRY[name].summary}" for name in names]
    rows = "".join(
        f"<tr><td><code>{_FORMS[REGISTRY[n].cell]} {html.escape(n)}</code></td>"
        f"<td style='text-align:left'>{html.escape(REGISTRY[n].summary)}</td></tr>"
        for n in names
    )
    return Text("\n".join(lines), f"<table class='mastra-help'>{rows}</table>")


_PACKAGES = ("mastra-lab", "duckdb", "numpy", "pandas", "ipython", "ipywidgets", "matplotlib", "jupyterlab")


def _installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@command("version", "versions of mastra_lab, Python and the packages it runs on")
def version_command(invocation: Invocation, args: argparse.Namespace) -> Fields:
    values = {"python": platform.python_version(), **{name: _installed(name) for name in _PACKAGES}}
    return Fields(values, title="mastra_lab workbench")
