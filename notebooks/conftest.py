"""Notebook runs fail on a ``UsageError`` too.

IPython reports a ``UsageError`` (every ``%mastra`` mistake) as one line on stderr rather than as an error
output, and nbval only fails a cell on error outputs: without this check, a cell whose magic failed would
pass, and the asserts after the magic would silently never run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

__all__: list[str] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield
    for output in getattr(item, "test_outputs", None) or []:
        text: Any = output.get("text", "") if output.get("output_type") == "stream" else ""
        if output.get("name") == "stderr" and isinstance(text, str) and text.startswith("UsageError:"):
            pytest.fail(f"the cell raised {text.strip()}", pytrace=False)
    return result
