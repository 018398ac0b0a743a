"""WorkflowPanel driven headless: runs newest first, step details, resume by form, new runs, live redraws."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from mastra_backends import Backend
from pg_server import PgServer, fresh_schema
from review_flow import build

from mastra_lab.errors import MastraError, WorkflowError
from mastra_lab.lab._testing import click, panels_raise
from mastra_lab.lab.panels.workflow import ALL_STATUSES, WorkflowPanel
from mastra_lab.mastra import Mastra
from mastra_lab.storage import PostgresStore, SQLiteStore, Storage
from mastra_lab.workflow import Step, StepContext, Workflow, step

TESTS = Path(__file__).resolve().parents[2]


@pytest.fixture
def mastra(backend: Backend) -> Iterator[Mastra]:
    """The ``review`` workflow's runs on a DuckDB file or PostgreSQL."""
    with Mastra(storage=backend.storage("runs"), workflows=[build()]) as m:
        yield m


def _suspended(m: Mastra, title: str) -> str:
    result = m.get_workflow("review").create_run().start_sync({"title": title})
    assert result.status == "suspended"
    return result.run_id


def _fill(panel: WorkflowPanel, **values: Any) -> None:
    assert panel.form is not None
    for name, value in values.items():
        panel.form.fields[name].value = value


def test_without_workflows_the_panel_says_how_to_add_one(tmp_path: Path) -> None:
    with Mastra(storage=SQLiteStore(str(tmp_path / "empty.sqlite"))) as m, panels_raise():
        panel = WorkflowPanel(m)
        assert panel.workflows.options == () and panel.runs.options == ()
        assert "no workflows yet" in panel.count.value
        with pytest.raises(MastraError, match="there is no workflow to run"):
            click(panel.start)
    assert panel.error_text.startswith("error: there is no workflow to run")
    assert "mastra-workflow-panel" in panel._dom_classes and panel.children[-1] is panel.error


def test_the_runs_table_lists_runs_newest_first_and_filters_by_status(mastra: Mastra) -> None:
    wf = mastra.get_workflow("review")
    first = _suspended(mastra, "first draft")
    second = _suspended(mastra, "second draft")
    wf.create_run(first).resume_sync(resume_data={"approved": True, "reviewer": "ada", "budget": 1})
    with panels_raise():
        panel = WorkflowPanel(mastra)
        assert panel.workflows.value == "review"
        assert [value for _, value in panel.runs.options] == [second, first]
        labels = [label for label, _ in panel.runs.options]
        assert f" · suspended · {second} · waiting: review" in labels[0]
        assert f" · success · {first}" in labels[1] and "waiting" not in labels[1]
        assert panel.count.value == "2 runs"
        assert panel.shown == second  # the newest is shown to begin with
        panel.status.value = "success"
        assert [value for _, value in panel.runs.options] == [first] and panel.shown == first
        panel.status.value = ALL_STATUSES
    assert panel.runs.value == first  # the selection survives the filter when still listed


def test_selecting_a_run_shows_its_graph_summary_and_step_details(mastra: Mastra) -> None:
    wf = mastra.get_workflow("review")
    run_id = _suspended(mastra, "a short title")
    wf.create_run(run_id).resume_sync(resume_data={"approved": True, "reviewer": "bo", "budget": 3})
    with panels_raise():
        panel = WorkflowPanel(mastra)
        assert panel.shown == run_id
        assert bytes(panel.graph.value).startswith(b"\x89PNG") and panel.graph.layout.display is None
        assert "success" in panel.summary.value and "&quot;published&quot;: true" in panel.summary.value
        assert panel.steps.options == ("draft", "review", "publish") and panel.steps.value == "publish"
        panel.steps.value = "draft"
    detail = panel.step_detail.value
    assert "<code>draft</code>" in detail and ">success<" in detail
    assert "&quot;words&quot;: 3" in detail  # the output
    assert ">input</th>" in detail and "&quot;title&quot;: &quot;a short title&quot;" in detail
    for field in ("attempts", "started", "ended", "duration"):
        assert f">{field}</th>" in detail
    assert " ms</td>" in detail
    assert panel.resume_box.layout.display == "none"  # nothing to resume in a finished run


