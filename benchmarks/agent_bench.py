"""Agent benchmark: the framework's own cost of one agent turn with one tool call.

A turn is two requests to a ``FunctionModel`` that answers at once (the first asks for a tool, the second
answers with its result), the tool call validated and run in between, spans opened, the run state stored.
The model costs nothing, so what is measured is the framework. The same turn runs on pydantic-ai's
``FunctionModel`` when ``pydantic_ai`` is installed (only in the benchmark environment); the target is at most
half of its time per turn. Without it, the reference is its usual ~6 ms a turn on this kind of machine.

Memory turns and recall latency are measured by ``benchmarks/memory_bench.py``.

Run: ``python benchmarks/agent_bench.py`` (``--quick`` for fewer turns).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mastra_lab.agent import Agent
from mastra_lab.llm import FunctionModel, Message, ModelResponse, ToolCall
from mastra_lab.llm.testing import AgentInfo
from mastra_lab.tools import tool

PYDANTIC_AI_REFERENCE_MS = 6.0
"""pydantic-ai's time per turn on this kind of machine, used when it is not installed."""


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _ours(messages: list[Message], info: AgentInfo) -> ModelResponse:
    if messages[-1].role != "tool":
        return ModelResponse(tool_calls=[ToolCall("c1", "add", {"a": 1, "b": 2})])
    return ModelResponse(f"The sum is {messages[-1].tool_results[0].result}.")


async def _per_turn_ms(turn: Callable[[], Awaitable[Any]], turns: int) -> float:
    for _ in range(max(turns // 10, 5)):
        await turn()  # warm up
    start = time.perf_counter()
    for _ in range(turns):
        await turn()
    return (time.perf_counter() - start) / turns * 1000


def _pydantic_ai_turn() -> Callable[[], Awaitable[Any]] | None:
    try:
        from pydantic_ai import Agent as PAgent
        from pydantic_ai.messages import ModelResponse as PResponse
        from pydantic_ai.messages import TextPart, ToolCallPart, ToolReturnPart
        from pydantic_ai.models.function import FunctionModel as PFunctionModel
    except ImportError:
        return None

    def theirs(messages: list[Any], info: Any) -> Any:
        last = messages[-1].parts[-1]
        if isinstance(last, ToolReturnPart):
            return PResponse(parts=[TextPart(f"The sum is {last.content}.")])
        return PResponse(parts=[ToolCallPart("add", {"a": 1, "b": 2}, tool_call_id="c1")])

    agent = PAgent(PFunctionModel(theirs))

    @agent.tool_plain
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    async def turn() -> Any:
        return await agent.run("What is 1 + 2?")

    return turn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer turns")
    args = parser.parse_args()
    turns = 100 if args.quick else 1000
    agent = Agent("bench", "You add numbers.", FunctionModel(_ours), tools=[add])

    async def ours() -> Any:
        return await agent.generate("What is 1 + 2?")

    ours_ms = asyncio.run(_per_turn_ms(ours, turns))
    theirs_turn = _pydantic_ai_turn()
    if theirs_turn is None:
        theirs_ms, source = PYDANTIC_AI_REFERENCE_MS, "reference, pydantic_ai not installed"
    else:
        theirs_ms, source = asyncio.run(_per_turn_ms(theirs_turn, turns)), "measured"
    ratio = ours_ms / theirs_ms
    print(f"agent turn, one tool call (FunctionModel): {ours_ms:.2f} ms")
    print(f"pydantic-ai, the same turn ({source}): {theirs_ms:.2f} ms")
    print(f"ratio: {ratio:.2f}x  (target <= 0.5x)  {'ok' if ratio <= 0.5 else 'OVER TARGET'}")


if __name__ == "__main__":
    main()
