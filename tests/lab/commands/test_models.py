"""``%mastra providers`` / ``models`` and ``%%mastra ask``: usable providers, streamed answers, key errors.

Streaming is checked on what the shell actually published: one display created once and then updated in
place (same display id, ``update=True``). Against the loopback OpenAI server, the stream is held after its
first piece until the first display has been published, so a command that buffered the answer could not
show the first piece on its own.
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_provider import TEST_KEY, FakeProviderServer, Hold, Scenario, Status, error_body

from mastra_lab import Mastra, _runtime
from mastra_lab._secret import mask
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.models import Answer
from mastra_lab.lab.display import Table
from mastra_lab.llm import http

KEY_VARIABLES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GROQ_API_KEY", "MASTRA_COMPAT_API_KEY")


@pytest.fixture
def openai_server(
    fake_server: FakeProviderServer, allow_model_requests: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeProviderServer]:
    """``openai:`` models talk to the loopback server, with the test key in ``OPENAI_API_KEY``."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_server.base_url("openai"))
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    yield fake_server
    _runtime.run_sync(http.aclose_async_client())


def _displays(ip: TestingShell) -> list[dict[str, Any]]:
    return [o for o in ip.outputs if o["transient"].get("display_id")]


def _texts(ip: TestingShell) -> list[str]:
    return [o["data"]["text/plain"] for o in _displays(ip)]


def _assert_one_display_updated_in_place(ip: TestingShell) -> None:
    shown = _displays(ip)
    assert len(shown) >= 2
    assert [o["update"] for o in shown] == [False] + [True] * (len(shown) - 1)
    assert len({o["transient"]["display_id"] for o in shown}) == 1


