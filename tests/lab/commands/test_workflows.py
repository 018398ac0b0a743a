"""``%mastra workflows | run | runs | resume | graph`` on real workflows over DuckDB and SQLite files
and PostgreSQL.

A "new kernel" is a new ``TestingShell`` with a new ``Mastra`` over the same database, the workflows
built again from their definition: what a notebook does after a restart. ``--watch`` is checked on what
the shell published — one display created once and updated in place — with a step that waits until the
display has shown it running, so a command that only showed the end could not pass.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from pg_server import PgServer, fresh_schema

from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.commands.plot import PlotView
from mastra_lab.lab.commands.workflows import RunView
from mastra_lab.lab.display import Table
from mastra_lab.mastra import Mastra
from mastra_lab.storage import DuckDBStore, PostgresStore, SQLiteStore, Storage
from mastra_lab.workflow import Step, StepContext, Workflow, step
from mastra_lab.workflow.plots import NEUTRAL_COLOR, STATUS_COLORS


class Order(pydantic.BaseModel):
    item: str
    qty: int


class Approval(pydantic.BaseModel):
    approved: bool


def _workflows(calls: list[str], gate: threading.Event | None = None) -> list[Workflow]:
    """``orders``: price → approve (suspends above 10) → ship; ``fanout``: parallel, then a foreach."""

    @step(input_schema=Order)
    def price(ctx: StepContext) -> dict[str, Any]:
        calls.append("price")
        return {"item": ctx.input.item, "total": ctx.input.qty * 3}

    @step(resume_schema=Approval, suspend_schema={"type": "object", "required": ["total"]})
    def approve(ctx: StepContext) -> dict[str, Any]:
        calls.append("approve")
        if ctx.input["total"] <= 10:
            return {**ctx.input, "approved": True}
        if ctx.resume_data is None:
            ctx.suspend({"total": ctx.input["total"]})
        return {**ctx.input, "approved": ctx.resume_data.approved}

    @step
    def ship(ctx: StepContext) -> dict[str, Any]:
        calls.append("ship")
        return {"item": ctx.input["item"], "shipped": ctx.input["approved"]}

    orders = Workflow("orders", input_schema=Order, description="price, approve, ship")
    orders.then(price).then(approve).then(ship).commit()

    async def slow(ctx: StepContext) -> int:
        if gate is not None:
            shown = await asyncio.to_thread(gate.wait, 10)
            assert shown, "the live display never showed the step running"
        return len(ctx.input)

    fanout = Workflow("fanout", input_schema={"type": "array"})
    fanout.parallel([Step("count", slow), Step("first", lambda ctx: ctx.input[0])])
    fanout.map(lambda ctx: [ctx.input["first"]] * ctx.input["count"], id="repeat")
    fanout.foreach(Step("shout", lambda ctx: str(ctx.input).upper()), concurrency=2)
    return [orders, fanout.commit()]


OpenStore = Callable[[], Storage]
"""Opens the test's one database again: what a new kernel does."""


def _shell(db: OpenStore, calls: list[str], gate: threading.Event | None = None) -> TestingShell:
    shell = TestingShell()
    shell.magics.replace_mastra(Mastra(storage=db(), workflows=_workflows(calls, gate)), owned=True)
    return shell


