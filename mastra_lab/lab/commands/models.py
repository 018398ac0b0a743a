"""``%mastra providers`` (alias ``models``) and ``%%mastra ask``: which models can answer, and asking one.

``ask`` streams: the answer grows in one display that is updated in place as tokens arrive, the way a chat
window does, instead of appearing only when the model has finished. The request runs on the runtime's
background loop (:meth:`~mastra_lab.llm.base.Model.stream_sync`), so the same code works in a kernel, whose
own loop is busy running the cell, and in a plain script. Ctrl-C stops the request and keeps what had
arrived. The cell's result is an :class:`Answer` whose text is the full answer and whose display is one
line of what the stream does not show (model, finish reason, tokens), so the answer is not shown twice.
"""

from __future__ import annotations

import argparse
import html
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import AuthenticationError, ConfigError
from mastra_lab.lab.display import LiveDisplay, Table, usage_error
from mastra_lab.lab.registry import CommandParser, Invocation, command

if TYPE_CHECKING:
    from mastra_lab.llm import FinishEvent, Model, Usage

__all__ = ["FORMATS", "Answer"]

FORMATS = ("markdown", "text", "json", "code")
"""What ``-f`` accepts, as in jupyter-ai's ``%%ai``."""

_PROVIDERS_HINT = "%mastra providers shows which providers are usable; %%mastra ask test works offline"


def _no_usage() -> Usage:
    from mastra_lab.llm import Usage

    return Usage()


# -- providers --------------------------------------------------------------------------------------------


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


@command(
    "providers",
    "which model providers are usable now, and whether each API key variable is set (never the key)",
)
def providers_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    import pandas as pd

    mastra = invocation.magics.mastra
    from mastra_lab.llm import provider_status

    statuses = provider_status(mastra.settings if mastra is not None else None)
    rows = [
        {
            "provider": s.name,
            "usable": _yes_no(s.usable),
            "why": s.note,
            "key variable": s.key_env or "",
            "key set": ("yes" if s.key_set else "no") if s.key_env else "",
            "base URL": s.base_url or "",
            "example": s.example,
        }
        for s in statuses
    ]
    usable = sum(s.usable is True for s in statuses)
    title = (
        f"{usable} of {len(statuses)} providers usable; "
        "set a missing key with %env VARIABLE=… (keys are never shown)"
    )
    return Table(pd.DataFrame(rows), title=title, limit=invocation.magics.display_limit)


command(
    "models",
    "the providers table (alias of providers), with an example model id for each",
)(providers_command)


# -- ask --------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """What ``%%mastra ask`` returns once the stream has ended (also in ``_`` and ``Out``).

    Its display is a one-line footer; the answer itself was shown by the live display above it.
    """

    text: str
    """The whole answer as it arrived (for ``-f code``, before the fences were stripped)."""
    model: str
    """The model that answered."""
    usage: Usage = field(default_factory=_no_usage)
    """Token counts, when the provider sent them."""
    finish_reason: str = "stop"
    """``stop``, ``length`` … as the model reported, or ``interrupted`` after Ctrl-C."""
    format: str = "markdown"
    """The ``-f`` format it was shown in."""
    data: Any = None
    """For ``-f json``: the parsed value (``None`` if the answer was not valid JSON)."""
    code: str | None = None
    """For ``-f code``: what was put into the next cell."""

    def footer(self) -> str:
        """``test:test · stop · 3 in / 4 out tokens`` — what the streamed display does not show."""
        tokens = f"{self.usage.input_tokens} in / {self.usage.output_tokens} out tokens"
        return f"{self.model} · {self.finish_reason} · {tokens}"

    def __repr__(self) -> str:
        return self.footer()

    def _repr_html_(self) -> str:
        return f"<div class='mastra-answer' style='color:gray'>{html.escape(self.footer())}</div>"


class _View:
    """The live display's content: text in the format asked for, and an optional note line below it."""

    def __init__(self, text: str, kind: str, note: str | None = None, data: Any = None) -> None:
        self.text, self.kind, self.note, self.data = text, kind, note, data

    def __repr__(self) -> str:
        body = json.dumps(self.data, indent=2, ensure_ascii=False) if self.kind == "json" else self.text
        return f"{body}\n({self.note})" if self.note else body

    def _repr_markdown_(self) -> str | None:
        if self.kind not in ("markdown", "code"):
            return None
        return f"{self.text}\n\n*{self.note}*" if self.note else self.text

    def _repr_json_(self) -> Any:
        return (self.data, {"expanded": True}) if self.kind == "json" else None


_FENCE = re.compile(r"^```[ \t]*([\w+#.-]*)[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def _strip_fences(text: str) -> tuple[str, str]:
    """The code of a Markdown answer — its fenced blocks joined, else the whole text — and its language."""
    blocks = _FENCE.findall(text)
    if not blocks:
        return text.strip("\n") + "\n", ""
    return "\n".join(body.rstrip("\n") + "\n" for _, body in blocks), blocks[0][0]


def _ask_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "model", nargs="?", help="provider:model (default: %%config MastraMagics.default_model, 'test')"
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default="markdown",
        help="how to show the answer (default: markdown)",
    )


def _resolve(invocation: Invocation, model_id: str) -> Model:
    from mastra_lab.llm import get_model

    mastra = invocation.magics.mastra
    try:
        return mastra.get_model(model_id) if mastra is not None else get_model(model_id)
    except ConfigError as exc:
        if exc.code != "CONFIG_UNKNOWN_PROVIDER":
            raise
        known = ", ".join(exc.details.get("known", ()))
        provider = model_id.partition(":")[0]
        raise usage_error(
            f"unknown model provider {provider!r} in {model_id!r}; known: {known}", _PROVIDERS_HINT
        ) from None


