"""The retrying HTTP client: retry rules, delays, the fault matrix, error mapping and secret hygiene.

Everything runs against the fake provider on 127.0.0.1; retry delays are recorded by an injected ``sleep``
instead of being waited for.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import httpx
import pytest
from fake_provider import (
    TEST_KEY,
    Delay,
    FakeProviderServer,
    Hold,
    Raw,
    Reset,
    Scenario,
    SleepRecorder,
    Status,
)
from hypothesis import given
from hypothesis import strategies as st

import mastra_lab.llm.base
from mastra_lab.errors import (
    AuthenticationError,
    ContextLengthError,
    MastraError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
)
from mastra_lab.llm import Message, get_model
from mastra_lab.llm import http as http_module
from mastra_lab.llm.base import ErrorEvent, TextDelta
from mastra_lab.llm.http import (
    HTTPClient,
    configure_http,
    get_async_client,
    get_http_settings,
    retry_delay,
    should_retry,
)

PROMPT = [Message.user("hi")]


def _error(status: int, message: str = "boom", **extra: object) -> dict[str, object]:
    return {"error": {"message": message, "type": "server_error", "code": None, **extra}}


# -- the rules, without a server ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "header", "expected"),
    [
        (408, None, True),
        (409, None, True),
        (429, None, True),
        (500, None, True),
        (503, None, True),
        (529, None, True),
        (400, None, False),
        (401, None, False),
        (404, None, False),
        (422, None, False),
        (500, "false", False),
        (400, "true", True),
        (429, "FALSE", False),
    ],
)
def test_should_retry_follows_sdk_rules(status: int, header: str | None, expected: bool) -> None:
    headers = {"x-should-retry": header} if header else {}
    assert should_retry(httpx.Response(status, headers=headers)) is expected


def test_retry_delay_prefers_retry_after_ms_then_seconds_then_date() -> None:
    now = datetime(2026, 11, 25, 17, 0, 0, tzinfo=UTC).timestamp()
    clock = lambda: now  # noqa: E731
    assert retry_delay(0, {"retry-after-ms": "150", "retry-after": "9"}, clock=clock) == 0.15
    assert retry_delay(0, {"retry-after": "2.5"}, clock=clock) == 2.5
    assert retry_delay(0, {"retry-after": "Wed, 25 Nov 2026 17:00:30 GMT"}, clock=clock) == 30.0


def test_retry_delay_caps_server_delays_at_sixty_seconds() -> None:
    assert retry_delay(0, {"retry-after": "120"}) == 60.0
    assert retry_delay(0, {"retry-after-ms": "90000"}) == 60.0


def test_retry_delay_falls_back_to_jittered_backoff() -> None:
    no_jitter = [retry_delay(n, {}, random=lambda: 0.0) for n in range(6)]
    full_jitter = [retry_delay(n, {"retry-after": "garbage"}, random=lambda: 1.0) for n in range(3)]
    assert no_jitter == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert full_jitter == [0.375, 0.75, 1.5]


@given(retry=st.integers(0, 50), jitter=st.floats(0, 1, exclude_max=True))
def test_backoff_stays_between_three_quarters_and_full_step(retry: int, jitter: float) -> None:
    step = min(0.5 * 2**retry, 8.0)
    assert 0.75 * step <= retry_delay(retry, None, random=lambda: jitter) <= step


def test_configure_http_rejects_unknown_settings() -> None:
    with pytest.raises(MastraError, match="unknown HTTP setting"):
        configure_http(retries=3)


def test_http_client_repr_names_provider_and_url() -> None:
    assert repr(HTTPClient("openai", "https://api.openai.com/v1/")) == (
        "HTTPClient('openai', 'https://api.openai.com/v1')"
    )


# -- the fault matrix --------------------------------------------------------------------------------------


async def test_429_with_retry_after_is_retried_after_that_delay(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(429, _error(429, "slow down"), {"retry-after": "2"}), Scenario(text="ok"))
    response = await make_model("openai").generate(PROMPT)
    assert response.text == "ok"
    assert len(fake_server.requests) == 2
    assert sleeps.delays == [2.0]


async def test_429_with_retry_after_ms_is_retried_after_that_delay(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(429, _error(429), {"retry-after-ms": "150"}), Scenario(text="ok"))
    response = await make_model("anthropic").generate(PROMPT)
    assert response.text == "ok"
    assert sleeps.delays == [0.15]


async def test_retry_after_http_date_uses_the_injected_clock(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    now = datetime(2026, 11, 25, 17, 0, 0, tzinfo=UTC).timestamp()
    model = make_model("openai", http_options={"sleep": sleeps, "clock": lambda: now})
    fake_server.push(Status(503, _error(503), {"retry-after": "Wed, 25 Nov 2026 17:00:07 GMT"}), Scenario())
    await model.generate(PROMPT)
    assert sleeps.delays == [7.0]


async def test_persistent_500_gives_up_after_max_retries_with_backoff(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    model = make_model("openai", http_options={"sleep": sleeps, "random": lambda: 0.0})
    fake_server.push(*[Status(500, _error(500, "internal"))] * 3)
    with pytest.raises(ProviderUnavailableError) as info:
        await model.generate(PROMPT)
    assert len(fake_server.requests) == 3
    assert sleeps.delays == [0.5, 1.0]
    assert info.value.details["status"] == 500
    assert info.value.details["attempts"] == 3
    assert "after 3 attempts" in info.value.message


async def test_529_overloaded_is_retried(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    fake_server.push(Status(529, overloaded), Scenario(text="back"))
    response = await make_model("anthropic").generate(PROMPT)
    assert response.text == "back"
    assert len(fake_server.requests) == 2
    assert len(sleeps.delays) == 1


async def test_x_should_retry_false_stops_retries_of_a_500(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(500, _error(500), {"x-should-retry": "false"}))
    with pytest.raises(ProviderUnavailableError):
        await make_model("openai").generate(PROMPT)
    assert len(fake_server.requests) == 1
    assert sleeps.delays == []


async def test_x_should_retry_true_retries_even_a_400(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(400, _error(400), {"x-should-retry": "true"}), Scenario(text="ok"))
    assert (await make_model("openai").generate(PROMPT)).text == "ok"
    assert len(fake_server.requests) == 2


async def test_other_4xx_are_never_retried(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(404, _error(404, "The model `nope` does not exist")))
    with pytest.raises(ProviderError) as info:
        await make_model("openai").generate(PROMPT)
    assert type(info.value) is ProviderError
    assert "does not exist" in info.value.message
    assert len(fake_server.requests) == 1


async def test_connection_reset_is_retried(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Reset(), Scenario(text="after reset"))
    assert (await make_model("groq").generate(PROMPT)).text == "after reset"
    assert len(fake_server.requests) == 2
    assert len(sleeps.delays) == 1


async def test_repeated_connection_resets_end_in_provider_unavailable(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Reset(), Reset(), Reset())
    with pytest.raises(ProviderUnavailableError) as info:
        await make_model("openai").generate(PROMPT)
    assert info.value.code == "PROVIDER_CONNECTION"
    assert info.value.details["attempts"] == 3
    assert len(fake_server.requests) == 3


async def test_read_timeout_is_retried_then_reported(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    model = make_model("openai", timeout=httpx.Timeout(0.1, connect=1.0), max_retries=1)
    fake_server.push(Delay(1.0), Delay(1.0))
    with pytest.raises(ProviderUnavailableError) as info:
        await model.generate(PROMPT)
    assert info.value.code == "PROVIDER_TIMEOUT"
    assert len(fake_server.requests) == 2
    assert len(sleeps.delays) == 1


async def test_malformed_json_body_is_a_bad_response_error(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Raw('{"id": "chatcmpl-1", "choices": [', "application/json"))
    with pytest.raises(ProviderError) as info:
        await make_model("openai").generate(PROMPT)
    assert info.value.code == "PROVIDER_BAD_RESPONSE"
    assert len(fake_server.requests) == 1


async def test_malformed_json_inside_a_stream_is_a_bad_response_error(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(Raw('data: {"choices": [{"delta": {"content": "x"\n\n', "text/event-stream"))
    with pytest.raises(ProviderError) as info:
        [event async for event in make_model("openai").stream(PROMPT)]
    assert info.value.code == "PROVIDER_BAD_RESPONSE"


@pytest.mark.parametrize("provider", ["openai", "groq", "compat", "anthropic"])
async def test_stream_cut_in_the_middle_keeps_partial_text(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder, provider: str
) -> None:
    fake_server.push(Scenario(text="The quick brown fox jumps", chunk_size=5, cut_after=5))
    events = []
    with pytest.raises(ProviderUnavailableError) as info:
        async for event in make_model(provider).stream(PROMPT):
            events.append(event)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text
    assert "The quick brown fox jumps".startswith(text)
    assert events[-1] == ErrorEvent(info.value, text)
    assert info.value.details["partial_text"] == text
    assert len(fake_server.requests) == 1, "a stream that already produced bytes is not retried"


async def test_stream_retries_while_connecting_before_the_first_byte(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    fake_server.push(Status(429, _error(429), {"retry-after-ms": "10"}), Reset(), Scenario(text="streamed"))
    events = [e async for e in make_model("openai").stream(PROMPT)]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "streamed"
    assert len(fake_server.requests) == 3
    assert sleeps.delays[0] == 0.01


async def test_stream_that_fails_before_any_text_reports_empty_partial_text(
    make_model, fake_server: FakeProviderServer
) -> None:
    fake_server.push(Status(401, _error(401, "Invalid API key")))
    events = []
    with pytest.raises(AuthenticationError) as info:
        async for event in make_model("openai").stream(PROMPT):
            events.append(event)
    assert events == [ErrorEvent(info.value, "")]


async def test_stream_ending_without_done_marker_is_incomplete(
    make_model, fake_server: FakeProviderServer
) -> None:
    chunk = (
        '{"id":"c","object":"chat.completion.chunk","model":"m",'
        '"choices":[{"index":0,"delta":{"content":"Hel"}}]}'
    )
    fake_server.push(Raw(f"data: {chunk}\n\n", "text/event-stream"))
    with pytest.raises(ProviderUnavailableError) as info:
        [e async for e in make_model("openai").stream(PROMPT)]
    assert info.value.code == "PROVIDER_STREAM_INCOMPLETE"
    assert info.value.details["partial_text"] == "Hel"


# -- status → error, once ----------------------------------------------------------------------------------

OPENAI_CONTEXT = {
    "error": {
        "message": "This model's maximum context length is 128000 tokens. However, your messages resulted in "
        "130000 tokens. Please reduce the length of the messages.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}
ANTHROPIC_CONTEXT = {
    "type": "error",
    "error": {
        "type": "invalid_request_error",
        "message": "prompt is too long: 210000 tokens > 200000 maximum",
    },
}


@pytest.mark.parametrize(
    ("provider", "status", "body", "error_class"),
    [
        ("openai", 401, _error(401, "Incorrect API key provided"), AuthenticationError),
        (
            "anthropic",
            401,
            {"type": "error", "error": {"type": "authentication_error", "message": "x"}},
            AuthenticationError,
        ),
        ("openai", 403, _error(403, "not allowed"), AuthenticationError),
        ("openai", 429, _error(429, "Rate limit reached"), RateLimitError),
        ("openai", 400, OPENAI_CONTEXT, ContextLengthError),
        ("groq", 400, OPENAI_CONTEXT, ContextLengthError),
        ("anthropic", 400, ANTHROPIC_CONTEXT, ContextLengthError),
        ("openai", 400, _error(400, "Invalid value for 'temperature'"), ProviderError),
        ("openai", 404, _error(404), ProviderError),
        ("openai", 422, _error(422), ProviderError),
        ("openai", 500, _error(500), ProviderUnavailableError),
        ("openai", 502, "<html>Bad gateway</html>", ProviderUnavailableError),
        ("openai", 503, _error(503), ProviderUnavailableError),
        (
            "anthropic",
            529,
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            ProviderUnavailableError,
        ),
    ],
)
async def test_final_status_maps_to_one_error_class(
    make_model, fake_server: FakeProviderServer, provider: str, status: int, body: object, error_class: type
) -> None:
    fake_server.push(Status(status, body, {"x-request-id": "req_abc", "request-id": "req_abc"}))
    with pytest.raises(ProviderError) as info:
        await make_model(provider, max_retries=0).generate(PROMPT)
    assert type(info.value) is error_class
    assert info.value.details["status"] == status
    assert info.value.details["request_id"] == "req_abc"
    assert info.value.details["provider"] == provider
    assert "req_abc" in info.value.message


async def test_final_error_carries_a_short_body_excerpt(make_model, fake_server: FakeProviderServer) -> None:
    fake_server.push(Status(400, _error(400, "x" * 5000)))
    with pytest.raises(ProviderError) as info:
        await make_model("openai", max_retries=0).generate(PROMPT)
    assert 0 < len(info.value.details["body"]) <= 500
    assert len(info.value.message) < 600


# -- keys and logs -----------------------------------------------------------------------------------------


async def test_api_key_never_appears_in_logs_errors_or_reprs(
    make_model, fake_server: FakeProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mastra_lab")
    model = make_model("openai")
    echoed = _error(401, f"Incorrect API key provided: {TEST_KEY}")
    fake_server.push(Status(500, _error(500)), Reset(), Status(401, echoed))
    with pytest.raises(AuthenticationError) as info:
        await model.generate(PROMPT)
    fake_server.push(Status(429, echoed), Scenario(text="partial text", cut_after=3))
    with pytest.raises(ProviderUnavailableError) as stream_info:
        [e async for e in make_model("anthropic").stream(PROMPT)]
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {TEST_KEY}"
    texts = [str(info.value), repr(info.value), str(info.value.to_dict()), repr(model), repr(model._client())]
    texts += [str(stream_info.value), str(stream_info.value.to_dict())]
    texts += [record.getMessage() for record in caplog.records]
    texts += [repr(record.__dict__) for record in caplog.records]
    assert caplog.records, "attempts are logged at DEBUG"
    assert all(TEST_KEY not in text for text in texts)
    assert TEST_KEY[-4:] in info.value.details["body"], "the key is masked, not removed"


async def test_each_attempt_is_logged_at_debug_with_its_number(
    make_model, fake_server: FakeProviderServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mastra_lab.llm.http")
    fake_server.push(Status(500, _error(500)), Scenario())
    await make_model("openai").generate(PROMPT)
    attempts = [r.getMessage() for r in caplog.records if "request attempt" in r.getMessage()]
    assert [m.split("attempt ")[1].split(":")[0] for m in attempts] == ["1/3", "2/3"]
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


# -- keys, switches, pooling, settings ---------------------------------------------------------------------


async def test_missing_key_fails_at_first_use_naming_env_var_and_argument(
    allow_model_requests: None, fake_server: FakeProviderServer
) -> None:
    model = get_model("openai:gpt-4o-mini", base_url=fake_server.base_url("openai"))
    with pytest.raises(AuthenticationError) as info:
        await model.generate(PROMPT)
    assert "OPENAI_API_KEY" in info.value.message
    assert "api_key=" in info.value.message
    assert info.value.code == "PROVIDER_API_KEY_MISSING"
    assert fake_server.requests == []


@pytest.mark.parametrize(("provider", "env"), [("anthropic", "ANTHROPIC_API_KEY"), ("groq", "GROQ_API_KEY")])
async def test_key_is_read_from_the_environment_at_first_use(
    make_model, fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch, provider: str, env: str
) -> None:
    model = make_model(provider, api_key=None)
    monkeypatch.setenv(env, "env-key-0123456789")
    await model.generate(PROMPT)
    headers = fake_server.requests[0].headers
    assert "env-key-0123456789" in (headers.get("x-api-key") or headers.get("authorization", ""))


async def test_disallowed_model_requests_fail_before_sending(
    make_model, fake_server: FakeProviderServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make_model("openai")
    monkeypatch.setattr(mastra_lab.llm.base, "ALLOW_MODEL_REQUESTS", False)
    with pytest.raises(ProviderError) as info:
        await model.generate(PROMPT)
    with pytest.raises(ProviderError):
        [e async for e in make_model("anthropic").stream(PROMPT)]
    assert info.value.code == "MODEL_REQUESTS_DISABLED"
    assert fake_server.requests == []


async def test_models_share_one_pooled_client_and_reuse_connections(
    make_model, fake_server: FakeProviderServer
) -> None:
    openai, groq = make_model("openai"), make_model("groq")
    await openai.generate(PROMPT)
    await groq.generate(PROMPT)
    await openai.generate(PROMPT)
    assert get_async_client() is get_async_client()
    ports = {r.client_port for r in fake_server.requests}
    assert len(ports) == 1, "all three requests went over one kept-alive connection"


async def test_global_max_retries_applies_to_models_without_their_own(
    make_model, fake_server: FakeProviderServer, sleeps: SleepRecorder
) -> None:
    configure_http(max_retries=0)
    assert get_http_settings().max_retries == 0
    fake_server.push(Status(503, _error(503)))
    with pytest.raises(ProviderUnavailableError):
        await make_model("openai").generate(PROMPT)
    fake_server.push(Status(503, _error(503)), Scenario())
    await make_model("openai", max_retries=1).generate(PROMPT)
    assert len(fake_server.requests) == 3


def test_default_settings_match_the_official_sdks() -> None:
    settings = get_http_settings()
    assert (settings.max_retries, settings.timeout, settings.connect_timeout) == (2, 600.0, 5.0)
    assert settings.httpx_timeout() == httpx.Timeout(600.0, connect=5.0)


def test_retry_after_date_in_the_past_falls_back_to_backoff() -> None:
    now = datetime(2026, 11, 25, 17, 0, 0, tzinfo=UTC).timestamp()
    headers = {"retry-after": "Wed, 25 Nov 2026 16:59:00 GMT"}
    assert retry_delay(1, headers, clock=lambda: now, random=lambda: 0.0) == 1.0


def test_http_settings_repr_reads_like_its_constructor() -> None:
    assert repr(get_http_settings()) == (
        "HTTPSettings(max_retries=2, timeout=600.0, connect_timeout=5.0, max_connections=1000, "
        "max_keepalive_connections=100)"
    )


def test_generate_sync_works_from_plain_code(make_model, fake_server: FakeProviderServer) -> None:
    from mastra_lab import _runtime

    fake_server.push(Scenario(text="sync hello"))
    try:
        assert make_model("openai").generate_sync(PROMPT).text == "sync hello"
    finally:
        _runtime.run_sync(http_module.aclose_async_client())


def test_stream_sync_hands_over_the_first_delta_while_the_server_holds_the_rest(
    make_model, fake_server: FakeProviderServer
) -> None:
    from mastra_lab import _runtime

    hold = Hold(after=2)  # the role chunk and the first four characters
    fake_server.push(Scenario(text="Hello there", hold=hold))
    try:
        events = make_model("openai").stream_sync(PROMPT)
        first = next(e for e in events if isinstance(e, TextDelta))
        assert first.text == "Hell" and not hold.released.is_set()
        hold.release()
        rest = "".join(e.text for e in events if isinstance(e, TextDelta))
        assert first.text + rest == "Hello there"
    finally:
        hold.release()
        _runtime.run_sync(http_module.aclose_async_client())
