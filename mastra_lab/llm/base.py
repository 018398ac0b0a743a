"""Provider-neutral message types and the :class:`Model` seam.

Every provider translates *these* types to its wire format and back, so agents, memory, the cache and the
notebook layer never see a provider's JSON. Messages are plain dataclasses with a ``kind`` discriminator
(the shape pydantic-ai uses) so that one pair of functions, :func:`to_dict` / :func:`from_dict`, can store
any of them and read it back unchanged.
"""

from __future__ import annotations

import functools
import json
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from dataclasses import KW_ONLY, MISSING, dataclass, field, fields
from typing import Any, Literal, TypeAlias

from mastra_lab import _runtime
from mastra_lab.errors import MastraError, ProviderError
from mastra_lab.telemetry._context import current_span, open_span

__all__ = [
    "ALLOW_MODEL_REQUESTS",
    "ErrorEvent",
    "FinishEvent",
    "FinishReason",
    "Message",
    "Model",
    "ModelResponse",
    "Part",
    "Role",
    "StreamEvent",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "ToolCallEvent",
    "ToolChoice",
    "ToolDefinition",
    "ToolResult",
    "Usage",
    "check_allow_model_requests",
    "from_dict",
    "output_schema_json",
    "parse_tool_arguments",
    "to_dict",
    "to_messages",
]

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "error"]
ToolChoice: TypeAlias = Literal["auto", "none", "required"] | str
"""``"auto"``, ``"none"``, ``"required"``, or the name of one tool the model must call."""

ALLOW_MODEL_REQUESTS = True
"""Set to ``False`` (the test suite does) to make every real provider request fail before it is sent."""


def check_allow_model_requests() -> None:
    """Raise if real model requests are switched off; every network provider calls this before sending."""
    if not ALLOW_MODEL_REQUESTS:
        raise ProviderError(
            "real model requests are disabled (mastra_lab.llm.base.ALLOW_MODEL_REQUESTS is False); "
            "use TestModel/FunctionModel, or set it to True to call the provider",
            code="MODEL_REQUESTS_DISABLED",
            category="user",
        )


class _Repr:
    """A repr like the constructor call, leaving out fields that still hold their defaults."""

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):  # type: ignore[arg-type]
            if f.name == "kind" or not f.repr:
                continue
            value = getattr(self, f.name)
            if f.default is not MISSING and value == f.default:
                continue
            if f.default_factory is not MISSING and value == f.default_factory():
                continue
            shown.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"


@dataclass(repr=False)
class TextPart(_Repr):
    """A piece of text in a message."""

    text: str
    """The text itself."""
    _: KW_ONLY
    kind: Literal["text"] = "text"
    """Discriminator for serialisation."""


@dataclass(repr=False)
class ToolCall(_Repr):
    """The model asks for a tool to be run."""

    id: str
    """The provider's id for this call; the matching :class:`ToolResult` quotes it."""
    name: str
    """The tool's name, as offered in a :class:`ToolDefinition`."""
    arguments: dict[str, Any] = field(default_factory=dict)
    """Arguments, already parsed from the provider's JSON."""
    _: KW_ONLY
    kind: Literal["tool-call"] = "tool-call"
    """Discriminator for serialisation."""


@dataclass(repr=False)
class ToolResult(_Repr):
    """What a tool returned (or the error it raised), sent back to the model."""

    tool_call_id: str
    """The :attr:`ToolCall.id` this answers."""
    name: str
    """The tool's name."""
    result: Any = None
    """A JSON-able value; providers serialise it to text when their wire format needs a string."""
    _: KW_ONLY
    is_error: bool = False
    """True when the tool failed and ``result`` describes the failure."""
    kind: Literal["tool-result"] = "tool-result"
    """Discriminator for serialisation."""


Part: TypeAlias = TextPart | ToolCall | ToolResult


