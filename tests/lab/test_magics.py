"""The ``%mastra`` router: loading, the registry-driven help, mistakes as one-line ``UsageError``s, and the
``show_traces`` summary under the cells that run agents, models and workflows."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from IPython.core.error import UsageError

from mastra_lab.agent import Agent
from mastra_lab.errors import MastraError, ProviderError
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.agents import ChatTurn
from mastra_lab.lab.display import Text
from mastra_lab.lab.registry import REGISTRY, command
from mastra_lab.llm import FunctionModel, Message
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.workflow import Workflow, step


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


# -- show_traces -----------------------------------------------------------------------------------------


def _summaries(shell: TestingShell) -> list[str]:
    """The trace summaries the shell displayed, as their text."""
    return [
        o["data"]["text/plain"]
        for o in shell.outputs
        if "mastra-cell-traces" in o["data"].get("text/html", "")
    ]


def test_show_traces_is_off_by_default(traced: TestingShell) -> None:
    assert traced.magics.show_traces is False
    traced.cell("chat calc", "5 + 6?")
    assert _summaries(traced) == []


def test_a_chat_cell_shows_the_trace_it_made(traced: TestingShell) -> None:
    traced.run_cell("%config MastraMagics.show_traces = True")
    turn = traced.cell("chat calc", "5 + 6?")
    assert isinstance(turn, ChatTurn)  # the cell's result is unchanged
    (summary,) = _summaries(traced)
    newest = traced.magics.mastra.traces_df(limit=1).iloc[0]  # type: ignore[union-attr]
    assert summary == (
        f"trace {newest['trace_id']} · invoke_agent calc · {newest['duration_ms']:.1f} ms · 4 spans · "
        f"{newest['input_tokens']}→{newest['output_tokens']} tokens · ${newest['cost_usd']:.6f} · ok"
    )


def test_a_failed_tool_shows_in_the_summary(traced: TestingShell) -> None:
    traced.run_cell("%config MastraMagics.show_traces = True")
    traced.cell("chat support", "Where is A-2?")
    (summary,) = _summaries(traced)
    assert "invoke_agent support" in summary
    assert summary.endswith(" · error: TOOL_ERROR: the order service is down")


def test_a_run_that_fails_still_shows_its_trace_before_the_error(traced: TestingShell) -> None:
    def down(messages: list[Message], info: AgentInfo) -> str:
        raise ProviderError("the provider is down", code="PROVIDER_UNAVAILABLE")

    traced.magics.mastra.add_agent(Agent("flaky", "", FunctionModel(down)))  # type: ignore[union-attr]
    traced.run_cell("%config MastraMagics.show_traces = True")
    with pytest.raises(UsageError, match="the provider is down"):  # shown as one line, after the summary
        traced.cell("chat flaky", "hello?")
    (summary,) = _summaries(traced)
    assert "invoke_agent flaky" in summary and " · error: " in summary


def test_ask_and_run_cells_show_their_traces(traced: TestingShell) -> None:
    @step
    def double(ctx: object) -> int:
        return 2 * ctx.input  # type: ignore[attr-defined]

    mastra = traced.magics.mastra
    assert mastra is not None
    mastra.add_workflow(Workflow("twice").then(double).commit())
    traced.run_cell("%config MastraMagics.show_traces = True")
    traced.cell("ask test", "What is DuckDB?")
    traced.line("run twice --input 21")
    ask, run = _summaries(traced)
    assert " · chat test · " in ask and ask.endswith(" · ok")
    assert " · workflow_run twice · " in run and " · 2 spans · " in run and run.endswith(" · ok")


def test_a_mistake_shows_only_its_error(traced: TestingShell) -> None:
    traced.run_cell("%config MastraMagics.show_traces = True")
    assert "no agent named 'nope'" in traced.usage_error("chat nope", "hello?")
    assert _summaries(traced) == []


def test_a_cell_that_makes_no_trace_says_so(traced: TestingShell) -> None:
    traced.run_cell("%config MastraMagics.show_traces = True")
    traced.line("traces")  # not a command that runs anything: no summary at all
    assert _summaries(traced) == []
    traced.magics.mastra.tracer.enabled = False  # type: ignore[union-attr]
    traced.cell("chat calc", "1 + 1?")
    assert _summaries(traced) == ["no trace recorded in this cell"]


def test_a_summary_that_fails_is_a_note_not_an_error(
    traced: TestingShell, caplog: pytest.LogCaptureFixture
) -> None:
    traced.run_cell("%config MastraMagics.show_traces = True")
    traced.magics.mastra.prices = {"test": "free"}  # type: ignore[union-attr,dict-item]  # breaks cost only
    turn = traced.cell("chat calc", "5 + 6?")
    assert isinstance(turn, ChatTurn) and turn.finish_reason == "stop"
    notes = [o["data"]["text/plain"] for o in traced.outputs if "trace summary unavailable" in str(o["data"])]
    assert len(notes) == 1 and notes[0].startswith("(trace summary unavailable: MastraError: ")
    assert any("could not summarise the cell's traces" in r.getMessage() for r in caplog.records)
