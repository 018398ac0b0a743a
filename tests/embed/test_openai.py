from __future__ import annotations

import logging
import socket

import numpy as np
import pytest
from fake_provider import TEST_KEY, FakeProviderServer, Raw, Scenario, SleepRecorder, Status, error_body

from mastra_lab.embed import OpenAIEmbedder
from mastra_lab.errors import (
    AuthenticationError,
    ConfigError,
    ContextLengthError,
    MastraError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from mastra_lab.llm import base as llm_base

pytestmark = pytest.mark.usefixtures("allow_model_requests")

ECHOED = f"boom for Bearer {TEST_KEY}"
"""A careless server echoing the whole Authorization header: the client must scrub it."""


def _embedder(server: FakeProviderServer, **kwargs: object) -> OpenAIEmbedder:
    options: dict[str, object] = {
        "api_key": TEST_KEY,
        "base_url": server.base_url("embeddings"),
        "dimensions": 4,
    }
    options.update(kwargs)
    return OpenAIEmbedder(**options)  # type: ignore[arg-type]


def test_embed_sends_the_wire_format_and_reorders_by_index(fake_server: FakeProviderServer) -> None:
    vectors = _embedder(fake_server).embed(["a", "bb", "ccc"])

    assert vectors.dtype == np.float32 and vectors.shape == (3, 4)
    assert vectors[:, 0].tolist() == [1.0, 2.0, 3.0]  # rows in input order although the server reversed them
    (request,) = fake_server.requests
    assert request.path == "/v1/embeddings"
    assert request.body == {
        "model": "text-embedding-3-small",
        "input": ["a", "bb", "ccc"],
        "encoding_format": "float",
        "dimensions": 4,
    }
    assert request.headers["authorization"] == f"Bearer {TEST_KEY}"


def test_embed_batches_requests_by_batch_size(fake_server: FakeProviderServer) -> None:
    texts = [f"t{i}" * (i + 1) for i in range(5)]
    vectors = _embedder(fake_server, batch_size=2).embed(texts)

    assert [len(r.body["input"]) for r in fake_server.requests] == [2, 2, 1]
    assert vectors[:, 0].tolist() == [float(len(t)) for t in texts]


def test_dimensions_is_omitted_from_the_request_when_not_set(fake_server: FakeProviderServer) -> None:
    vectors = _embedder(fake_server, dimensions=None).embed(["x"])
    assert "dimensions" not in fake_server.requests[0].body
    assert vectors.shape == (1, 1536)


def test_api_key_is_read_from_the_environment(
    fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", TEST_KEY)
    vectors = OpenAIEmbedder(base_url=fake_server.base_url("embeddings"), dimensions=4).embed(["hi"])
    assert vectors.shape == (1, 4)


def test_missing_key_names_both_fixes_and_sends_nothing(fake_server: FakeProviderServer) -> None:
    embedder = OpenAIEmbedder(base_url=fake_server.base_url("embeddings"))
    with pytest.raises(AuthenticationError, match=r"OPENAI_API_KEY.*api_key="):
        embedder.embed(["hi"])
    assert fake_server.requests == []


CONTEXT = error_body("This model's maximum context length is 8192 tokens")


@pytest.mark.parametrize(
    ("reply", "error", "status"),
    [
        (Status(429, error_body(ECHOED)), RateLimitError, 429),
        (Status(500, error_body(ECHOED)), ProviderUnavailableError, 500),
        (Status(503, error_body(ECHOED)), ProviderUnavailableError, 503),
        (Status(404, error_body(ECHOED)), ProviderError, 404),
        (Status(403, error_body(ECHOED)), AuthenticationError, 403),
        (Status(400, CONTEXT, {"x-request-id": "req_ctx"}), ContextLengthError, 400),
    ],
)
def test_http_errors_map_to_provider_errors_without_the_key(
    fake_server: FakeProviderServer,
    caplog: pytest.LogCaptureFixture,
    reply: Status,
    error: type[ProviderError],
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_server.push(reply)
    with pytest.raises(error) as info:
        _embedder(fake_server, max_retries=0).embed(["hello"])

    assert type(info.value) is error
    assert f"HTTP {status}" in str(info.value)
    assert info.value.details["status"] == status
    assert len(fake_server.requests) == 1
    assert "embeddings request" in caplog.text  # the request was logged, and the log is checked too
    for text in (str(info.value), repr(info.value), repr(info.value.details), caplog.text):
        assert TEST_KEY not in text


def test_rejected_key_is_an_authentication_error_that_never_shows_the_key(
    fake_server: FakeProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "sk-wrong-key-0000000000000000"
    fake_server.push(Status(401, error_body(f"Incorrect API key provided: {wrong}", "invalid_api_key")))
    with pytest.raises(AuthenticationError, match="HTTP 401") as info:
        OpenAIEmbedder(api_key=wrong, base_url=fake_server.base_url("embeddings")).embed(["hello"])
    assert info.value.details["error_code"] == "invalid_api_key"  # the server's error is kept…
    for text in (str(info.value), repr(info.value.details), caplog.text):
        assert wrong not in text  # …but the key the server echoed is masked
    assert "…0000" in str(info.value)
    assert len(fake_server.requests) == 1  # a rejected key is never retried


def test_body_that_is_not_json_is_a_provider_error(fake_server: FakeProviderServer) -> None:
    fake_server.push(Raw("<html>gateway</html>", "text/plain"))
    with pytest.raises(ProviderError, match="could not be decoded"):
        _embedder(fake_server).embed(["hello"])


def test_unreachable_server_is_provider_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    embedder = OpenAIEmbedder(
        api_key=TEST_KEY, base_url=f"http://127.0.0.1:{port}/v1", dimensions=4, max_retries=0
    )
    with pytest.raises(ProviderUnavailableError, match="connection to openai failed") as info:
        embedder.embed(["hello"])
    assert TEST_KEY not in str(info.value)


def test_a_500_is_retried_after_the_backoff_delay(
    fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(500, error_body("queued failure")))
    embedder = _embedder(fake_server, http_options={"sleep": sleeps, "random": lambda: 0.0})

    vectors = embedder.embed(["abc"])

    assert vectors[0, 0] == 3.0
    assert len(fake_server.requests) == 2
    assert sleeps.delays == [0.5]  # the SDK's first backoff, without jitter


def test_a_429_waits_as_long_as_retry_after_ms_asks(
    fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(429, error_body("slow down"), {"retry-after-ms": "1500"}))

    vectors = _embedder(fake_server, http_options={"sleep": sleeps}).embed(["abc"])

    assert vectors.shape == (1, 4)
    assert len(fake_server.requests) == 2
    assert sleeps.delays == [1.5]


def test_retries_stop_after_max_retries_and_report_the_attempts(
    fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(*[Status(503, error_body("unavailable"))] * 3)
    embedder = _embedder(fake_server, max_retries=2, http_options={"sleep": sleeps, "random": lambda: 0.0})

    with pytest.raises(ProviderUnavailableError, match="HTTP 503 after 3 attempts") as info:
        embedder.embed(["abc"])

    assert info.value.details["attempts"] == 3
    assert len(fake_server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


def test_a_later_batch_is_retried_without_resending_earlier_ones(
    fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Scenario(), Status(502, error_body("bad gateway"), {"retry-after": "2"}))
    embedder = _embedder(fake_server, batch_size=1, http_options={"sleep": sleeps})

    vectors = embedder.embed(["a", "bb"])

    assert [r.body["input"] for r in fake_server.requests] == [["a"], ["bb"], ["bb"]]
    assert vectors[:, 0].tolist() == [1.0, 2.0]
    assert sleeps.delays == [2.0]


def test_disallowed_model_requests_fail_before_sending(
    fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm_base, "ALLOW_MODEL_REQUESTS", False)

    with pytest.raises(ProviderError, match="ALLOW_MODEL_REQUESTS is False") as info:
        _embedder(fake_server).embed(["hello"])

    assert info.value.code == "MODEL_REQUESTS_DISABLED"
    assert fake_server.requests == []


def test_empty_input_returns_an_empty_matrix_without_a_request(fake_server: FakeProviderServer) -> None:
    vectors = _embedder(fake_server).embed([])
    assert vectors.shape == (0, 4) and vectors.dtype == np.float32
    assert fake_server.requests == []


def test_bad_items_are_rejected_before_any_request(fake_server: FakeProviderServer) -> None:
    with pytest.raises(MastraError, match=r"texts\[1\] is int"):
        _embedder(fake_server).embed(["ok", 3])  # type: ignore[list-item]
    with pytest.raises(MastraError, match=r"texts\[0\] is an empty string"):
        _embedder(fake_server).embed([""])
    assert fake_server.requests == []


async def test_aembed_awaits_the_same_request(fake_server: FakeProviderServer) -> None:
    vectors = await _embedder(fake_server).aembed(["abcd"])
    assert vectors[0, :2].tolist() == [4.0, float(ord("a"))]


def test_dimension_comes_from_dimensions_or_the_model_table() -> None:
    assert OpenAIEmbedder().dimension == 1536
    assert OpenAIEmbedder("text-embedding-3-large").dimension == 3072
    assert OpenAIEmbedder(dimensions=256).dimension == 256
    with pytest.raises(ConfigError, match="pass dimensions=N"):
        _ = OpenAIEmbedder("my-compat-model").dimension


def test_repr_shows_model_and_never_the_key() -> None:
    assert repr(OpenAIEmbedder(api_key=TEST_KEY)) == "OpenAIEmbedder(model='text-embedding-3-small')"
    assert (
        repr(OpenAIEmbedder(dimensions=8)) == "OpenAIEmbedder(model='text-embedding-3-small', dimensions=8)"
    )


def test_invalid_batch_size_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        OpenAIEmbedder(batch_size=0)


def test_negative_max_retries_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"max_retries must be an int >= 0 or None, got -1"):
        OpenAIEmbedder(max_retries=-1)


async def test_sync_embed_works_inside_a_running_event_loop(fake_server: FakeProviderServer) -> None:
    # Jupyter runs cells inside a loop; embed() must not call asyncio.run there.
    vectors = _embedder(fake_server).embed(["abc"])
    assert vectors[0, 0] == 3.0


def test_vectors_of_an_unexpected_width_are_refused(fake_server: FakeProviderServer) -> None:
    # The test server answers 1536-wide vectors when no `dimensions` is sent; text-embedding-3-large
    # should be 3072 wide, so the mismatch must be reported instead of reaching a vector index.
    embedder = _embedder(fake_server, model="text-embedding-3-large", dimensions=None)
    with pytest.raises(ProviderError, match=r"widths \[1536\], expected 3072"):
        embedder.embed(["ok"])


def test_ragged_vectors_are_a_provider_error(fake_server: FakeProviderServer) -> None:
    ragged = [{"index": 0, "embedding": [1.0, 2.0]}, {"index": 1, "embedding": [1.0]}]
    fake_server.push(Status(200, {"object": "list", "data": ragged, "model": "m"}))
    with pytest.raises(ProviderError, match=r"widths \[1, 2\], expected 4"):
        _embedder(fake_server).embed(["a", "b"])
