"""Working memory: a small document the model keeps up to date, shown in every prompt.

It is either a Markdown *template* (``"# User\n- **Name**:\n- **City**:"``) or a pydantic *schema*, and it
lives on the resource (``Resource.working_memory``, shared by all of a user's threads — the default) or on
one thread (its metadata). Every update is a *merge*, never a blind overwrite: for a schema, the fields
given replace the stored ones and the others stay; for Markdown, each ``Key: value`` line given replaces
the stored line of that key (an empty value keeps it) and other new lines are appended. The merge runs
inside one atomic read-modify-write of the store (:meth:`~mastra_lab.storage.Storage.modify_resource`), so
two processes updating different fields at the same moment both keep their write.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from mastra_lab.errors import MastraError

__all__ = ["WorkingMemorySpec", "WorkingMemoryValue", "merge_fields", "merge_markdown"]

WorkingMemoryValue = str | dict[str, Any]
Scope = Literal["resource", "thread"]

_FIELD = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<key>[^:*_\n][^:\n]*?)(?:\*\*|__)?\s*:(?P<value>.*)$")
_UNMARKED = re.compile(r"[*_`]")


def _field(line: str) -> tuple[str, str] | None:
    match = _FIELD.match(line)
    if match is None or line.lstrip().startswith("#"):
        return None
    key = _UNMARKED.sub("", match["key"]).strip().lower()
    value = _UNMARKED.sub("", match["value"]).strip()
    return (key, value) if key else None


def merge_markdown(current: str | None, update: str) -> str:
    """Merge a Markdown working-memory update into the stored document.

    A ``Key: value`` line of the update (``- **Name**: Ada`` and ``Name: Ada`` both count) replaces the
    stored line with that key, unless its value is empty; a key the document lacks is appended; any other
    non-blank line the document does not already contain is appended too. Nothing stored is lost.

    Args:
        current: The stored document (``None`` when there is none yet).
        update: What the model or the caller wrote.
    """
    lines = (current or "").splitlines()
    keys = {f[0]: i for i, line in enumerate(lines) if (f := _field(line)) is not None}
    present = {line.strip() for line in lines}
    for line in update.splitlines():
        field = _field(line)
        if field is not None:
            key, value = field
            if key in keys:
                if value:
                    lines[keys[key]] = line
                continue
            if not value:
                continue
            keys[key] = len(lines)
        elif not line.strip() or line.strip() in present:
            continue
        lines.append(line)
        present.add(line.strip())
    return "\n".join(lines)


def merge_fields(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """``current`` with every non-``None`` value of ``update`` merged in (nested objects merge too)."""
    out = dict(current)
    for key, value in update.items():
        if value is None:
            continue
        old = out.get(key)
        out[key] = merge_fields(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def _bad(message: str, code: str = "MEMORY_BAD_WORKING_MEMORY") -> MastraError:
    return MastraError(message, code=code, domain="memory")


@dataclass(frozen=True)
class WorkingMemorySpec:
    """How working memory is shaped and where it lives (built from ``Memory(working_memory=...)``).

    Attributes:
        template: The Markdown template, when it is a document.
        schema: The pydantic model class, when it is structured.
        scope: ``"resource"`` (shared by a user's threads) or ``"thread"``.
    """

    template: str | None = None
    schema: Any = None
    scope: Scope = "resource"

    def initial(self) -> WorkingMemoryValue:
        """The value before anything was stored: the template, or ``{}``."""
        return {} if self.schema is not None else (self.template or "")

    def load(self, stored: str | None) -> WorkingMemoryValue | None:
        """The stored text as a value (``dict`` for a schema); ``None`` when nothing is stored."""
        if stored is None:
            return None
        if self.schema is None:
            return stored
        try:
            value = json.loads(stored)
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}

    def dump(self, value: WorkingMemoryValue) -> str:
        """The value as the text storage keeps."""
        return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)

    def merge(self, current: WorkingMemoryValue | None, update: object) -> WorkingMemoryValue:
        """``update`` merged into ``current``; a schema's result is validated (errors name the field)."""
        if self.schema is None:
            if not isinstance(update, str):
                raise _bad(
                    f"this working memory is a Markdown document; update it with a str, got "
                    f"{type(update).__name__}"
                )
            base = current if isinstance(current, str) and current else self.template
            return merge_markdown(base, update)
        if hasattr(update, "model_dump"):
            update = update.model_dump(mode="json", exclude_unset=True)
        if not isinstance(update, dict):
            raise _bad(
                f"this working memory follows the schema {self.schema.__name__}; update it with a dict of "
                f"its fields (or an instance), got {type(update).__name__}"
            )
        merged = merge_fields(current if isinstance(current, dict) else {}, update)
        return self._validated(merged)

    def _validated(self, value: dict[str, Any]) -> dict[str, Any]:
        import pydantic

        try:
            model = self.schema.model_validate(value)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}" for e in exc.errors()
            )
            fields = ", ".join(self.schema.model_fields)
            raise _bad(
                f"working memory does not fit {self.schema.__name__}: {problems} (fields: {fields})",
                code="MEMORY_WORKING_MEMORY_INVALID",
            ) from exc
        dumped: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
        return dumped

    def system_text(self, value: WorkingMemoryValue | None, can_update: bool) -> str:
        """The working-memory section of the system prompt, with instructions when the model may update it."""
        shown = self.initial() if value is None else value
        body = shown if isinstance(shown, str) else json.dumps(shown, indent=2, sort_keys=True)
        where = "this user across conversations" if self.scope == "resource" else "this conversation"
        text = f"## Working memory (what you know about {where})\n{body.strip() or '(empty)'}"
        if can_update:
            how = (
                "only the fields that changed"
                if self.schema is not None
                else "the document in the same format (lines you leave out or empty are kept)"
            )
            text += (
                "\n\nWhen you learn something worth keeping (names, preferences, goals, facts about the "
                f"user), call the update_working_memory tool with {how}. Do not mention doing so."
            )
        return text

    def tool_parameters(self) -> dict[str, Any]:
        """JSON schema of the ``update_working_memory`` tool's arguments."""
        if self.schema is None:
            memory: dict[str, Any] = {
                "type": "string",
                "description": "The working memory as Markdown following the template; empty fields keep "
                "their stored value",
            }
            return {"type": "object", "properties": {"memory": memory}, "required": ["memory"]}
        js = self.schema.model_json_schema()
        memory = {
            "type": "object",
            "properties": js.get("properties", {}),
            "description": f"Fields of {self.schema.__name__} to change; the others are kept",
        }
        params: dict[str, Any] = {"type": "object", "properties": {"memory": memory}, "required": ["memory"]}
        if "$defs" in js:
            params["$defs"] = js["$defs"]
        return params
