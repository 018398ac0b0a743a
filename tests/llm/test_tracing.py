"""A model called directly inside a trace (from a tool, a workflow step) is one ``chat {model}`` span;
outside any trace, and inside a request that already has its span, it adds none."""

from __future__ import annotations

from mastra_lab.llm import Message, TestModel
from mastra_lab.llm.cache import CachedModel, ResponseCache
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer


async def test_a_direct_generate_inside_a_trace_is_a_chat_span_of_it() -> None:
    spans = InMemoryExporter()
    with Tracer([spans]).span("step", "workflow_step") as step:
        response = await TestModel(text="hello there").generate([Message.user("hi")])
    assert response.text == "hello there"

    chat = next(s for s in spans.spans if s.type == "llm_generation")
    assert (chat.name, chat.parent_span_id) == ("chat test", step.span_id)
    assert chat.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "test",
        "gen_ai.request.model": "test",
        "mastra.streaming": False,
        "gen_ai.usage.input_tokens": response.usage.input_tokens,
        "gen_ai.usage.output_tokens": response.usage.output_tokens,
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.response.model": "test",
    }


def test_a_caching_model_in_front_of_another_is_one_span_per_request() -> None:
    spans = InMemoryExporter()
    with ResponseCache() as cache, Tracer([spans]).span("cell"):
        model = CachedModel(TestModel(text="hi"), cache)
        model.generate_sync([Message.user("hello")])
        model.generate_sync([Message.user("hello")])  # from the cache: still a request of this trace
    assert [s.name for s in spans.spans if s.type == "llm_generation"] == ["chat test"] * 2


def test_outside_any_trace_a_model_records_nothing() -> None:
    spans = InMemoryExporter()
    Tracer([spans])
    assert TestModel(text="x").generate_sync([Message.user("hi")]).text == "x"
    assert spans.spans == []
