from __future__ import annotations

import pytest

from mastra_lab._secret import Secret, mask


def test_secret_prints_only_prefix_and_last_four() -> None:
    key = Secret("sk-proj-abcdefghijklmnop1234")
    assert repr(key) == "Secret('sk-…1234')"
    assert str(key) == f"{key}" == "sk-…1234"
    assert "abcdefgh" not in repr(key)


def test_reveal_returns_the_value_for_the_request_header() -> None:
    assert Secret("sk-abcdefghijklmn").reveal() == "sk-abcdefghijklmn"


def test_short_values_are_masked_entirely() -> None:
    assert mask("abc12345") == "…"


def test_secrets_compare_by_value_and_reject_non_strings() -> None:
    assert Secret("a-long-enough-key") == Secret("a-long-enough-key")
    assert Secret("a-long-enough-key") != "a-long-enough-key"
    with pytest.raises(TypeError, match="must be a str"):
        Secret(123)  # type: ignore[arg-type]
