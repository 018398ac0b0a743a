"""``%mastra panel NAME``: show one of the ipywidgets panels, or all of them in tabs."""

from __future__ import annotations

import argparse
from typing import Any

from mastra_lab.lab.panels.tabs import PANELS, dashboard, open_panel
from mastra_lab.lab.registry import CommandParser, Invocation, command

__all__: list[str] = []


def _arguments(parser: CommandParser) -> None:
    parser.add_argument("name", choices=[*PANELS, "dashboard"], help="which panel")


@command("panel", f"open a panel: {' | '.join([*PANELS, 'dashboard'])}", arguments=_arguments)
def panel_command(invocation: Invocation, args: argparse.Namespace) -> Any:
    mastra, embedder = invocation.mastra, invocation.magics.default_embedder
    if args.name == "dashboard":
        return dashboard(mastra, default_embedder=embedder)
    return open_panel(args.name, mastra, default_embedder=embedder)