@dataclass(repr=False)
class Message(_Repr):
    """One turn of a conversation.

    ``system`` and ``user`` messages hold text; ``assistant`` messages hold text and :class:`ToolCall` parts;
    ``tool`` messages hold :class:`ToolResult` parts. Build them with :meth:`system`, :meth:`user`,
    :meth:`assistant` and :meth:`tool`.
    """

    role: Role
    """Who speaks."""
    parts: list[Part] = field(default_factory=list)
    """The content, in order."""
    _: KW_ONLY
    kind: Literal["message"] = "message"
    """Discriminator for serialisation."""

    @classmethod
    def system(cls, text: str) -> Message:
        """System instructions."""
        return cls("system", [TextPart(text)])

    @classmethod
    def user(cls, text: str) -> Message:
        """A user's message."""
        return cls("user", [TextPart(text)])

    @classmethod
    def assistant(cls, text: str = "", tool_calls: Sequence[ToolCall] = ()) -> Message:
        """A model's answer: text and/or tool calls."""
        parts: list[Part] = [TextPart(text)] if text else []
        return cls("assistant", [*parts, *tool_calls])

    @classmethod
    def tool(cls, results: Sequence[ToolResult]) -> Message:
        """Results of the tool calls of the previous assistant message."""
        return cls("tool", list(results))

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.text for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool-call parts."""
        return [p for p in self.parts if isinstance(p, ToolCall)]

    @property
    def tool_results(self) -> list[ToolResult]:
        """The tool-result parts."""
        return [p for p in self.parts if isinstance(p, ToolResult)]


@dataclass(repr=False)
class ToolDefinition(_Repr):
    """A tool as offered to a model: its name, what it does, and a JSON schema of its arguments."""

    name: str
    """Name the model calls it by."""
    description: str = ""
    """What the tool does, for the model to decide when to call it."""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    """JSON schema of the arguments object."""
    _: KW_ONLY
    kind: Literal["tool-definition"] = "tool-definition"
    """Discriminator for serialisation."""


@dataclass(repr=False)
class Usage(_Repr):
    """Token counts of one request, or summed over several with ``+``."""

    input_tokens: int = 0
    """Prompt tokens, including cached ones."""
    output_tokens: int = 0
    """Completion tokens, including reasoning ones."""
    total_tokens: int = 0
    """Input plus output; computed when a provider leaves it out."""
    cached_input_tokens: int = 0
    """Prompt tokens served from the provider's prompt cache."""
    reasoning_tokens: int = 0
    """Output tokens spent on hidden reasoning."""
    _: KW_ONLY
    kind: Literal["usage"] = "usage"
    """Discriminator for serialisation."""

    def __post_init__(self) -> None:
        if not self.total_tokens:
            self.total_tokens = self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.total_tokens + other.total_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )


@dataclass(repr=False)
class ModelResponse(_Repr):
    """A model's complete answer to one request."""

    text: str = ""
    """The answer's text (empty when the model only called tools)."""
    tool_calls: list[ToolCall] = field(default_factory=list)
    """Tools the model asks to run."""
    usage: Usage = field(default_factory=Usage)
    """Token counts."""
    finish_reason: FinishReason = "stop"
    """Why the model stopped, normalised across providers."""
    model: str = ""
    """The model that answered, as the provider names it."""
    raw: Any = field(default=None, compare=False, repr=False)
    """The provider's decoded response body, for debugging; not serialised."""
    _: KW_ONLY
    kind: Literal["response"] = "response"
    """Discriminator for serialisation."""

    def to_message(self) -> Message:
        """The assistant message to append to the conversation."""
        return Message.assistant(self.text, self.tool_calls)


@dataclass(repr=False)
class TextDelta(_Repr):
    """A piece of streamed text."""

    text: str
    """The new text."""
    _: KW_ONLY
    kind: Literal["text-delta"] = "text-delta"
    """Discriminator."""


@dataclass(repr=False)
class ToolCallDelta(_Repr):
    """A fragment of a tool call being streamed (arguments arrive as JSON text in pieces)."""

    index: int
    """Position of the call among this response's tool calls."""
    id: str | None = None
    """The call's id, on the first fragment."""
    name: str | None = None
    """The tool's name, on the first fragment."""
    arguments_delta: str = ""
    """The next piece of the arguments' JSON text."""
    _: KW_ONLY
    kind: Literal["tool-call-delta"] = "tool-call-delta"
    """Discriminator."""


