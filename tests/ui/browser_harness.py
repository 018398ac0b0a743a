"""Drive JupyterLab in a real browser: start a server, open a notebook, run it, and collect what went wrong.

nbval runs a notebook's code in a kernel but never renders it, so a widget that fails to display, a
front-end error or an output that only breaks in the browser passes there. This harness runs a notebook the
way a user does — JupyterLab in Debian's Chromium, driven by Playwright — and gathers every failure it can
see: error outputs and tracebacks in cells, widgets that did not render, and the browser's console errors.

The server is isolated from the machine it runs on (its own config, data, runtime and IPython directories,
a random token, loopback only), and nothing in it reaches the network: news and update checks are off on
both sides, and the page aborts (and records) every request that is not for the server itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Locator, Page, Route

__all__ = [
    "CHROMIUM_ARGS",
    "JupyterLab",
    "NotebookRun",
    "click_until",
    "find_chromium",
    "launch_chromium",
    "run_notebook",
    "start_jupyterlab",
    "wait_until",
]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
"""Headless, sandbox-less (CI runs as root) and quiet: no background fetches to Google's services."""

SERVER_START_TIMEOUT = 90.0
"""Seconds for JupyterLab to answer ``/api/status`` (a cold start on a loaded CI machine takes ~10 s)."""

KERNEL_READY_TIMEOUT = 120.0
"""Seconds for the notebook to open and its kernel to be idle."""

RUN_TIMEOUT = 240.0
"""Seconds for "Run All Cells" to finish."""

WIDGET_FAILURE_TEXTS = ("Error displaying widget", "model not found")
"""What ipywidgets' renderer writes into an output when a widget view cannot be built."""

WIDGET_LOADING_TEXT = "Loading widget..."
"""What an output shows until its widget view renders (or fails to)."""

WIDGET_TIMEOUT = 60.0
"""Seconds for every widget to leave "Loading widget..." after the run; one still loading is a failure."""

_LAB_SETTINGS = {
    # No "would you like to receive news?" toast, no news feed, no update check.
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Every cell stays in the DOM, so a test can find (and Playwright scroll to) any output.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    # The copies in the server's root keep no outputs between runs.
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
}
_LAB_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "expose_app_in_browser": True,
        "extension_manager": "readonly",
    },
}
_STDERR_PROBLEM = re.compile(r"Traceback|Error|Warning")
"""Stream text on stderr that reports a problem (progress bars also write there, and are not one)."""


def find_chromium() -> str | None:
    """The path of Debian's Chromium (``apt-get install chromium``), or ``None`` when it is absent."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll ``condition`` until it returns something truthy, and return that; fail after ``timeout`` seconds.

    Args:
        condition: Called repeatedly; exceptions count as "not yet".
        timeout: The deadline in seconds; generous, since it only costs time when something is broken.
        what: What is awaited, for the error message.
        interval: Pause between polls (a poll interval, never a wait for something to happen).
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            value = condition()
        except Exception as exc:
            last_error = exc
        else:
            if value:
                return value
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(interval)


@dataclass
class JupyterLab:
    """A running JupyterLab server: where it listens, its token and the directory it serves."""

    url: str
    """Base URL, ending in ``/``."""
    token: str
    root: Path
    """The server's root directory (the notebooks were copied here)."""
    log: Path
    """The server's combined stdout and stderr."""

    def lab_url(self, notebook: str) -> str:
        """The URL that opens ``notebook`` (relative to :attr:`root`) alone in JupyterLab.

        ``reset`` drops the tabs an earlier page left in the workspace, so the page shows this notebook only.
        """
        return f"{self.url}lab/tree/{notebook}?reset&token={self.token}"

    def api(self, method: str, path: str) -> Any:
        """Call the server's REST API (``path`` without the leading ``/``) and return the decoded JSON."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_sessions(self) -> None:
        """Stop every notebook's kernel, so a test leaves no kernel running for the next one."""
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log, to attach to a failure."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def click_until(button: Locator, condition: Callable[[], object], what: str) -> None:
    """Click, and click again until ``condition`` holds, one click at a time.

    A box's new value reaches the kernel a moment after it is typed, so the first click may still act on
    the old one; a second click while one is in flight would clear the output being read.
    """
    for _attempt in range(20):
        button.click()
        try:
            wait_until(condition, 3, what)
            return
        except TimeoutError:
            continue
    raise AssertionError(f"clicking never led to {what}")


