"""Deterministic example data for a JSON schema, so :class:`~mastra_lab.llm.testing.TestModel` can call tools.

An offline test model has to invent tool arguments and structured outputs that the real tool (or the
pydantic model behind an output schema) will accept. This module walks the JSON schemas pydantic emits —
``$ref``/``$defs``, ``anyOf`` for unions and ``Optional``, ``enum``/``const`` for enums and literals,
``prefixItems`` for tuples, ``additionalProperties`` for dicts — and builds the smallest sensible value.
The same ``seed`` always gives the same data; different seeds pick different enum members and union
branches, include optional fields (odd seeds) and shift numbers, strings and dates.
"""

from __future__ import annotations

import math
import string
from datetime import date, timedelta
from typing import Any

__all__ = ["SchemaData", "example_for_schema"]

_MAX_DEPTH = 6
"""Past this nesting depth, arrays stay as short as allowed and nullable branches pick ``null``."""


def example_for_schema(schema: dict[str, Any], seed: int = 0) -> Any:
    """A value valid for ``schema``, the same for the same ``seed``.

    Args:
        schema: A JSON schema, as ``pydantic.BaseModel.model_json_schema()`` or a tool definition gives it.
        seed: Picks enum members, union branches and whether optional properties are present.
    """
    return SchemaData(schema, seed).generate()


class SchemaData:
    """Walks one JSON schema; keeps a counter so successive strings and numbers differ.

    Args:
        schema: The root schema; its ``$defs`` (or ``definitions``) resolve ``$ref`` pointers.
        seed: Non-negative integer that makes every choice.
    """

    def __init__(self, schema: dict[str, Any], seed: int = 0) -> None:
        self.schema = schema
        self.defs: dict[str, Any] = {**schema.get("definitions", {}), **schema.get("$defs", {})}
        self.seed = abs(seed)
        self._counter = 0

    def generate(self) -> Any:
        """The value for the root schema."""
        return self._any(self.schema, 0)

    def _next(self) -> int:
        n = self.seed + self._counter
        self._counter += 1
        return n

    def _any(self, schema: dict[str, Any] | bool, depth: int) -> Any:
        if schema is True or schema == {}:
            return self._string({})
        if schema is False:
            return None
        if "const" in schema:
            return schema["const"]
        if enum := schema.get("enum"):
            return enum[self.seed % len(enum)]
        if examples := schema.get("examples"):
            return examples[self.seed % len(examples)]
        if ref := schema.get("$ref"):
            return self._any(self._resolve(ref), depth + 1)
        for key in ("anyOf", "oneOf"):
            if branches := schema.get(key):
                return self._any(self._pick_branch(branches, depth), depth + 1)
        if all_of := schema.get("allOf"):
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for part in all_of:
                merged.update(self._resolve(part["$ref"]) if "$ref" in part else part)
            return self._any(merged, depth)
        return self._typed(schema, depth)

    def _typed(self, schema: dict[str, Any], depth: int) -> Any:
        type_ = schema.get("type")
        if isinstance(type_, list):
            non_null = [t for t in type_ if t != "null"] or ["null"]
            type_ = non_null[self.seed % len(non_null)]
        if type_ is None:
            type_ = "object" if "properties" in schema else "string"
        if type_ == "object":
            return self._object(schema, depth)
        if type_ == "array":
            return self._array(schema, depth)
        if type_ == "string":
            return self._string(schema)
        if type_ == "integer":
            return self._integer(schema)
        if type_ == "number":
            return self._number(schema)
        if type_ == "boolean":
            return self.seed % 2 == 1
        if type_ == "null":
            return None
        raise ValueError(f"cannot generate data for JSON schema type {type_!r}; use a standard JSON type")

    def _resolve(self, ref: str) -> dict[str, Any]:
        name = ref.rsplit("/", 1)[-1]
        if ref == "#":
            return self.schema
        if name not in self.defs:
            raise ValueError(
                f"JSON schema $ref {ref!r} points to no entry of $defs; known: {sorted(self.defs)}"
            )
        result: dict[str, Any] = self.defs[name]
        return result

    def _pick_branch(self, branches: list[dict[str, Any]], depth: int) -> dict[str, Any]:
        if depth >= _MAX_DEPTH:
            for branch in branches:
                if branch.get("type") == "null":
                    return branch
        return branches[self.seed % len(branches)]

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        include_optional = self.seed % 2 == 1 and depth < _MAX_DEPTH
        data: dict[str, Any] = {}
        for name, sub in schema.get("properties", {}).items():
            if name in required or include_optional:
                data[name] = self._any(sub, depth + 1)
        extra = schema.get("additionalProperties")
        if extra and not schema.get("properties"):
            key = f"key_{self._next()}"
            data[key] = self._any(extra if isinstance(extra, dict) else {}, depth + 1)
        return data

    def _array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems") or []
        items = schema.get("items", {})
        min_items = int(schema.get("minItems", 0))
        max_items = schema.get("maxItems")
        wanted = max(min_items, len(prefix), 0 if depth >= _MAX_DEPTH else 1)
        if max_items is not None:
            wanted = min(wanted, int(max_items))
        data = [self._any(prefix[i], depth + 1) for i in range(min(wanted, len(prefix)))]
        while len(data) < wanted:
            data.append(self._any(items if isinstance(items, dict) else {}, depth + 1))
        return data

    def _string(self, schema: dict[str, Any]) -> str:
        n = self._next()
        fmt = schema.get("format")
        if fmt == "date":
            return (date(2024, 1, 1) + timedelta(days=n)).isoformat()
        if fmt == "date-time":
            return f"{(date(2024, 1, 1) + timedelta(days=n)).isoformat()}T00:00:00Z"
        if fmt == "time":
            return f"{n % 24:02d}:00:00"
        if fmt == "email":
            return f"user{n}@example.com"
        if fmt in ("uri", "url"):
            return f"https://example.com/{n}"
        if fmt == "uuid":
            return f"00000000-0000-4000-8000-{n:012d}"
        text = string.ascii_lowercase[n % 26]
        min_len = int(schema.get("minLength", 0))
        if len(text) < min_len:
            text = text * min_len
        if (max_len := schema.get("maxLength")) is not None:
            text = text[: int(max_len)]
        return text

    def _bounds(self, schema: dict[str, Any]) -> tuple[float | None, float | None, bool, bool]:
        low, high = schema.get("minimum"), schema.get("maximum")
        low_open = high_open = False
        if low is None and (low := schema.get("exclusiveMinimum")) is not None:
            low_open = True
        if high is None and (high := schema.get("exclusiveMaximum")) is not None:
            high_open = True
        return low, high, low_open, high_open

    def _integer(self, schema: dict[str, Any]) -> int:
        low_f, high_f, low_open, high_open = self._bounds(schema)
        low = None if low_f is None else math.floor(low_f) + 1 if low_open else math.ceil(low_f)
        high = None if high_f is None else math.ceil(high_f) - 1 if high_open else math.floor(high_f)
        n = self._next()
        if low is not None and high is not None:
            return low + n % (high - low + 1)
        if low is not None:
            return low + n
        if high is not None:
            return high - n
        return n

    def _number(self, schema: dict[str, Any]) -> float:
        low, high, _, _ = self._bounds(schema)
        if low is not None and high is not None:
            step = (self._next() % 4 + 1) / 5  # strictly inside the interval
            return float(low + (high - low) * step)
        return float(self._integer(schema))
