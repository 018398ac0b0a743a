"""A run as plain data: :class:`StepResult` per step and the :class:`RunState` a snapshot is made of.

The run advances through the workflow's top-level nodes in order; ``position`` is the next node to run and
``last_output`` its input. Everything before ``position`` is done and never runs again; the node at
``position`` keeps what it needs to continue (loop iteration, chosen branches, finished ``foreach``
items) in ``node``. That is the whole snapshot, so a new process continues exactly where the old one
stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = ["RunState", "RunStatus", "StepResult", "StepStatus"]

StepStatus = Literal["running", "success", "failed", "suspended", "canceled"]
RunStatus = Literal["pending", "running", "success", "failed", "suspended", "canceled"]


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
    """

    status: StepStatus
    output: Any = None
    error: str | None = None
    suspend_payload: Any = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    attempts: int = 0
    bailed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "suspend_payload": self.suspend_payload,
            "started_at": _ts(self.started_at),
            "ended_at": _ts(self.ended_at),
            "attempts": self.attempts,
            "bailed": self.bailed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepResult:
        return cls(
            status=data["status"],
            output=data.get("output"),
            error=data.get("error"),
            suspend_payload=data.get("suspend_payload"),
            started_at=_parse(data.get("started_at")),
            ended_at=_parse(data.get("ended_at")),
            attempts=int(data.get("attempts") or 0),
            bailed=bool(data.get("bailed")),
        )


@dataclass
class RunState:
    """Everything a run needs to continue; :meth:`to_snapshot` is what storage keeps."""

    run_id: str
    workflow: str
    status: RunStatus = "pending"
    input: Any = None
    state: Any = field(default_factory=dict)
    resource_id: str | None = None
    position: int = 0
    last_output: Any = None
    node: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, StepResult] = field(default_factory=dict)
    result: Any = None
    error: str | None = None
    created_at: datetime | None = None

    @property
    def suspended(self) -> list[str]:
        """Ids of the steps waiting for ``resume``, in the order they suspended."""
        return [sid for sid, r in self.steps.items() if r.status == "suspended"]

    def to_snapshot(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "workflow": self.workflow,
            "input": self.input,
            "state": self.state,
            "resource_id": self.resource_id,
            "position": self.position,
            "last_output": self.last_output,
            "node": self.node,
            "steps": {sid: r.to_dict() for sid, r in self.steps.items()},
            "suspended": self.suspended,
            "result": self.result,
            "error": self.error,
            "created_at": _ts(self.created_at),
        }

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
            last_output=snap.get("last_output"),
            node=dict(snap.get("node") or {}),
            steps={sid: StepResult.from_dict(r) for sid, r in (snap.get("steps") or {}).items()},
            result=snap.get("result"),
            error=snap.get("error"),
            created_at=_parse(snap.get("created_at")),
        )
