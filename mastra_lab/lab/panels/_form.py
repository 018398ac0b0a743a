"""A form built from a schema: one widget per field, read back as the data the schema describes.

A resume form should let a user type an approval, not hand-write JSON, so each field of an object schema
(a pydantic model class or a JSON-schema dict) gets the widget its type suggests: a text box for a string,
number boxes for numbers and integers, a checkbox for a boolean, a drop-down for an enum. Anything else
(lists, nested objects, unions) gets a JSON text area, as does a schema that is not an object at all.
The form only collects values; checking them against the schema is the library's job (``resume``
validates before anything changes), so the form never second-guesses it.
"""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as widgets

from mastra_lab.errors import MastraError

__all__ = ["SchemaForm", "json_schema", "parse_json"]


def json_schema(schema: Any) -> dict[str, Any] | None:
    """``schema`` as a JSON-schema dict: a pydantic model class's ``model_json_schema()``, a dict as is."""
    if schema is None:
        return None
    if isinstance(schema, dict):
        return schema
    to_schema = getattr(schema, "model_json_schema", None)
    if callable(to_schema):
        result: dict[str, Any] = to_schema()
        return result
    return None


def _resolve(field: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` and unwrap ``anyOf [X, null]`` (pydantic's ``X | None``) to ``X``."""
    ref = field.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        field = {**defs.get(ref.split("/")[-1], {}), **{k: v for k, v in field.items() if k != "$ref"}}
    options = field.get("anyOf")
    if isinstance(options, list):
        concrete = [o for o in options if o.get("type") != "null"]
        if len(concrete) == 1 and len(options) == 2:
            rest = {k: v for k, v in field.items() if k != "anyOf"}
            return {**_resolve(concrete[0], defs), **rest, "nullable": True}
    return field


def _kind(field: dict[str, Any]) -> str:
    if isinstance(field.get("enum"), list) and field["enum"]:
        return "enum"
    kind = field.get("type")
    return kind if kind in ("string", "number", "integer", "boolean") else "json"


class _Field:
    """One field's widget and how to read it back (``None`` from :meth:`read` means "leave it out")."""

    def __init__(self, name: str, field: dict[str, Any], required: bool) -> None:
        self.name, self.required = name, required
        self.kind = _kind(field)
        default = field.get("default")
        self.has_default = field.get("default") is not None  # a None default means "may be left out"
        label = name if not required else f"{name} *"
        style = {"description_width": "initial"}
        tooltip = str(field.get("description") or field.get("title") or name)
        self.optional_number = self.kind in ("number", "integer") and not required and not self.has_default
        if self.kind == "enum":
            options = [(json.dumps(v) if not isinstance(v, str) else v, v) for v in field["enum"]]
            if not required and not self.has_default:
                options = [("(none)", None), *options]
            value = default if default in field["enum"] else options[0][1]
            self.widget: widgets.Widget = widgets.Dropdown(
                description=label, options=options, value=value, style=style
            )
        elif self.kind == "boolean":
            self.widget = widgets.Checkbox(description=label, value=bool(default), indent=False)
        elif self.kind == "integer" and not self.optional_number:
            self.widget = widgets.IntText(description=label, value=int(default or 0), style=style)
        elif self.kind == "number" and not self.optional_number:
            self.widget = widgets.FloatText(description=label, value=float(default or 0), style=style)
        elif self.kind == "string" or self.optional_number:
            text = "" if default is None else str(default)
            self.widget = widgets.Text(description=label, value=text, style=style)
        else:
            text = "" if not self.has_default else json.dumps(default)
            self.widget = widgets.Textarea(
                description=label, value=text, placeholder="JSON", style=style, layout={"width": "100%"}
            )
        self.widget.tooltip = tooltip
        self.widget.add_class(f"mastra-form-field-{name}")

    def read(self) -> tuple[bool, Any]:
        """``(present, value)``: whether to send the field, and its value."""
        value = self.widget.value
        if self.kind == "enum":
            return (value is not None or self.required), value
        if isinstance(self.widget, widgets.Checkbox | widgets.IntText | widgets.FloatText):
            return True, value
        if self.kind == "string":
            return (value != "" or self.required), value
        if not value.strip():  # an optional number or a JSON field left empty: the schema decides
            return False, None
        return True, parse_json(value, f"field {self.name!r}")


def parse_json(text: str, what: str, example: str = '["a", "b"] or {"key": 1}') -> Any:
    """``text`` as JSON, or a :class:`MastraError` naming ``what`` and showing an ``example``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise MastraError(
            f"{what} is not valid JSON ({exc.msg} at position {exc.pos}): {text[:60]!r}; "
            f"write it as JSON, e.g. {example}"
        ) from None


class SchemaForm:
    """Widgets for ``schema``'s fields, and :meth:`value` to read them back as one value.

    Args:
        schema: A pydantic model class, a JSON-schema dict, or ``None`` (any JSON value).

    Attributes:
        box: The form (a ``VBox`` of the field widgets).
        fields: Field name → its widget (for an object schema); a schema that is not an object has a single
            JSON text area, :attr:`raw`.
        raw: The JSON text area used when the schema is not an object with properties (else ``None``).
    """

    def __init__(self, schema: Any) -> None:
        spec = json_schema(schema)
        defs: dict[str, Any] = (spec or {}).get("$defs") or {}
        properties = (spec or {}).get("properties")
        self._fields: list[_Field] = []
        self.raw: widgets.Textarea | None = None
        if isinstance(properties, dict) and properties:
            required = set((spec or {}).get("required") or [])
            for name, field in properties.items():
                self._fields.append(_Field(name, _resolve(field, defs), name in required))
        else:
            self.raw = widgets.Textarea(
                description="data", placeholder="JSON", value="", layout={"width": "100%"}
            )
            self.raw.add_class("mastra-form-raw")
        self.fields: dict[str, widgets.Widget] = {f.name: f.widget for f in self._fields}
        children = [f.widget for f in self._fields] if self.raw is None else [self.raw]
        self.box = widgets.VBox(children)
        self.box.add_class("mastra-form")

    def value(self) -> Any:
        """What the widgets hold, as the schema's data (a dict for an object schema).

        Raises:
            MastraError: a JSON field or the JSON text area does not parse.
        """
        if self.raw is not None:
            text = self.raw.value.strip()
            return None if not text else parse_json(text, "field 'data'")
        data: dict[str, Any] = {}
        for field in self._fields:
            present, value = field.read()
            if present:
                data[field.name] = value
        return data
