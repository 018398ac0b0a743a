"""Telemetry fixtures: a Phoenix server for the OTLP round trip, once per session.

Phoenix lives in its own environment (see :mod:`phoenix_service`). Where it is missing the test skips on a
developer's machine and fails in CI (``CI`` set), so the round trip cannot quietly stop running.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # `import phoenix_service` under any pytest import mode

from phoenix_service import DEFAULT_VENV, phoenix_executable, run_phoenix

# Read at import: the suite's autouse fixture strips MASTRA_* variables from each test's environment.
PHOENIX_VENV = Path(os.environ.get("MASTRA_PHOENIX_VENV") or DEFAULT_VENV).expanduser()
REQUIRE_PHOENIX = bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Phoenix server on 127.0.0.1, with a throwaway working directory."""
    executable = phoenix_executable(PHOENIX_VENV)
    if executable is None:
        reason = f"Arize Phoenix is not installed in {PHOENIX_VENV}"
        if REQUIRE_PHOENIX:
            pytest.fail(f"{reason}; .ci/run creates it, and the Phoenix round trip is required in CI")
        pytest.skip(
            f"{reason}; create it with `python3 -m venv {PHOENIX_VENV} && {PHOENIX_VENV}/bin/pip install "
            "'arize-phoenix>=20.26,<21'` or point MASTRA_PHOENIX_VENV at one"
        )
    assert executable is not None
    with run_phoenix(executable, tmp_path_factory.mktemp("phoenix")) as base_url:
        yield base_url
