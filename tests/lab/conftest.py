"""Fixtures for the notebook layer: a real IPython shell with the extension loaded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mastra_lab.lab._testing import TestingShell


@pytest.fixture
def ip() -> Iterator[TestingShell]:
    """A fresh ``InteractiveShell`` with ``%load_ext mastra_lab`` done."""
    shell = TestingShell()
    yield shell
    shell.close()
