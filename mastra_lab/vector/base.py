"""The VectorStore seam: result types, the abstract store, and the input checks every backend shares.

Backends (``InMemoryVector``, ``DuckDBVector``) implement the storage-specific methods; everything that can
be said once - validating vectors/ids/metadata before anything is written, ``query_text`` - lives here, so
the two stores fail the same way on the same bad input (the conformance suite checks it).
"""

from __future__ import annotations

import json
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol

import numpy as np

from mastra_lab.errors import FilterError, VectorError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "METRICS",
    "Embedder",
    "IndexKind",
    "IndexStats",
    "Metric",
    "QueryResult",
    "QueryResults",
    "VectorStore",
    "check_delete_filter",
    "check_index_name",
    "check_index_spec",
    "check_metadata_one",
    "check_metric",
    "check_query_vector",
    "check_top_k",
    "check_upsert",
    "index_exists",
    "unknown_index",
]

Metric = Literal["cosine", "euclidean", "dotproduct"]
IndexKind = Literal["flat", "hnsw"]
METRICS: Final = ("cosine", "euclidean", "dotproduct")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass
class QueryResult:
    """One hit of a vector query; ``score`` is higher-is-better for every metric."""

    id: str
    score: float
    metadata: dict[str, Any] = field(default_factory=dict)
    vector: list[float] | None = None
    document: str | None = None


class QueryResults(list[QueryResult]):
    """The hits of one query, best first: a plain list that also turns into a DataFrame."""

    def to_df(self) -> pd.DataFrame:
        """One row per hit: ``id``, ``score``, ``document``, a ``metadata.<key>`` column per top-level key."""
        import pandas as pd

        rows = []
        for r in self:
            row: dict[str, Any] = {"id": r.id, "score": r.score, "document": r.document}
            row.update({f"metadata.{k}": v for k, v in r.metadata.items()})
            if r.vector is not None:
                row["vector"] = r.vector
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else ["id", "score", "document"])


@dataclass(frozen=True)
class IndexStats:
    """Size and shape of one index: ``IndexStats(dimension=384, count=10, metric='cosine')``."""

    dimension: int
    count: int
    metric: str


class Embedder(Protocol):
    """Anything with ``embed(list[str]) -> float32 array (n, dimension)`` and a ``dimension``."""

    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


# ---------------------------------------------------------------------------------------------- checks


