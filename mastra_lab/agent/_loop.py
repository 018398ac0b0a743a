"""The tool loop as a small state machine over a :class:`RunState`.

Each node is an async generator: it yields the chunks a stream shows and, last, a :class:`_Goto` naming
the next node (``None`` ends the run). The nodes:

* ``prompt`` — instructions, memory and the incoming messages become the conversation;
* ``request`` — one model request, streamed; tool calls go to ``call_tools``, a final answer to ``finish``
  (after structured-output validation, which may send the model back once with the problem);
* ``call_tools`` — every requested tool, concurrently; calls needing approval are held back, which ends
  the run in ``finish`` with ``finish_reason="approval"`` until ``resume``;
* ``finish`` — memory gets the turn, the run state is stored, the result is yielded.

The state is plain data, so a run waiting for approval is stored with ``storage.save_snapshot`` and a
later process picks it up where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from mastra_lab.agent._types import AgentChunk, AgentResult, OutputSpec, StructuredOutputError
from mastra_lab.errors import MastraError, ProviderError, ToolError
from mastra_lab.llm.base import (
    ErrorEvent,
    FinishEvent,
    Message,
    Model,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    ToolCallEvent,
    ToolChoice,
    ToolResult,
    Usage,
    from_dict,
    to_dict,
)
from mastra_lab.tools import RunContext, Tool, ToolRetry, _to_jsonable

if TYPE_CHECKING:
    from mastra_lab.telemetry.tracer import Span, Tracer

__all__ = ["FEEDBACK_CODES", "RunState", "Runner"]

FEEDBACK_CODES = frozenset({"TOOL_USE_FAILED", "TOOL_ARGUMENTS_INVALID_JSON", "TOOL_ARGUMENTS_NOT_OBJECT"})
"""Errors of a model request that mean "the model wrote a bad tool call": sent back to it, not raised."""

_DONE = ("stop", "length", "content_filter")


@dataclass
class RunState:
    """Everything a run needs to continue, JSON-able through :meth:`to_snapshot`."""

    run_id: str
    agent: str
    thread_id: str | None = None
    resource_id: str | None = None
    max_steps: int = 5
    token_budget: int | None = None
    tool_choice: ToolChoice | None = None
    model_settings: dict[str, Any] = field(default_factory=dict)
    output: OutputSpec | None = None
    messages: list[Message] = field(default_factory=list)
    turn: list[Message] = field(default_factory=list)
    """Messages of this turn not yet saved to memory."""
    step: int = 0
    usage: Usage = field(default_factory=Usage)
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_results: list[ToolResult] = field(default_factory=list)
    pending: list[ToolCall] = field(default_factory=list)
    step_results: dict[str, ToolResult] = field(default_factory=dict)
    """Results already known for the tool calls of the last assistant message."""
    approved: list[str] = field(default_factory=list)
    output_retries: int = 0
    finish_reason: str = "stop"
    object: Any = None
    trace_id: str = ""

    def result(self) -> AgentResult:
        return AgentResult(
            text=self.text,
            object=self.object,
            tool_calls=list(self.tool_calls),
            tool_results=list(self.tool_results),
            usage=self.usage,
            finish_reason=self.finish_reason,
            steps=self.step,
            trace_id=self.trace_id,
            run_id=self.run_id,
            pending=list(self.pending),
            thread_id=self.thread_id,
            resource_id=self.resource_id,
            messages=list(self.messages),
        )

    def to_snapshot(self, status: str, error: str | None = None) -> dict[str, Any]:
        """The state as JSON; a run that cannot continue keeps only its summary (memory has the turn)."""
        summary = {
            "status": status,
            "error": error,
            "agent": self.agent,
            "thread_id": self.thread_id,
            "resource_id": self.resource_id,
            "step": self.step,
            "usage": to_dict(self.usage),
            "text": self.text,
            "tool_calls": [c.name for c in self.tool_calls],
            "pending": [],
            "finish_reason": self.finish_reason,
            "trace_id": self.trace_id,
        }
        if status != "approval":
            return summary
        output = None if self.output is None else {"name": self.output.name, "schema": self.output.schema}
        return {
            "status": status,
            "error": error,
            "agent": self.agent,
            "thread_id": self.thread_id,
            "resource_id": self.resource_id,
            "max_steps": self.max_steps,
            "token_budget": self.token_budget,
            "tool_choice": self.tool_choice,
            "model_settings": _to_jsonable(self.model_settings),
            "output": output,
            "messages": to_dict(self.messages),
            "turn": to_dict(self.turn),
            "step": self.step,
            "usage": to_dict(self.usage),
            "text": self.text,
            "tool_calls": to_dict(self.tool_calls),
            "tool_results": to_dict(self.tool_results),
            "pending": to_dict(self.pending),
            "step_results": to_dict(list(self.step_results.values())),
            "finish_reason": self.finish_reason,
            "trace_id": self.trace_id,
        }

    @classmethod
    def from_snapshot(cls, run_id: str, snap: dict[str, Any], output: OutputSpec | None) -> RunState:
        stored = snap.get("output")
        if output is None and isinstance(stored, dict):
            output = OutputSpec(str(stored["name"]), dict(stored["schema"]))
        return cls(
            run_id=run_id,
            agent=str(snap.get("agent", "")),
            thread_id=snap.get("thread_id"),
            resource_id=snap.get("resource_id"),
            max_steps=int(snap.get("max_steps", 5)),
            token_budget=snap.get("token_budget"),
            tool_choice=snap.get("tool_choice"),
            model_settings=dict(snap.get("model_settings") or {}),
            output=output,
            messages=from_dict(snap.get("messages", [])),
            turn=from_dict(snap.get("turn", [])),
            step=int(snap.get("step", 0)),
            usage=from_dict(snap.get("usage")) or Usage(),
            text=str(snap.get("text", "")),
            tool_calls=from_dict(snap.get("tool_calls", [])),
            tool_results=from_dict(snap.get("tool_results", [])),
            pending=from_dict(snap.get("pending", [])),
            step_results={r.tool_call_id: r for r in from_dict(snap.get("step_results", []))},
            finish_reason=str(snap.get("finish_reason", "stop")),
            trace_id=str(snap.get("trace_id", "")),
        )


@dataclass
class _Goto:
    node: Node | None


Item: TypeAlias = "AgentChunk | _Goto"
Node: TypeAlias = Callable[[], AsyncIterator[Item]]
Approval: TypeAlias = Callable[[ToolCall], bool]


@dataclass
class Runner:
    """One run of one agent: the services it uses and the nodes of the loop."""

    state: RunState
    model: Model
    tools: dict[str, Tool]
    tracer: Tracer
    needs_approval: Approval
    context: RunContext
    memory: Any = None
    save_snapshot: Callable[[dict[str, Any]], None] = lambda snap: None
    prompt: list[Message] = field(default_factory=list)
    instructions: Callable[[], Any] = lambda: ""
    logger: Any = None
    """A :class:`~mastra_lab.telemetry.MastraLogger` bound to the agent and run, or ``None``."""
    last_usage: Usage = field(default_factory=Usage)
    """Tokens of the latest model request, reported by its ``step-finish`` chunk."""
    streaming: bool = True
    """Whether the caller consumes the chunks as a stream (``Agent.stream``) or waits for the result
    (``Agent.generate``); the model is streamed either way, this only marks the ``llm_generation`` spans."""

    # -- driver ----------------------------------------------------------------------------------------

    async def run(self, first: Node) -> AsyncIterator[AgentChunk]:
        """Run nodes from ``first`` until one says stop; a failure becomes an ``error`` chunk and ends it.

        The loop runs in a task of its own that hands chunks over through a queue: its spans stay in that
        task's context (the caller's code between two chunks is not "inside" the model call), and a caller
        that stops iterating early cancels the run cleanly.
        """
        chunks: asyncio.Queue[AgentChunk | None] = asyncio.Queue()

        async def produce() -> None:
            try:
                async for chunk in self._drive(first):
                    chunks.put_nowait(chunk)
            finally:
                chunks.put_nowait(None)

        task = asyncio.ensure_future(produce())
        try:
            while (chunk := await chunks.get()) is not None:
                yield chunk
            await task
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _drive(self, first: Node) -> AsyncIterator[AgentChunk]:
        s = self.state
        text_in = " ".join(m.text for m in self.prompt if m.role == "user") or None
        with self.tracer.span(
            f"invoke_agent {s.agent}", "agent_run", input=text_in, attributes=self._agent_attributes()
        ) as span:
            s.trace_id = span.trace_id
            try:
                node: Node | None = first
                while node is not None:
                    after: Node | None = None
                    async for item in node():
                        if isinstance(item, _Goto):
                            after = item.node
                        else:
                            yield item
                    node = after
            except Exception as exc:
                span.record_error(exc)
                self._log("warning", "agent run failed: %s: %s", type(exc).__name__, exc)
                self._store("failed", f"{type(exc).__name__}: {exc}")
                yield AgentChunk("error", error=exc, step=s.step)
                return
            finally:
                if s.resource_id is not None:  # known only now when memory looked up the thread's owner
                    span.set_attribute("mastra.resource_id", s.resource_id)
            span.set_attribute("gen_ai.usage.input_tokens", s.usage.input_tokens)
            span.set_attribute("gen_ai.usage.output_tokens", s.usage.output_tokens)
            span.set_attribute("mastra.finish_reason", s.finish_reason)
            span.set_output({"text": s.text, "finish_reason": s.finish_reason})
            self._log("debug", "agent run finished: %s after %d step(s)", s.finish_reason, s.step)

    def _agent_attributes(self) -> dict[str, Any]:
        s = self.state
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": s.agent,
            "gen_ai.request.model": self.model.id,
            "mastra.run_id": s.run_id,
        }
        if s.thread_id is not None:
            attributes["gen_ai.conversation.id"] = s.thread_id
        return attributes

    def _log(self, level: str, message: str, *args: Any) -> None:
        if self.logger is not None:
            getattr(self.logger.bind(trace_id=self.state.trace_id), level)(message, *args)

    def _store(self, status: str, error: str | None = None) -> None:
        try:
            self.save_snapshot(self.state.to_snapshot(status, error))
        except MastraError:
            if status != "failed":
                raise

    # -- nodes -----------------------------------------------------------------------------------------

    async def prompt_node(self) -> AsyncIterator[Item]:
        """Instructions, memory (history, recalled context, working memory) and the new messages."""
        s = self.state
        instructions = self.instructions()
        if inspect.isawaitable(instructions):
            instructions = await instructions
        text = str(instructions or "")
        if self.memory is not None and s.thread_id is not None:
            if s.resource_id is None:  # an existing thread knows its resource; an unknown one is an error
                s.resource_id = self.memory.get_thread(s.thread_id).resource_id
                self.context.resource_id = s.resource_id
            await _maybe_await(self.memory.ensure_thread(s.thread_id, s.resource_id))
            prepared = await self.memory.prepare(s.thread_id, s.resource_id, list(self.prompt))
            s.messages = list(prepared.to_messages(text))
            s.turn = list(prepared.new)
            self._add_tools(prepared.tools)
        else:
            s.messages = [*([Message.system(text)] if text else []), *self.prompt]
            s.turn = list(self.prompt)
        yield _Goto(self.request_node)

    async def resume_node(self) -> AsyncIterator[Item]:
        """A resumed run: memory's tools again, then the calls that were waiting."""
        s = self.state
        if self.memory is not None and s.thread_id is not None:
            prepared = await self.memory.prepare(s.thread_id, s.resource_id, [])
            self._add_tools(prepared.tools)
        yield _Goto(self.call_tools_node)

    def _add_tools(self, tools: Any) -> None:
        for t in tools or ():
            self.tools.setdefault(t.name, t)

    async def request_node(self, retrying: bool = False) -> AsyncIterator[Item]:
        """One model request; decides whether tools run next or the run is over."""
        s = self.state
        if not retrying and s.step >= s.max_steps:
            s.finish_reason = "max_steps"
            yield _Goto(self.finish_node)
            return
        if not retrying and s.token_budget is not None and s.step and s.usage.total_tokens >= s.token_budget:
            s.finish_reason = "token_budget"
            yield _Goto(self.finish_node)
            return
        s.step += 1
        texts: list[str] = []
        calls: list[ToolCall] = []
        finish: FinishEvent | None = None
        with self.tracer.span(
            f"chat {self.model.model_name}", "llm_generation", attributes=self._chat_attributes()
        ) as span:
            span.input = {"messages": list(s.messages), "tools": sorted(self.tools)}
            # time to first token: from just before the request is sent to the first event that carries
            # model output (a text delta, a tool-call fragment or a whole tool call), on the monotonic clock
            started = time.perf_counter()
            first_at: float | None = None
            try:
                async for event in self._stream():
                    if first_at is None and isinstance(event, TextDelta | ToolCallDelta | ToolCallEvent):
                        first_at = time.perf_counter()
                        span.set_attribute("mastra.ttft_ms", (first_at - started) * 1000)
                    if isinstance(event, TextDelta):
                        texts.append(event.text)
                        yield AgentChunk("text-delta", text=event.text, step=s.step)
                    elif isinstance(event, ToolCallEvent):
                        calls.append(event.tool_call)
                        yield AgentChunk("tool-call", tool_call=event.tool_call, step=s.step)
                    elif isinstance(event, FinishEvent):
                        finish = event
                    elif isinstance(event, ErrorEvent):
                        raise event.error
            except ToolError as exc:
                if exc.code not in FEEDBACK_CODES:
                    raise
                span.record_error(exc)
                failed = ToolResult("", str(exc.details.get("tool", "")), exc.message, is_error=True)
                yield AgentChunk("tool-error", tool_result=failed, error=exc, step=s.step)
                s.messages.append(Message.user(_bad_call_feedback(exc)))
                yield AgentChunk("step-finish", step=s.step, usage=Usage())
                yield _Goto(self.request_node)
                return
            if finish is None:
                raise ProviderError(
                    "the model's stream ended without finishing", code="AGENT_STREAM_INCOMPLETE"
                )
            self._record_usage(span, finish)
            span.set_output({"text": "".join(texts), "tool_calls": list(calls)})
        yield _Goto(self._after_response("".join(texts), calls, finish))

    def _chat_attributes(self) -> dict[str, Any]:
        s = self.state
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": self.model.provider,
            "gen_ai.request.model": self.model.model_name,
            "gen_ai.agent.name": s.agent,
            "mastra.streaming": self.streaming,
        }
        if s.thread_id is not None:
            attributes["gen_ai.conversation.id"] = s.thread_id
        if s.resource_id is not None:
            attributes["mastra.resource_id"] = s.resource_id
        return attributes

    def _stream(self) -> AsyncIterator[Any]:
        s = self.state
        definitions = [t.definition for t in self.tools.values()]
        output = None if s.output is None else s.output.request
        choice = s.tool_choice or "auto"
        return self.model.stream(s.messages, definitions or None, choice, output, **s.model_settings)

    def _record_usage(self, span: Span, finish: FinishEvent) -> None:
        self.state.usage = self.state.usage + finish.usage
        span.set_attribute("gen_ai.usage.input_tokens", finish.usage.input_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", finish.usage.output_tokens)
        span.set_attribute("gen_ai.response.finish_reasons", [finish.finish_reason])
        if finish.model:
            span.set_attribute("gen_ai.response.model", finish.model)
        self.last_usage = finish.usage

    def _after_response(self, text: str, calls: list[ToolCall], finish: FinishEvent) -> Node:
        s = self.state
        message = Message.assistant(text, calls)
        s.messages.append(message)
        s.turn.append(message)
        if text:
            s.text = text
        s.tool_calls.extend(calls)
        usage = finish.usage

        async def tools_next() -> AsyncIterator[Item]:
            yield _Goto(self.call_tools_node)

        async def answer() -> AsyncIterator[Item]:
            yield AgentChunk("step-finish", step=s.step, usage=usage)
            if s.output is not None:
                try:
                    s.object = s.output.parse(text)
                except ValueError as exc:
                    yield _Goto(self._output_retry(text, str(exc)))
                    return
            s.finish_reason = finish.finish_reason if finish.finish_reason in _DONE else "stop"
            yield _Goto(self.finish_node)

        return tools_next if calls else answer

    def _output_retry(self, text: str, problem: str) -> Node:
        s = self.state
        assert s.output is not None
        if s.output_retries >= 1:
            raise StructuredOutputError(
                f"the model's answer does not match the output schema {s.output.name!r}, "
                f"also after a retry: {problem}",
                raw_text=text,
                details={"schema": s.output.name, "problem": problem},
            )
        s.output_retries += 1
        s.turn.pop()  # the invalid answer stays in the prompt, not in memory
        s.messages.append(
            Message.user(
                f"Your answer does not match the required JSON schema {s.output.name!r}: {problem}. "
                "Answer again with only a JSON value that matches this schema (a model without native "
                f"structured output needs to see it): {json.dumps(s.output.schema)[:4000]}"
            )
        )

        async def retry() -> AsyncIterator[Item]:
            async for item in self.request_node(retrying=True):
                yield item

        return retry

    async def call_tools_node(self) -> AsyncIterator[Item]:
        """Run the last message's tool calls concurrently; hold back those that need approval."""
        s = self.state
        calls = s.messages[-1].tool_calls if s.messages else []
        runnable: list[ToolCall] = []
        s.pending = []
        for call in calls:
            if call.id in s.step_results:
                continue
            if call.id not in s.approved and self._needs_approval(call):
                s.pending.append(call)
            else:
                runnable.append(call)
        async for result in self._execute_all(runnable):
            s.step_results[result.tool_call_id] = result
            s.tool_results.append(result)
            yield AgentChunk(
                "tool-error" if result.is_error else "tool-result", tool_result=result, step=s.step
            )
        if s.pending:
            s.finish_reason = "approval"
            yield _Goto(self.finish_node)
            return
        message = Message.tool([s.step_results[c.id] for c in calls])
        s.messages.append(message)
        s.turn.append(message)
        s.step_results = {}
        s.approved = []
        yield AgentChunk("step-finish", step=s.step, usage=self.last_usage)
        yield _Goto(self.request_node)

    async def _execute_all(self, calls: list[ToolCall]) -> AsyncIterator[ToolResult]:
        """Run ``calls`` concurrently and yield each result as soon as it exists (a slow tool does not hold
        back the display of a fast one); the tool message keeps the model's order regardless."""
        tasks = [asyncio.ensure_future(self._execute(call)) for call in calls]
        try:
            for next_done in asyncio.as_completed(tasks):
                yield await next_done
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _needs_approval(self, call: ToolCall) -> bool:
        tool = self.tools.get(call.name)
        return tool is not None and (tool.requires_approval or self.needs_approval(call))

    async def _execute(self, call: ToolCall) -> ToolResult:
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.agent.name": self.state.agent,
        }
        with self.tracer.span(
            f"execute_tool {call.name}", "tool_call", input=call.arguments, attributes=attributes
        ) as span:
            result = await self._run_tool(call, span)
            span.set_output(result.result)
            return result

    async def _run_tool(self, call: ToolCall, span: Span) -> ToolResult:
        tool = self.tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self.tools)) or "none"
            message = f"there is no tool named {call.name!r}; the tools are: {known}"
            span.record_error(ToolError(message, code="TOOL_UNKNOWN"))
            return ToolResult(call.id, call.name, message, is_error=True)
        try:
            value = await tool.run(call.arguments, self.context)
        except ToolRetry as exc:
            span.record_error(exc)
            return ToolResult(
                call.id, call.name, f"{exc.message} (fix this and call {call.name} again)", is_error=True
            )
        except ToolError as exc:
            span.record_error(exc)
            return ToolResult(call.id, call.name, exc.message, is_error=True)
        except Exception as exc:
            span.record_error(exc)
            message = f"tool {call.name!r} failed: {type(exc).__name__}: {exc}"
            return ToolResult(call.id, call.name, message, is_error=True)
        if isinstance(value, AgentResult):  # a sub-agent: its tokens are this run's too
            self.state.usage = self.state.usage + value.usage
            value = _sub_agent_answer(value)
        return ToolResult(call.id, call.name, _to_jsonable(value))

    async def finish_node(self) -> AsyncIterator[Item]:
        """Save the turn to memory, store the run state, hand over the result."""
        s = self.state
        if self.memory is not None and s.thread_id is not None and s.turn:
            await self.memory.save(s.thread_id, s.resource_id, list(s.turn))
            s.turn = []
        self._store("approval" if s.pending else "done")
        yield AgentChunk("finish", result=s.result(), step=s.step)
        yield _Goto(None)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _bad_call_feedback(exc: ToolError) -> str:
    failed = exc.details.get("failed_generation")
    shown = f" Your output was: {str(failed)[:500]}" if failed else ""
    return (
        f"Your last tool call could not be used: {exc.message}.{shown} "
        "Call the tool again with arguments that are one valid JSON object matching its schema."
    )


def _sub_agent_answer(result: AgentResult) -> Any:
    """What the model sees of a sub-agent's run: its object or text, and whether it waits for a person."""
    if result.pending:
        names = ", ".join(c.name for c in result.pending)
        return (
            f"{result.text}\n(this agent stopped: its call(s) to {names} wait for a person's approval "
            f"in run {result.run_id})".lstrip()
        )
    return result.object if result.object is not None else result.text
