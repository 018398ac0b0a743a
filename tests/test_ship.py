"""Sending objects to Ray workers: the error names the path to what cannot be pickled."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest

from mastra_lab import _ship
from mastra_lab.errors import MastraError, WorkflowError
from mastra_lab.storage import InMemoryStore


class _Holder:
    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class _Recipe:
    """Pickles as how to make it again, like a store that reopens from its DSN."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Recipe, (self.dsn,))


def test_dumps_and_loads_round_trip_a_closure() -> None:
    factor = 3
    data = _ship.dumps(lambda x: x * factor, "the function")
    assert _ship.loads(data)(2) == 6


def test_the_error_names_the_attribute_key_and_item_that_cannot_be_pickled() -> None:
    conn = sqlite3.connect(":memory:")
    holder = _Holder(name="ok", settings={"clients": [1, conn]})
    with pytest.raises(MastraError) as info:
        _ship.dumps(holder, "the holder", fix="open the connection in the worker")
    assert info.value.code == "NOT_PICKLABLE"
    assert info.value.details == {"path": "the holder.settings['clients'][1]", "type": "Connection"}
    assert info.value.message.startswith(
        "the holder.settings['clients'][1] cannot be sent to a Ray worker: a Connection cannot be pickled"
    )
    assert info.value.message.endswith("; open the connection in the worker")
    conn.close()


def test_the_error_names_a_global_a_local_function_uses_and_takes_the_error_class() -> None:
    def uses_global_lock() -> None:  # local functions travel by value, with the globals they use
        with _LOCK:
            pass

    with pytest.raises(WorkflowError) as info:
        _ship.dumps(uses_global_lock, "step 'x'", WorkflowError)
    assert info.value.message.startswith("step 'x' (global '_LOCK' of ")
    assert "uses_global_lock) cannot be sent to a Ray worker: a lock cannot be pickled" in info.value.message


def test_a_module_level_function_travels_by_reference_so_its_globals_stay_behind() -> None:
    assert _ship.loads(_ship.dumps(_uses_global_lock, "step 'x'")) is _uses_global_lock


_LOCK = threading.Lock()


def _uses_global_lock() -> None:
    with _LOCK:
        pass


def test_a_recipe_is_an_object_whose_class_says_how_to_reopen_it() -> None:
    assert _ship.is_recipe(_Recipe("postgresql://db"))
    assert _ship.loads(_ship.dumps(_Recipe("postgresql://db"), "store")).dsn == "postgresql://db"
    assert not _ship.is_recipe(InMemoryStore())
    assert not _ship.is_recipe(None)
