"""The ``%mastra`` router: loading, the registry-driven help, and mistakes as one-line ``UsageError``s."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from IPython.core.error import UsageError

from mastra_lab.errors import MastraError
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.display import Text
from mastra_lab.lab.registry import REGISTRY, command


def test_loading_the_extension_imports_nothing_heavy() -> None:
    script = (
        "import json, sys\n"
        "from mastra_lab.lab._testing import TestingShell\n"
        "shell = TestingShell()\n"
        "shell.line('help')\n"
        "print(json.dumps(sorted(m for m in ('pandas', 'matplotlib', 'ipywidgets', 'duckdb', 'numpy') "
        "if m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.splitlines()[-1]) == []


def test_load_ext_registers_line_and_cell_magics_and_unload_removes_them() -> None:
    shell = TestingShell()
    try:
        magics = shell.shell.magics_manager.magics
        assert "mastra" in magics["line"] and "mastra" in magics["cell"]
        shell.shell.run_line_magic("unload_ext", "mastra_lab")
        assert "mastra" not in magics["line"] and "mastra" not in magics["cell"]
        shell.shell.run_line_magic("load_ext", "mastra_lab")
        assert "mastra" in magics["line"]
        assert shell.line("version")["mastra-lab"] == "0.1.0"
    finally:
        shell.close()


def test_loading_twice_keeps_one_magics_instance(ip: TestingShell) -> None:
    first = ip.magics
    ip.shell.run_line_magic("load_ext", "mastra_lab")
    assert ip.magics is first
    ip.shell.run_line_magic("reload_ext", "mastra_lab")
    configured = [c for c in ip.shell.configurables if type(c).__name__ == "MastraMagics"]
    assert configured == [ip.magics]
    assert ip.line("version")["mastra-lab"] == "0.1.0"


def test_help_lists_every_registered_command(ip: TestingShell) -> None:
    shown = ip.line("help")
    for name, cmd in REGISTRY.items():
        assert f"  {name}" in shown.text and cmd.summary in shown.text
        assert f"{name}</code>" in shown._repr_html_()
    assert ip.line("") == shown  # a bare %mastra is help


def test_every_command_answers_dash_dash_help_with_its_usage(ip: TestingShell) -> None:
    for name in REGISTRY:
        shown = ip.line(f"{name} --help")
        assert isinstance(shown, Text)
        assert shown.text.startswith(f"usage: %mastra {name}")
        assert ip.line(f"help {name}") == shown


def test_an_unknown_subcommand_suggests_the_closest(ip: TestingShell) -> None:
    assert (
        ip.usage_error("versoin")
        == "unknown %mastra subcommand 'versoin' (hint: did you mean %mastra version?)"
    )
    assert "%mastra help lists the commands" in ip.usage_error("zzzzzz")
    assert "unknown %mastra subcommand 'nope'" in ip.usage_error("help nope")


def test_unknown_options_and_unbalanced_quotes_are_one_line_usage_errors(ip: TestingShell) -> None:
    message = ip.usage_error("version --colour")
    assert message == "%mastra version: unrecognized arguments: --colour (hint: see %mastra version --help)"
    assert "\n" not in message
    assert "close the quote" in ip.usage_error("help 'unbalanced")


def test_cell_use_is_checked_against_the_command(ip: TestingShell) -> None:
    assert ip.usage_error("version", "body") == (
        "%%mastra version takes no cell body (hint: use the line form: %mastra version …)"
    )


def test_commands_that_need_a_mastra_say_how_to_make_one(ip: TestingShell) -> None:
    message = ip.usage_error("panel storage")
    assert message.startswith("%mastra panel needs a Mastra and this notebook has none yet")
    assert "%mastra init" in message


@pytest.fixture
def failing_command() -> object:
    @command("explode", "raise a library error (test only)")
    def explode(invocation: object, args: object) -> None:
        raise MastraError("the widget is broken; fix it by turning it off and on", code="TEST_BROKEN")

    yield explode
    del REGISTRY["explode"]


def test_a_library_error_becomes_its_message_without_a_traceback(
    ip: TestingShell, failing_command: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ip.usage_error("explode") == "the widget is broken; fix it by turning it off and on"
    result = ip.run_cell("%mastra explode")
    err = capsys.readouterr()
    assert result.success is False
    shown = err.out + err.err
    assert "UsageError: the widget is broken" in shown
    assert "Traceback" not in shown and "raise MastraError" not in shown


def test_registering_a_name_twice_is_refused(failing_command: object) -> None:
    with pytest.raises(ValueError, match="registered twice"):
        command("explode", "again")(lambda invocation, args: None)


def test_defaults_are_traitlets_settable_with_config(ip: TestingShell) -> None:
    ip.shell.run_line_magic("config", "MastraMagics.display_limit = 5")
    ip.shell.run_line_magic("config", "MastraMagics.default_model = 'openai:gpt-4o-mini'")
    assert ip.magics.display_limit == 5
    assert ip.magics.default_model == "openai:gpt-4o-mini"
    assert ip.magics.default_embedder == "hashing"


def test_current_mastra_is_the_one_init_made_for_python_cells(ip: TestingShell) -> None:
    from mastra_lab.lab import current_mastra

    with pytest.raises(UsageError, match="no Mastra yet"):
        current_mastra(ip.shell)
    ip.line("init")
    assert current_mastra(ip.shell) is ip.magics.mastra
    assert current_mastra(ip.shell).status()["storage"] == "duckdb"
