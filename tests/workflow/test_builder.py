from __future__ import annotations

from datetime import datetime

import pytest

from mastra_lab.errors import WorkflowError
from mastra_lab.workflow import Step, Workflow


def _s(sid: str) -> Step:
    return Step(sid, lambda ctx: ctx.input)


def test_each_builder_call_adds_one_node_in_order() -> None:
    wf = (
        Workflow("shape")
        .then(_s("a"))
        .parallel([_s("b"), _s("c")])
        .branch([(lambda x: True, _s("d"))])
        .dowhile(_s("e"), lambda out, i: False)
        .dountil(_s("f"), lambda out, i: True)
        .foreach(_s("g"), concurrency=4)
        .map(lambda ctx: ctx.input)
        .sleep(0)
        .sleep_until(datetime(2000, 1, 1))
        .commit()
    )
    kinds = [n.kind for n in wf.nodes]
    assert kinds == [
        "step",
        "parallel",
        "branch",
        "dowhile",
        "dountil",
        "foreach",
        "map",
        "sleep",
        "sleep_until",
    ]
    assert wf.nodes[5].concurrency == 4
    assert wf.nodes[8].until is not None and wf.nodes[8].until.tzinfo is not None
    assert wf.step_ids == {"a", "b", "c", "d", "e", "f", "g", "map-6"}
    assert wf.committed and repr(wf) == "Workflow(id='shape', steps=8, committed=True)"


def test_a_duplicate_step_id_fails_at_the_call_that_adds_it() -> None:
    wf = Workflow("dup").then(_s("a"))
    with pytest.raises(WorkflowError, match="already has a step with id 'a'") as info:
        wf.then(_s("a"))
    assert info.value.code == "WORKFLOW_DUPLICATE_STEP"
    with pytest.raises(WorkflowError, match="'b'"):
        wf.parallel([_s("b"), _s("b")])
    assert [n.key for n in wf.nodes] == ["a"]


def test_running_before_commit_and_adding_after_commit_fail() -> None:
    wf = Workflow("order").then(_s("a"))
    with pytest.raises(WorkflowError, match=r"not committed; call \.commit\(\)"):
        wf.create_run()
    wf.commit()
    with pytest.raises(WorkflowError, match="committed and cannot change"):
        wf.then(_s("b"))
    with pytest.raises(WorkflowError, match="committed"):
        wf.commit()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda wf: wf.then(lambda ctx: 1), "takes a Step"),
        (lambda wf: wf.parallel([]), "at least one step"),
        (lambda wf: wf.branch([(1, _s("x"))]), r"\(condition, step\) pairs"),
        (lambda wf: wf.foreach(_s("x"), concurrency=0), "concurrency must be an integer >= 1"),
        (lambda wf: wf.sleep(-1), "seconds >= 0"),
        (lambda wf: wf.dowhile(_s("x"), "no"), "callable condition"),
        (lambda wf: wf.commit(), "has no steps"),
    ],
)
def test_bad_builder_calls_fail_with_the_reason(build: object, message: str) -> None:
    with pytest.raises(WorkflowError, match=message):
        build(Workflow("bad"))  # type: ignore[operator]


def test_bad_workflow_options_fail() -> None:
    with pytest.raises(WorkflowError, match="retry must be"):
        Workflow("r", retry={"attempts": -1})
    with pytest.raises(WorkflowError, match="input_schema must be"):
        Workflow("r", input_schema=str)
    with pytest.raises(WorkflowError, match="non-empty string id"):
        Workflow("")


def test_step_lookup_names_the_known_steps() -> None:
    wf = Workflow("look").then(_s("a")).commit()
    assert wf.step("a").id == "a"
    with pytest.raises(WorkflowError, match="no step 'zz'; its steps are: a"):
        wf.step("zz")