@dataclass(repr=False)
class ToolCallEvent(_Repr):
    """A tool call, complete and parsed, emitted once its last fragment has arrived."""

    tool_call: ToolCall
    """The finished call."""
    _: KW_ONLY
    kind: Literal["tool-call"] = "tool-call"
    """Discriminator."""


@dataclass(repr=False)
class FinishEvent(_Repr):
    """The stream ended normally; carries the finish reason and usage."""

    finish_reason: FinishReason = "stop"
    """Why the model stopped."""
    usage: Usage = field(default_factory=Usage)
    """Token counts of the whole request."""
    model: str = ""
    """The model that answered."""
    _: KW_ONLY
    kind: Literal["finish"] = "finish"
    """Discriminator."""


@dataclass(repr=False)
class ErrorEvent(_Repr):
    """The stream failed; ``error`` says why and ``partial_text`` keeps what had arrived."""

    error: MastraError
    """The failure, already mapped to our hierarchy."""
    partial_text: str = ""
    """Text received before the failure."""
    _: KW_ONLY
    kind: Literal["error"] = "error"
    """Discriminator."""


StreamEvent: TypeAlias = TextDelta | ToolCallDelta | ToolCallEvent | FinishEvent | ErrorEvent

_KINDS: dict[str, type[Any]] = {
    cls.kind: cls for cls in (TextPart, ToolCall, ToolResult, Message, ToolDefinition, Usage, ModelResponse)
}


def to_dict(obj: Any) -> Any:
    """Turn a message type (or a list/dict of them) into JSON-able data; ``kind`` keeps the type."""
    if isinstance(obj, list | tuple):
        return [to_dict(x) for x in obj]
    if isinstance(obj, Mapping):
        return {k: to_dict(v) for k, v in obj.items()}
    if type(obj) in _KINDS.values():
        return {f.name: to_dict(getattr(obj, f.name)) for f in fields(obj) if f.name not in ("_", "raw")}
    return obj


_RAW_FIELDS = frozenset({"arguments", "result", "parameters"})
"""Fields that hold user data (tool arguments, tool results, JSON schemas): never decoded, even if they
contain a ``"kind"`` key of their own."""


def from_dict(data: Any) -> Any:
    """Inverse of :func:`to_dict`: ``from_dict(to_dict(m)) == m`` for every message type."""
    if isinstance(data, list):
        return [from_dict(x) for x in data]
    if isinstance(data, Mapping):
        kind = data.get("kind")
        cls = _KINDS.get(kind) if isinstance(kind, str) else None
        if cls is None:
            return {k: from_dict(v) for k, v in data.items()}
        return cls(**{k: v if k in _RAW_FIELDS else from_dict(v) for k, v in data.items()})
    return data


def to_messages(prompt: str | Message | Sequence[Message]) -> list[Message]:
    """Accept what users naturally pass (a string, one message, a list) and return a list of messages."""
    if isinstance(prompt, str):
        return [Message.user(prompt)]
    if isinstance(prompt, Message):
        return [prompt]
    messages = list(prompt)
    for i, m in enumerate(messages):
        if not isinstance(m, Message):
            raise TypeError(
                f"messages[{i}] is a {type(m).__name__}, not a Message; build it with Message.user(...)"
            )
    return messages


def output_schema_json(output_schema: dict[str, Any] | type[Any]) -> tuple[str, dict[str, Any]]:
    """Name and JSON schema for structured output, from a JSON-schema dict or a pydantic model class."""
    if isinstance(output_schema, dict):
        return str(output_schema.get("title", "output")), output_schema
    schema_of = getattr(output_schema, "model_json_schema", None)
    if schema_of is None:
        raise TypeError(
            f"output_schema must be a JSON schema dict or a pydantic model class, got {output_schema!r}"
        )
    return output_schema.__name__, schema_of()


