"""A run as plain data: :class:`StepResult` per step and the :class:`RunState` a snapshot is made of.

The run advances through the workflow's top-level nodes in order; ``position`` is the next node to run.
Everything before ``position`` is done and never runs again; the node at ``position`` keeps what it needs
to continue (loop iteration, chosen branches, finished ``foreach`` items) in ``node``. That is the whole
snapshot, so a new process continues exactly where the old one stopped.

A snapshot stays proportional to the work done: each step's output is stored once, in its
:class:`StepResult`. The input of a node is not stored — it is the previous node's output, derived when
needed — and a step made with ``persist_output=False`` keeps its output in memory only. A nested
workflow's run is stored inside the step that runs it (``StepResult.run``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from mastra_lab.storage.records import EncodedJSON

__all__ = ["RunState", "RunStatus", "StepResult", "StepStatus"]

StepStatus = Literal["running", "success", "failed", "suspended", "canceled"]
RunStatus = Literal["pending", "running", "success", "failed", "suspended", "canceled"]


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _encoded(data: Any) -> str | None:
    """``data`` as compact JSON, or ``None`` when it is not plain JSON (storage then reports what is not)."""
    try:
        text = _ENCODE(data)
    except (TypeError, ValueError):
        return None
    return text if json.loads(text) == data else None


def _ts(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: Any) -> datetime | None:
    return None if not value else datetime.fromisoformat(str(value))


@dataclass
class StepResult:
    """What one step did in a run.

    Attributes:
        status: ``running``, ``success``, ``failed``, ``suspended`` or ``canceled``.
        output: Its output (JSON-able), when it succeeded.
        error: ``"ErrorType: message"`` when it failed.
        suspend_payload: What it passed to ``ctx.suspend``, while suspended.
        started_at: When its first attempt started (UTC).
        ended_at: When it finished or suspended (UTC).
        attempts: How many times ``execute`` was called (retries included).
        bailed: The step called ``ctx.bail``: its output is the workflow's result.
        persisted: ``False`` for a step made with ``persist_output=False``: the output is not in the
            snapshot.
        lost: The output was not persisted and this result was read back from storage, so it is unknown.
        run: For a nested workflow, the snapshot of its run.
    """

    status: StepStatus
    output: Any = None
    error: str | None = None
    suspend_payload: Any = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    attempts: int = 0
    bailed: bool = False
    persisted: bool = True
    lost: bool = False
    run: dict[str, Any] | None = None
    _stored: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end, once it ended."""
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-able data; a finished result is converted once (a run saves after every
        step, and its earlier results do not change)."""
        if self._stored is not None:
            return self._stored
        data: dict[str, Any] = {
            "status": self.status,
            "output": self.output if self.persisted else None,
            "error": self.error,
            "suspend_payload": self.suspend_payload,
            "started_at": _ts(self.started_at),
            "ended_at": _ts(self.ended_at),
            "attempts": self.attempts,
        }
        if self.bailed:
            data["bailed"] = True
        if not self.persisted:
            data["persisted"] = False
        if self.run is not None:
            data["run"] = self.run
        if self.status in ("success", "failed"):
            self._stored = data
        return data

    def to_json(self) -> str | None:
        """:meth:`to_dict` as JSON (``None`` if it is not plain JSON), encoded once when finished."""
        if self._text is not None:
            return self._text
        text = _encoded(self.to_dict())
        if self._stored is not None:
            self._text = text
        return text

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        persisted = data.get("persisted", True) is not False
        return cls(
            status=data["status"],
            output=data.get("output"),
            error=data.get("error"),
            suspend_payload=data.get("suspend_payload"),
            started_at=_parse(data.get("started_at")),
            ended_at=_parse(data.get("ended_at")),
            attempts=int(data.get("attempts") or 0),
            bailed=bool(data.get("bailed")),
            persisted=persisted,
            lost=not persisted and data["status"] == "success",
            run=data.get("run"),
        )


@dataclass
class RunState:
    """Everything a run needs to continue; :meth:`to_snapshot` is what storage keeps.

    ``state_at`` maps a node position to the shared state as it was before that node, recorded only where
    it changed, so a time-travel run starts with the state its step saw. ``origin`` links a time-travel run
    to the run it came from, and ``inputs`` holds the input it gave its first node (every other input is
    the previous node's output). ``result_from_steps`` says the result is the last node's output, which is
    then not stored a second time.
    """

    run_id: str
    workflow: str
    status: RunStatus = "pending"
    input: Any = None
    state: Any = field(default_factory=dict)
    resource_id: str | None = None
    position: int = 0
    node: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepResult] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    created_at: datetime | None = None
    state_at: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    result_from_steps: bool = False
    _entries: dict[str, tuple[StepResult, str]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def suspended(self) -> list[str]:
        """Paths of the steps waiting for ``resume``, in the order they suspended.

        A step of a nested workflow is named ``outer.inner`` (``outer`` is the nested workflow's step id).
        """
        paths: list[str] = []
        for sid, r in self.steps.items():
            if r.status != "suspended":
                continue
            inner = [] if r.run is None else RunState.from_snapshot("", r.run).suspended
            paths += [f"{sid}.{p}" for p in inner] or [sid]
        return paths

    @property
    def active(self) -> list[str]:
        """Paths of the steps running now (as this process last saved them)."""
        return [path for path, r in self.flat_steps() if r.status == "running"]

    def flat_steps(self) -> Iterator[tuple[str, StepResult]]:
        """Every step result with its path, nested workflows' steps right after the step that ran them."""
        for sid, r in self.steps.items():
            yield sid, r
            if r.run is not None:
                for path, inner in RunState.from_snapshot("", r.run).flat_steps():
                    yield f"{sid}.{path}", inner

    def record_state(self) -> None:
        """Remember the shared state as the state before node ``position``, if it changed."""
        if not self.state_at:
            self.state_at["0"] = copy.deepcopy(self.state)
            return
        last = self.state_at[max(self.state_at, key=int)]
        if last != self.state:
            self.state_at[str(self.position)] = copy.deepcopy(self.state)

    def state_before(self, position: int) -> Any:
        """The shared state as it was before node ``position`` ran."""
        keys = [int(k) for k in self.state_at if int(k) <= position]
        return copy.deepcopy(self.state_at[str(max(keys))]) if keys else {}

    def to_snapshot(self) -> dict[str, Any]:
        snap = {
            "status": self.status,
            "workflow": self.workflow,
            "input": self.input,
            "state": self.state,
            "resource_id": self.resource_id,
            "position": self.position,
            "node": self.node,
            "steps": {sid: r.to_dict() for sid, r in self.steps.items()},
            "suspended": self.suspended,
            "active": self.active,
            "result": None if self.result_from_steps else self.result,
            "error": self.error,
            "created_at": _ts(self.created_at),
            "state_at": self.state_at,
        }
        if self.origin is not None:
            snap["origin"] = self.origin
        if self.inputs:
            snap["inputs"] = self.inputs
        if self.result_from_steps:
            snap["result_from_steps"] = True
        return self._with_text(snap)

    def _with_text(self, snap: dict[str, Any]) -> dict[str, Any]:
        """``snap`` carrying its JSON, in which each finished step's part is reused from the last save.

        A run saves after every step; re-encoding every earlier result each time would make a run of n
        steps encode O(n²) bytes.
        """
        parts = []
        for sid, r in self.steps.items():
            entry = self._entries.get(sid)
            if entry is None or entry[0] is not r:
                text = r.to_json()
                if text is None:
                    return snap
                entry = (r, f"{_ENCODE(sid)}:{text}")
                self._entries[sid] = entry
            parts.append(entry[1])
        header = _encoded({k: v for k, v in snap.items() if k != "steps"})
        if header is None:
            return snap
        return EncodedJSON(snap, f'{header[:-1]},"steps":{{{",".join(parts)}}}}}')

    @classmethod
    def from_snapshot(cls, run_id: str, snap: dict[str, Any]) -> RunState:
        return cls(
            run_id=run_id,
            workflow=snap["workflow"],
            status=snap["status"],
            input=snap.get("input"),
            state=snap.get("state"),
            resource_id=snap.get("resource_id"),
            position=int(snap.get("position") or 0),
            node=dict(snap.get("node") or {}),
            steps={sid: StepResult.from_dict(r) for sid, r in (snap.get("steps") or {}).items()},
            result=snap.get("result"),
            error=snap.get("error"),
            created_at=_parse(snap.get("created_at")),
            state_at=dict(snap.get("state_at") or {}),
            origin=snap.get("origin"),
            inputs=dict(snap.get("inputs") or {}),
            result_from_steps=bool(snap.get("result_from_steps")),
        )