def test_a_failed_step_shows_its_error(tmp_path: Path) -> None:
    @step(retries=1)
    def broken(ctx: StepContext) -> None:
        raise ValueError("the printer is on fire")

    wf = Workflow("broken").then(broken).commit()
    with Mastra(storage=SQLiteStore(str(tmp_path / "b.sqlite")), workflows=[wf]) as m, panels_raise():
        wf.create_run().start_sync({"x": 1})
        panel = WorkflowPanel(m)
    assert "failed" in panel.summary.value and "the printer is on fire" in panel.summary.value
    assert panel.steps.value == "broken"
    assert "ValueError: the printer is on fire" in panel.step_detail.value
    assert ">attempts</th><td style='text-align:left;vertical-align:top;padding:2px 8px'>2<" in (
        panel.step_detail.value
    )


def test_a_suspended_run_shows_a_form_with_the_resume_schemas_fields(mastra: Mastra) -> None:
    run_id = _suspended(mastra, "needs review")
    with panels_raise():
        panel = WorkflowPanel(mastra)
    assert panel.shown == run_id and panel.resume_box.layout.display is None
    assert panel.steps.value == "review" and ">suspended<" in panel.step_detail.value
    assert "approve this draft?" in panel.resume_payload.value
    assert panel.resume_step.options == ("review",) and panel.resume_step.layout.display == "none"
    assert panel.form is not None
    fields = panel.form.fields
    assert list(fields) == ["approved", "reviewer", "level", "budget", "tags"]
    assert [type(w) for w in fields.values()] == [
        widgets.Checkbox,
        widgets.Text,
        widgets.Dropdown,
        widgets.IntText,
        widgets.Textarea,
    ]
    assert fields["level"].options == (("low", "low"), ("high", "high")) and fields["level"].value == "low"
    assert fields["approved"].description == "approved *" and fields["level"].description == "level"
    assert fields["tags"].value == "[]"  # the default, as JSON


def test_bad_resume_data_shows_one_error_line_and_the_run_stays_suspended(mastra: Mastra) -> None:
    run_id = _suspended(mastra, "needs review")
    before = mastra.storage.load_snapshot("review", run_id)
    with panels_raise():
        panel = WorkflowPanel(mastra)
        _fill(panel, approved=True, reviewer="x", budget=-1)
        with pytest.raises(WorkflowError, match="resume data of step 'review' is invalid"):
            click(panel.resume)
    assert panel.error_text.startswith("error: resume data of step 'review' is invalid")
    assert "'reviewer'" in panel.error_text and "'budget'" in panel.error_text
    assert "\n" not in panel.error_text
    assert mastra.storage.load_snapshot("review", run_id) == before
    with panels_raise():
        _fill(panel, reviewer="xavier", budget=2, tags="[not json")
        with pytest.raises(MastraError, match="field 'tags' is not valid JSON"):
            click(panel.resume)
    assert mastra.storage.load_snapshot("review", run_id) == before
    assert not panel.running and panel.result is not None and panel.result.status == "suspended"


def test_a_valid_resume_makes_the_run_succeed_and_the_panel_shows_it(mastra: Mastra) -> None:
    run_id = _suspended(mastra, "needs review")
    with panels_raise():
        panel = WorkflowPanel(mastra)
        panel.status.value = "suspended"
        _fill(panel, approved=True, reviewer="grace", level="high", budget=7, tags='["urgent"]')
        click(panel.resume)
        panel.wait()
    done = mastra.get_workflow("review").get_run(run_id)
    assert done is not None and done.status == "success"
    assert done.result == {"published": True, "by": "grace", "tags": ["urgent"]}
    assert panel.status.value == ALL_STATUSES  # the resumed run stays listed
    assert panel.shown == run_id and panel.result is not None and panel.result.status == "success"
    assert "<b class='mastra-workflow-run-status'>success</b>" in panel.summary.value
    assert panel.resume_box.layout.display == "none" and panel.form is None
    assert panel.runs.options[0][0].split(" · ")[1] == "success"
    assert panel.error_text == ""
    with panels_raise(), pytest.raises(MastraError, match="select a suspended run first"):
        panel.resume_run()


