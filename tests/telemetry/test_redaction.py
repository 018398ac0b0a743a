"""The sensitive-data filter: what is masked, what is cut, and what passes untouched."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from mastra_lab._secret import Secret
from mastra_lab.errors import MastraError
from mastra_lab.telemetry import Redaction


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "API-KEY",
        "apikey",
        "Authorization",
        "token",
        "access_token",
        "refresh-token",
        "secret",
        "client_secret",
        "password",
        "passwd",
        "Cookie",
        "set-cookie",
        "X-Api-Key",
        "http.request.header.authorization",
    ],
)
def test_credential_keys_are_masked_whatever_their_case_and_separators(key: str) -> None:
    assert Redaction().mapping({key: "value", "model": "gpt"}) == {key: "***", "model": "gpt"}


def test_token_counts_are_not_credentials() -> None:
    attrs = {"gen_ai.usage.input_tokens": 12, "max_tokens": 100, "tokenizer": "bpe"}
    assert Redaction().mapping(attrs) == attrs


def test_configured_fields_are_masked_too_at_any_depth() -> None:
    red = Redaction(mask_fields=["SSN", "e-mail"])
    data = {"user": {"ssn": "123-45-6789", "E_mail": "a@b.c", "name": "Ada"}, "rows": [{"ssn": "1"}]}
    assert red.value(data) == {
        "user": {"ssn": "***", "E_mail": "***", "name": "Ada"},
        "rows": [{"ssn": "***"}],
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sk-abcdefghijklmnopqrstu", "***"),
        ("sk-ant-api03-abcdefghijklmnop", "***"),
        ("gsk_abcdefghijklmnop1234", "***"),
        ("Bearer eyJhbGciOiJIUzI1NiJ9.payload", "***"),
        ("call with key sk-proj-abcdefghijkl now", "call with key *** now"),
        ("ask-me anything, risk-free", "ask-me anything, risk-free"),
    ],
)
def test_strings_that_look_like_credentials_are_masked(text: str, expected: str) -> None:
    assert Redaction().value(text) == expected
    assert Redaction().mapping({"note": text}) == {"note": expected}


def test_secrets_and_unusual_values_become_safe_json() -> None:
    @dataclass
    class Hit:
        id: str
        score: float

    value = {
        "key": Secret("sk-abcdefghijklmnop1234"),
        "at": datetime(2026, 1, 1, tzinfo=UTC),
        "hit": Hit("a", 0.5),
        "raw": b"\x00\x01",
        "ids": ("x", 2),
    }
    clean = Redaction().value(value)
    assert clean == {
        "key": "***",
        "at": "2026-01-01T00:00:00+00:00",
        "hit": {"id": "a", "score": 0.5},
        "raw": "<2 bytes>",
        "ids": ["x", 2],
    }
    json.dumps(clean)


def test_long_strings_are_cut_with_a_marker_saying_how_much() -> None:
    assert Redaction(max_attribute_chars=100).value("x" * 125) == "x" * 100 + "…[25 chars cut]"


def test_a_whole_payload_is_cut_to_max_payload_chars() -> None:
    red = Redaction(max_payload_chars=100)
    small = {"a": "b"}
    assert red.payload(small) == small
    cut = red.payload({"rows": ["y" * 50] * 10})
    assert isinstance(cut, str) and cut.startswith('{"rows": ["yyyy') and cut.endswith("chars cut]")
    assert len(cut) < 140


def test_a_huge_payload_never_becomes_megabytes() -> None:
    clean = Redaction().payload({"text": "z" * 5_000_000, "list": ["w" * 1000] * 1000})
    assert len(json.dumps(clean)) < 20_000


@pytest.mark.parametrize("bad", [0, -1, 63, 1.5, True])
def test_bad_limits_are_refused(bad: object) -> None:
    with pytest.raises(MastraError, match="max_attribute_chars") as info:
        Redaction(max_attribute_chars=bad)  # type: ignore[arg-type]
    assert info.value.code == "TELEMETRY_BAD_REDACTION"


def test_numbers_that_json_cannot_hold_become_strings() -> None:
    clean = Redaction().mapping({"score": float("nan"), "limit": float("inf"), "ok": 0.5, "n": 3})
    assert clean == {"score": "nan", "limit": "inf", "ok": 0.5, "n": 3}
    json.dumps(clean, allow_nan=False)
