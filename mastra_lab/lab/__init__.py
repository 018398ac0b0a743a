"""The notebook layer: ``%mastra`` magics, ipywidgets panels and the helpers that test them.

Everything here only *calls* the library; nothing below ``mastra_lab.lab`` imports it. ``%load_ext
mastra_lab`` registers the magics; the panels are importable on their own (``from mastra_lab.lab import
dashboard``). Names load lazily so that loading the extension imports neither pandas, matplotlib nor
ipywidgets before a command needs them.
"""

from __future__ import annotations

import typing

from mastra_lab import _lazy

if typing.TYPE_CHECKING:
    from mastra_lab.lab.magics import (
        MastraMagics,
        current_mastra,
        load_ipython_extension,
        unload_ipython_extension,
    )
    from mastra_lab.lab.panels.tabs import dashboard

__all__ = [
    "MastraMagics",
    "current_mastra",
    "dashboard",
    "load_ipython_extension",
    "unload_ipython_extension",
]

__getattr__, __dir__ = _lazy.attach(
    __name__,
    {
        "MastraMagics": "mastra_lab.lab.magics",
        "current_mastra": "mastra_lab.lab.magics",
        "dashboard": "mastra_lab.lab.panels.tabs",
        "load_ipython_extension": "mastra_lab.lab.magics",
        "unload_ipython_extension": "mastra_lab.lab.magics",
    },
)
