"""Tools: schemas from signatures and docstrings, validation naming the field, sync tools in a thread."""

from __future__ import annotations

import asyncio
import enum
import threading
from typing import Literal

import pydantic
import pytest

from mastra_lab.errors import ToolError
from mastra_lab.llm import ToolDefinition
from mastra_lab.tools import RunContext, Tool, ToolRetry, tool


class Unit(enum.Enum):
    CELSIUS = "C"
    FAHRENHEIT = "F"


class Place(pydantic.BaseModel):
    city: str
    country: str = "FR"


class Unschemable:
    """A plain class: pydantic cannot describe it as JSON."""


def test_schema_comes_from_the_signature_and_the_docstring() -> None:
    @tool
    def forecast(
        place: Place,
        days: int = 3,
        unit: Unit = Unit.CELSIUS,
        detail: Literal["short", "long"] = "short",
        note: str | None = None,
    ) -> str:
        """Weather forecast for a place.

        Looks a few days ahead.

        Args:
            place: Where to look.
            days: How many days ahead.
        """
        return "sunny"

    assert forecast.name == forecast.id == "forecast"
    assert forecast.description == "Weather forecast for a place.\n\nLooks a few days ahead."
    params = forecast.parameters
    assert params["type"] == "object" and params["required"] == ["place"]
    props = params["properties"]
    assert props["place"] == {"$ref": "#/$defs/Place", "description": "Where to look."}
    assert props["days"] == {
        "default": 3,
        "description": "How many days ahead.",
        "title": "Days",
        "type": "integer",
    }
    assert params["$defs"]["Unit"]["enum"] == ["C", "F"]
    assert props["detail"]["enum"] == ["short", "long"]
    assert props["note"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert forecast.definition == ToolDefinition("forecast", forecast.description, params)


def test_numpy_docstrings_describe_parameters_too() -> None:
    @tool(name="lookup", description="Find a word.")
    def find(word: str) -> str:
        """Ignored summary.

        Parameters
        ----------
        word
            The word to find.
        """
        return word

    assert find.name == "lookup" and find.description == "Find a word."
    assert find.parameters["properties"]["word"]["description"] == "The word to find."


def test_arguments_are_validated_and_converted_before_the_call() -> None:
    seen: list[object] = []

    @tool
    def forecast(place: Place, unit: Unit = Unit.CELSIUS) -> str:
        seen.append((place, unit))
        return f"{place.city}:{unit.value}"

    assert forecast.run_sync({"place": {"city": "Paris"}, "unit": "F"}) == "Paris:F"
    assert seen == [(Place(city="Paris"), Unit.FAHRENHEIT)]
    with pytest.raises(
        ToolError, match=r"invalid arguments for tool 'forecast': field 'place.city': Field required"
    ):
        forecast.validate({"place": {}})
    with pytest.raises(ToolError, match=r"field 'unit': Input should be 'C' or 'F'"):
        forecast.run_sync({"place": {"city": "Oslo"}, "unit": "K"})
    assert len(seen) == 1  # the invalid calls never ran


def test_run_context_is_passed_and_left_out_of_the_schema() -> None:
    @tool
    async def whoami(ctx: RunContext, greeting: str = "hi") -> str:
        return f"{greeting} {ctx.resource_id} in {ctx.thread_id} ({ctx.run_id})"

    assert list(whoami.parameters["properties"]) == ["greeting"]
    ctx = RunContext(run_id="r1", thread_id="t1", resource_id="u1", agent="a")
    assert whoami.run_sync({}, ctx) == "hi u1 in t1 (r1)"


def test_sync_tools_run_in_a_worker_thread() -> None:
    @tool
    def where() -> str:
        return threading.current_thread().name

    async def main() -> tuple[str, str]:
        return await where.run({}), threading.current_thread().name

    tool_thread, loop_thread = asyncio.run(main())
    assert tool_thread != loop_thread


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: tool(lambda *args: 1), r"parameter 'args' is \*args/\*\*kwargs"),
        (lambda: tool(_takes_unschemable), "parameter 'thing' has type"),
        (lambda: tool(_positional_only), "parameter 'x' is positional-only"),
    ],
)
def test_a_signature_that_cannot_become_a_schema_names_the_parameter(make: object, message: str) -> None:
    with pytest.raises(ToolError, match=message) as caught:
        make()  # type: ignore[operator]
    assert caught.value.code == "TOOL_BAD_SIGNATURE"


def _takes_unschemable(thing: Unschemable) -> None:
    return None


def _positional_only(x: int, /) -> int:
    return x


def test_an_annotation_that_cannot_be_resolved_names_the_parameter() -> None:
    def local(thing: NotDefinedAnywhere) -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    with pytest.raises(ToolError, match="annotation of parameter 'thing'"):
        tool(local)


def test_explicit_tool_with_a_pydantic_schema_receives_the_instance() -> None:
    double = Tool("double", "Double a number.", _Number, lambda args: args.value * 2, output_schema=int)
    assert double.parameters["required"] == ["value"]
    assert double.run_sync({"value": 4}) == 8
    with pytest.raises(ToolError, match="field 'value'"):
        double.run_sync({"value": "four"})


class _Number(pydantic.BaseModel):
    value: int


def test_explicit_tool_with_a_json_schema_checks_required_fields_and_types() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "mode": {"enum": ["x", "y"]}},
        "required": ["a"],
        "additionalProperties": False,
    }
    seen: list[RunContext | None] = []

    def execute(args: dict[str, int], ctx: RunContext | None) -> int:
        seen.append(ctx)
        return args["a"]

    t = Tool("pick", "Pick.", schema, execute, requires_approval=True)
    assert t.requires_approval and repr(t) == "Tool('pick', requires_approval=True)"
    assert t.run_sync({"a": 1}) == 1 and seen == [None]
    with pytest.raises(ToolError) as caught:
        t.validate({"a": True, "mode": "z", "extra": 1})
    assert caught.value.details["problems"] == [
        "field 'extra': not allowed",
        "field 'a': expected integer, got bool True",
        "field 'mode': 'z' is not one of ['x', 'y']",
    ]
    with pytest.raises(ToolError, match="field 'a': required"):
        t.validate({})


def test_output_schema_is_checked() -> None:
    t = Tool(
        "bad", "Returns text.", {"type": "object", "properties": {}}, lambda args: "x", output_schema=int
    )
    with pytest.raises(ToolError, match="does not match its output_schema"):
        t.run_sync({})


def test_bad_tool_definitions_are_refused() -> None:
    with pytest.raises(ToolError, match="tool id 'has space'"):
        Tool("has space", "", {}, lambda args: None)
    with pytest.raises(ToolError, match="input_schema must be a pydantic model class or a JSON-schema dict"):
        Tool("t", "", int, lambda args: None)  # type: ignore[arg-type]


def test_tool_retry_carries_its_message() -> None:
    @tool
    def picky(city: str) -> str:
        raise ToolRetry(f"{city!r} is not a city")

    with pytest.raises(ToolRetry, match="'Nowhere' is not a city"):
        picky.run_sync({"city": "Nowhere"})


def test_an_async_callable_that_is_not_a_coroutine_function_is_awaited() -> None:
    import functools

    async def scaled(x: int, factor: int) -> int:
        return x * factor

    triple = functools.partial(scaled, factor=3)
    triple.__name__ = "triple"  # type: ignore[attr-defined]
    triple.__doc__ = "Triple a number."
    made = tool(triple)
    assert list(made.parameters["properties"]) == ["x", "factor"]
    assert made.run_sync({"x": 2}) == 6