def _status(url: str, token: str) -> bool:
    request = urllib.request.Request(f"{url}api/status", headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return bool(response.status == 200)


def _server_url(runtime_dir: Path, process: subprocess.Popen[bytes]) -> str | None:
    """The URL the server wrote into its info file, once it listens (it picks a free port itself)."""
    if process.poll() is not None:
        raise RuntimeError(f"JupyterLab exited with code {process.returncode} before it started")
    for info_file in runtime_dir.glob("jpserver-*.json"):
        info = json.loads(info_file.read_text() or "{}")
        if info.get("pid") == process.pid and info.get("url"):
            return str(info["url"]).rstrip("/") + "/"
    return None


def _isolated_env(home: Path, python_path: Path | None) -> dict[str, str]:
    """The server's environment: the caller's, minus its Jupyter state, keys and ``MASTRA_*`` settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not (
            name.startswith(("MASTRA_", "JUPYTER", "IPYTHON")) or name.endswith(("_API_KEY", "_BASE_URL"))
        )
    }
    dirs = {
        "JUPYTER_CONFIG_DIR": home / "config",
        "JUPYTER_DATA_DIR": home / "data",
        "JUPYTER_RUNTIME_DIR": home / "runtime",
        "IPYTHONDIR": home / "ipython",
        "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
        "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    if python_path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(python_path), env.get("PYTHONPATH")]))
    return env


def _write_settings(env: dict[str, str]) -> None:
    (Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_lab_config.json").write_text(json.dumps(_LAB_CONFIG))
    for plugin, values in _LAB_SETTINGS.items():
        package, _, name = plugin.partition(":")
        target = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / package / f"{name}.jupyterlab-settings"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and the kernels it started (its own process group), politely first."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # kernels left behind by a server that was killed


@contextmanager
def start_jupyterlab(root: Path, home: Path, python_path: Path | None = None) -> Iterator[JupyterLab]:
    """Run JupyterLab on 127.0.0.1 serving ``root``, with its state under ``home``; stop it on exit.

    Args:
        root: The directory served (copy the notebooks here first).
        home: An empty directory for the server's config, data, runtime and IPython directories and log.
        python_path: Prepended to the kernels' ``PYTHONPATH`` (the checkout whose code is under test).
    """
    env = _isolated_env(home, python_path)
    _write_settings(env)
    token = secrets.token_hex(24)
    log = home / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_root=True",
        "--ServerApp.open_browser=False",
        "--ServerApp.terminals_enabled=False",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        runtime = Path(env["JUPYTER_RUNTIME_DIR"])
        try:
            url = wait_until(
                lambda: _server_url(runtime, process), SERVER_START_TIMEOUT, "JupyterLab to listen"
            )
            wait_until(lambda: _status(url, token), SERVER_START_TIMEOUT, f"{url}api/status")
        except (TimeoutError, RuntimeError) as exc:
            raise RuntimeError(f"{exc}; server log:\n{log.read_text(errors='replace')[-4000:]}") from exc
        yield JupyterLab(url=url, token=token, root=root, log=log)
    finally:
        _stop(process)


def launch_chromium(playwright: Any, executable: str) -> Browser:
    """Launch Debian's Chromium through Playwright (its own browser download is not needed)."""
    browser: Browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    return browser


@dataclass
class NotebookRun:
    """What one browser run of a notebook showed; :attr:`problems` lists everything that went wrong."""

    name: str
    artifacts: Path
    """Where :meth:`screenshot` saves."""
    cell_errors: list[str] = field(default_factory=list)
    """Error outputs (``ename: evalue``) and tracebacks or warnings on stderr, each with its cell number."""
    widget_failures: list[str] = field(default_factory=list)
    """Outputs where ipywidgets could not display a widget."""
    console_errors: list[str] = field(default_factory=list)
    """The browser's console errors and uncaught page errors."""
    external_requests: list[str] = field(default_factory=list)
    """Requests for anything but the server itself (aborted)."""
    not_run: list[int] = field(default_factory=list)
    """Code cells without an execution count after the run (it stopped before them)."""
    screenshots: list[Path] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every failure, one line each; empty when the notebook ran cleanly in the browser."""
        return [
            *(f"cell error: {e}" for e in self.cell_errors),
            *(f"widget failure: {e}" for e in self.widget_failures),
            *(f"console error: {e}" for e in self.console_errors),
            *(f"external request: {e}" for e in self.external_requests),
            *(f"cell {i} did not run" for i in self.not_run),
        ]

    def screenshot(self, page: Page, label: str) -> Path:
        """Save a full-page screenshot of ``page`` as ``<notebook>-<label>.png`` in :attr:`artifacts`."""
        self.artifacts.mkdir(parents=True, exist_ok=True)
        path = self.artifacts / f"{Path(self.name).stem}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        self.screenshots.append(path)
        return path

    def assert_clean(self) -> None:
        """Fail with the list of problems, and where the screenshots are, unless there is none."""
        if self.problems:
            shots = ", ".join(str(p) for p in self.screenshots)
            raise AssertionError(
                f"{self.name} ran with problems (screenshots: {shots}):\n" + "\n".join(self.problems)
            )


_READY_JS = """(path) => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.sessionContext || !panel.context || panel.context.path !== path) return false;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return panel.context.isReady && panel.sessionContext.isReady && !!kernel && kernel.status === 'idle';
}"""

_RUN_ALL_JS = """(timeoutMs) => Promise.race([
  window.jupyterapp.commands.execute('notebook:run-all-cells').then(() => 'done'),
  new Promise((resolve) => setTimeout(() => resolve('timeout'), timeoutMs)),
])"""

_IDLE_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  return kernel.status === 'idle' && !panel.content.widgets.some(
    (cell) => cell.model.type === 'code' && cell.promptNode && cell.promptNode.textContent.includes('*'));
}"""

