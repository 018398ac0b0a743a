"""Tools an agent's model can call: :class:`Tool` for explicit schemas, :func:`tool` for typed functions.

A model sees a tool as a name, a description and a JSON schema of its arguments (an
:class:`~mastra_lab.llm.ToolDefinition`). The schema of a decorated function comes from its signature
through pydantic (models, ``Literal``, enums, defaults, ``Optional``), and the descriptions from its
docstring, so the function stays the single source of truth. Arguments are validated before the function
runs: a model that sends ``{"city": 3}`` or forgets a field gets a :class:`~mastra_lab.errors.ToolError`
naming the field, which the agent loop sends back to it instead of crashing. Sync functions run in a worker
thread, so a slow one never blocks the event loop (nor the other tools of the same step).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import pydantic

from mastra_lab.errors import ToolError
from mastra_lab.llm.base import ToolDefinition

__all__ = ["RunContext", "Tool", "ToolRetry", "tool"]


@dataclass
class RunContext:
    """What a tool learns about the run that called it.

    A parameter annotated ``RunContext`` receives it and is left out of the tool's schema: the model never
    sees it and cannot forge it.

    Attributes:
        run_id: The agent run.
        thread_id: The memory thread, if the run has one.
        resource_id: The user (resource) the thread belongs to.
        mastra: The :class:`~mastra_lab.Mastra` the agent is registered on, else ``None``.
        agent: The calling agent's name.
    """

    run_id: str
    thread_id: str | None = None
    resource_id: str | None = None
    mastra: Any | None = None
    agent: str | None = None


class ToolRetry(Exception):
    """Raise inside a tool to tell the model what was wrong and ask it to call again.

    Args:
        message: What the model should do differently ("city must be a real city name").
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list, tuple),
    "object": (dict,),
    "null": (type(None),),
}


def _check_json_value(value: Any, schema: dict[str, Any], where: str) -> str | None:
    """The first problem of ``value`` against a (shallow) JSON schema, or ``None``."""
    if "enum" in schema and value not in schema["enum"]:
        return f"field {where!r}: {value!r} is not one of {schema['enum']}"
    kinds = schema.get("type")
    if kinds is None:
        return None
    names = [kinds] if isinstance(kinds, str) else list(kinds)
    ok = any(isinstance(value, _JSON_TYPES.get(n, (object,))) for n in names)
    if not ok or (isinstance(value, bool) and "boolean" not in names):
        return f"field {where!r}: expected {' or '.join(names)}, got {type(value).__name__} {value!r}"
    return None


def _validate_with_json_schema(
    schema: dict[str, Any], arguments: dict[str, Any], tool: str
) -> dict[str, Any]:
    properties: dict[str, Any] = schema.get("properties") or {}
    problems = [f"field {name!r}: required" for name in schema.get("required", []) if name not in arguments]
    if schema.get("additionalProperties") is False:
        problems += [f"field {name!r}: not allowed" for name in arguments if name not in properties]
    for name, value in arguments.items():
        if name in properties:
            problem = _check_json_value(value, properties[name], name)
            if problem:
                problems.append(problem)
    if problems:
        raise _invalid(tool, problems)
    return dict(arguments)


def _invalid(tool: str, problems: list[str]) -> ToolError:
    return ToolError(
        f"invalid arguments for tool {tool!r}: {'; '.join(problems)}",
        code="TOOL_ARGUMENTS_INVALID",
        details={"tool": tool, "problems": problems},
    )


def _pydantic_problems(exc: pydantic.ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "(arguments)"
        problems.append(f"field {where!r}: {err['msg']}")
    return problems


def _is_model_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, pydantic.BaseModel)


def _clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    schema = dict(schema)
    schema.pop("title", None)
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


