"""Fixtures for the notebook layer: a real IPython shell with the extension loaded, panels that raise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mastra_lab.lab._testing import TestingShell, panels_raise


@pytest.fixture
def ip() -> Iterator[TestingShell]:
    """A fresh ``InteractiveShell`` with ``%load_ext mastra_lab`` done."""
    shell = TestingShell()
    yield shell
    shell.close()


@pytest.fixture(autouse=True)
def _panel_failures_fail_tests() -> Iterator[None]:
    """A panel callback that fails shows its error line and raises, so the test sees it."""
    with panels_raise():
        yield