_WIDGETS_SETTLED_JS = """(loading) => !Array.from(document.querySelectorAll('.jp-OutputArea-output'))
  .some((output) => output.textContent.includes(loading))"""

_CELLS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .map((cell, index) => ({index, cell}))
  .filter(({cell}) => cell.model.type === 'code')
  .map(({index, cell}) => ({
    index, count: cell.model.executionCount, outputs: cell.model.outputs.toJSON()}))"""


def _cell_problems(cells: list[dict[str, Any]]) -> tuple[list[str], list[int]]:
    errors: list[str] = []
    not_run: list[int] = []
    for cell in cells:
        if cell["count"] is None:
            not_run.append(cell["index"])
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                errors.append(f"cell {cell['index']}: {output['ename']}: {output['evalue']}")
            elif output["output_type"] == "stream" and output["name"] == "stderr":
                text = "".join(output["text"]) if isinstance(output["text"], list) else output["text"]
                if _STDERR_PROBLEM.search(text):
                    errors.append(f"cell {cell['index']} (stderr): {text.strip()[-2000:]}")
    return errors, not_run


def _widget_failures(page: Page) -> list[str]:
    failures = []
    for output in page.locator(".jp-OutputArea-output").all():
        text = output.inner_text()
        if any(marker in text for marker in WIDGET_FAILURE_TEXTS):
            failures.append(text.strip()[:500])
        elif WIDGET_LOADING_TEXT in text:
            failures.append(f"still {WIDGET_LOADING_TEXT!r} {WIDGET_TIMEOUT:.0f}s after the run")
    return failures


def _watch(page: Page, run: NotebookRun, server_url: str) -> None:
    """Record console errors, page errors and external requests of ``page`` into ``run``."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            url, line = message.location.get("url"), message.location.get("lineNumber")
            run.console_errors.append(f"{message.text} ({url}:{line})" if url else message.text)

    def on_route(route: Route) -> None:
        url = route.request.url
        if url.startswith((server_url, "data:", "blob:")):
            route.continue_()
        else:
            run.external_requests.append(url)
            route.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda error: run.console_errors.append(f"uncaught: {error}"))
    page.route("**/*", on_route)


def _collect(page: Page, run: NotebookRun) -> None:
    run.cell_errors, run.not_run = _cell_problems(page.evaluate(_CELLS_JS))
    run.widget_failures = _widget_failures(page)


def _run_all(page: Page, name: str) -> None:
    """Wait for the kernel, run every cell, and wait until the kernel is idle and widgets have rendered."""
    page.wait_for_function(_READY_JS, arg=name, timeout=KERNEL_READY_TIMEOUT * 1000, polling=200)
    if page.evaluate(_RUN_ALL_JS, RUN_TIMEOUT * 1000) != "done":
        raise TimeoutError(f"Run All Cells did not finish within {RUN_TIMEOUT:.0f}s")
    page.wait_for_function(_IDLE_JS, timeout=KERNEL_READY_TIMEOUT * 1000, polling=200)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    # A widget that never leaves "Loading widget..." is reported by _widget_failures, not raised here.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            _WIDGETS_SETTLED_JS, arg=WIDGET_LOADING_TEXT, timeout=WIDGET_TIMEOUT * 1000, polling=200
        )


def run_notebook(page: Page, lab: JupyterLab, name: str, artifacts: Path) -> NotebookRun:
    """Open ``name`` in JupyterLab, run all its cells, wait for the kernel, and collect every problem.

    A wait that runs out fails with what was collected so far, a screenshot and the server's log.

    Args:
        page: A fresh Playwright page (the harness listens to its console from the start).
        lab: The server, whose root holds the notebook.
        name: The notebook's path relative to the server's root.
        artifacts: Where the screenshots go.
    """
    from playwright.sync_api import Error as PlaywrightError

    run = NotebookRun(name, artifacts)
    _watch(page, run, lab.url)
    page.goto(lab.lab_url(name), wait_until="domcontentloaded")
    try:
        _run_all(page, name)
    except (TimeoutError, PlaywrightError) as exc:
        run.screenshot(page, "stuck")
        with contextlib.suppress(PlaywrightError):
            _collect(page, run)
        problems = "\n".join(run.problems) or "none"
        raise AssertionError(
            f"{name} did not finish running in the browser: {exc}\nproblems so far:\n{problems}\n"
            f"screenshot: {run.screenshots[-1]}\nserver log:\n{lab.log_tail()}"
        ) from exc
    run.screenshot(page, "after-run")
    _collect(page, run)
    return run