def _key_error(model: Model, exc: AuthenticationError) -> Exception:
    variable = (
        exc.details.get("env_var") or getattr(model, "api_key_env", None) or "the provider's key variable"
    )
    if exc.code == "PROVIDER_API_KEY_MISSING":
        message = f"%%mastra ask {model.id}: no API key for {model.provider}; {variable} is not set"
    else:
        message = f"%%mastra ask {model.id}: the provider rejected the key: {exc}"
    return usage_error(
        message, f"run %env {variable}=… and then this cell again; a Mastra config key works too"
    )


@dataclass
class _Stream:
    text: str = ""
    finish: FinishEvent | None = None
    interrupted: bool = False


def _traced(invocation: Invocation, model: Model, prompt: str, live: LiveDisplay) -> _Stream:
    """:func:`_consume` as a ``chat`` span of the notebook's Mastra, when there is one, so an ask is a trace
    (with its tokens) beside the agents' and workflows' traces."""
    mastra = invocation.magics.mastra
    if mastra is None:
        return _consume(model, prompt, live)
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": model.provider,
        "gen_ai.request.model": model.model_name,
        "mastra.streaming": True,
    }
    name = f"chat {model.model_name}"
    with mastra.tracer.span(name, "llm_generation", input={"prompt": prompt}, attributes=attributes) as span:
        got = _consume(model, prompt, live)
        if got.finish is not None:
            span.set_attribute("gen_ai.usage.input_tokens", got.finish.usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", got.finish.usage.output_tokens)
            span.set_attribute("gen_ai.response.finish_reasons", [got.finish.finish_reason])
            if got.finish.model:
                span.set_attribute("gen_ai.response.model", got.finish.model)
        span.set_output({"text": got.text})
    return got


def _consume(model: Model, prompt: str, live: LiveDisplay) -> _Stream:
    """Show each piece of text as it arrives; Ctrl-C ends the stream early and keeps what came."""
    got = _Stream()
    from mastra_lab import llm

    events = model.stream_sync([llm.Message.user(prompt)])
    try:
        for event in events:
            if isinstance(event, llm.TextDelta) and event.text:
                got.text += event.text
                live.show(got.text)
            elif isinstance(event, llm.FinishEvent):
                got.finish = event
    except KeyboardInterrupt:
        got.interrupted = True
    except AuthenticationError as exc:
        raise _key_error(model, exc) from None
    except Exception:
        if live.updates:
            live.show(got.text + "\n\n(the stream failed here; the error is below)")
        raise
    finally:
        events.close()
    return got


def _finish(invocation: Invocation, got: _Stream, answer: Answer, renderer: _Renderer) -> None:
    """Give the display its final form: parsed JSON, code for the next cell, or a note of what happened."""
    text, fmt = got.text, answer.format
    if got.interrupted:
        renderer.note = f"interrupted: kept the {len(text)} characters that had arrived"
    elif not text:
        renderer.note = f"{answer.model} answered with no text (finish reason: {answer.finish_reason})"
    elif fmt == "json":
        try:
            answer.data = json.loads(_strip_fences(text)[0])
            renderer.kind, renderer.data = "json", answer.data
        except json.JSONDecodeError as exc:
            renderer.note = (
                f"not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); shown as text"
            )
    elif fmt == "code":
        answer.code, language = _strip_fences(text)
        invocation.shell.set_next_input(answer.code, replace=False)
        renderer.shown = f"```{language}\n{answer.code}```"
        renderer.note = "placed in the next cell"
    if renderer.changed() or not renderer.live.updates:
        renderer.live.show(text)


class _Renderer:
    """Builds the live display's content from the text so far, in the asked format."""

    def __init__(self, fmt: str) -> None:
        self.kind = "text" if fmt in ("text", "json") else "markdown"
        self.note: str | None = None
        self.data: Any = None
        self.shown: str | None = None
        """Replaces the streamed text in the final view (the cleaned code of ``-f code``)."""
        self.live = LiveDisplay(self)

    def changed(self) -> bool:
        """Whether the final view differs from the last streamed one (so it needs one more update)."""
        return self.note is not None or self.shown is not None or self.data is not None

    def __call__(self, text: str) -> _View:
        return _View(self.shown if self.shown is not None else text, self.kind, self.note, self.data)


@command(
    "ask",
    "ask a model; the cell body is the prompt and the answer streams in: %%mastra ask [MODEL] [-f FORMAT]",
    arguments=_ask_arguments,
    traced=True,
    cell="optional",  # so that the line form answers --help; without a body it says how to write the cell
    epilog=(
        "examples:\n  %%mastra ask test\n  What is DuckDB?\n\n"
        "  %%mastra ask openai:gpt-4o-mini -f code\n  a function that adds two numbers"
    ),
)
def ask_command(invocation: Invocation, args: argparse.Namespace) -> Answer:
    if invocation.cell is None:
        raise usage_error(
            "%mastra ask needs a prompt, and the prompt is the cell body",
            "write %%mastra ask [MODEL] on the first line of a cell and the question below it",
        )
    prompt = invocation.cell.strip()
    if not prompt:
        raise usage_error(
            "%%mastra ask needs a prompt: the cell body is empty", "write the question below the first line"
        )
    model = _resolve(invocation, args.model or invocation.magics.default_model)
    renderer = _Renderer(args.format)
    got = _traced(invocation, model, prompt, renderer.live)
    from mastra_lab.llm import FinishEvent

    finish = got.finish or FinishEvent()
    answer = Answer(
        got.text,
        finish.model or model.id,
        finish.usage,
        "interrupted" if got.interrupted else finish.finish_reason,
        args.format,
    )
    _finish(invocation, got, answer, renderer)
    return answer