class Tool:
    """A tool with an explicit input schema.

    Args:
        id: The name the model calls it by (letters, digits, ``_`` and ``-``).
        description: What it does and when to use it; the model reads this to decide.
        input_schema: A pydantic model class (arguments arrive as an instance of it) or a JSON-schema dict
            (arguments arrive as a dict, checked for required fields and basic types).
        execute: ``execute(args)`` or ``execute(args, ctx)`` (``ctx`` is a :class:`RunContext`), sync or
            async; returns anything JSON-able (pydantic models and dataclasses are converted).
        output_schema: Optional pydantic class (or type) the result is validated against.
        requires_approval: Stop the run before calling it until a person approves (see
            :meth:`~mastra_lab.agent.Agent.resume`).

    Example:
        ```python
        from mastra_lab.tools import Tool

        add = Tool("add", "Add two integers.", {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        }, lambda args: args["a"] + args["b"])
        assert add.run_sync({"a": 2, "b": 3}) == 5
        ```
    """

    def __init__(
        self,
        id: str,
        description: str,
        input_schema: type[pydantic.BaseModel] | dict[str, Any],
        execute: Callable[..., Any],
        output_schema: Any = None,
        *,
        requires_approval: bool = False,
    ) -> None:
        if not isinstance(id, str) or not id or not all(c.isalnum() or c in "_-" for c in id):
            raise ToolError(
                f"tool id {id!r} must be a non-empty string of letters, digits, '_' or '-'",
                code="TOOL_BAD_NAME",
            )
        if not (_is_model_class(input_schema) or isinstance(input_schema, dict)):
            raise ToolError(
                f"tool {id!r}: input_schema must be a pydantic model class or a JSON-schema dict, "
                f"got {input_schema!r}",
                code="TOOL_BAD_SCHEMA",
            )
        self.id = id
        self.description = description or ""
        self.input_schema = input_schema
        self.execute = execute
        self.output_schema = output_schema
        self.requires_approval = requires_approval
        self._wants_ctx = _accepts_second_argument(execute)
        if isinstance(input_schema, dict):
            self.parameters = _clean_schema(input_schema)
        else:
            self.parameters = _clean_schema(input_schema.model_json_schema())

    @property
    def name(self) -> str:
        """The same as :attr:`id`: the name the model calls."""
        return self.id

    @property
    def definition(self) -> ToolDefinition:
        """The tool as offered to a model."""
        return ToolDefinition(self.id, self.description, self.parameters)

    def __repr__(self) -> str:
        flag = ", requires_approval=True" if self.requires_approval else ""
        return f"Tool({self.id!r}{flag})"

    def validate(self, arguments: dict[str, Any]) -> Any:
        """Check ``arguments`` against the input schema; returns what ``execute`` receives.

        Raises:
            ToolError: The arguments do not match; the message names each bad field.
        """
        if not isinstance(arguments, dict):
            raise _invalid(self.id, [f"arguments must be a JSON object, got {type(arguments).__name__}"])
        if isinstance(self.input_schema, dict):
            return _validate_with_json_schema(self.parameters, arguments, self.id)
        try:
            return self.input_schema.model_validate(arguments)
        except pydantic.ValidationError as exc:
            raise _invalid(self.id, _pydantic_problems(exc)) from exc

    async def run(self, arguments: dict[str, Any], ctx: RunContext | None = None) -> Any:
        """Validate ``arguments``, then call the tool (a sync function in a worker thread).

        Args:
            arguments: The arguments as the model sent them.
            ctx: The run context handed to tools that ask for it.
        """
        value = self.validate(arguments)
        return self._check_output(await self._call(value, ctx))

    def run_sync(self, arguments: dict[str, Any], ctx: RunContext | None = None) -> Any:
        """:meth:`run` for code without an event loop."""
        from mastra_lab import _runtime

        return _runtime.run_sync(self.run(arguments, ctx))

    async def _call(self, value: Any, ctx: RunContext | None) -> Any:
        args = (value, ctx) if self._wants_ctx else (value,)
        if inspect.iscoroutinefunction(self.execute):
            return await self.execute(*args)
        result = await asyncio.to_thread(self.execute, *args)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _check_output(self, result: Any) -> Any:
        if self.output_schema is None:
            return result
        try:
            return pydantic.TypeAdapter(self.output_schema).validate_python(result)
        except pydantic.ValidationError as exc:
            raise ToolError(
                f"tool {self.id!r} returned a value that does not match its output_schema: "
                f"{'; '.join(_pydantic_problems(exc))}",
                code="TOOL_OUTPUT_INVALID",
                details={"tool": self.id},
            ) from exc


