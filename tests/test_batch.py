"""run_batch: one agent or workflow over many inputs, locally and on Ray, one row per input."""

from __future__ import annotations

import os
import threading
from typing import Any

import pandas as pd
import pytest

from mastra_lab import Mastra, run_batch
from mastra_lab.agent import Agent
from mastra_lab.batch import BATCH_COLUMNS
from mastra_lab.errors import MastraError
from mastra_lab.llm import FunctionModel, Message, TestModel
from mastra_lab.memory import Memory
from mastra_lab.storage import InMemoryStore
from mastra_lab.workflow import Step, StepContext, Workflow


def _last_user_text(messages: list[Message], info: Any) -> str:
    """Answers with the prompt upper-cased and the id of the process that answered."""
    return f"{messages[-1].text.upper()}@{os.getpid()}"


def _shout() -> Agent:
    return Agent("shout", "You shout.", FunctionModel(_last_user_text))


def _plus_one(ctx: StepContext) -> int:
    if ctx.input == 2:
        raise ValueError("two is not allowed")
    return int(ctx.input) + 1


def _wait_for_approval(ctx: StepContext) -> Any:
    if ctx.resume_data is None:
        ctx.suspend({"asks": ctx.input})
    return {"approved": ctx.resume_data["ok"], "item": ctx.input}


def _plus_one_workflow() -> Workflow:
    return Workflow("plus").then(Step("add", _plus_one)).commit()


# -- locally -----------------------------------------------------------------------------------------------


def test_an_agent_batch_has_one_row_per_prompt_in_input_order_with_usage_and_traces() -> None:
    agent = _shout()
    with Mastra(storage=InMemoryStore(), agents=[agent]) as m:
        df = run_batch(agent, ["a", "b", "c", "d", "e"], concurrency=3, progress=False)
        assert list(df.columns) == BATCH_COLUMNS
        assert list(df["input"]) == ["a", "b", "c", "d", "e"]
        assert list(df["output"]) == [f"{x}@{os.getpid()}" for x in "ABCDE"]
        assert set(df["status"]) == {"success"}
        assert df["error"].isna().all()
        assert all(u["total_tokens"] > 0 for u in df["usage"])
        assert df["duration"].dtype == float
        assert df["run_id"].is_unique
        m.tracer.flush()
        trace = m.storage.get_trace(df["trace_id"][0])
        assert trace[0]["type"] == "agent_run"


def test_a_failing_input_is_a_failed_row_and_the_rest_of_the_batch_still_runs() -> None:
    df = run_batch(_plus_one_workflow(), [1, 2, 3], progress=False)
    assert list(df["status"]) == ["success", "failed", "success"]
    assert list(df["output"]) == [2, None, 4]
    assert df["error"][1] == "step 'add' failed: ValueError: two is not allowed"
    assert df["error"][0] is None


def test_a_dataframe_gives_its_rows_as_workflow_inputs_or_one_column_as_prompts() -> None:
    wf = Workflow("sum").then(Step("sum", lambda ctx: ctx.input["a"] + ctx.input["b"])).commit()
    rows = run_batch(wf, pd.DataFrame({"a": [1, 2], "b": [10, 20]}), progress=False)
    assert list(rows["input"]) == [{"a": 1, "b": 10}, {"a": 2, "b": 20}]
    assert list(rows["output"]) == [11, 22]
    prompts = pd.DataFrame({"question": ["hi", "yo"], "note": ["x", "y"]})
    df = run_batch(_shout(), prompts, column="question", progress=False)
    assert [o.split("@")[0] for o in df["output"]] == ["HI", "YO"]


def test_agent_inputs_can_be_dicts_with_a_thread_and_options_apply_to_every_run() -> None:
    store = InMemoryStore()
    agent = Agent("mem", "You shout.", FunctionModel(_last_user_text), memory=Memory())
    with Mastra(storage=store, agents=[agent]):
        thread = agent.memory.create_thread("ada")
        df = run_batch(agent, [{"prompt": "one", "thread_id": thread.id}], resource_id="ada", progress=False)
        assert df["status"][0] == "success"
        assert agent.memory.get_messages(thread.id)[0].message.text == "one"


def test_a_workflow_waiting_for_resume_is_a_suspended_row_whose_run_can_be_resumed() -> None:
    wf = Workflow("approve").then(Step("wait", _wait_for_approval)).commit()
    df = run_batch(wf, ["tea"], progress=False)
    assert df["status"][0] == "suspended"
    resumed = wf.create_run(df["run_id"][0]).resume_sync("wait", {"ok": True})
    assert resumed.result == {"approved": True, "item": "tea"}


