"""Steps made from the other building blocks: a tool call (:func:`tool_step`) and an agent run
(:func:`agent_step`).

Both map the block's own "wait for a person" onto the workflow's suspend/resume, so an approval asked for
deep inside an agent's tool loop pauses the whole workflow, survives a restart in the snapshot, and is
answered with ``run.resume(...)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mastra_lab.errors import WorkflowError
from mastra_lab.tools import _to_jsonable as jsonable

if TYPE_CHECKING:
    from mastra_lab.agent import Agent
    from mastra_lab.tools import Tool
    from mastra_lab.workflow.context import StepContext
    from mastra_lab.workflow.steps import Step

__all__ = ["AGENT_INPUT", "AGENT_OUTPUT", "AGENT_RESUME", "TOOL_RESUME", "agent_step", "tool_step"]

TOOL_RESUME: dict[str, Any] = {
    "type": "object",
    "properties": {"approve": {"type": "boolean"}, "reason": {"type": "string"}},
    "required": ["approve"],
}
"""What resumes a tool step waiting for approval."""

AGENT_INPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "prompt": {"type": "string"},
        "thread_id": {"type": "string"},
        "resource_id": {"type": "string"},
    },
    "required": ["prompt"],
}
"""What an agent step takes: the prompt, and a memory thread to run in."""

AGENT_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string"},
        "finish_reason": {"type": "string"},
        "run_id": {"type": "string"},
    },
    "required": ["text"],
}
"""What an agent step returns (also ``object``, the structured output or ``None``)."""

AGENT_RESUME: dict[str, Any] = {
    "type": "object",
    "properties": {"approve": {"type": "array", "items": {"type": "string"}}, "decline": {"type": "object"}},
    "required": ["approve"],
}
"""What resumes an agent step waiting for approval: call ids to run, ``{call_id: reason}`` not to."""


def tool_step(cls: type[Step], tool: Tool, id: str | None) -> Step:
    """See :meth:`Step.from_tool`."""
    from mastra_lab.tools import RunContext

    async def execute(ctx: StepContext) -> Any:
        arguments = ctx.input if isinstance(ctx.input, dict) else jsonable(ctx.input)
        if tool.requires_approval:
            if ctx.resume_data is None:
                ctx.suspend({"tool": tool.name, "arguments": arguments})
            if not ctx.resume_data["approve"]:
                reason = ctx.resume_data.get("reason") or "no reason given"
                raise WorkflowError(
                    f"the call of tool {tool.name!r} was declined: {reason}", code="WORKFLOW_DECLINED"
                )
        run = RunContext(ctx.run_id, resource_id=ctx.resource_id, mastra=ctx.mastra)
        return await tool.run(arguments, run)

    return cls(
        id or tool.name,
        execute,
        resume_schema=TOOL_RESUME if tool.requires_approval else None,
        description=tool.description,
    )


def agent_step(cls: type[Step], agent: Agent, id: str | None) -> Step:
    """See :meth:`Step.from_agent`."""

    async def execute(ctx: StepContext) -> Any:
        if ctx.resume_data is not None and ctx.suspend_data:
            decision = ctx.resume_data
            result = await agent.resume(
                ctx.suspend_data["agent_run_id"],
                approve=decision["approve"],
                decline=dict(decision.get("decline") or {}),
            )
        else:
            data = ctx.input
            result = await agent.generate(
                data["prompt"],
                thread_id=data.get("thread_id"),
                resource_id=data.get("resource_id") or ctx.resource_id,
            )
        if result.finish_reason == "approval":
            pending = [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in result.pending]
            ctx.suspend({"agent": agent.name, "agent_run_id": result.run_id, "pending": pending})
        return {
            "text": result.text,
            "object": jsonable(result.object),
            "finish_reason": result.finish_reason,
            "run_id": result.run_id,
        }

    return cls(
        id or agent.name,
        execute,
        input_schema=AGENT_INPUT,
        output_schema=AGENT_OUTPUT,
        resume_schema=AGENT_RESUME,
        description=agent.description or "",
    )