def _traced_generate(
    generate: Callable[..., Awaitable[ModelResponse]],
) -> Callable[..., Awaitable[ModelResponse]]:
    """``generate`` in an ``llm_generation`` span when it runs inside a trace and not already inside one
    (an agent's request, a caching model in front of another): a model called from a tool or a workflow
    step shows in the trace, and every model request is one span."""

    @functools.wraps(generate)
    async def traced(self: Model, messages: Sequence[Message], *args: Any, **kwargs: Any) -> ModelResponse:
        parent = current_span()
        if parent is None or not parent.recording or parent.type == "llm_generation":
            return await generate(self, messages, *args, **kwargs)
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": self.provider,
            "gen_ai.request.model": self.model_name,
            "mastra.streaming": False,
        }
        with open_span(
            f"chat {self.model_name}",
            "llm_generation",
            input={"messages": list(messages)},
            attributes=attributes,
        ) as span:
            response = await generate(self, messages, *args, **kwargs)
            span.set_attribute("gen_ai.usage.input_tokens", response.usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", response.usage.output_tokens)
            span.set_attribute("gen_ai.response.finish_reasons", [response.finish_reason])
            if response.model:
                span.set_attribute("gen_ai.response.model", response.model)
            span.set_output({"text": response.text, "tool_calls": list(response.tool_calls)})
            return response

    return traced


class Model(ABC):
    """The seam every LLM provider implements.

    An implementer provides :meth:`generate` (one request, one :class:`ModelResponse`) and :meth:`stream`
    (an async iterator of :data:`StreamEvent`, ending with a :class:`FinishEvent`). Both accept our
    :class:`Message` list, optional tool definitions, a ``tool_choice``, an optional ``output_schema`` (JSON
    schema dict or pydantic model class) for structured output, and provider settings as keyword arguments
    (``temperature``, ``max_tokens``, …). Translating to the wire format is the implementer's whole job;
    retries and HTTP live in :mod:`mastra_lab.llm.http`.
    """

    provider: str = "unknown"
    """Short provider name used in model ids (``openai``, ``anthropic``, ``test`` …)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("generate")
        if own is not None and not getattr(own, "__isabstractmethod__", False):
            setattr(cls, "generate", _traced_generate(own))  # noqa: B010 (mypy refuses assigning to a method)

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    @property
    def id(self) -> str:
        """``provider:model``, the id :func:`mastra_lab.llm.get_model` accepts."""
        return f"{self.provider}:{self.model_name}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_name!r})"

    @abstractmethod
    async def generate(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        **settings: Any,
    ) -> ModelResponse:
        """Send one request and return the whole answer."""

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        **settings: Any,
    ) -> AsyncIterator[StreamEvent]:
        """Send one request and yield events as they arrive, ending with a :class:`FinishEvent`."""

    def generate_sync(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        **settings: Any,
    ) -> ModelResponse:
        """:meth:`generate` for code without an event loop (scripts, notebook cells)."""
        return _runtime.run_sync(self.generate(messages, tools, tool_choice, output_schema, **settings))

    def stream_sync(
        self,
        messages: Sequence[Message],
        tools: Sequence[ToolDefinition] | None = None,
        tool_choice: ToolChoice = "auto",
        output_schema: dict[str, Any] | type[Any] | None = None,
        **settings: Any,
    ) -> Generator[StreamEvent, None, None]:
        """:meth:`stream` for code that cannot use ``async for`` (a magic, a script).

        Each event is handed over as soon as the background loop receives it; closing the iterator early
        (``break``, Ctrl-C) stops the request and closes its connection.
        """
        return _runtime.iterate_sync(self.stream(messages, tools, tool_choice, output_schema, **settings))


def parse_tool_arguments(text: str, tool_name: str) -> dict[str, Any]:
    """Parse a tool call's JSON arguments; an empty string means no arguments.

    Models sometimes emit invalid JSON; that is a :class:`~mastra_lab.errors.ToolError` the agent loop can
    send back to the model, not a crash.
    """
    from mastra_lab.errors import ToolError

    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolError(
            f"the model sent invalid JSON arguments for tool {tool_name!r}: {exc.msg} at position {exc.pos}",
            code="TOOL_ARGUMENTS_INVALID_JSON",
            details={"tool": tool_name, "arguments": text[:200]},
        ) from exc
    if not isinstance(value, dict):
        raise ToolError(
            f"the model sent arguments for tool {tool_name!r} that are not a JSON object: {text[:80]!r}",
            code="TOOL_ARGUMENTS_NOT_OBJECT",
            details={"tool": tool_name},
        )
    return value