def _on_first_display(ip: TestingShell, monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` right after the shell publishes its first display (and only then)."""
    publish = ip.publisher.publish
    done: list[bool] = []

    def publishing(*args: Any, **kwargs: Any) -> None:
        publish(*args, **kwargs)
        if not done:
            done.append(True)
            action()

    monkeypatch.setattr(ip.publisher, "publish", publishing)


def _fragments(secret: str, size: int = 6) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)} | {mask(secret), secret[-4:]}


def _assert_no_key_in(shown: str) -> None:
    leaked = sorted(f for f in _fragments(TEST_KEY) if f in shown)
    assert leaked == []


# ----------------------------------------------------------------------------------------------- providers


def _rows(table: Table) -> dict[str, dict[str, str]]:
    return {row["provider"]: row for row in table.df.to_dict("records")}


def test_providers_says_which_are_usable_and_names_each_key_variable(
    ip: TestingShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    table = ip.line("providers")

    rows = _rows(table)
    assert set(rows) == {"anthropic", "compat", "groq", "openai", "test"}
    assert rows["openai"] | {"base URL": ""} == {
        "provider": "openai",
        "usable": "yes",
        "why": "key set ($OPENAI_API_KEY)",
        "key variable": "OPENAI_API_KEY",
        "key set": "yes",
        "base URL": "",
        "example": "openai:gpt-4o-mini",
    }
    assert (rows["anthropic"]["usable"], rows["anthropic"]["why"]) == ("no", "ANTHROPIC_API_KEY is not set")
    assert (rows["groq"]["key variable"], rows["groq"]["key set"]) == ("GROQ_API_KEY", "no")
    assert (rows["test"]["usable"], rows["test"]["key variable"]) == ("yes", "")
    assert table.title is not None and table.title.startswith("3 of 5 providers usable")


def test_models_is_the_same_table(ip: TestingShell) -> None:
    assert ip.line("models").df.equals(ip.line("providers").df)


def test_providers_never_shows_a_key_not_even_masked(
    ip: TestingShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in KEY_VARIABLES:
        monkeypatch.setenv(name, TEST_KEY)
    ip.run_cell("%mastra providers")
    table = ip.line("providers")

    assert set(table.df["key set"]) == {"yes", ""}
    published = " ".join(str(o["data"]) for o in ip.outputs)
    _assert_no_key_in(repr(table) + table._repr_html_() + published)


def test_providers_counts_a_key_from_the_notebooks_mastra_config(ip: TestingShell) -> None:
    ip.magics.replace_mastra(Mastra.from_config({"groq_api_key": TEST_KEY}), owned=True)
    groq = _rows(ip.line("providers"))["groq"]
    assert (groq["usable"], groq["why"], groq["key set"]) == ("yes", "key set (configuration)", "yes")


# ----------------------------------------------------------------------------------- ask: the test model


def test_ask_streams_the_test_models_answer_into_one_display_updated_in_place(ip: TestingShell) -> None:
    answer = ip.cell("ask test", "What can you do?")

    assert isinstance(answer, Answer)
    assert answer.text == "success (no tool calls)"
    _assert_one_display_updated_in_place(ip)
    texts = _texts(ip)
    assert texts[0] == "success " and texts[-1] == answer.text
    assert all(later.startswith(earlier) for earlier, later in itertools.pairwise(texts))
    assert "text/markdown" in _displays(ip)[-1]["data"]
    assert repr(answer) == "test · stop · 4 in / 4 out tokens"


def test_ask_leaves_the_answer_in_underscore_for_the_next_cell(ip: TestingShell) -> None:
    ip.run_cell("%%mastra ask\nhello")
    assert ip.ns["_"].text == "success (no tool calls)"
    assert ip.ns["_"].model == "test"


def test_ask_uses_the_default_model_setting(ip: TestingShell, allow_model_requests: None) -> None:
    ip.run_cell("%config MastraMagics.default_model = 'openai:gpt-4o-mini'")
    assert "OPENAI_API_KEY" in ip.usage_error("ask", "hello")


def test_ask_without_a_cell_body_says_how_to_write_the_cell(ip: TestingShell) -> None:
    assert ip.usage_error("ask test") == (
        "%mastra ask needs a prompt, and the prompt is the cell body "
        "(hint: write %%mastra ask [MODEL] on the first line of a cell and the question below it)"
    )
    assert ip.line("ask --help").text.startswith("usage: %mastra ask")


def test_ask_with_an_empty_body_is_a_usage_error(ip: TestingShell) -> None:
    assert ip.usage_error("ask", "  \n ") == (
        "%%mastra ask needs a prompt: the cell body is empty (hint: write the question below the first line)"
    )
    assert ip.outputs == []


def test_ask_with_an_unknown_provider_lists_the_providers(ip: TestingShell) -> None:
    message = ip.usage_error("ask nope:model", "hello")
    assert message.startswith("unknown model provider 'nope' in 'nope:model'; known: anthropic, compat, groq")
    assert "%mastra providers" in message


def test_ask_rejects_an_unknown_format(ip: TestingShell) -> None:
    assert "invalid choice: 'yaml'" in ip.usage_error("ask -f yaml", "hello")


# ------------------------------------------------------------------------------ ask: a real OpenAI stream


def test_first_piece_is_shown_while_the_server_still_holds_the_rest(
    ip: TestingShell, openai_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = Hold(after=2)  # the role chunk and "Hell"; the rest waits until the first display exists
    openai_server.push(Scenario(text="Hello from the fake server!", hold=hold))
    _on_first_display(ip, monkeypatch, hold.release)
    try:
        answer = ip.cell("ask openai:gpt-4o-mini", "Say hello")
    finally:
        hold.release()

    texts = _texts(ip)
    assert texts[0] == "Hell"
    assert texts[-1] == answer.text == "Hello from the fake server!"
    _assert_one_display_updated_in_place(ip)
    assert (answer.model, answer.finish_reason, answer.usage.input_tokens) == ("gpt-4o-mini", "stop", 19)
    [request] = openai_server.requests
    assert request.body["stream"] is True
    assert request.body["messages"] == [{"role": "user", "content": "Say hello"}]


def test_the_key_is_sent_to_the_provider_but_never_shown(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    answer = ip.cell("ask openai:gpt-4o-mini -f json", '{"a": 1}')

    assert openai_server.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    shown = " ".join(str(o["data"]) for o in ip.outputs) + repr(answer) + answer._repr_html_()
    _assert_no_key_in(shown)


def test_a_key_from_the_mastra_config_is_used(
    ip: TestingShell, openai_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    configured = "sk-configured-0123456789abcd"
    ip.magics.replace_mastra(Mastra.from_config({"openai_api_key": configured}), owned=True)

    ip.cell("ask openai:gpt-4o-mini", "hello")
    assert openai_server.requests[0].headers["authorization"] == f"Bearer {configured}"


def test_format_code_puts_the_unfenced_code_into_the_next_cell(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    answer_text = "Here you are:\n```python\ndef add(a, b):\n    return a + b\n```\nEnjoy."
    openai_server.push(Scenario(text=answer_text))
    answer = ip.cell("ask openai:gpt-4o-mini -f code", "a function that adds two numbers")

    assert answer.code == "def add(a, b):\n    return a + b\n"
    assert ip.shell.rl_next_input == answer.code
    final = _displays(ip)[-1]["data"]["text/markdown"]
    assert final.startswith("```python\ndef add(a, b):\n    return a + b\n```")
    assert "placed in the next cell" in final


def test_format_code_without_fences_uses_the_whole_answer(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    openai_server.push(Scenario(text="print(42)"))
    assert ip.cell("ask openai:gpt-4o-mini -f code", "print 42").code == "print(42)\n"
    assert ip.shell.rl_next_input == "print(42)\n"


def test_format_json_parses_the_answer_at_the_end(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    openai_server.push(Scenario(text='```json\n{"city": "Paris", "n": 2}\n```'))
    answer = ip.cell("ask openai:gpt-4o-mini -f json", "a city as JSON")

    assert answer.data == {"city": "Paris", "n": 2}
    final = _displays(ip)[-1]["data"]
    assert final["application/json"] == {"city": "Paris", "n": 2}
    assert '"city": "Paris"' in final["text/plain"]
    assert "application/json" not in _displays(ip)[0]["data"]  # while streaming it is text


def test_format_json_with_invalid_json_keeps_the_text_and_says_so(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    openai_server.push(Scenario(text="Paris, probably"))
    answer = ip.cell("ask openai:gpt-4o-mini -f json", "a city as JSON")

    assert answer.data is None and answer.text == "Paris, probably"
    assert _texts(ip)[-1] == (
        "Paris, probably\n(not valid JSON (Expecting value at line 1 column 1); shown as text)"
    )


def test_format_text_shows_plain_text_only(ip: TestingShell, openai_server: FakeProviderServer) -> None:
    openai_server.push(Scenario(text="# not a heading"))
    ip.cell("ask openai:gpt-4o-mini -f text", "hi")
    assert all(set(o["data"]) == {"text/plain"} for o in _displays(ip))
    assert _texts(ip)[-1] == "# not a heading"


def test_a_missing_key_names_the_variable_and_how_to_set_it(
    ip: TestingShell, openai_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    message = ip.usage_error("ask openai:gpt-4o-mini", "hello")

    assert message == (
        "%%mastra ask openai:gpt-4o-mini: no API key for openai; OPENAI_API_KEY is not set "
        "(hint: run %env OPENAI_API_KEY=… and then this cell again; a Mastra config key works too)"
    )
    assert ip.outputs == [] and openai_server.requests == []


def test_a_rejected_key_is_a_usage_error_naming_the_variable(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    openai_server.push(Status(401, error_body("Incorrect API key provided", "invalid_api_key")))
    message = ip.usage_error("ask openai:gpt-4o-mini", "hello")

    assert "the provider rejected the key" in message and "%env OPENAI_API_KEY=…" in message
    _assert_no_key_in(message)
    assert ip.outputs == []


def test_a_stream_cut_in_the_middle_keeps_the_partial_text_and_raises(
    ip: TestingShell, openai_server: FakeProviderServer
) -> None:
    openai_server.push(Scenario(text="Hello from the fake server!", cut_after=3))
    message = ip.usage_error("ask openai:gpt-4o-mini", "hello")

    assert message  # the provider error's own one-line message
    assert _texts(ip)[-1] == "Hello fr\n\n(the stream failed here; the error is below)"


def test_ctrl_c_while_streaming_stops_and_keeps_the_partial_text(
    ip: TestingShell, openai_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold = Hold(after=2)  # never released by the test: only Ctrl-C can end this stream
    openai_server.push(Scenario(text="Hello from the fake server!", hold=hold))
    _on_first_display(ip, monkeypatch, lambda: signal.raise_signal(signal.SIGINT))
    try:
        answer = ip.cell("ask openai:gpt-4o-mini -f code", "hello")
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped from %%mastra ask")
    finally:
        hold.release()

    assert (answer.text, answer.finish_reason, answer.code) == ("Hell", "interrupted", None)
    assert "interrupted: kept the 4 characters that had arrived" in _texts(ip)[-1]
    assert getattr(ip.shell, "rl_next_input", None) is None
    _assert_one_display_updated_in_place(ip)
