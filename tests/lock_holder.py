"""A second process that holds a DuckDB file open, so tests can meet DuckDB's file lock for real.

``with holding(path):`` starts a Python process that opens ``path`` with :class:`DuckDBStore`, writes one
record to ``notes`` (``{"by": "holder"}``) and keeps the file open until the block ends.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["holding"]

ROOT = Path(__file__).resolve().parents[1]
_HOLDER = (
    "import sys\n"
    "from mastra_lab.storage import DuckDBStore\n"
    "store = DuckDBStore(sys.argv[1], read_only=sys.argv[2] == 'ro')\n"
    "if sys.argv[2] != 'ro':\n"
    "    store.create('notes', {'by': 'holder'})\n"
    "print('ready', flush=True)\n"
    "sys.stdin.read()\n"
    "store.close()\n"
)


@contextmanager
def holding(path: Path, *, read_only: bool = False) -> Iterator[int]:
    """Hold ``path`` open in another process (for writing, or read-only); yields that process's PID."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path), "ro" if read_only else "rw"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline().strip()
        if line != "ready":
            holder.kill()
            _out, err = holder.communicate()
            raise AssertionError(f"the lock holder did not start: {err}")
        yield holder.pid
    finally:
        if holder.poll() is None:
            _out, err = holder.communicate("")
            assert holder.returncode == 0, err
