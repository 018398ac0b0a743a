"""run_batch: one agent or workflow over many inputs, locally and on Ray, one row per input."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
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


def test_chunk_size_must_be_a_positive_integer() -> None:
    with pytest.raises(MastraError, match=r"chunk_size=0 must be an integer >= 1 \(or None\)"):
        run_batch(_shout(), ["x"], executor="ray", chunk_size=0)


def test_on_ray_every_chunk_size_gives_the_same_rows_in_input_order(ray_cluster: Any) -> None:
    prompts = [f"p{i}" for i in range(7)]
    for size in (1, 3, 7):
        df = run_batch(_shout(), prompts, executor="ray", chunk_size=size, progress=False)
        assert [o.split("@")[0] for o in df["output"]] == [p.upper() for p in prompts]


@pytest.mark.slow
def test_without_ray_init_run_batch_starts_a_local_ray_with_concurrency_cpus(tmp_path: Path) -> None:
    script = (
        "import ray\n"
        "from mastra_lab import run_batch\n"
        "from mastra_lab.agent import Agent\n"
        "from mastra_lab.llm import TestModel\n"
        "agent = Agent('a', 'x', TestModel(text='ok'))\n"
        "df = run_batch(agent, ['a', 'b', 'c'], executor='ray', concurrency=1, progress=False)\n"
        "print(ray.is_initialized(), int(ray.cluster_resources()['CPU']), list(df['output']))\n"
        "ray.shutdown()\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root), "RAY_ADDRESS": ""}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=240
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True 1 ['ok', 'ok', 'ok']"


def _has_postgres_store() -> bool:
    import mastra_lab.storage

    return hasattr(mastra_lab.storage, "PostgresStore")


@pytest.mark.skipif(not _has_postgres_store(), reason="PostgresStore is not in this checkout yet")
def test_on_ray_workers_remember_into_a_shared_postgres_store(ray_cluster: Any, pg_server: Any) -> None:
    from pg_server import fresh_schema

    from mastra_lab.storage import PostgresStore

    with fresh_schema(pg_server) as schema:
        store = PostgresStore(pg_server.dsn, schema=schema)
        agent = Agent("pg", "You shout.", FunctionModel(_last_user_text), memory=Memory())
        with Mastra(storage=store, agents=[agent]) as m:
            threads = [agent.memory.create_thread(f"user{i}").id for i in range(3)]
            rows = [{"prompt": f"hello {i}", "thread_id": t} for i, t in enumerate(threads)]
            df = run_batch(agent, rows, executor="ray", progress=False)
            assert set(df["status"]) == {"success"}
            for i, thread in enumerate(threads):
                texts = [msg.message.text for msg in agent.memory.get_messages(thread)]
                assert texts[0] == f"hello {i}" and texts[1].startswith(f"HELLO {i}@")
                assert int(texts[1].split("@")[1]) != os.getpid()
            m.tracer.flush()
            assert all(m.storage.get_trace(t) for t in df["trace_id"])