def _accepts_second_argument(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


class _FunctionTool(Tool):
    """A :class:`Tool` made by :func:`tool`: validated arguments are spread over the function's parameters."""

    def __init__(
        self,
        fn: Callable[..., Any],
        name: str,
        description: str,
        model: type[pydantic.BaseModel],
        ctx_param: str | None,
        requires_approval: bool,
    ) -> None:
        super().__init__(name, description, model, fn, requires_approval=requires_approval)
        self.function = fn
        self._ctx_param = ctx_param
        self._fields = list(model.model_fields)

    async def _call(self, value: Any, ctx: RunContext | None) -> Any:
        kwargs = {name: getattr(value, name) for name in self._fields}
        if self._ctx_param is not None:
            kwargs[self._ctx_param] = ctx if ctx is not None else RunContext(run_id="")
        if inspect.iscoroutinefunction(self.function):
            return await self.function(**kwargs)
        result = await asyncio.to_thread(self.function, **kwargs)
        if inspect.isawaitable(result):  # an async callable that is not a coroutine function (a partial …)
            result = await result
        return result


def _hints(fn: Callable[..., Any], name: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn, include_extras=True)
    except Exception:  # a name in one annotation cannot be resolved: find which
        pass
    hints: dict[str, Any] = {}
    globalns = getattr(fn, "__globals__", {})
    for pname, annotation in getattr(fn, "__annotations__", {}).items():
        if not isinstance(annotation, str):
            hints[pname] = annotation
            continue
        try:
            hints[pname] = eval(annotation, globalns)  # the annotation text, as get_type_hints does
        except Exception as exc:
            raise ToolError(
                f"tool {name!r}: the annotation of parameter {pname!r} ({annotation!r}) cannot be resolved "
                f"({exc}); define the type at module level so the schema can be built",
                code="TOOL_BAD_SIGNATURE",
                details={"tool": name, "parameter": pname},
            ) from exc
    return hints


def _is_run_context(annotation: Any) -> bool:
    if annotation is RunContext:
        return True
    args = typing.get_args(annotation)
    return bool(args) and any(a is RunContext for a in args)


def _bad_signature(name: str, param: str, why: str) -> ToolError:
    return ToolError(
        f"tool {name!r}: parameter {param!r} {why}",
        code="TOOL_BAD_SIGNATURE",
        details={"tool": name, "parameter": param},
    )


def _fields_of(fn: Callable[..., Any], name: str) -> tuple[dict[str, Any], str | None]:
    """Pydantic field definitions for each parameter, and the name of the RunContext parameter."""
    import docstring_parser

    hints = _hints(fn, name)
    docs = {p.arg_name: p.description or "" for p in docstring_parser.parse(fn.__doc__ or "").params}
    fields: dict[str, Any] = {}
    ctx_param = None
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise _bad_signature(name, param.name, "is *args/**kwargs; a tool takes named, typed parameters")
        if param.kind is param.POSITIONAL_ONLY:
            raise _bad_signature(name, param.name, "is positional-only; models pass arguments by name")
        annotation = hints.get(param.name, Any)
        if _is_run_context(annotation):
            ctx_param = param.name
            continue
        try:
            pydantic.TypeAdapter(annotation).json_schema()
        except Exception as exc:
            raise _bad_signature(
                name,
                param.name,
                f"has type {annotation!r}, which has no JSON schema ({type(exc).__name__}); "
                "use JSON-able types, enums, Literal or pydantic models",
            ) from exc
        default = ... if param.default is param.empty else param.default
        description = docs.get(param.name) or None
        fields[param.name] = (annotation, pydantic.Field(default, description=description))
    return fields, ctx_param


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    requires_approval: bool = False,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    requires_approval: bool = False,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Turn a typed function (sync or async) into a :class:`Tool`; use bare (``@tool``) or called.

    The name is the function's, the description its docstring's text, each parameter's description its
    ``Args:`` entry (Google, NumPy or reST style), and the JSON schema comes from the annotations. A parameter
    annotated :class:`RunContext` receives the run's context and is not part of the schema.

    Args:
        fn: The function (when used bare).
        name: The tool's name instead of the function's.
        description: The description instead of the docstring's.
        requires_approval: The run stops for a person's approval before each call.

    Example:
        ```python
        from typing import Literal
        from mastra_lab.tools import tool

        @tool
        def weather(city: str, unit: Literal["C", "F"] = "C") -> str:
            \"\"\"Current weather in a city.

            Args:
                city: The city's name.
                unit: Temperature unit.
            \"\"\"
            return f"18 {unit} in {city}"

        assert weather.parameters["required"] == ["city"]
        assert weather.run_sync({"city": "Paris"}) == "18 C in Paris"
        ```
    """

    def wrap(func: Callable[..., Any]) -> Tool:
        import docstring_parser

        if not callable(func):
            raise ToolError(f"@tool decorates a function, got {func!r}", code="TOOL_BAD_SIGNATURE")
        tool_name: str = name or str(getattr(func, "__name__", ""))
        fields, ctx_param = _fields_of(func, tool_name)
        doc = docstring_parser.parse(func.__doc__ or "")
        text = "\n\n".join(p for p in (doc.short_description, doc.long_description) if p)
        model = pydantic.create_model(f"{tool_name}_arguments", **fields)
        return _FunctionTool(func, tool_name, description or text, model, ctx_param, requires_approval)

    if fn is not None:
        return wrap(fn)
    return wrap


def _to_jsonable(value: Any) -> Any:
    """A tool's return value as JSON-able data for the model (pydantic models, dataclasses, enums, sets)."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _to_jsonable(dataclasses.asdict(value))
    if isinstance(value, enum.Enum):
        return _to_jsonable(value.value)
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_to_jsonable(v) for v in value]
    try:
        return pydantic.TypeAdapter(type(value)).dump_python(value, mode="json")
    except Exception:
        return str(value)
