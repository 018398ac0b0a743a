"""SchemaForm: one widget per field of a resume schema, read back as the data the schema describes."""

from __future__ import annotations

import enum

import ipywidgets as widgets
import pydantic
import pytest

from mastra_lab.errors import MastraError
from mastra_lab.lab.panels._form import SchemaForm, json_schema


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Order(pydantic.BaseModel):
    color: Color
    note: str | None = None
    count: int | None = None
    ratio: float = 0.5
    extra: dict[str, int] = {}


def test_pydantic_enums_optionals_and_defaults_get_fitting_widgets() -> None:
    form = SchemaForm(Order)
    kinds = {name: type(w) for name, w in form.fields.items()}
    assert kinds == {
        "color": widgets.Dropdown,
        "note": widgets.Text,
        "count": widgets.Text,  # an optional number without a default: empty means "leave it out"
        "ratio": widgets.FloatText,
        "extra": widgets.Textarea,
    }
    assert form.fields["color"].options == (("red", "red"), ("blue", "blue"))
    assert form.fields["ratio"].value == 0.5 and form.fields["extra"].value == "{}"
    assert form.value() == {"color": "red", "ratio": 0.5, "extra": {}}
    form.fields["color"].value = "blue"
    form.fields["note"].value = "rush"
    form.fields["count"].value = "3"
    form.fields["extra"].value = '{"a": 1}'
    data = form.value()
    assert data == {"color": "blue", "note": "rush", "count": 3, "ratio": 0.5, "extra": {"a": 1}}
    assert Order.model_validate(data).color is Color.BLUE


def test_a_field_that_is_not_json_is_named_in_one_line() -> None:
    form = SchemaForm({"type": "object", "properties": {"items": {"type": "array"}}})
    form.fields["items"].value = "[1, 2"
    with pytest.raises(MastraError, match=r"field 'items' is not valid JSON .*write it as JSON") as info:
        form.value()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("schema", [None, {"type": "boolean"}, {"type": "object"}])
def test_a_schema_without_properties_gets_one_json_box(schema: object) -> None:
    form = SchemaForm(schema)
    assert form.fields == {} and form.raw is not None and form.box.children == (form.raw,)
    assert form.value() is None
    form.raw.value = '{"any": ["json"]}'
    assert form.value() == {"any": ["json"]}


def test_json_schema_accepts_model_classes_and_dicts() -> None:
    assert json_schema(None) is None
    assert json_schema({"type": "string"}) == {"type": "string"}
    assert json_schema(Order)["properties"]["ratio"]["default"] == 0.5  # type: ignore[index]
