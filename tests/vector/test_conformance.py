"""One conformance suite for the VectorStore protocol, run against InMemoryVector and DuckDBVector."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pytest

from mastra_lab.embed import Embedder
from mastra_lab.errors import FilterError, VectorError
from mastra_lab.vector import IndexStats, QueryResult, VectorStore

UNIT = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
META = [{"k": "a", "n": 1, "tags": ["x", "y"]}, {"k": "b", "n": 2, "tags": ["y"]}, {"k": "c", "n": 3}]


def _fill(store: VectorStore, metric: str = "cosine") -> None:
    store.create_index("docs", 3, metric=metric)
    store.upsert("docs", UNIT, metadata=META, ids=["a", "b", "c"], documents=["A", "B", None])


def test_create_describe_list_and_delete_index(store: VectorStore) -> None:
    store.create_index("docs", 3)
    store.create_index("other", 4, metric="euclidean")
    assert store.list_indexes() == ["docs", "other"]
    assert store.describe_index("other") == IndexStats(dimension=4, count=0, metric="euclidean")
    store.delete_index("other")
    assert store.list_indexes() == ["docs"]


def test_create_index_again_with_same_shape_is_a_noop_and_with_other_shape_fails(store: VectorStore) -> None:
    _fill(store)
    store.create_index("docs", 3)
    assert store.describe_index("docs").count == 3
    with pytest.raises(VectorError, match="already exists with dimension 3"):
        store.create_index("docs", 5)


def test_upsert_returns_ids_and_query_returns_best_first_for_cosine(store: VectorStore) -> None:
    _fill(store)
    hits = store.query("docs", [0.9, 0.1, 0.0], top_k=2)
    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].score == pytest.approx(0.9 / math.hypot(0.9, 0.1), rel=1e-5)
    assert hits[0].metadata == META[0]
    assert hits[0].document == "A"
    assert hits[0].vector is None


def test_query_returns_best_first_for_euclidean_with_score_one_over_one_plus_distance(
    store: VectorStore,
) -> None:
    _fill(store, metric="euclidean")
    hits = store.query("docs", [0.0, 0.0, 2.0], top_k=3)
    assert [h.id for h in hits] == ["c", "a", "b"]
    assert hits[0].score == pytest.approx(1 / (1 + 1.0), rel=1e-5)
    assert hits[1].score == pytest.approx(1 / (1 + math.sqrt(5)), rel=1e-5)


def test_query_returns_best_first_for_dotproduct(store: VectorStore) -> None:
    store.create_index("docs", 2, metric="dotproduct")
    store.upsert("docs", [[1, 0], [3, 0], [0, 5]], ids=["small", "big", "other"])
    hits = store.query("docs", [1, 0], top_k=3)
    assert [h.id for h in hits] == ["big", "small", "other"]
    assert [h.score for h in hits] == pytest.approx([3.0, 1.0, 0.0])


def test_upsert_with_existing_id_replaces_vector_metadata_and_document(store: VectorStore) -> None:
    _fill(store)
    store.upsert("docs", [[0.0, 0.0, 1.0]], metadata=[{"k": "new"}], ids=["a"], documents=["A2"])
    assert store.describe_index("docs").count == 3
    hits = store.query("docs", [0.0, 0.0, 1.0], top_k=2)
    assert {h.id for h in hits} == {"a", "c"}
    a = next(h for h in hits if h.id == "a")
    assert (a.metadata, a.document) == ({"k": "new"}, "A2")


def test_upsert_without_ids_generates_uuid_hex_ids(store: VectorStore) -> None:
    store.create_index("docs", 3)
    ids = store.upsert("docs", UNIT)
    assert len(ids) == 3 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_include_vector_returns_the_original_vector(store: VectorStore) -> None:
    store.create_index("docs", 3)
    store.upsert("docs", [[3.0, 4.0, 0.0]], ids=["v"])
    (hit,) = store.query("docs", [1.0, 1.0, 0.0], include_vector=True)
    assert hit.vector == pytest.approx([3.0, 4.0, 0.0], rel=1e-6)


def test_min_score_drops_weak_results(store: VectorStore) -> None:
    _fill(store)
    hits = store.query("docs", [1.0, 0.2, 0.0], min_score=0.5)
    assert [h.id for h in hits] == ["a"]


def test_query_with_filter_only_returns_matching_ids(store: VectorStore) -> None:
    _fill(store)
    assert [h.id for h in store.query("docs", [1, 0, 0], filter={"tags": "y"})] == ["a", "b"]
    assert [h.id for h in store.query("docs", [1, 0, 0], filter={"n": {"$gte": 2}})] == ["b", "c"]
    assert store.query("docs", [1, 0, 0], filter={"k": "zzz"}) == []


def test_update_vector_changes_vector_and_metadata(store: VectorStore) -> None:
    _fill(store)
    store.update_vector("docs", "c", vector=[1.0, 0.0, 0.0], metadata={"k": "moved"})
    top = store.query("docs", [1.0, 0.0, 0.0], top_k=2, filter={"k": "moved"})
    assert [(h.id, round(h.score, 5)) for h in top] == [("c", 1.0)]
    with pytest.raises(VectorError, match="no vector with id 'zz'"):
        store.update_vector("docs", "zz", metadata={})


def test_delete_vector_and_delete_vectors_by_filter(store: VectorStore) -> None:
    _fill(store)
    assert store.delete_vector("docs", "a") is True
    assert store.delete_vector("docs", "a") is False
    assert {h.id for h in store.query("docs", [1, 1, 1], top_k=10)} == {"b", "c"}
    assert store.delete_vectors("docs", {"n": {"$gt": 2}}) == 1
    assert [h.id for h in store.query("docs", [1, 1, 1])] == ["b"]
    assert store.describe_index("docs").count == 1


def test_deletes_keep_remaining_rows_searchable(store: VectorStore) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8)).astype(np.float32)
    store.create_index("docs", 8)
    store.upsert("docs", x, ids=[f"v{i}" for i in range(50)], metadata=[{"i": i} for i in range(50)])
    assert store.delete_vectors("docs", {"i": {"$lt": 10}}) == 10
    for i in (10, 25, 49):
        (hit,) = store.query("docs", x[i], top_k=1)
        assert (hit.id, hit.metadata) == (f"v{i}", {"i": i})


def test_query_text_embeds_then_queries(store: VectorStore) -> None:
    class Embedder:
        dimension = 3

        def embed(self, texts: list[str]) -> np.ndarray:
            return np.array(
                [[1.0, 0.0, 0.0] if "first" in t else [0.0, 0.0, 1.0] for t in texts], dtype=np.float32
            )

    _fill(store)
    assert store.query_text("docs", "the first one", Embedder(), top_k=1)[0].id == "a"


def test_to_df_has_one_row_per_hit_with_metadata_columns(store: VectorStore) -> None:
    _fill(store)
    df = store.query("docs", [1, 0.1, 0], top_k=2).to_df()
    assert list(df["id"]) == ["a", "b"]
    assert {"score", "document", "metadata.k", "metadata.n"} <= set(df.columns)


def test_query_result_and_index_stats_reprs_look_like_constructors() -> None:
    r = QueryResult(id="a", score=0.5, metadata={"k": 1}, vector=None, document="doc")
    assert repr(r) == "QueryResult(id='a', score=0.5, metadata={'k': 1}, vector=None, document='doc')"
    assert repr(IndexStats(dimension=384, count=10, metric="cosine")) == (
        "IndexStats(dimension=384, count=10, metric='cosine')"
    )


# --------------------------------------------------------------------------------------- bad input


def _assert_unchanged(store: VectorStore) -> None:
    assert store.describe_index("docs").count == 3
    assert store.query("docs", [1, 0, 0], top_k=1)[0].metadata == META[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vectors": [[1.0, 2.0]], "ids": ["a"]}, r"dimension mismatch for index 'docs': expected 3, got 2"),
        ({"vectors": [[0, 1, 0], [1.0, float("nan"), 0.0]], "ids": ["a", "n"]}, r"NaN or infinity"),
        ({"vectors": [[1.0, float("inf"), 0.0]], "ids": ["a"]}, r"NaN or infinity"),
        ({"vectors": [[0, 1, 0], [0, 1, 0]], "ids": ["a", "a"]}, r"duplicate id 'a'"),
        ({"vectors": [[0, 1, 0], [0, 1, 0]], "ids": ["a"]}, r"got 2 vectors but 1 ids"),
        ({"vectors": [[0, 1, 0]], "ids": ["a"], "metadata": [{}, {}]}, r"got 1 vectors but 2 metadata"),
        ({"vectors": [[0, 1, 0]], "ids": ["a"], "documents": ["a", "b"]}, r"got 1 vectors but 2 documents"),
        ({"vectors": [[0, 1, 0]], "ids": ["a"], "metadata": [{"x": float("nan")}]}, r"JSON-serialisable"),
        ({"vectors": [[0, 1, 0]], "ids": ["a"], "metadata": ["not a dict"]}, r"must be a dict"),
    ],
)
def test_bad_upsert_raises_before_anything_is_written(store: VectorStore, kwargs: dict, message: str) -> None:
    _fill(store)
    with pytest.raises(VectorError, match=message):
        store.upsert("docs", **kwargs)
    _assert_unchanged(store)


def test_query_dimension_mismatch_names_expected_and_got(store: VectorStore) -> None:
    _fill(store)
    with pytest.raises(VectorError, match="expected 3, got 4") as info:
        store.query("docs", [1, 0, 0, 0])
    assert info.value.details["expected"] == 3 and info.value.details["got"] == 4


def test_unknown_metric_is_rejected(store: VectorStore) -> None:
    with pytest.raises(
        VectorError, match="unknown metric 'manhattan'; use one of cosine, euclidean, dotproduct"
    ):
        store.create_index("docs", 3, metric="manhattan")  # type: ignore[arg-type]
    assert store.list_indexes() == []


@pytest.mark.parametrize("name", ["1abc", "has space", "drop;table", "", "a.b", "x" * 64])
def test_index_names_that_are_not_identifiers_are_rejected(store: VectorStore, name: str) -> None:
    with pytest.raises(VectorError, match="invalid index name"):
        store.create_index(name, 3)


def test_querying_an_index_that_does_not_exist_names_it(store: VectorStore) -> None:
    _fill(store)
    with pytest.raises(VectorError, match=r"index 'nope' does not exist \(existing: docs\)"):
        store.query("nope", [1, 0, 0])
    with pytest.raises(VectorError, match="does not exist"):
        store.upsert("nope", UNIT)


def test_unknown_filter_operator_lists_valid_ones(store: VectorStore) -> None:
    _fill(store)
    with pytest.raises(
        FilterError, match=r"unknown filter operator '\$near'; valid operators are: .*\$elemMatch"
    ):
        store.query("docs", [1, 0, 0], filter={"k": {"$near": 1}})


def test_in_with_a_non_list_is_rejected(store: VectorStore) -> None:
    _fill(store)
    with pytest.raises(FilterError, match=r"\$in on 'k' needs a list"):
        store.query("docs", [1, 0, 0], filter={"k": {"$in": "a"}})
    with pytest.raises(FilterError):
        store.delete_vectors("docs", {"k": {"$in": "a"}})
    _assert_unchanged(store)


def test_delete_vectors_requires_a_filter(store: VectorStore) -> None:
    _fill(store)
    with pytest.raises(FilterError, match="non-empty filter"):
        store.delete_vectors("docs", {})
    _assert_unchanged(store)


def test_empty_upsert_is_a_no_op(store: VectorStore) -> None:
    _fill(store)
    assert store.upsert("docs", []) == []
    assert store.describe_index("docs").count == 3


# --------------------------------------------------------------------------------- recorded embedders


class AxisEmbedder(Embedder):
    """Texts mentioning "first" point along the first axis, the rest along the last one."""

    def __init__(self, name: str = "axis:v1", dimension: int = 3) -> None:
        self.name, self.dimension = name, dimension

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        out = np.zeros((len(self._check_texts(texts)), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i, 0 if "first" in text else -1] = 1.0
        return out


def test_create_index_records_the_embedder_and_takes_its_dimension(store: VectorStore) -> None:
    store.create_index("docs", embedder=AxisEmbedder())
    stats = store.describe_index("docs")
    assert stats == IndexStats(dimension=3, count=0, metric="cosine", embedder="axis:v1")
    assert repr(stats) == "IndexStats(dimension=3, count=0, metric='cosine', embedder='axis:v1')"


def test_query_text_with_the_recorded_embedder_finds_the_match(store: VectorStore) -> None:
    store.create_index("docs", 3, embedder=AxisEmbedder())
    store.upsert("docs", UNIT, metadata=META, ids=["a", "b", "c"])
    assert store.query_text("docs", "the first one", AxisEmbedder(), top_k=1)[0].id == "a"


def test_query_text_with_another_embedder_names_both_and_the_fix(store: VectorStore) -> None:
    _fill(store)
    store.create_index("docs", 3, embedder=AxisEmbedder())
    with pytest.raises(
        VectorError,
        match=r"index 'docs' was filled by embedder 'axis:v1' \(3 dimensions\), but query_text got "
        r"'axis:v2' \(3 dimensions\); query it with the embedder that filled it, or ingest",
    ) as info:
        store.query_text("docs", "first", AxisEmbedder("axis:v2"))
    assert info.value.code == "VECTOR_EMBEDDER_MISMATCH"
    assert info.value.details == {"index": "docs", "recorded": "axis:v1", "given": "axis:v2"}
    with pytest.raises(VectorError, match=r"but query_text got 'axis:v1' \(4 dimensions\)"):
        store.query_text("docs", "first", AxisEmbedder(dimension=4))


def test_query_text_without_a_record_still_refuses_another_dimension_before_embedding(
    store: VectorStore,
) -> None:
    _fill(store)
    with pytest.raises(VectorError, match="index 'docs' holds 3-dimensional vectors but 'axis:v1' makes 4"):
        store.query_text("docs", "first", AxisEmbedder(dimension=4))


def test_create_index_again_records_an_embedder_once_and_refuses_another(store: VectorStore) -> None:
    _fill(store)
    store.create_index("docs", 3)
    assert store.describe_index("docs").embedder is None
    store.create_index("docs", 3, embedder=AxisEmbedder())
    store.create_index("docs", 3, embedder=AxisEmbedder())
    store.create_index("docs", 3)
    assert store.describe_index("docs") == IndexStats(3, 3, "cosine", embedder="axis:v1")
    with pytest.raises(VectorError, match=r"index 'docs' already records embedder 'axis:v1', not 'axis:v2'"):
        store.create_index("docs", 3, embedder=AxisEmbedder("axis:v2"))
    assert store.describe_index("docs").embedder == "axis:v1"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"dimension": 4, "embedder": AxisEmbedder()},
            r"embedder 'axis:v1' makes 3-dimensional vectors but ",
        ),
        (
            {"embedder": AxisEmbedder(name="")},
            r"embedder= must be an Embedder with a non-empty name and an integer dimension; "
            r"an unnamed AxisEmbedder has name='', dimension=3",
        ),
        ({}, r"create_index\('docs'\) needs dimension=N, or embedder="),
    ],
)
def test_create_index_with_an_unusable_embedder_creates_nothing(
    store: VectorStore, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(VectorError, match=message):
        store.create_index("docs", **kwargs)  # type: ignore[arg-type]
    assert store.list_indexes() == []


def test_a_closed_store_refuses_every_call(store: VectorStore) -> None:
    _fill(store)
    store.close()
    store.close()
    with pytest.raises(VectorError, match=r"is closed; open a new store to keep working"):
        store.query("docs", [1, 0, 0])
    with pytest.raises(VectorError, match="is closed"):
        store.list_indexes()