def test_the_progress_bar_counts_every_input(capsys: pytest.CaptureFixture[str]) -> None:
    run_batch(_plus_one_workflow(), [1, 2, 3], progress=True)
    err = capsys.readouterr().err
    assert "workflow 'plus'" in err and "3/3" in err and "failed=1" in err


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: run_batch("shout", ["x"]), "run_batch runs an Agent or a Workflow, got 'shout'"),
        (lambda a: run_batch(a, ["x"], executor="dask"), "executor='dask' must be 'local' or 'ray'"),
        (lambda a: run_batch(a, ["x"], concurrency=0), "concurrency=0 must be an integer >= 1"),
        (lambda a: run_batch(a, ["x"], temperature=1), "run_batch got ['temperature'], which a run of"),
        (lambda a: run_batch(a, ["x", 3]), "input 1 is int 3; an agent's input is a prompt"),
        (lambda a: run_batch(a, [{"prompt": "x", "tone": 1}]), "input 0 has keys ['tone'] an agent run"),
        (lambda a: run_batch(a, pd.DataFrame({"q": ["x"]}), column="p"), "column='p' is not a column"),
        (lambda a: run_batch(a, "abc"), "inputs must be a list, a pandas Series or a DataFrame, got str"),
    ],
)
def test_bad_arguments_are_one_clear_error_before_any_run(call: Any, message: str) -> None:
    calls: list[str] = []
    agent = Agent("a", "x", FunctionModel(lambda messages, info: calls.append("called") or "ok"))
    with pytest.raises(MastraError) as info:
        call(agent)
    assert message in info.value.message
    assert calls == []


def test_an_uncommitted_workflow_is_refused() -> None:
    with pytest.raises(MastraError, match=r"workflow 'draft' is not committed; call \.commit\(\) first"):
        run_batch(Workflow("draft").then(Step("s", lambda ctx: 1)), [1])


# -- on Ray ------------------------------------------------------------------------------------------------


def test_on_ray_agent_runs_happen_in_worker_processes_and_their_traces_land_in_the_store(
    ray_cluster: Any,
) -> None:
    agent = _shout()
    with Mastra(storage=InMemoryStore(), agents=[agent]) as m:
        df = run_batch(agent, [f"q{i}" for i in range(6)], executor="ray", progress=False)
        assert [o.split("@")[0] for o in df["output"]] == [f"Q{i}" for i in range(6)]
        pids = {int(o.split("@")[1]) for o in df["output"]}
        assert os.getpid() not in pids
        assert set(df["status"]) == {"success"}
        m.tracer.flush()
        store = m.storage
        for trace_id in df["trace_id"]:
            spans = store.get_trace(trace_id)
            assert spans and spans[0]["type"] == "agent_run"


def test_on_ray_failures_are_rows_and_suspended_runs_come_back_to_the_driver_store(ray_cluster: Any) -> None:
    failing = run_batch(_plus_one_workflow(), [1, 2, 3], executor="ray", progress=False)
    assert list(failing["status"]) == ["success", "failed", "success"]
    assert "ValueError: two is not allowed" in failing["error"][1]
    wf = Workflow("approve-ray").then(Step("wait", _wait_for_approval)).commit()
    with Mastra(storage=InMemoryStore(), workflows=[wf]):
        df = run_batch(wf, ["tea", "milk"], executor="ray", concurrency=2, progress=False)
        assert list(df["status"]) == ["suspended", "suspended"]
        assert {r.run_id for r in wf.list_runs(status="suspended")} == set(df["run_id"])
        resumed = wf.create_run(df["run_id"][1]).resume_sync("wait", {"ok": False})
        assert resumed.result == {"approved": False, "item": "milk"}


def test_on_ray_an_object_that_cannot_be_pickled_is_named_before_anything_runs(ray_cluster: Any) -> None:
    guard = threading.Lock()

    def lookup(order: str) -> str:
        """Look an order up."""
        with guard:
            return order

    agent = Agent("orders", "You look orders up.", TestModel(), tools=[lookup])
    with pytest.raises(MastraError) as info:
        run_batch(agent, ["x"], executor="ray", progress=False)
    assert info.value.code == "NOT_PICKLABLE"
    assert info.value.message.startswith("agent 'orders'.tools['lookup'].execute (variable 'guard' of ")
    assert "a lock cannot be pickled" in info.value.message


def test_on_ray_memory_on_a_store_workers_cannot_open_is_refused(ray_cluster: Any) -> None:
    agent = Agent("mem", "x", TestModel(), memory=Memory())
    with Mastra(storage=InMemoryStore(), agents=[agent]), pytest.raises(MastraError) as info:
        run_batch(agent, [{"prompt": "x"}], executor="ray", progress=False)
    assert info.value.code == "BATCH_STORAGE_NOT_SHARED"
    assert "its storage InMemoryStore cannot be shared with Ray workers" in info.value.message