def check_index_name(name: Any) -> str:
    """Return ``name`` if it is a plain identifier (it becomes part of table and file names)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise VectorError(
            f"invalid index name {name!r}: use letters, digits and '_' (not starting with a digit, "
            "at most 63 characters), e.g. 'docs_v1'",
            code="VECTOR_INDEX_NAME",
            details={"index": repr(name)},
        )
    return name


def check_metric(metric: Any) -> Metric:
    """Return ``metric`` if it is one of :data:`METRICS`."""
    if metric not in METRICS:
        raise VectorError(
            f"unknown metric {metric!r}; use one of {', '.join(METRICS)}",
            code="VECTOR_UNKNOWN_METRIC",
            details={"metric": repr(metric)},
        )
    return metric  # type: ignore[no-any-return]


def _as_matrix(vectors: Any, index: str, dimension: int, what: str) -> np.ndarray:
    try:
        arr = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise VectorError(
            f"{what} for index {index!r} must be numbers shaped (n, {dimension}): {exc}",
            code="VECTOR_BAD_VECTOR",
        ) from exc
    if arr.size == 0 and what == "vectors":
        return np.empty((0, dimension), dtype=np.float32)  # an empty upsert is a no-op
    if arr.ndim == 1 and what == "query vector":
        arr = arr[None, :]
    if arr.ndim != 2 or (arr.shape[0] and arr.shape[1] != dimension):
        got = arr.shape[-1] if arr.ndim >= 1 else 0
        shape = "(n, dim)" if what == "vectors" else "(dim,)"
        raise VectorError(
            f"dimension mismatch for index {index!r}: expected {dimension}, got {got} "
            f"({what} shaped {arr.shape}; pass {shape} with dim={dimension})",
            code="VECTOR_DIMENSION_MISMATCH",
            details={"index": index, "expected": dimension, "got": int(got)},
        )
    if arr.size and not np.isfinite(arr).all():
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))[:5].tolist()
        raise VectorError(
            f"{what} for index {index!r} contain NaN or infinity (rows {rows}); clean them before upserting",
            code="VECTOR_NOT_FINITE",
            details={"index": index, "rows": rows},
        )
    return np.ascontiguousarray(arr)


def check_query_vector(vector: Any, index: str, dimension: int) -> np.ndarray:
    """The query vector as a float32 ``(dimension,)`` array, or a :class:`VectorError`."""
    arr = _as_matrix(vector, index, dimension, "query vector")
    if arr.shape[0] != 1:
        raise VectorError(
            f"query for index {index!r} takes one vector, got {arr.shape[0]}",
            code="VECTOR_DIMENSION_MISMATCH",
        )
    return np.asarray(arr[0])


def _check_len(items: Sequence[Any] | None, n: int, what: str, index: str) -> None:
    if items is not None and len(items) != n:
        raise VectorError(
            f"upsert into {index!r}: got {n} vectors but {len(items)} {what}; pass one per vector",
            code="VECTOR_LENGTH_MISMATCH",
            details={"index": index, "vectors": n, what: len(items)},
        )


def _check_ids(ids: Sequence[Any] | None, n: int, index: str) -> list[str]:
    if ids is None:
        return [uuid.uuid4().hex for _ in range(n)]
    _check_len(ids, n, "ids", index)
    out = [str(i) if isinstance(i, int) and not isinstance(i, bool) else i for i in ids]
    if not all(isinstance(i, str) and i for i in out):
        bad = next(i for i in out if not (isinstance(i, str) and i))
        raise VectorError(
            f"upsert into {index!r}: ids must be non-empty strings, got {bad!r}", code="VECTOR_BAD_ID"
        )
    if len(set(out)) != n:
        dup = next(i for i in out if out.count(i) > 1)
        raise VectorError(
            f"upsert into {index!r}: duplicate id {dup!r} in one call; each id may appear once per upsert",
            code="VECTOR_DUPLICATE_ID",
            details={"index": index, "id": dup},
        )
    return out


def check_metadata_one(meta: Any, index: str) -> dict[str, Any]:
    """A JSON-object metadata value, copied (so later changes by the caller do not leak in)."""
    if meta is None:
        return {}
    if not isinstance(meta, Mapping):
        raise VectorError(
            f"metadata for index {index!r} must be a dict (a JSON object), got {type(meta).__name__}",
            code="VECTOR_BAD_METADATA",
        )
    try:
        return json.loads(json.dumps(meta, allow_nan=False))  # type: ignore[no-any-return]
    except (TypeError, ValueError) as exc:
        raise VectorError(
            f"metadata for index {index!r} must be JSON-serialisable without NaN: {exc}",
            code="VECTOR_BAD_METADATA",
        ) from exc


def _check_metadata_many(metadata: Sequence[Any], index: str) -> list[dict[str, Any]]:
    """Validate and copy a batch with one ``json`` round trip (per-row only to name a bad row)."""
    if all(isinstance(m, Mapping) for m in metadata):
        try:
            return json.loads(json.dumps([dict(m) for m in metadata], allow_nan=False))  # type: ignore[no-any-return]
        except (TypeError, ValueError):
            pass  # find and name the bad row below
    return [check_metadata_one(m, index) for m in metadata]


def check_upsert(
    index: str,
    dimension: int,
    vectors: Any,
    metadata: Sequence[Any] | None,
    ids: Sequence[Any] | None,
    documents: Sequence[Any] | None,
) -> tuple[np.ndarray, list[str], list[dict[str, Any]], list[str | None]]:
    """Validate one upsert completely (before anything is written) and normalise its parts."""
    arr = _as_matrix(vectors, index, dimension, "vectors")
    n = arr.shape[0]
    _check_len(metadata, n, "metadata", index)
    _check_len(documents, n, "documents", index)
    out_ids = _check_ids(ids, n, index)
    metas = [{} for _ in range(n)] if metadata is None else _check_metadata_many(metadata, index)
    docs: list[str | None] = [None] * n if documents is None else list(documents)
    for d in docs:
        if d is not None and not isinstance(d, str):
            raise VectorError(
                f"documents for index {index!r} must be strings or None, got {type(d).__name__}",
                code="VECTOR_BAD_DOCUMENT",
            )
    return arr, out_ids, metas, docs


def _check_top_k(top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise VectorError(f"top_k must be a positive integer, got {top_k!r}", code="VECTOR_BAD_TOP_K")
    return top_k


# --------------------------------------------------------------------------------------------- the seam


class VectorStore(ABC):
    """A named collection of indexes of vectors with JSON metadata.

    Implementers provide the storage: ``create_index``, ``upsert``, ``query``, ``update_vector``,
    ``delete_vector``, ``delete_vectors``, ``list_indexes``, ``describe_index`` and ``delete_index``. They
    must validate with :func:`check_upsert`/:func:`check_query_vector` before writing, return
    :class:`QueryResults` best first with higher-is-better scores, and raise :class:`VectorError` for an
    unknown index. ``query_text`` and context-manager support are provided here.
    """

    @abstractmethod
    def create_index(
        self,
        name: str,
        dimension: int,
        metric: Metric = "cosine",
        index: IndexKind = "flat",
        m: int = 16,
        ef_construction: int = 128,
    ) -> None: ...

    @abstractmethod
    def upsert(
        self,
        name: str,
        vectors: Any,
        metadata: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
        documents: Sequence[str | None] | None = None,
    ) -> list[str]: ...

    @abstractmethod
    def query(
        self,
        name: str,
        vector: Any,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
        ef: int | None = None,
    ) -> QueryResults: ...

    @abstractmethod
    def update_vector(
        self, name: str, id: str, vector: Any = None, metadata: Mapping[str, Any] | None = None
    ) -> None: ...

    @abstractmethod
    def delete_vector(self, name: str, id: str) -> bool: ...

    @abstractmethod
    def delete_vectors(self, name: str, filter: Mapping[str, Any]) -> int: ...

    @abstractmethod
    def list_indexes(self) -> list[str]: ...

    @abstractmethod
    def describe_index(self, name: str) -> IndexStats: ...

    @abstractmethod
    def delete_index(self, name: str) -> None: ...

    def query_text(self, name: str, text: str, embedder: Embedder, **kwargs: Any) -> QueryResults:
        """Embed ``text`` with ``embedder`` and query with the result.

        Args:
            name: The index.
            text: The query text.
            embedder: Any object with ``embed(list[str]) -> (n, dim) float32`` (e.g. ``HashingEmbedder``).
            **kwargs: Passed to :meth:`query` (``top_k``, ``filter``, ``min_score`` ...).
        """
        return self.query(name, embedder.embed([text])[0], **kwargs)

    def rebuild_index(self, name: str) -> None:  # noqa: B027 - optional hook, exact indexes need nothing
        """Rebuild the approximate (HNSW) structure of ``name``; a no-op for exact indexes."""

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release resources (persist ANN indexes for persistent stores)."""

    def __enter__(self) -> VectorStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_index_spec(
    name: str, dimension: Any, metric: Any, index: Any, m: Any, ef_construction: Any
) -> None:
    """Validate ``create_index`` arguments (shared by both stores)."""
    check_index_name(name)
    check_metric(metric)
    if isinstance(dimension, bool) or not isinstance(dimension, int) or dimension < 1:
        raise VectorError(
            f"dimension must be a positive integer, got {dimension!r}", code="VECTOR_BAD_DIMENSION"
        )
    if index not in ("flat", "hnsw"):
        raise VectorError(
            f"unknown index kind {index!r}; use 'flat' (exact, the default) or 'hnsw' (approximate)",
            code="VECTOR_UNKNOWN_INDEX_KIND",
        )
    for label, value in (("m", m), ("ef_construction", ef_construction)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 2:
            raise VectorError(f"{label} must be an integer >= 2, got {value!r}", code="VECTOR_BAD_HNSW_PARAM")


def index_exists(name: str, existing: tuple[int, str] | None, dimension: int, metric: str) -> bool:
    """Whether ``create_index`` has nothing to do: the index exists with the same shape (an error if not)."""
    if existing is None:
        return False
    if tuple(existing) != (dimension, metric):
        raise VectorError(
            f"index {name!r} already exists with dimension {existing[0]} and metric {existing[1]!r}; "
            f"delete_index({name!r}) first or use another name",
            code="VECTOR_INDEX_EXISTS",
        )
    return True


def check_delete_filter(filter: Mapping[str, Any] | None) -> None:
    """``delete_vectors`` needs a real filter; deleting everything is ``delete_index``."""
    if not filter:
        raise FilterError(
            "delete_vectors needs a non-empty filter such as {'source': 'a.txt'}; "
            "to remove everything use delete_index()",
            code="VECTOR_FILTER_EMPTY",
        )


def check_top_k(top_k: Any) -> int:
    """``top_k`` if it is a positive int."""
    return _check_top_k(top_k)


def unknown_index(name: str, known: Iterable[str]) -> VectorError:
    """The error for a query/write against an index that does not exist."""
    names = ", ".join(sorted(known)) or "none yet"
    return VectorError(
        f"index {name!r} does not exist (existing: {names}); "
        f"create it with create_index({name!r}, dimension=...)",
        code="VECTOR_UNKNOWN_INDEX",
        details={"index": name},
    )
