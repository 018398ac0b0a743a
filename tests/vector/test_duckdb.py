"""DuckDBVector specifics: persistence across reopen, shared connections, read-only files, lazy loading."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from mastra_lab.errors import VectorError
from mastra_lab.vector import DuckDBVector, IndexStats


def _vectors(n: int = 20, dim: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def test_indexes_and_rows_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    x = _vectors()
    with DuckDBVector(path) as store:
        store.create_index("docs", 8, metric="euclidean")
        store.upsert("docs", x, ids=[f"v{i}" for i in range(20)], metadata=[{"i": i} for i in range(20)])
        store.delete_vector("docs", "v3")
    with DuckDBVector(path) as store:
        assert store.list_indexes() == ["docs"]
        assert store.describe_index("docs") == IndexStats(dimension=8, count=19, metric="euclidean")
        hit = store.query("docs", x[7], top_k=1, include_vector=True)[0]
        assert (hit.id, hit.metadata) == ("v7", {"i": 7})
        assert hit.vector == pytest.approx(x[7].tolist())
        assert store.query("docs", x[3], top_k=1)[0].id != "v3"


def test_writes_after_the_lazy_load_update_the_same_matrix_without_reloading(tmp_path: Path) -> None:
    store = DuckDBVector(tmp_path / "v.duckdb")
    store.create_index("docs", 8)
    x = _vectors(30)
    store.upsert("docs", x[:20], ids=[f"v{i}" for i in range(20)])
    store.query("docs", x[0])
    matrix = store._mirrors["docs"].matrix
    store.upsert("docs", x[20:], ids=[f"v{i}" for i in range(20, 30)])
    store.delete_vectors("docs", {"nothing": {"$exists": True}})
    store.delete_vector("docs", "v0")
    assert store._mirrors["docs"].matrix is matrix and matrix.n == 29
    assert store.query("docs", x[25], top_k=1)[0].id == "v25"
    # the matrix equals a fresh load from the table, row for row
    fresh = DuckDBVector(connection=store.connection)
    fresh.query("docs", x[1])
    np.testing.assert_allclose(fresh._mirrors["docs"].matrix.data, matrix.data)
    store.close()


def test_shares_a_connection_and_leaves_it_open(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "shared.duckdb"))
    con.execute("CREATE TABLE other (a INTEGER)")
    store = DuckDBVector(connection=con)
    store.create_index("docs", 3)
    store.upsert("docs", [[1, 0, 0]], ids=["a"])
    store.close()
    assert con.execute("SELECT count(*) FROM vec_docs").fetchall() == [(1,)]
    assert store.path == tmp_path / "shared.duckdb"
    con.close()


def test_read_only_store_can_query_but_not_write(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    with DuckDBVector(path) as store:
        store.create_index("docs", 3)
        store.upsert("docs", [[1, 0, 0]], ids=["a"])
    with DuckDBVector(path, read_only=True) as store:
        assert store.query("docs", [1, 0, 0])[0].id == "a"
        with pytest.raises(VectorError, match="DuckDB failed to upsert into 'docs'"):
            store.upsert("docs", [[0, 1, 0]], ids=["b"])


def test_filter_values_are_bound_not_spliced_into_sql(tmp_path: Path) -> None:
    with DuckDBVector(tmp_path / "v.duckdb") as store:
        store.create_index("docs", 3)
        store.upsert("docs", [[1, 0, 0]], ids=["a"], metadata=[{"k": "x"}])
        assert store.query("docs", [1, 0, 0], filter={"k": "x' OR 1=1; DROP TABLE vec_docs; --"}) == []
        assert store.describe_index("docs").count == 1


def test_delete_index_drops_table_and_registry_row(tmp_path: Path) -> None:
    with DuckDBVector(tmp_path / "v.duckdb") as store:
        store.create_index("docs", 3)
        store.delete_index("docs")
        assert store.list_indexes() == []
        assert store.connection.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'vec_docs'"
        ).fetchall() == [(0,)]
        with pytest.raises(VectorError, match="does not exist"):
            store.describe_index("docs")


def test_repeated_filter_sees_writes_made_between_queries(tmp_path: Path) -> None:
    with DuckDBVector(tmp_path / "v.duckdb") as store:
        store.create_index("docs", 3)
        store.upsert("docs", [[1, 0, 0], [0, 1, 0]], ids=["a", "b"], metadata=[{"k": "x"}, {"k": "y"}])
        assert [h.id for h in store.query("docs", [1, 0, 0], filter={"k": "x"})] == ["a"]
        store.update_vector("docs", "b", metadata={"k": "x"})
        assert [h.id for h in store.query("docs", [1, 0, 0], filter={"k": "x"})] == ["a", "b"]
        store.delete_vector("docs", "a")
        assert [h.id for h in store.query("docs", [1, 0, 0], filter={"k": "x"})] == ["b"]
        store.upsert("docs", [[1, 0, 0]], ids=["c"], metadata=[{"k": "x"}])
        assert [h.id for h in store.query("docs", [1, 0, 0], filter={"k": "x"})] == ["c", "b"]


def test_from_store_shares_connection_and_lock_so_threads_take_turns(tmp_path: Path) -> None:
    import threading

    from mastra_lab.storage import DuckDBStore

    with DuckDBStore(str(tmp_path / "app.duckdb")) as store:
        vectors = DuckDBVector.from_store(store)
        assert vectors.connection is store.connection
        vectors.create_index("notes", dimension=4)
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                for i in range(50):
                    store.create("notes", {"worker": worker, "i": i})
                    vectors.upsert("notes", [[worker, i, 1.0, 0.5]], ids=[f"{worker}-{i}"])
                    vectors.query("notes", [1.0, 1.0, 1.0, 1.0], top_k=3)
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert store.count("notes") == 200
        assert vectors.describe_index("notes").count == 200
