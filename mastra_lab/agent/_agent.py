"""The :class:`Agent` facade: configuration, the public run methods, run state in storage."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Generator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mastra_lab import _runtime
from mastra_lab.agent._loop import Approval, Node, Runner, RunState
from mastra_lab.agent._types import AgentChunk, AgentResult, OutputSpec
from mastra_lab.errors import MastraError, ToolError
from mastra_lab.llm._hooks import current_override
from mastra_lab.llm.base import Message, Model, ToolCall, ToolChoice, ToolResult, from_dict, to_messages
from mastra_lab.telemetry.logger import get_logger
from mastra_lab.tools import RunContext, Tool, tool

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.tracer import Tracer

__all__ = ["Agent"]

Prompt = str | Message | Sequence[Message]


def _agent_error(message: str, code: str, **details: Any) -> MastraError:
    return MastraError(message, code=code, domain="agent", details=details)


def _check_max_steps(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _agent_error(
            f"{where}={value!r} must be an integer of at least 1 (how many model requests a run may make)",
            "AGENT_BAD_MAX_STEPS",
            value=repr(value),
        )
    return value


def _as_tool(item: Any) -> Tool:
    if isinstance(item, Tool):
        return item
    if callable(item):
        made: Tool = tool(item)
        return made
    raise ToolError(f"tools= takes Tool objects or functions, got {item!r}", code="TOOL_BAD_TOOL")


def _sub_agent_tool(agent: Agent) -> Tool:
    async def ask(arguments: dict[str, Any]) -> AgentResult:
        return await agent.generate(str(arguments["prompt"]))

    description = agent.description or f"Ask the {agent.name!r} agent."
    schema = {
        "type": "object",
        "properties": {"prompt": {"type": "string", "description": "A complete, self-contained request."}},
        "required": ["prompt"],
    }
    return Tool(f"ask_{agent.name}", f"{description} It sees only the prompt you give it.", schema, ask)


class Agent:
    """A model with instructions, tools and (optionally) memory, running the tool loop.

    Args:
        name: Unique within a :class:`~mastra_lab.Mastra`; run state is stored under ``agent:{name}``.
        instructions: The system prompt, or a callable returning it (given the :class:`RunContext` when it
            takes one argument; may be async).
        model: A :class:`~mastra_lab.llm.Model` or an id such as ``"openai:gpt-4o-mini"``.
        tools: :class:`Tool` objects or typed functions (made tools with :func:`~mastra_lab.tools.tool`).
        memory: A :class:`~mastra_lab.memory.Memory`; used by runs that pass a ``thread_id``.
        max_steps: Model requests a run may make before it stops with ``finish_reason="max_steps"``.
        description: What the agent does (shown to a parent agent that offers it as a tool).
        agents: Sub-agents, each offered as a tool ``ask_<name>``.
        require_approval: ``True`` (every tool), tool names, or ``callable(tool_call) -> bool``: matching
            calls stop the run for a person's decision (see :meth:`resume`).
        token_budget: Stop the run (``finish_reason="token_budget"``) once its tokens reach this many.
        id_factory: Makes run ids (uuid4 hex by default); injectable so tests and notebooks get stable ids.

    Example:
        ```python
        from mastra_lab.agent import Agent
        from mastra_lab.llm import TestModel

        def add(a: int, b: int) -> int:
            \"\"\"Add two integers.\"\"\"
            return a + b

        agent = Agent("calc", "You add numbers.", TestModel(), tools=[add])
        result = agent.generate_sync("What is 1 + 1?")
        assert result.tool_calls[0].name == "add" and result.finish_reason == "stop"
        ```
    """

    def __init__(
        self,
        name: str,
        instructions: str | Callable[..., Any],
        model: Model | str,
        tools: Iterable[Tool | Callable[..., Any]] = (),
        memory: Any = None,
        max_steps: int = 5,
        description: str | None = None,
        agents: Iterable[Agent] = (),
        *,
        require_approval: bool | Collection[str] | Callable[[ToolCall], bool] = False,
        token_budget: int | None = None,
        id_factory: Callable[[], str] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name or not all(c.isalnum() or c in "_-" for c in name):
            raise _agent_error(
                f"agent name {name!r} must be a non-empty string of letters, digits, '_' or '-'",
                "AGENT_BAD_NAME",
            )
        if not isinstance(model, Model | str):
            raise _agent_error(
                f"model={model!r} must be a Model or an id like 'openai:gpt-4o-mini'", "AGENT_BAD_MODEL"
            )
        if not (isinstance(instructions, str) or callable(instructions)):
            raise _agent_error(
                "instructions must be a string or a callable returning one", "AGENT_BAD_ARGUMENT"
            )
        if token_budget is not None and (not isinstance(token_budget, int) or token_budget < 1):
            raise _agent_error(
                f"token_budget={token_budget!r} must be a positive integer", "AGENT_BAD_ARGUMENT"
            )
        self.name = name
        self.instructions = instructions
        self.description = description
        self.memory = memory
        self.max_steps = _check_max_steps(max_steps, "max_steps")
        self.token_budget = token_budget
        self.agents = {a.name: a for a in agents}
        self.tools: dict[str, Tool] = {}
        for item in [*(_as_tool(t) for t in tools), *(_sub_agent_tool(a) for a in agents)]:
            if item.name in self.tools:
                raise ToolError(
                    f"agent {name!r} has two tools named {item.name!r}; give each tool a unique name",
                    code="TOOL_DUPLICATE_NAME",
                    details={"agent": name, "tool": item.name},
                )
            self.tools[item.name] = item
        self._approval = self._approval_policy(require_approval)
        self._model_spec = model
        self._model: Model | None = model if isinstance(model, Model) else None
        self._mastra: Any = None
        self._storage: Storage | None = None
        self._tracer: Tracer | None = None
        self.logger = get_logger("agent")
        self._new_id = id_factory or (lambda: uuid.uuid4().hex)

    def _approval_policy(self, spec: bool | Collection[str] | Callable[[ToolCall], bool]) -> Approval:
        if isinstance(spec, bool):
            return lambda call: spec
        if callable(spec):
            return lambda call: bool(spec(call))
        names = {spec} if isinstance(spec, str) else set(spec)
        unknown = sorted(names - set(self.tools))
        if unknown:
            raise ToolError(
                f"require_approval names tools agent {self.name!r} does not have: {unknown}; "
                f"its tools are {sorted(self.tools)}",
                code="TOOL_UNKNOWN",
                details={"unknown": unknown},
            )
        return lambda call: call.name in names

    def __repr__(self) -> str:
        return f"Agent({self.name!r}, model={self._model_id()!r}, tools={sorted(self.tools)})"

    # -- services ----------------------------------------------------------------------------------------

    @property
    def model(self) -> Model:
        """The resolved model (through the registry's ``get_model`` when registered on a Mastra)."""
        if self._model is None:
            spec = str(self._model_spec)
            if self._mastra is not None:
                self._model = self._mastra.get_model(spec)
            else:
                from mastra_lab.llm import get_model

                self._model = get_model(spec)
        return self._model

    def _model_id(self) -> str:
        spec = self._model_spec
        return spec.id if isinstance(spec, Model) else str(spec)

    @property
    def storage(self) -> Storage:
        """Where run state goes: the Mastra's storage, or a private in-memory store when unregistered."""
        if self._storage is None:
            from mastra_lab.storage import InMemoryStore

            self._storage = InMemoryStore()
        return self._storage

    @property
    def tracer(self) -> Tracer:
        """The Mastra's tracer, or one that nests spans but keeps none when unregistered."""
        if self._tracer is None:
            from mastra_lab.telemetry.tracer import Tracer

            self._tracer = Tracer()
        return self._tracer

    def _bind_mastra(self, mastra: Any) -> None:
        """Use ``mastra``'s storage, tracer, logger and models; memory gets its storage and vectors."""
        self._mastra = mastra
        self._storage = mastra.storage
        self._tracer = mastra.tracer
        self.logger = mastra.logger
        if not isinstance(self._model_spec, Model):
            self._model = None
        if self.memory is not None:
            self.memory.bind(mastra.storage, mastra.vectors.get("default"))
        for sub in self.agents.values():
            if sub._mastra is None:
                sub._bind_mastra(mastra)

    def describe(self) -> dict[str, Any]:
        """Name, description, model id, tool names, memory and max_steps, for listings."""
        return {
            "name": self.name,
            "description": self.description,
            "model": self._model_id(),
            "tools": sorted(self.tools),
            "memory": None if self.memory is None else type(self.memory).__name__,
            "max_steps": self.max_steps,
        }

    # -- runs --------------------------------------------------------------------------------------------

    def _runner(self, state: RunState, prompt: list[Message]) -> Runner:
        context = RunContext(state.run_id, state.thread_id, state.resource_id, self._mastra, self.name)
        namespace = f"agent:{self.name}"

        def save(snapshot: dict[str, Any]) -> None:
            self.storage.save_snapshot(namespace, state.run_id, snapshot)

        def instructions() -> Any:
            given = self.instructions
            if isinstance(given, str):
                return given
            takes_context = len(inspect.signature(given).parameters) >= 1
            return given(context) if takes_context else given()

        return Runner(
            state=state,
            model=current_override() or self.model,
            tools=dict(self.tools),
            tracer=self.tracer,
            needs_approval=self._approval,
            context=context,
            memory=self.memory,
            save_snapshot=save,
            prompt=prompt,
            instructions=instructions,
            logger=self.logger.bind(agent=self.name, run_id=state.run_id),
        )

    def stream(
        self,
        prompt: Prompt,
        thread_id: str | None = None,
        resource_id: str | None = None,
        output: Any = None,
        max_steps: int | None = None,
        tool_choice: ToolChoice | None = None,
        model_settings: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[AgentChunk]:
        """Run the agent, yielding :class:`AgentChunk` s as they happen; the last is ``finish`` or ``error``.

        A failure does not raise here: it arrives as an ``error`` chunk (with ``.error``) and ends the stream,
        so a display can show it; :meth:`generate` raises it.

        Args: as :meth:`generate`.
        """
        return self._start(prompt, thread_id, resource_id, output, max_steps, tool_choice, model_settings)

    def _start(
        self,
        prompt: Prompt,
        thread_id: str | None,
        resource_id: str | None,
        output: Any,
        max_steps: int | None,
        tool_choice: ToolChoice | None,
        model_settings: Mapping[str, Any] | None,
        streaming: bool = True,
    ) -> AsyncIterator[AgentChunk]:
        messages = to_messages(prompt)
        state = RunState(
            run_id=self._new_id(),
            agent=self.name,
            thread_id=thread_id,
            resource_id=resource_id,
            max_steps=self.max_steps if max_steps is None else _check_max_steps(max_steps, "max_steps"),
            token_budget=self.token_budget,
            tool_choice=tool_choice,
            model_settings=dict(model_settings or {}),
            output=None if output is None else OutputSpec.of(output),
        )
        runner = self._runner(state, messages)
        runner.streaming = streaming
        return runner.run(runner.prompt_node)

    async def generate(
        self,
        prompt: Prompt,
        thread_id: str | None = None,
        resource_id: str | None = None,
        output: Any = None,
        max_steps: int | None = None,
        tool_choice: ToolChoice | None = None,
        model_settings: Mapping[str, Any] | None = None,
    ) -> AgentResult:
        """Run the tool loop to its end and return the :class:`AgentResult`.

        Args:
            prompt: A string, a :class:`~mastra_lab.llm.Message`, or a list of messages.
            thread_id: A memory thread (created when missing); without one the run has no memory.
            resource_id: The user the thread belongs to.
            output: A pydantic model class or a JSON schema: ``result.object`` is the validated answer.
            max_steps: Overrides the agent's ``max_steps`` for this run.
            tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool's name.
            model_settings: Provider settings (``temperature``, ``max_tokens`` …).
        """
        return await _consume(
            self._start(
                prompt,
                thread_id,
                resource_id,
                output,
                max_steps,
                tool_choice,
                model_settings,
                streaming=False,
            )
        )

    def generate_sync(
        self,
        prompt: Prompt,
        thread_id: str | None = None,
        resource_id: str | None = None,
        output: Any = None,
        max_steps: int | None = None,
        tool_choice: ToolChoice | None = None,
        model_settings: Mapping[str, Any] | None = None,
    ) -> AgentResult:
        """:meth:`generate` for scripts and notebook cells (works inside Jupyter's running loop)."""
        return _runtime.run_sync(
            self.generate(prompt, thread_id, resource_id, output, max_steps, tool_choice, model_settings)
        )

    def stream_sync(
        self,
        prompt: Prompt,
        thread_id: str | None = None,
        resource_id: str | None = None,
        output: Any = None,
        max_steps: int | None = None,
        tool_choice: ToolChoice | None = None,
        model_settings: Mapping[str, Any] | None = None,
    ) -> Generator[AgentChunk, None, None]:
        """:meth:`stream` for code that cannot ``async for`` (a magic, a script)."""
        return _runtime.iterate_sync(
            self.stream(prompt, thread_id, resource_id, output, max_steps, tool_choice, model_settings)
        )

    # -- approval ----------------------------------------------------------------------------------------

    def _load(self, run_id: str) -> dict[str, Any]:
        snap = self.storage.load_snapshot(f"agent:{self.name}", run_id)
        if snap is None:
            raise _agent_error(
                f"agent {self.name!r} has no run {run_id!r} in its storage; list its runs with runs_df()",
                "AGENT_UNKNOWN_RUN",
                run_id=run_id,
            )
        return dict(snap)

    def pending(self, run_id: str) -> list[ToolCall]:
        """The tool calls of ``run_id`` waiting for approval (empty when none)."""
        calls: list[ToolCall] = from_dict(self._load(run_id).get("pending") or [])
        return calls

    def resume_stream(
        self,
        run_id: str,
        approve: Iterable[str] = (),
        decline: Mapping[str, str] | None = None,
        output: Any = None,
    ) -> AsyncIterator[AgentChunk]:
        """Continue a run stopped for approval, streaming as :meth:`stream` does.

        Approved calls run; declined ones go back to the model as declined results with the reason; calls
        neither approved nor declined stay pending. Works in a new process with a new :class:`Agent` of the
        same name on the same storage.

        Args:
            run_id: ``result.run_id`` of the stopped run.
            approve: Ids of pending calls to run.
            decline: ``{call_id: reason}`` of pending calls not to run.
            output: The pydantic class of the original ``output=`` (otherwise the stored JSON schema is used
                and ``result.object`` is a dict).

        Raises:
            MastraError: Unknown run, or a run with nothing pending.
            ToolError: An id that is not pending, or one both approved and declined.
        """
        return self._resume(run_id, approve, decline, output)

    def _resume(
        self,
        run_id: str,
        approve: Iterable[str],
        decline: Mapping[str, str] | None,
        output: Any,
        streaming: bool = True,
    ) -> AsyncIterator[AgentChunk]:
        approve = list(approve)
        decline = dict(decline or {})
        snap = self._load(run_id)
        state = RunState.from_snapshot(run_id, snap, None if output is None else OutputSpec.of(output))
        self._check_decisions(run_id, state, approve, decline)
        by_id = {c.id: c for c in state.pending}
        for call_id, reason in decline.items():
            result = ToolResult(
                call_id, by_id[call_id].name, f"The user declined this call: {reason}", is_error=True
            )
            state.step_results[call_id] = result
            state.tool_results.append(result)
        state.approved = approve
        state.pending = []
        runner = self._runner(state, [])
        runner.streaming = streaming
        node: Node = runner.resume_node
        return runner.run(node)

    def _check_decisions(
        self, run_id: str, state: RunState, approve: list[str], decline: dict[str, str]
    ) -> None:
        if not state.pending:
            raise _agent_error(
                f"run {run_id!r} of agent {self.name!r} has no tool call waiting for approval "
                f"(it finished with {state.finish_reason!r}); there is nothing to resume",
                "AGENT_NOTHING_PENDING",
                run_id=run_id,
            )
        ids = [c.id for c in state.pending]
        unknown = [i for i in [*approve, *decline] if i not in ids]
        if unknown:
            raise ToolError(
                f"tool call id(s) {unknown} are not pending in run {run_id!r}; pending: {ids}",
                code="TOOL_NOT_PENDING",
                details={"run_id": run_id, "unknown": unknown, "pending": ids},
            )
        both = sorted(set(approve) & set(decline))
        if both:
            raise ToolError(
                f"tool call id(s) {both} are both approved and declined; choose one", code="TOOL_BAD_DECISION"
            )
        if not approve and not decline:
            raise ToolError(
                f"resume(run_id={run_id!r}) needs approve=[...] or decline={{id: reason}}; pending: {ids}",
                code="TOOL_BAD_DECISION",
            )

    async def resume(
        self,
        run_id: str,
        approve: Iterable[str] = (),
        decline: Mapping[str, str] | None = None,
        output: Any = None,
    ) -> AgentResult:
        """Continue a run stopped for approval (see :meth:`resume_stream`) and return its new result."""
        return await _consume(self._resume(run_id, approve, decline, output, streaming=False))

    def resume_sync(
        self,
        run_id: str,
        approve: Iterable[str] = (),
        decline: Mapping[str, str] | None = None,
        output: Any = None,
    ) -> AgentResult:
        """:meth:`resume` for scripts and notebook cells."""
        return _runtime.run_sync(self.resume(run_id, approve, decline, output))

    def resume_stream_sync(
        self,
        run_id: str,
        approve: Iterable[str] = (),
        decline: Mapping[str, str] | None = None,
        output: Any = None,
    ) -> Generator[AgentChunk, None, None]:
        """:meth:`resume_stream` for code that cannot ``async for``."""
        return _runtime.iterate_sync(self.resume_stream(run_id, approve, decline, output))

    def runs_df(self) -> pd.DataFrame:
        """This agent's stored runs: run_id, status, finish_reason, steps, pending, thread, tokens, times."""
        import pandas as pd

        rows = []
        for run in self.storage.list_runs(f"agent:{self.name}"):
            snap = run.snapshot
            usage = snap.get("usage") or {}
            rows.append(
                {
                    "run_id": run.run_id,
                    "status": run.status,
                    "finish_reason": snap.get("finish_reason"),
                    "steps": snap.get("step"),
                    "pending": len(snap.get("pending") or []),
                    "thread_id": snap.get("thread_id"),
                    "total_tokens": usage.get("total_tokens") if isinstance(usage, dict) else None,
                    "error": snap.get("error"),
                    "created_at": run.created_at,
                    "updated_at": run.updated_at,
                }
            )
        columns = [
            "run_id",
            "status",
            "finish_reason",
            "steps",
            "pending",
            "thread_id",
            "total_tokens",
            "error",
        ]
        return pd.DataFrame(rows, columns=[*columns, "created_at", "updated_at"])


async def _consume(chunks: AsyncIterator[AgentChunk]) -> AgentResult:
    result: AgentResult | None = None
    error: BaseException | None = None
    async for chunk in chunks:  # to the end, so the run's generator closes here and now
        if chunk.type == "error":
            error = chunk.error
        elif chunk.type == "finish":
            result = chunk.result
    if error is not None:
        raise error
    if result is None:
        raise _agent_error("the run ended without a result", "AGENT_NO_RESULT")
    return result
