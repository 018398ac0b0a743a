"""Steps: a named unit of work with optional schemas for what goes in, comes out, and resumes it.

A step's ``execute(ctx)`` may be a plain function or a coroutine function; it reads its input from
``ctx.input`` and returns its output. Schemas are pydantic model classes or JSON-schema dicts, so a step can
be described without writing a class; a pydantic input arrives as an instance, every output is stored as
JSON-able data (that is what a snapshot can hold, and what a resumed run sees in a new process).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, overload

import pydantic

from mastra_lab.errors import WorkflowError
from mastra_lab.tools import _check_json_value, _is_model_class, _pydantic_problems, _to_jsonable

if TYPE_CHECKING:
    from mastra_lab.agent import Agent
    from mastra_lab.tools import Tool
    from mastra_lab.workflow.builder import Workflow

__all__ = ["Step", "step"]


def _check_schema(schema: Any, owner: str, name: str) -> None:
    if schema is None or _is_model_class(schema) or isinstance(schema, dict):
        return
    raise WorkflowError(
        f"{owner}: {name} must be a pydantic model class or a JSON-schema dict, got {schema!r}",
        code="WORKFLOW_BAD_SCHEMA",
        details={"owner": owner, "schema": name},
    )


def _json_schema_problems(value: Any, schema: dict[str, Any]) -> list[str]:
    if schema.get("type", "object") != "object" or ("properties" not in schema and "required" not in schema):
        problem = _check_json_value(value, schema, "(value)")
        return [] if problem is None else [problem]
    if not isinstance(value, dict):
        return [f"field '(value)': expected object, got {type(value).__name__} {value!r}"]
    properties: dict[str, Any] = schema.get("properties") or {}
    problems = [f"field {name!r}: required" for name in schema.get("required", []) if name not in value]
    if schema.get("additionalProperties") is False:
        problems += [f"field {name!r}: not allowed" for name in value if name not in properties]
    for name, item in value.items():
        if name in properties:
            problem = _check_json_value(item, properties[name], name)
            if problem:
                problems.append(problem)
    return problems


def validate(value: Any, schema: Any, where: str, code: str) -> Any:
    """``value`` checked against ``schema``: a pydantic instance for a model class, else ``value`` itself.

    Raises:
        WorkflowError: naming ``where`` (the step or workflow and what was checked) and each bad field.
    """
    if schema is None:
        return value
    if _is_model_class(schema):
        if isinstance(value, schema):
            return value
        try:
            return schema.model_validate(value)
        except pydantic.ValidationError as exc:
            problems = _pydantic_problems(exc)
    else:
        problems = _json_schema_problems(value, schema)
        if not problems:
            return value
    raise WorkflowError(
        f"{where} is invalid: {'; '.join(problems)}",
        code=code,
        details={"where": where, "problems": problems},
    )


def jsonable(value: Any) -> Any:
    """What a snapshot stores for ``value`` (pydantic models, dataclasses, enums become plain data)."""
    return _to_jsonable(value)


class Step:
    """One unit of work in a workflow.

    Args:
        id: Unique within a workflow; results, resume and events name the step by it.
        execute: ``execute(ctx)``, sync or async, returning the step's output. ``ctx`` is a
            :class:`~mastra_lab.workflow.StepContext`.
        input_schema: What the step accepts (pydantic class or JSON schema); checked before it runs.
        output_schema: What it must return; checked after it returns.
        resume_schema: What ``run.resume(resume_data=...)`` must send it.
        suspend_schema: What it passes to ``ctx.suspend(payload)``.
        retries: Extra attempts when ``execute`` raises (overrides the workflow's ``retry``).
        persist_output: ``False`` keeps the output out of the stored snapshot (for large or sensitive
            outputs): later steps of the same process still receive it, but a run continued in another
            process cannot give it to a step that needs it, and says so.

    Attributes:
        workflow: For a committed workflow used as a step of another (``wf.then(child)``), the child;
            else ``None``.
    """

    def __init__(
        self,
        id: str,
        execute: Callable[[Any], Any],
        input_schema: Any = None,
        output_schema: Any = None,
        resume_schema: Any = None,
        suspend_schema: Any = None,
        retries: int = 0,
        *,
        description: str = "",
        persist_output: bool = True,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise WorkflowError(f"a step needs a non-empty string id, got {id!r}", code="WORKFLOW_BAD_STEP")
        if not callable(execute):
            raise WorkflowError(
                f"step {id!r}: execute must be callable, got {execute!r}", code="WORKFLOW_BAD_STEP"
            )
        if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
            raise WorkflowError(
                f"step {id!r}: retries must be an integer >= 0, got {retries!r}", code="WORKFLOW_BAD_STEP"
            )
        owner = f"step {id!r}"
        for name, schema in (
            ("input_schema", input_schema),
            ("output_schema", output_schema),
            ("resume_schema", resume_schema),
            ("suspend_schema", suspend_schema),
        ):
            _check_schema(schema, owner, name)
        self.id = id
        self.execute = execute
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.resume_schema = resume_schema
        self.suspend_schema = suspend_schema
        self.retries = retries
        self.persist_output = bool(persist_output)
        self.description = description or (getattr(execute, "__doc__", None) or "").strip()
        self.workflow: Workflow | None = None

    def __repr__(self) -> str:
        kind = "" if self.workflow is None else ", workflow=True"
        return f"Step(id={self.id!r}{kind})"

    @classmethod
    def from_tool(cls, tool: Tool, id: str | None = None) -> Step:
        """A step that calls ``tool`` with its input as the arguments; its output is the tool's result.

        The tool validates the arguments (errors name the field). A tool made with
        ``requires_approval=True`` suspends the run first; resume it with ``{"approve": true}`` (or
        ``false`` with a ``"reason"``, which fails the step).
        """
        from mastra_lab.workflow.adapters import tool_step

        return tool_step(cls, tool, id)

    @classmethod
    def from_agent(cls, agent: Agent, id: str | None = None) -> Step:
        """A step that runs ``agent`` on ``{"prompt": ..., "thread_id"?: ..., "resource_id"?: ...}``.

        Its output is ``{"text", "object", "finish_reason", "run_id"}``. When a tool call needs approval
        the workflow suspends with the pending calls; resume with ``{"approve": [call ids], "decline":
        {call_id: reason}}`` and the agent continues from where it stopped, in this process or another.
        """
        from mastra_lab.workflow.adapters import agent_step

        return agent_step(cls, agent, id)


@overload
def step(fn: Callable[[Any], Any], /) -> Step: ...


@overload
def step(
    *,
    id: str | None = None,
    input_schema: Any = None,
    output_schema: Any = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    retries: int = 0,
    persist_output: bool = True,
) -> Callable[[Callable[[Any], Any]], Step]: ...


def step(
    fn: Callable[[Any], Any] | None = None,
    /,
    *,
    id: str | None = None,
    input_schema: Any = None,
    output_schema: Any = None,
    resume_schema: Any = None,
    suspend_schema: Any = None,
    retries: int = 0,
    persist_output: bool = True,
) -> Step | Callable[[Callable[[Any], Any]], Step]:
    """Turn ``execute(ctx)`` into a :class:`Step` named after the function (or ``id``).

    Usable bare (``@step``) or with options (``@step(retries=2, resume_schema=Approval)``).
    """

    def wrap(f: Callable[[Any], Any]) -> Step:
        return Step(
            id or f.__name__,
            f,
            input_schema=input_schema,
            output_schema=output_schema,
            resume_schema=resume_schema,
            suspend_schema=suspend_schema,
            retries=retries,
            persist_output=persist_output,
        )

    return wrap if fn is None else wrap(fn)
