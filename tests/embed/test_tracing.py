"""Every embedder appears in traces without tracing code of its own: one ``embeddings {model}`` span per
call, with the HTTP attempts of a remote embedder beneath it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest
from fake_provider import TEST_KEY, FakeProviderServer, Scenario, SleepRecorder, Status

from mastra_lab.embed import Embedder, HashingEmbedder, OpenAIEmbedder
from mastra_lab.telemetry.exporters import InMemoryExporter
from mastra_lab.telemetry.tracer import Tracer


class Constant(Embedder):
    """A third-party embedder: it only implements ``embed``."""

    dimension = 3
    name = "constant:v1"

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return np.ones((len(self._check_texts(texts)), 3), dtype=np.float32)


def test_an_embedder_with_a_tracer_makes_one_span_per_call() -> None:
    spans = InMemoryExporter()
    embedder = HashingEmbedder(dim=64)
    embedder.tracer = Tracer([spans])
    embedder.embed(["one", "two", "three"])

    (span,) = spans.spans
    assert (span.name, span.type) == (f"embeddings {embedder.name}", "embedding")
    assert span.attributes == {
        "gen_ai.operation.name": "embeddings",
        "gen_ai.request.model": embedder.name,
        "gen_ai.provider.name": "hashing",
        "mastra.embed.count": 3,
        "gen_ai.embeddings.dimension.count": 64,
    }


async def test_a_subclass_is_traced_in_embed_and_in_the_inherited_aembed() -> None:
    spans = InMemoryExporter()
    tracer = Tracer([spans])
    embedder = Constant()
    with tracer.span("caller"):
        embedder.embed(["a"])
        await embedder.aembed(["b", "c"])  # runs embed in a worker thread: still one span

    caller = next(s for s in spans.spans if s.name == "caller")
    embeddings = [s for s in spans.spans if s.type == "embedding"]
    assert [(s.name, s.parent_span_id) for s in embeddings] == [
        ("embeddings constant:v1", caller.span_id)
    ] * 2
    assert [s.attributes["mastra.embed.count"] for s in embeddings] == [1, 2]


def test_without_a_tracer_or_a_trace_nothing_is_recorded() -> None:
    assert Embedder.tracer is None
    assert Constant().embed(["a"]).shape == (1, 3)


@pytest.mark.usefixtures("allow_model_requests")
def test_a_remote_embedder_retry_is_two_http_spans_under_one_embedding_span(
    fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    spans = InMemoryExporter()
    embedder = OpenAIEmbedder(
        api_key=TEST_KEY,
        base_url=fake_server.base_url("embeddings"),
        dimensions=4,
        http_options={"sleep": sleeps},
    )
    embedder.tracer = Tracer([spans])
    fake_server.push(Status(503, {"error": {"message": "busy"}}, {"retry-after-ms": "20"}), Scenario())

    assert embedder.embed(["a", "bb"]).shape == (2, 4)  # embed → aembed on the runtime loop: one span

    (embedding,) = [s for s in spans.spans if s.type == "embedding"]
    assert embedding.name == "embeddings text-embedding-3-small"
    assert embedding.attributes["gen_ai.provider.name"] == "openai"
    attempts = [s for s in spans.spans if s.type == "http_request"]
    assert [(s.parent_span_id, s.attributes["http.response.status_code"]) for s in attempts] == [
        (embedding.span_id, 503),
        (embedding.span_id, 200),
    ]
    assert attempts[0].attributes["mastra.http.retry_delay_ms"] == 20.0
    assert attempts[0].attributes["url.path"] == "/v1/embeddings"
