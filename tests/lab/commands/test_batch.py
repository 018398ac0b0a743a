"""``%mastra batch``: a registered agent or workflow over a notebook variable, returning the DataFrame."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from mastra_lab.agent import Agent
from mastra_lab.lab._testing import TestingShell
from mastra_lab.llm import FunctionModel, Message
from mastra_lab.mastra import Mastra
from mastra_lab.storage import InMemoryStore
from mastra_lab.workflow import Step, StepContext, Workflow


def _echo(messages: list[Message], info: Any) -> str:
    return f"{messages[-1].text}@{os.getpid()}"


def _double(ctx: StepContext) -> int:
    if ctx.input["n"] < 0:
        raise ValueError("negative")
    return int(ctx.input["n"]) * 2


@pytest.fixture
def shell() -> Iterator[TestingShell]:
    """A notebook whose Mastra has the agent ``echo`` and the workflow ``double``."""
    ip = TestingShell()
    wf = Workflow("double").then(Step("double", _double)).commit()
    m = Mastra(
        storage=InMemoryStore(), agents=[Agent("echo", "You echo.", FunctionModel(_echo))], workflows=[wf]
    )
    ip.magics.replace_mastra(m, owned=True)
    yield ip
    ip.close()


def test_batch_runs_an_agent_over_a_list_and_returns_the_dataframe(shell: TestingShell) -> None:
    shell.ns["questions"] = ["hi", "yo", "hey"]
    df = shell.line("batch echo --input-var questions --no-progress")
    assert isinstance(df, pd.DataFrame)
    assert list(df["input"]) == ["hi", "yo", "hey"]
    assert [o.split("@")[0] for o in df["output"]] == ["hi", "yo", "hey"]
    assert set(df["status"]) == {"success"}


def test_batch_runs_a_workflow_over_dataframe_rows_and_stores_the_result_with_dash_o(
    shell: TestingShell,
) -> None:
    shell.ns["orders"] = pd.DataFrame({"n": [1, -1, 3]})
    df = shell.line("batch double --input-var orders --concurrency 2 -o results --no-progress")
    assert shell.ns["results"] is df
    assert list(df["status"]) == ["success", "failed", "success"]
    assert list(df["output"]) == [2, None, 6]
    assert "ValueError: negative" in df["error"][1]


def test_batch_takes_one_column_of_a_dataframe(shell: TestingShell) -> None:
    shell.ns["df"] = pd.DataFrame({"q": ["a", "b"], "other": [1, 2]})
    df = shell.line("batch echo --input-var df --column q --no-progress")
    assert [o.split("@")[0] for o in df["output"]] == ["a", "b"]


def test_batch_shows_a_progress_bar_that_counts_the_runs(
    shell: TestingShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.ns["questions"] = ["a", "b"]
    shell.line("batch echo --input-var questions")
    assert "agent 'echo'" in capsys.readouterr().err


def test_batch_on_ray_runs_in_worker_processes(shell: TestingShell, ray_cluster: Any) -> None:
    shell.ns["questions"] = ["a", "b", "c"]
    df = shell.line("batch echo --input-var questions --executor ray --no-progress")
    assert [o.split("@")[0] for o in df["output"]] == ["a", "b", "c"]
    assert os.getpid() not in {int(o.split("@")[1]) for o in df["output"]}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "batch ecko --input-var q",
            "%mastra batch: no agent or workflow named 'ecko' in this notebook's Mastra (hint: did you mean "
            "echo? the agents and workflows are: double, echo)",
        ),
        (
            "batch echo --input-var missing",
            "%mastra batch: --input-var missing names no variable of this notebook",
        ),
        ("batch echo --input-var q --executor dask", "argument --executor: invalid choice: 'dask'"),
        ("batch echo", "the following arguments are required: --input-var"),
        ("batch echo --input-var q --concurrency 0", "--concurrency must be 1 or more, got 0"),
        ("batch echo --input-var n", "inputs must be a list, a pandas Series or a DataFrame, got int"),
        ("batch echo --input-var q -o 2x", "-o needs a Python variable name, got '2x'"),
    ],
)
def test_batch_mistakes_are_one_line_usage_errors(shell: TestingShell, line: str, message: str) -> None:
    shell.ns["q"] = ["x"]
    shell.ns["n"] = 3
    assert message in shell.usage_error(line)


def test_help_lists_batch(shell: TestingShell) -> None:
    assert "run an agent or workflow over a list or DataFrame" in str(shell.line("help"))
