from __future__ import annotations

import pytest

from mastra_lab import errors
from mastra_lab.errors import (
    AuthenticationError,
    ContextLengthError,
    MastraError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitError,
    StorageError,
)


@pytest.mark.parametrize(
    ("cls", "parent"),
    [
        (errors.ConfigError, MastraError),
        (StorageError, MastraError),
        (errors.VectorError, MastraError),
        (errors.FilterError, errors.VectorError),
        (ProviderError, MastraError),
        (AuthenticationError, ProviderError),
        (RateLimitError, ProviderError),
        (ContextLengthError, ProviderError),
        (ProviderUnavailableError, ProviderError),
        (errors.ToolError, MastraError),
        (errors.WorkflowError, MastraError),
    ],
)
def test_hierarchy_matches_the_documented_tree(cls: type[MastraError], parent: type[MastraError]) -> None:
    assert issubclass(cls, parent)
    assert cls.__name__ in (errors.__doc__ or "")


def test_every_error_carries_code_domain_category_and_details() -> None:
    exc = StorageError("unknown table 'x'", details={"table": "x"})
    assert (exc.code, exc.domain, exc.category, exc.details) == (
        "STORAGE_ERROR",
        "storage",
        "user",
        {"table": "x"},
    )
    assert str(exc) == "unknown table 'x'"


def test_explicit_fields_override_class_defaults() -> None:
    exc = RateLimitError("slow down", code="X", domain="llm.openai", category="system")
    assert (exc.code, exc.domain, exc.category) == ("X", "llm.openai", "system")


def test_provider_errors_default_to_third_party_but_auth_is_the_users_to_fix() -> None:
    assert ProviderUnavailableError("down").category == "third_party"
    assert AuthenticationError("no key").category == "user"


def test_to_dict_is_plain_data_and_repr_is_short() -> None:
    exc = ContextLengthError("too long", details={"tokens": 200_000})
    assert exc.to_dict() == {
        "type": "ContextLengthError",
        "message": "too long",
        "code": "PROVIDER_CONTEXT_LENGTH",
        "domain": "llm",
        "category": "user",
        "details": {"tokens": 200_000},
    }
    assert repr(exc) == "ContextLengthError('too long', code='PROVIDER_CONTEXT_LENGTH')"
