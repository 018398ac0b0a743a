"""Sending objects to Ray workers: pickling with a culprit, and a Ray that is up.

Agents, workflows and steps travel to Ray tasks as cloudpickle bytes (Ray's vendored copy, so no extra
dependency). When something inside cannot be pickled — an open connection, a lock, a client — the plain
pickling error says only the type; :func:`dumps` walks the object to the attribute, dict key, list item or
closure variable that fails and names that path, which is what a user needs to fix it.

Importing this module imports nothing heavy; Ray is imported by the functions that need it.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from typing import Any

from mastra_lab.errors import MastraError

__all__ = ["RAY_HINT", "dumps", "import_ray", "is_recipe", "loads", "ray_ready"]

RAY_HINT = 'pip install "mastra-lab[ray]"'

_MAX_DEPTH = 8


def import_ray() -> Any:
    """The ``ray`` module, or an ``ImportError`` with the install hint."""
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - ray is installed wherever tests run
        raise ImportError(f'executor="ray" needs Ray: {RAY_HINT}') from exc
    return ray


def ray_ready(num_cpus: int | None) -> Any:
    """The ``ray`` module with Ray initialised: the user's ``ray.init`` if they made one, else a local
    instance with ``num_cpus`` CPUs (all of this machine's when ``None``) and no dashboard."""
    ray = import_ray()
    if not ray.is_initialized():
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return ray


def is_recipe(obj: Any) -> bool:
    """Whether ``obj`` pickles as a recipe to reopen it (its class defines ``__reduce__``), so a worker's
    copy reaches the same data — a PostgreSQL store does, an in-memory or file store does not."""
    reduce: Any = type(obj).__reduce__
    return obj is not None and reduce is not object.__reduce__


def _pickler() -> Any:
    return import_ray().cloudpickle


def _function_children(fn: types.FunctionType) -> Iterator[tuple[str, Any]]:
    """A function's closure variables and the globals it names (what cloudpickle sends by value)."""
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or (), strict=False):
        try:
            yield f" (variable {name!r} of {fn.__qualname__})", cell.cell_contents
        except ValueError:
            continue
    for name in fn.__code__.co_names:
        if name in fn.__globals__ and not isinstance(fn.__globals__[name], types.ModuleType):
            yield f" (global {name!r} of {fn.__qualname__})", fn.__globals__[name]


def _children(obj: Any) -> Iterator[tuple[str, Any]]:
    """``(label, value)`` for what ``obj`` holds that pickling it also pickles."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield f"[{key!r}]", value
    elif isinstance(obj, list | tuple | set | frozenset):
        for i, value in enumerate(obj):
            yield f"[{i}]", value
    elif isinstance(obj, types.FunctionType):
        yield from _function_children(obj)
    elif isinstance(obj, types.MethodType):
        yield ".__self__", obj.__self__
    elif hasattr(obj, "__dict__") and not isinstance(obj, type | types.ModuleType):
        for key, value in vars(obj).items():
            yield f".{key}", value


def _culprit(obj: Any, path: str, depth: int, seen: set[int]) -> tuple[str, Any] | None:
    """The deepest ``(path, value)`` under ``obj`` that cannot be pickled on its own."""
    pickler = _pickler()
    if depth > _MAX_DEPTH or id(obj) in seen:
        return None
    seen.add(id(obj))
    for label, child in _children(obj):
        try:
            pickler.dumps(child)
        except Exception:
            return _culprit(child, path + label, depth + 1, seen) or (path + label, child)
    return None


def dumps(obj: Any, what: str, error: type[MastraError] = MastraError, fix: str = "") -> bytes:
    """``obj`` as cloudpickle bytes for a Ray worker.

    Args:
        obj: What to send.
        what: How the message names ``obj`` (``"agent 'support'"``).
        error: The error class to raise.
        fix: What the user can do, appended to the message.

    Raises:
        MastraError: (of class ``error``) naming the attribute path and type that cannot be sent.
    """
    pickler = _pickler()
    try:
        data: bytes = pickler.dumps(obj)
        return data
    except Exception as exc:
        found = _culprit(obj, what, 0, set())
        where, bad = found if found is not None else (what, obj)
        hint = fix or "keep only picklable values on it (create clients inside the function that uses them)"
        raise error(
            f"{where} cannot be sent to a Ray worker: a {type(bad).__name__} cannot be pickled "
            f"({type(exc).__name__}: {exc}); {hint}",
            code="NOT_PICKLABLE",
            details={"path": where, "type": type(bad).__name__},
        ) from exc


def loads(data: bytes) -> Any:
    """What :func:`dumps` made, in a worker."""
    return _pickler().loads(data)