@pytest.fixture(params=["duckdb", "sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OpenStore]:
    """A DuckDB file, a SQLite file, or a fresh schema on the session's PostgreSQL server."""
    if request.param == "postgres":
        server: PgServer = request.getfixturevalue("pg_server")
        with fresh_schema(server) as schema:
            yield lambda: PostgresStore(server.dsn, schema=schema)
        return
    path = tmp_path / f"app.{request.param}"
    yield lambda: DuckDBStore(path) if request.param == "duckdb" else SQLiteStore(path)


@pytest.fixture
def calls() -> list[str]:
    return []


@pytest.fixture
def ip(db: OpenStore, calls: list[str]) -> Iterator[TestingShell]:
    shell = _shell(db, calls)
    yield shell
    shell.close()


def _displays(ip: TestingShell) -> list[dict[str, Any]]:
    return [o for o in ip.outputs if o["transient"].get("display_id")]


def _one_display_updated_in_place(ip: TestingShell) -> list[str]:
    shown = _displays(ip)
    assert len(shown) >= 2
    assert [o["update"] for o in shown] == [False] + [True] * (len(shown) - 1)
    assert len({o["transient"]["display_id"] for o in shown}) == 1
    return [o["data"]["text/plain"] for o in shown]


def _statuses(view: RunView) -> dict[str, str]:
    return dict(zip(view.steps["step"], view.steps["status"], strict=True))


# -- workflows --------------------------------------------------------------------------------------------


def test_workflows_lists_each_workflow_with_its_runs_by_status(ip: TestingShell) -> None:
    ip.line("""run orders --input '{"item": "tea", "qty": 2}'""")
    ip.line("""run orders --input '{"item": "tea", "qty": 9}'""")
    table = ip.line("workflows")
    assert isinstance(table, Table) and table.title == "2 workflows"
    rows = table.df.set_index("name").to_dict("index")
    assert rows["orders"] == {
        "description": "price, approve, ship",
        "nodes": 3,
        "steps": 3,
        "runs": 2,
        "success": 1,
        "suspended": 1,
        "failed": 0,
    }
    assert (rows["fanout"]["nodes"], rows["fanout"]["steps"], rows["fanout"]["runs"]) == (3, 4, 0)


def test_workflows_name_shows_its_nodes_and_schemas(ip: TestingShell) -> None:
    table = ip.line("workflows fanout")
    assert table.title == "workflow fanout: input array → output any; 3 nodes, 4 steps"
    assert table.df[["kind", "key", "steps", "settings"]].values.tolist() == [
        ["parallel", "parallel:0", "count, first", ""],
        ["map", "repeat", "repeat", ""],
        ["foreach", "shout", "shout", "concurrency 2"],
    ]
    orders = ip.line("workflows orders").df
    assert orders["schemas"].tolist() == [
        "price: Order → any",
        "approve: any → any, resume Approval",
        "ship: any → any",
    ]


def test_without_workflows_it_says_how_to_register_one() -> None:
    ip = TestingShell()
    try:
        ip.line("init")
        table = ip.line("workflows")
        assert len(table) == 0 and "add_workflow(wf)" in str(table.title)
        assert ip.line("runs").title == "no runs of every workflow stored yet"
    finally:
        ip.close()


# -- run --------------------------------------------------------------------------------------------------


def test_run_shows_the_result_and_a_table_of_steps(ip: TestingShell, calls: list[str]) -> None:
    view = ip.line("""run orders --input '{"item": "tea", "qty": 2}' --run-id r1 --resource ada""")
    assert isinstance(view, RunView) and (view.run_id, view.status) == ("r1", "success")
    assert view.summary() == 'workflow orders · run r1 · success · result {"item": "tea", "shipped": true}'
    assert view.steps[["step", "status", "attempts"]].values.tolist() == [
        ["price", "success", 1],
        ["approve", "success", 1],
        ["ship", "success", 1],
    ]
    assert view.steps["detail"][0] == '{"item": "tea", "total": 6}'
    assert repr(view).splitlines()[0] == view.summary() and "approve" in view._repr_html_()
    assert calls == ["price", "approve", "ship"]
    assert _displays(ip) == []  # without --watch nothing is shown before the result


def test_a_run_that_suspends_says_how_to_resume_it(ip: TestingShell) -> None:
    view = ip.line("""run orders --input '{"item": "tea", "qty": 9}' --run-id big""")
    assert view.status == "suspended"
    assert view.summary() == (
        "workflow orders · run big · suspended · waiting: approve · %mastra resume orders big --data JSON"
    )
    assert _statuses(view) == {"price": "success", "approve": "suspended", "ship": "pending"}
    assert view.steps["detail"][1] == 'waiting: {"total": 27}'


def test_run_watch_updates_one_display_in_place(db: OpenStore, calls: list[str]) -> None:
    gate = threading.Event()
    ip = _shell(db, calls, gate)
    publish = ip.publisher.publish

    def publishing(*args: Any, **kwargs: Any) -> None:
        publish(*args, **kwargs)
        data = kwargs.get("data") or args[0]
        if any(line.split()[:2] == ["count", "running"] for line in data["text/plain"].splitlines()):
            gate.set()

    ip.publisher.publish = publishing  # type: ignore[method-assign]
    try:
        view = ip.line("""run fanout --input '["a", "b", "c"]' --watch""")
        frames = _one_display_updated_in_place(ip)
    finally:
        ip.close()
    assert gate.is_set()  # the step was shown running before it finished
    assert frames[0].splitlines()[0].endswith(" · running")
    assert "shout" in frames[0] and "pending" in frames[0]  # every planned step is listed from the start
    last = frames[-1].splitlines()[0]
    assert last == f'workflow fanout · run {view.run_id} · success · result ["A", "A", "A"]'
    assert view.live and repr(view) == view.summary()  # the table is on screen already: the result is a line
    assert set(_statuses(view).values()) == {"success"}
    shout = [line.split() for f in frames for line in f.splitlines() if line.split()[:1] == ["shout"]]
    rows = [row[:2] + row[-3:] for row in shout]
    assert ["shout", "running", "1", "item", "done"] in rows  # a foreach goes on after its first item
    assert shout[-1][:2] == ["shout", "success"]


def test_ctrl_c_while_watching_stops_the_run_and_says_how_to_continue_it(
    db: OpenStore, calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    never = threading.Event()  # set only after the interrupt, to let the interrupted step's thread go
    fired: list[bool] = []
    ip = _shell(db, calls, never)
    publish = ip.publisher.publish

    def publishing(*args: Any, **kwargs: Any) -> None:
        publish(*args, **kwargs)
        data = kwargs.get("data") or args[0]
        lines = data["text/plain"].splitlines()
        if ["count", "running"] in [ln.split()[:2] for ln in lines] and not fired:
            fired.append(True)
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(ip.publisher, "publish", publishing)
    try:
        view = ip.line("""run fanout --input '["a"]' --watch --run-id r1""")
        frames = _one_display_updated_in_place(ip)
        fanout = ip.magics.mastra.get_workflow("fanout")  # type: ignore[union-attr]
        stored = fanout.get_run("r1")
        never.set()
        again = fanout.create_run("r1").restart_sync()  # what the note says to do
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped from %mastra run --watch")
    finally:
        never.set()
        ip.close()
    assert view.summary().startswith("workflow fanout · run r1 · running · interrupted: the step in flight")
    assert frames[-1].splitlines()[0] == view.summary() and not view.live
    assert stored is not None and stored.status == "running"
    assert (again.status, again.result) == ("success", ["A"])


def test_run_mistakes_are_one_line(ip: TestingShell, calls: list[str]) -> None:
    assert ip.usage_error("run order --input '{}'") == (
        "%mastra run: no workflow named 'order' in this notebook's Mastra "
        "(hint: did you mean orders? the workflows are: fanout, orders)"
    )
    assert ip.usage_error("run orders --input '{item: 1}'") == (
        "%mastra run: --input is not JSON: Expecting property name enclosed in double quotes at character 2 "
        """of '{item: 1}' (hint: quote the whole value, e.g. --input '{"name": "Ada"}')"""
    )
    message = ip.usage_error("""run orders --input '{"item": "tea"}'""")
    assert message.startswith("input of workflow 'orders' is invalid: field 'qty'")
    assert "field 'qty'" in ip.usage_error("""run orders --input '{"item": "tea"}' --watch""")
    ip.line("""run orders --input '{"item": "tea", "qty": 1}' --run-id r1""")
    assert ip.usage_error("""run orders --input '{"item": "tea", "qty": 1}' --run-id r1""") == (
        "%mastra run: workflow 'orders' already has a run 'r1' "
        "(hint: give another --run-id, or continue it with %mastra resume orders r1)"
    )
    assert calls == ["price", "approve", "ship"]  # only the good run ran a step
    assert len(ip.line("runs orders")) == 1  # and only it was stored


# -- runs -------------------------------------------------------------------------------------------------


def test_runs_lists_every_workflow_or_one_and_filters_by_status(ip: TestingShell) -> None:
    ip.line("""run orders --input '{"item": "tea", "qty": 1}' --run-id small""")
    ip.line("""run orders --input '{"item": "tea", "qty": 9}' --run-id big""")
    ip.line("""run fanout --input '["x"]' --run-id fan""")
    every = ip.line("runs")
    assert every.title == "3 runs of every workflow"
    assert every.df[["workflow", "run_id", "status"]].values.tolist() == [
        ["orders", "small", "success"],
        ["orders", "big", "suspended"],
        ["fanout", "fan", "success"],
    ]
    waiting = ip.line("runs orders --status suspended")
    assert waiting.title == "1 suspended run of orders"
    assert waiting.df[["run_id", "suspended"]].values.tolist() == [["big", "approve"]]
    assert ip.line("runs fanout --status failed").title == "no failed runs of fanout stored yet"


def test_runs_mistakes_are_one_line(ip: TestingShell) -> None:
    assert ip.usage_error("runs --status done") == (
        "%mastra runs: argument --status: invalid choice: 'done' (choose from 'pending', 'running', "
        "'success', 'failed', 'suspended', 'canceled') (hint: see %mastra runs --help)"
    )
    assert "no workflow named 'nope'" in ip.usage_error("runs nope")


# -- resume -----------------------------------------------------------------------------------------------


def test_resume_in_a_new_kernel_continues_the_stored_run(db: OpenStore) -> None:
    first_calls: list[str] = []
    first = _shell(db, first_calls)
    try:
        suspended = first.line("""run orders --input '{"item": "tea", "qty": 9}'""")
    finally:
        first.close()  # the kernel stops; the run stays in the database file
    assert suspended.status == "suspended" and first_calls == ["price", "approve"]

    calls: list[str] = []
    again = _shell(db, calls)
    try:
        assert again.line("runs orders --status suspended").df["run_id"].tolist() == [suspended.run_id]
        view = again.line("""resume orders last --data '{"approved": false}'""")
        assert (view.run_id, view.status) == (suspended.run_id, "success")
        assert view.result is not None and view.result.result == {"item": "tea", "shipped": False}
        assert calls == ["approve", "ship"]  # price ran in the first kernel and is not repeated
        assert again.line("runs orders").df["status"].tolist() == ["success"]
    finally:
        again.close()


def test_resume_watch_shows_the_finished_steps_then_the_rest(ip: TestingShell) -> None:
    run = ip.line("""run orders --input '{"item": "tea", "qty": 9}' --run-id big""")
    assert run.status == "suspended"
    view = ip.line("""resume orders big --step approve --data '{"approved": true}' --watch""")
    frames = _one_display_updated_in_place(ip)
    assert frames[0].splitlines()[0] == "workflow orders · run big · running"
    assert "price" in frames[0] and "success" in frames[0]  # done in the first run, shown from the start
    assert frames[-1].splitlines()[0].endswith('success · result {"item": "tea", "shipped": true}')
    assert view.live and _statuses(view) == {"price": "success", "approve": "success", "ship": "success"}


def test_resume_mistakes_are_one_line(ip: TestingShell, calls: list[str]) -> None:
    assert ip.usage_error("""resume orders last --data '{"approved": true}'""") == (
        "%mastra resume: workflow 'orders' has no suspended run stored "
        "(hint: %mastra runs orders lists its runs)"
    )
    ip.line("""run orders --input '{"item": "tea", "qty": 1}' --run-id done""")
    ip.line("""run orders --input '{"item": "tea", "qty": 9}' --run-id big""")
    assert ip.usage_error("""resume orders done --data '{"approved": true}'""") == (
        "%mastra resume: run 'done' of workflow 'orders' is success, not suspended "
        "(hint: %mastra runs orders --status suspended lists the runs that wait)"
    )
    assert ip.usage_error("""resume orders nope --data '{"approved": true}'""") == (
        "%mastra resume: workflow 'orders' has no run 'nope' (hint: %mastra runs orders lists its runs)"
    )
    assert "--data is not JSON" in ip.usage_error("resume orders big --data yes")
    assert "the following arguments are required: --data" in ip.usage_error("resume orders big")
    message = ip.usage_error("""resume orders big --data '{"approved": "maybe"}'""")
    assert message.startswith("resume data of step 'approve' is invalid: field 'approved'")
    assert "step 'ship' is not suspended" in ip.usage_error(
        """resume orders big --step ship --data '{"approved": true}'"""
    )
    calls.clear()
    assert ip.line("""resume orders big --data '{"approved": true}'""").status == "success"
    assert calls == ["approve", "ship"]  # the failed attempts changed nothing


# -- graph ------------------------------------------------------------------------------------------------


def _box_colors(figure: Figure) -> dict[str, Any]:
    return {
        str(p.get_gid()).removeprefix("step:"): to_hex(p.get_facecolor())
        for p in figure.axes[0].patches
        if str(p.get_gid()).startswith("step:")
    }


def test_graph_draws_the_workflow_coloured_by_a_run(ip: TestingShell) -> None:
    plain = ip.line("graph orders")
    assert isinstance(plain, PlotView) and plain.kind == "workflow"
    assert plain.title == "workflow orders: 3 nodes, 3 steps"
    assert set(_box_colors(plain.figure)) == {"price", "approve", "ship"}
    assert set(_box_colors(plain.figure).values()) == {to_hex(NEUTRAL_COLOR)}
    ip.line("""run orders --input '{"item": "tea", "qty": 1}' --run-id small""")
    ip.line("""run orders --input '{"item": "tea", "qty": 9}' --run-id big""")
    last = ip.line("graph orders last")
    assert last.title.startswith("workflow orders · run big · suspended")
    assert last.data[["step", "status"]].values.tolist() == [
        ["price", "success"],
        ["approve", "suspended"],
        ["ship", "pending"],
    ]
    colors = _box_colors(last.figure)
    assert (colors["price"], colors["approve"]) == (
        to_hex(STATUS_COLORS["success"]),
        to_hex(STATUS_COLORS["suspended"]),
    )
    small = ip.line("graph orders small")
    assert set(_box_colors(small.figure).values()) == {to_hex(STATUS_COLORS["success"])}
    bundle = small._repr_mimebundle_()
    assert bundle["image/png"].startswith(b"\x89PNG") and "mastra-plot-workflow" in bundle["text/html"]
    same = ip.line("plot workflow orders small")
    assert (same.kind, same.title) == ("workflow", small.title)


def test_graph_mistakes_are_one_line(ip: TestingShell) -> None:
    assert ip.usage_error("graph orders nope") == (
        "%mastra graph: workflow 'orders' has no run 'nope' (hint: %mastra runs orders lists its runs)"
    )
    assert ip.usage_error("graph orders last") == (
        "%mastra graph: workflow 'orders' has no run stored (hint: %mastra runs orders lists its runs)"
    )
    assert "no workflow named 'fan'" in ip.usage_error("graph fan")
    assert ip.usage_error("plot workflow orders nope").startswith(
        "%mastra graph: workflow 'orders' has no run"
    )