def _suspended_elsewhere(kind: str, db: str, *schema: str) -> None:
    """Run ``review`` as ``run-elsewhere`` in a process of its own, which suspends it and exits."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, str(TESTS / "review_flow.py"), kind, db, "run-elsewhere", "from afar", *schema]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"status": "suspended", "suspended": ["review"]}


def test_a_run_suspended_in_another_process_is_resumed_from_the_panel(tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    _suspended_elsewhere("sqlite", str(db))
    _resume_run_elsewhere_from_the_panel(SQLiteStore(str(db)))


def test_on_postgres_a_run_another_process_suspended_is_resumed_from_the_panel(pg_server: PgServer) -> None:
    with fresh_schema(pg_server) as schema:
        _suspended_elsewhere("postgres", pg_server.dsn, schema)
        _resume_run_elsewhere_from_the_panel(PostgresStore(pg_server.dsn, schema=schema))


def _resume_run_elsewhere_from_the_panel(store: Storage) -> None:
    with Mastra(storage=store, workflows=[build()]) as m, panels_raise():
        panel = WorkflowPanel(m)
        assert panel.shown == "run-elsewhere" and "from afar" in panel.resume_payload.value
        _fill(panel, approved=False, reviewer="linus", budget=0)
        click(panel.resume)
        panel.wait()
        assert panel.result is not None and panel.result.status == "success"
        assert panel.result.result == {"published": False, "by": "linus", "tags": []}
        stored = m.storage.load_snapshot("review", "run-elsewhere")
    assert stored is not None and stored["status"] == "success"


def test_several_suspended_steps_get_a_step_picker_and_json_schema_forms(tmp_path: Path) -> None:
    def waiting(sid: str, schema: Any) -> Step:
        def run(ctx: StepContext) -> Any:
            if ctx.resume_data is None:
                ctx.suspend({"who": sid})
            return ctx.resume_data

        return Step(sid, run, resume_schema=schema)

    choice = {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "note": {"type": "string"},
            "score": {"type": "number"},
            "pick": {"enum": ["a", "b"]},
        },
        "required": ["ok", "score"],
    }
    wf = Workflow("pair").parallel([waiting("left", choice), waiting("right", None)]).commit()
    with Mastra(storage=SQLiteStore(str(tmp_path / "p.sqlite")), workflows=[wf]) as m, panels_raise():
        run_id = wf.create_run().start_sync(None).run_id
        panel = WorkflowPanel(m, workflow="pair")
        assert panel.resume_step.options == ("left", "right") and panel.resume_step.layout.display is None
        assert panel.form is not None and panel.form.raw is None
        kinds = {name: type(w) for name, w in panel.form.fields.items()}
        assert kinds == {
            "ok": widgets.Checkbox,
            "note": widgets.Text,
            "score": widgets.FloatText,
            "pick": widgets.Dropdown,
        }
        assert panel.form.fields["pick"].options[0] == ("(none)", None)
        _fill(panel, ok=True, score=0.5)
        click(panel.resume)
        panel.wait()
        assert panel.result is not None and panel.result.suspended == ["right"]
        assert panel.resume_step.value == "right" and panel.resume_step.layout.display == "none"
        assert panel.steps.value == "left" and ">success<" in panel.step_detail.value  # the pick stays
        assert panel.form is not None and panel.form.fields == {} and panel.form.raw is not None
        panel.form.raw.value = '"go"'
        click(panel.resume)
        panel.wait()
        done = wf.get_run(run_id)
    assert done is not None and done.status == "success"
    assert done.result == {"left": {"ok": True, "score": 0.5}, "right": "go"}


def test_run_starts_a_new_run_and_the_panel_redraws_while_it_runs(mastra: Mastra) -> None:
    entered, release = threading.Event(), threading.Event()

    @step
    def slow(ctx: StepContext) -> Any:
        entered.set()
        release.wait(60)
        return {"n": ctx.input["n"] * 2}

    @step
    def last(ctx: StepContext) -> Any:
        return ctx.input["n"] + 1

    wf = Workflow("slow").then(slow).then(last).commit()
    mastra.add_workflow(wf)
    with panels_raise():
        panel = WorkflowPanel(mastra, workflow="slow")
        assert "no runs yet" in panel.count.value
        panel.run_input.value = "{not json"
        with pytest.raises(MastraError, match="the input is not valid JSON"):
            click(panel.start)
        panel.run_input.value = '{"n": 20}'
        click(panel.start)
        assert entered.wait(60)
        panel.settle()
        assert panel.running
        assert panel.result is not None and panel.result.status == "running"
        assert panel.steps.value == "slow" and ">running<" in panel.step_detail.value
        with pytest.raises(MastraError, match="still going"):
            click(panel.start)
        release.set()
        panel.wait()
    assert not panel.running and panel.result is not None and panel.result.status == "success"
    assert panel.result.result == 41 and panel.steps.options == ("slow", "last")
    assert panel.count.value == "1 runs"


def test_bad_workflow_input_fails_before_the_run_and_lists_nothing(mastra: Mastra) -> None:
    with panels_raise():
        panel = WorkflowPanel(mastra)
        panel.run_input.value = '{"name": "no title"}'
        with pytest.raises(WorkflowError, match="input of workflow 'review' is invalid: field 'title'"):
            click(panel.start)
    assert panel.runs.options == () and not panel.running


def test_refresh_lists_runs_started_elsewhere(mastra: Mastra) -> None:
    with panels_raise():
        panel = WorkflowPanel(mastra)
        assert panel.runs.options == ()
        run_id = _suspended(mastra, "made by a magic")
        click(panel.refresh)
    assert [v for _, v in panel.runs.options] == [run_id] and panel.shown == run_id


def test_an_unknown_workflow_fails_by_name(mastra: Mastra) -> None:
    with pytest.raises(MastraError, match="nope"):
        WorkflowPanel(mastra, workflow="nope")


def test_a_step_suspended_inside_a_nested_workflow_is_resumed_by_its_path(tmp_path: Path) -> None:
    def ask(ctx: StepContext) -> Any:
        if ctx.resume_data is None:
            ctx.suspend({"draft": ctx.input})
        return {"draft": ctx.input, "ok": ctx.resume_data["ok"]}

    schema = {"properties": {"ok": {"type": "boolean"}}}
    child = Workflow("check").then(Step("ask", ask, resume_schema=schema))
    wf = Workflow("outer").then(Step("write", lambda ctx: f"{ctx.input}!")).then(child.commit()).commit()
    with Mastra(storage=SQLiteStore(str(tmp_path / "n.sqlite")), workflows=[wf]) as m, panels_raise():
        wf.create_run().start_sync("hi")
        panel = WorkflowPanel(m)
        assert panel.resume_step.options == ("check.ask",) and panel.steps.value == "check.ask"
        assert panel.form is not None and list(panel.form.fields) == ["ok"]
        _fill(panel, ok=True)
        click(panel.resume)
        panel.wait()
    assert panel.result is not None and panel.result.status == "success"
    assert panel.result.result == {"draft": "hi!", "ok": True}


def test_time_travel_re_runs_from_a_step_as_a_new_linked_run(mastra: Mastra) -> None:
    wf = mastra.get_workflow("review")
    old = _suspended(mastra, "old title")
    wf.create_run(old).resume_sync(resume_data={"approved": True, "reviewer": "ada", "budget": 1})
    with panels_raise():
        panel = WorkflowPanel(mastra)
        panel.steps.value = "publish"
        panel.travel_input.value = "{broken"
        with pytest.raises(MastraError, match="the step's input is not valid JSON"):
            click(panel.travel)
        panel.travel_input.value = '{"approved": false, "reviewer": "bo", "tags": ["again"]}'
        click(panel.travel)
        panel.wait()
    new = panel.shown
    assert new is not None and new != old and [v for _, v in panel.runs.options] == [new, old]
    assert panel.result is not None and panel.result.origin == {"run_id": old, "step": "publish"}
    assert panel.result.result == {"published": False, "by": "bo", "tags": ["again"]}
    assert f"run {old}, from step publish" in panel.summary.value
    assert wf.get_run(old).result == {"published": True, "by": "ada", "tags": []}  # type: ignore[union-attr]
