from __future__ import annotations

import pydantic
import pytest

from mastra_lab.errors import WorkflowError
from mastra_lab.workflow import Step, Workflow, step
from mastra_lab.workflow.steps import validate


class Order(pydantic.BaseModel):
    item: str
    qty: int


def test_the_decorator_names_the_step_after_the_function_and_keeps_options() -> None:
    @step
    def fetch(ctx: object) -> int:
        """Fetch the thing."""
        return 1

    @step(id="custom", retries=2, resume_schema=Order)
    def other(ctx: object) -> int:
        return 2

    assert (fetch.id, fetch.description, fetch.retries) == ("fetch", "Fetch the thing.", 0)
    assert (other.id, other.retries, other.resume_schema) == ("custom", 2, Order)
    assert repr(fetch) == "Step(id='fetch')"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": ""}, "non-empty string id"),
        ({"execute": 3}, "execute must be callable"),
        ({"retries": -1}, "retries must be an integer >= 0"),
        ({"input_schema": int}, "input_schema must be a pydantic model class or a JSON-schema dict"),
    ],
)
def test_a_bad_step_definition_fails_at_once(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"id": "s", "execute": lambda ctx: None, **kwargs}
    with pytest.raises(WorkflowError, match=message):
        Step(**args)  # type: ignore[arg-type]


def test_validate_gives_a_pydantic_instance_and_names_the_bad_field() -> None:
    assert validate({"item": "pen", "qty": 2}, Order, "input of step 's'", "X") == Order(item="pen", qty=2)
    with pytest.raises(WorkflowError, match=r"input of step 's' is invalid: field 'qty'") as info:
        validate({"item": "pen", "qty": "many"}, Order, "input of step 's'", "X")
    assert info.value.code == "X"


def test_validate_checks_a_json_schema() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert validate({"n": 1}, schema, "w", "X") == {"n": 1}
    with pytest.raises(WorkflowError, match="field 'n': required"):
        validate({}, schema, "w", "X")
    with pytest.raises(WorkflowError, match="field 'n': expected integer"):
        validate({"n": "1"}, schema, "w", "X")
    with pytest.raises(WorkflowError, match="expected integer"):
        validate("x", {"type": "integer"}, "w", "X")


def test_a_step_with_a_pydantic_input_receives_an_instance_and_its_output_is_stored_as_data() -> None:
    @step(input_schema=Order, output_schema=Order)
    def double(ctx: object) -> Order:
        order = ctx.input  # type: ignore[attr-defined]
        assert isinstance(order, Order)
        return Order(item=order.item, qty=order.qty * 2)

    wf = Workflow("orders", input_schema=Order).then(double).commit()
    result = wf.create_run().start_sync({"item": "pen", "qty": 2})
    assert result.status == "success"
    assert result.result == {"item": "pen", "qty": 4}


def test_a_step_input_that_breaks_its_schema_fails_the_run_naming_step_and_field() -> None:
    @step
    def make(ctx: object) -> dict[str, object]:
        return {"item": "pen", "qty": "lots"}

    @step(input_schema=Order)
    def use(ctx: object) -> None:
        raise AssertionError("must not run")

    result = Workflow("bad").then(make).then(use).commit().create_run().start_sync()
    assert result.status == "failed"
    assert result.error is not None
    assert "step 'use'" in result.error and "input of step 'use' is invalid: field 'qty'" in result.error
    assert result.steps["use"].attempts == 0


def test_an_output_that_breaks_the_output_schema_fails_the_step() -> None:
    @step(output_schema={"type": "integer"})
    def wrong(ctx: object) -> str:
        return "nope"

    result = Workflow("out").then(wrong).commit().create_run().start_sync()
    assert result.status == "failed"
    assert "output of step 'wrong' is invalid" in (result.error or "")
