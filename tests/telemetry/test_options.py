"""``tracing_options``: per-call options that follow the code into tasks and nest."""

from __future__ import annotations

import asyncio

from mastra_lab.telemetry import InMemoryExporter, Tracer, tracing_options
from mastra_lab.telemetry.options import current_options


def test_options_nest_and_are_gone_after_the_block() -> None:
    with tracing_options(metadata={"a": 1}):
        with tracing_options(hide_output=True, metadata={"b": 2}) as inner:
            assert inner.hide_output and not inner.hide_input
            assert dict(inner.attributes) == {"mastra.metadata.a": 1, "mastra.metadata.b": 2}
        outer = current_options()
        assert outer is not None and not outer.hide_output
    assert current_options() is None


async def test_options_follow_into_tasks() -> None:
    exporter = InMemoryExporter()
    tracer = Tracer([exporter], capture_content=True)

    async def call(name: str) -> None:
        with tracer.span(name, input="prompt"):
            await asyncio.sleep(0)

    with tracing_options(hide_input=True, metadata={"run": "r1"}):
        await asyncio.gather(call("a"), call("b"))
    assert [(s.input, s.attributes) for s in exporter.spans] == [(None, {"mastra.metadata.run": "r1"})] * 2
