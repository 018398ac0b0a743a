"""Arize Phoenix as a real OTLP collector for the round-trip test, run from its own virtual environment.

Phoenix brings about 150 packages, so it is not a dependency of mastra-lab: ``.ci/run`` creates the
environment once (``~/.cache/mastra-lab/phoenix-venv``, or ``$MASTRA_PHOENIX_VENV``) and every session reuses
it. :func:`run_phoenix` starts ``phoenix serve`` on 127.0.0.1 with free ports and a temporary working
directory (so no trace outlives the session), waits until ``/healthz`` answers and stops it afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

DEFAULT_VENV = Path("~/.cache/mastra-lab/phoenix-venv").expanduser()
STARTUP_SECONDS = 120


def phoenix_executable(venv: Path) -> Path | None:
    """The ``phoenix`` command of the environment, or ``None`` when it is not installed there."""
    executable = venv / "bin" / "phoenix"
    return executable if executable.is_file() and os.access(executable, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _log_tail(log: Path) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-30:])


@contextmanager
def run_phoenix(executable: Path, working_dir: Path) -> Iterator[str]:
    """A Phoenix server for the ``with`` block; yields its base URL (``http://127.0.0.1:PORT``)."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PHOENIX_", "OTEL_"))}
    env |= {
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(_free_port()),
        "PHOENIX_WORKING_DIR": str(working_dir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }
    log = working_dir / "phoenix.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(executable), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, base_url, log)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _wait_healthy(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"phoenix serve exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"phoenix serve did not answer /healthz within {STARTUP_SECONDS} s:\n{_log_tail(log)}")
