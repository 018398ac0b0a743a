"""The DataFrame forms every backend shares: table counts and pages of any table."""

from __future__ import annotations

import pytest

from mastra_lab.errors import StorageError
from mastra_lab.storage import Storage, StoredMessage, Thread

BUILT_IN = "mastra_messages, mastra_resources, mastra_spans, mastra_threads, mastra_workflow_snapshots"


def test_tables_df_counts_every_table_in_one_frame(store: Storage) -> None:
    for i in range(3):
        store.create("notes", {"i": i})
    store.save_thread(Thread("t1", resource_id="u1"))
    store.save_messages([StoredMessage("m1", "t1", "user", "hi")])
    frame = store.tables_df()
    assert list(frame.columns) == ["table", "rows"]
    assert dict(zip(frame["table"], frame["rows"], strict=True)) == {
        "mastra_messages": 1,
        "mastra_resources": 0,
        "mastra_spans": 0,
        "mastra_threads": 1,
        "mastra_workflow_snapshots": 0,
        "notes": 3,
    }


def test_table_df_pages_oldest_first_without_repeats(store: Storage) -> None:
    ids = [store.create("notes", {"i": i}) for i in range(7)]
    pages = [store.table_df("notes", limit=3, offset=offset)["id"].tolist() for offset in (0, 3, 6)]
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]
    assert store.table_df("notes", limit=3, offset=9).empty


def test_table_df_reads_built_in_tables(store: Storage) -> None:
    store.save_thread(Thread("t1", resource_id="u1", title="hello"))
    page = store.table_df("mastra_threads")
    assert page["id"].tolist() == ["t1"]
    assert page["title"].tolist() == ["hello"]


def test_table_df_names_the_known_tables_for_an_unknown_one(store: Storage) -> None:
    store.create("notes", {"i": 1})
    with pytest.raises(StorageError) as info:
        store.table_df("nots")
    assert info.value.code == "STORAGE_NOT_FOUND"
    assert str(info.value) == f"no table 'nots' in this store; its tables are: {BUILT_IN}, notes"


def test_table_df_checks_paging(store: Storage) -> None:
    with pytest.raises(StorageError, match="limit must be a non-negative int, got -1"):
        store.table_df("mastra_threads", limit=-1)
