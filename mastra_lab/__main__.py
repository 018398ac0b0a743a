"""``python -m mastra_lab`` runs the command line, like the ``mastra-lab`` script."""

from __future__ import annotations

import sys

from mastra_lab.cli import main

sys.exit(main())
