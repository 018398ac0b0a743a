"""DuckDBVector specifics: persistence across reopen, shared connections, read-only files, lazy loading."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pytest

from mastra_lab.embed import Embedder
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
    matrix = store._resident["docs"].matrix
    store.upsert("docs", x[20:], ids=[f"v{i}" for i in range(20, 30)])
    store.delete_vectors("docs", {"nothing": {"$exists": True}})
    store.delete_vector("docs", "v0")
    assert store._resident["docs"].matrix is matrix and matrix.n == 29
    assert store.query("docs", x[25], top_k=1)[0].id == "v25"
    # the matrix equals a fresh load from the table, row for row
    fresh = DuckDBVector(connection=store.connection)
    fresh.query("docs", x[1])
    np.testing.assert_allclose(fresh._resident["docs"].matrix.data, matrix.data)
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
        with pytest.raises(VectorError, match="DuckDB failed to upsert into 'docs'") as info:
            store.upsert("docs", [[0, 1, 0]], ids=["b"])
        assert info.value.code == "VECTOR_READ_ONLY" and "open it with read_only=False" in str(info.value)
        assert store.describe_index("docs").count == 1


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


class NamedEmbedder(Embedder):
    """A stand-in embedder with a name and a fixed vector per text length."""

    def __init__(self, name: str, dimension: int = 8) -> None:
        self.name, self.dimension = name, dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        items = self._check_texts(texts)
        return _vectors(len(items) or 1, self.dimension, seed=len("".join(items)))[: len(items)]


def test_the_recorded_embedder_survives_reopen_and_still_refuses_another(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    with DuckDBVector(path) as store:
        store.create_index("docs", embedder=NamedEmbedder("fake:a"))
        store.upsert("docs", _vectors(3), ids=["x", "y", "z"])
    with DuckDBVector(path, read_only=True) as store:
        assert store.describe_index("docs") == IndexStats(8, 3, "cosine", embedder="fake:a")
        assert len(store.query_text("docs", "hello", NamedEmbedder("fake:a"), top_k=2)) == 2
        with pytest.raises(
            VectorError, match=r"filled by embedder 'fake:a' \(8 dimensions\), but query_text got 'fake:b'"
        ):
            store.query_text("docs", "hello", NamedEmbedder("fake:b"))


def _old_file(path: Path) -> None:
    """A database as an earlier release wrote it: the registry has no embedder column."""
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE _mastra_vector_indexes (name VARCHAR PRIMARY KEY, dimension INTEGER, metric VARCHAR, "
        "kind VARCHAR, m INTEGER, ef_construction INTEGER, version BIGINT DEFAULT 0, "
        "ann_version BIGINT DEFAULT -1)"
    )
    con.execute(
        "INSERT INTO _mastra_vector_indexes (name, dimension, metric, kind, m, ef_construction) "
        "VALUES ('docs', 3, 'cosine', 'flat', 16, 128)"
    )
    con.execute(
        "CREATE TABLE vec_docs (id VARCHAR NOT NULL, slot BIGINT NOT NULL, vector FLOAT[3] NOT NULL, "
        "metadata JSON, document VARCHAR)"
    )
    con.execute(
        "INSERT INTO vec_docs VALUES ('a', 0, [1, 0, 0], '{\"k\": 1}', 'A'), ('b', 1, [0, 1, 0], '{}', NULL)"
    )
    con.close()


def test_a_file_from_before_embedders_were_recorded_opens_read_only_and_read_write(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    _old_file(path)
    with DuckDBVector(path, read_only=True) as store:
        assert store.describe_index("docs") == IndexStats(dimension=3, count=2, metric="cosine")
        assert [h.id for h in store.query("docs", [1, 0, 0], filter={"k": 1})] == ["a"]
    with DuckDBVector(path) as store:  # the registry gains the column on the first writable open
        store.create_index("docs", 3, embedder=NamedEmbedder("fake:a", 3))
    with DuckDBVector(path) as store:
        assert store.describe_index("docs") == IndexStats(3, 2, "cosine", embedder="fake:a")
        assert store.query("docs", [0, 1, 0], top_k=1)[0].id == "b"


def test_rows_whose_slots_moved_load_back_in_slot_order(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    x = _vectors(40)
    with DuckDBVector(path) as store:
        store.create_index("docs", 8)
        store.upsert("docs", x, ids=[f"v{i}" for i in range(40)], metadata=[{"i": i} for i in range(40)])
        assert store.delete_vectors("docs", {"i": {"$in": [0, 5, 17]}}) == 3  # the last rows move into holes
        store.upsert("docs", x[:1], ids=["v0"], metadata=[{"i": 0}])
        expected = store._resident["docs"].matrix.data.copy()
        scanned = [r[0] for r in store.connection.execute("SELECT slot FROM vec_docs").fetchall()]
        assert scanned != sorted(scanned)  # the table's own order is not the slot order
    with DuckDBVector(path) as store:
        for i in (0, 1, 16, 39):
            (hit,) = store.query("docs", x[i], top_k=1, filter={"i": i})
            assert hit.id == f"v{i}"
        np.testing.assert_allclose(store._resident["docs"].matrix.data, expected, rtol=1e-6)


def test_upserts_into_an_index_not_yet_loaded_replace_by_id_without_loading_it(tmp_path: Path) -> None:
    path = tmp_path / "v.duckdb"
    x = _vectors(30)
    with DuckDBVector(path) as store:
        store.create_index("docs", 8)
        store.upsert("docs", x[:20], ids=[f"v{i}" for i in range(20)], metadata=[{"i": i} for i in range(20)])
    with DuckDBVector(path) as store:
        store.upsert("docs", x[20:23], ids=["v0", "v21", "v5"], metadata=[{"i": 100}, {"i": 21}, {"i": 105}])
        assert "docs" not in store._resident and store.describe_index("docs").count == 21
        (hit,) = store.query("docs", x[20], top_k=1)
        assert (hit.id, hit.metadata) == ("v0", {"i": 100})
        assert {h.id for h in store.query("docs", x[0], top_k=30, filter={"i": {"$gte": 100}})} == {
            "v0",
            "v5",
        }
