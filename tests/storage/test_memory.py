"""InMemoryStore specifics: copy semantics and SQL over its contents."""

from __future__ import annotations

from mastra_lab.storage import InMemoryStore, StoredMessage, Thread


def test_stored_data_is_a_copy_not_an_alias() -> None:
    store = InMemoryStore()
    data = {"tags": ["a"]}
    rid = store.create("notes", data)
    data["tags"].append("b")
    record = store.get("notes", rid)
    assert record is not None and record.data == {"tags": ["a"]}
    record.data["tags"].append("c")
    assert store.get("notes", rid).data == {"tags": ["a"]}  # type: ignore[union-attr]


def test_sql_runs_over_the_stores_contents() -> None:
    with InMemoryStore() as store:
        store.save_thread(Thread("t1", "alice"))
        store.save_messages(
            [StoredMessage("m1", "t1", "user", "hi"), StoredMessage("m2", "t1", "user", "yo")]
        )
        store.create("notes", {"title": "x"})
        frame = store.sql("SELECT thread_id, count(*) AS n FROM mastra_messages GROUP BY thread_id")
        assert frame.to_dict("records") == [{"thread_id": "t1", "n": 2}]
        assert store.sql("SELECT data->>'title' AS t FROM notes")["t"].tolist() == ["x"]
        assert repr(store) == "InMemoryStore()"
    assert repr(store) == "InMemoryStore() closed"
