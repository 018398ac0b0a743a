"""The one error hierarchy of mastra_lab.

Every failure a user can act on is a :class:`MastraError`. Foreign exceptions (httpx, sqlite3, duckdb, …)
are translated once, at the boundary where they arise, with ``raise X(...) from exc``, so callers only ever
catch our types::

    MastraError
    ├── ConfigError                 bad setting, file or environment variable
    ├── StorageError                storage backends: bad table/id/data, write SQL in sql(), locked files
    ├── VectorError                 vector stores: dimension mismatch, unknown metric/index, NaN …
    │   └── FilterError             a metadata filter that does not parse
    ├── ProviderError               an LLM provider answered with an error (or never answered)
    │   ├── AuthenticationError     missing or rejected API key (401/403)
    │   ├── RateLimitError          429 after every retry
    │   ├── ContextLengthError      the prompt does not fit the model's context window
    │   └── ProviderUnavailableError  5xx, timeouts and connection failures after every retry
    ├── ToolError                   a tool was called with bad arguments or raised
    └── WorkflowError               a workflow definition or run went wrong

Each error carries ``code`` (a stable machine-readable string), ``domain`` (the area: ``storage``,
``vector``, ``llm`` …), ``category`` (``user`` for mistakes the caller can fix, ``system`` for failures of
the environment, ``third_party`` for failures of a remote service) and ``details`` (a JSON-able dict).
Messages say what was wrong, with the offending value, and how to fix it. Secrets never appear in them.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ContextLengthError",
    "ErrorCategory",
    "FilterError",
    "MastraError",
    "ProviderError",
    "ProviderUnavailableError",
    "RateLimitError",
    "StorageError",
    "ToolError",
    "VectorError",
    "WorkflowError",
]

ErrorCategory = Literal["user", "system", "third_party"]


class MastraError(Exception):
    """Base class of every error mastra_lab raises on purpose.

    Args:
        message: What went wrong, with the offending value, and how to fix it.
        code: A stable identifier such as ``"STORAGE_UNKNOWN_TABLE"``; defaults to ``default_code``.
        domain: The area of the framework that raised it; defaults to the class's ``default_domain``.
        category: ``"user"``, ``"system"`` or ``"third_party"``; defaults to the class's ``default_category``.
        details: Extra JSON-able facts for programs (never secrets).
    """

    default_code = "MASTRA_ERROR"
    default_domain = "mastra"
    default_category: ErrorCategory = "user"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        domain: str | None = None,
        category: ErrorCategory | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.domain = domain or self.default_domain
        self.category: ErrorCategory = category or self.default_category
        self.details: dict[str, Any] = dict(details or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r})"

    def to_dict(self) -> dict[str, Any]:
        """The error as plain data, for spans, logs and JSON APIs."""
        return {
            "type": type(self).__name__,
            "message": self.message,
            "code": self.code,
            "domain": self.domain,
            "category": self.category,
            "details": self.details,
        }


class ConfigError(MastraError):
    """A setting, config file or ``MASTRA_*`` environment variable is invalid."""

    default_code = "CONFIG_INVALID"
    default_domain = "config"


class StorageError(MastraError):
    """A storage backend refused an operation; nothing was written."""

    default_code = "STORAGE_ERROR"
    default_domain = "storage"


class VectorError(MastraError):
    """A vector store refused an operation; nothing was written."""

    default_code = "VECTOR_ERROR"
    default_domain = "vector"


class FilterError(VectorError):
    """A metadata filter is malformed or uses an unknown operator."""

    default_code = "VECTOR_FILTER_INVALID"


class ProviderError(MastraError):
    """An LLM provider call failed.

    ``details`` holds ``provider``, ``status`` (when there was a response), ``request_id`` and a short
    ``body`` excerpt, so that a failure can be reported to the provider.
    """

    default_code = "PROVIDER_ERROR"
    default_domain = "llm"
    default_category: ErrorCategory = "third_party"


class AuthenticationError(ProviderError):
    """The API key is missing, or the provider rejected it (HTTP 401/403)."""

    default_code = "PROVIDER_AUTHENTICATION"
    default_category: ErrorCategory = "user"


class RateLimitError(ProviderError):
    """The provider kept answering 429 after every retry."""

    default_code = "PROVIDER_RATE_LIMIT"


class ContextLengthError(ProviderError):
    """The request does not fit the model's context window."""

    default_code = "PROVIDER_CONTEXT_LENGTH"
    default_category: ErrorCategory = "user"


class ProviderUnavailableError(ProviderError):
    """5xx, timeout or connection failure after every retry."""

    default_code = "PROVIDER_UNAVAILABLE"


class ToolError(MastraError):
    """A tool was called with arguments that do not match its schema, or raised while running."""

    default_code = "TOOL_ERROR"
    default_domain = "tool"


class WorkflowError(MastraError):
    """A workflow definition is invalid or a run cannot proceed."""

    default_code = "WORKFLOW_ERROR"
    default_domain = "workflow"
