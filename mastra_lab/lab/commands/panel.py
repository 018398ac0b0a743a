"""``%mastra panel NAME``: show one of the ipywidgets panels, or all of them in tabs."""

from __future__ import annotations

import argparse
from typing import Any

from mastra_lab.lab.panels.tabs import PANELS, dashboard, panel_class
from mastra_lab.lab.registry import CommandParser, Invocation, command

__all__: list[str] = []


def _arguments(parser: CommandParser) -> None:
    parser.add_argument("name", choices=[*PANELS, "dashboard"], help="which panel")


@command("panel", f"open a panel: {' | '.join([*PANELS, 'dashboard'])}", arguments=_arguments)
def panel_command(invocation: Invocation, args: argparse.Namespace) -> Any:
    mastra = invocation.mastra
    if args.name == "dashboard":
        return dashboard(mastra)
    return panel_class(args.name)(mastra)
