"""Input checks shared by every vector store: each bad argument fails once, the same way, before any write.

:class:`~mastra_lab.vector.base.VectorStore` calls these on every public method, so no backend validates
anything itself and the conformance suite can demand identical errors from all of them. Each error names
the problem, the offending value and the fix.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np

from mastra_lab.errors import FilterError, VectorError

if TYPE_CHECKING:
    from mastra_lab.embed.base import Embedder

__all__ = [
    "METRICS",
    "IndexKind",
    "Metric",
    "check_delete_filter",
    "check_embedder",
    "check_index_name",
    "check_index_spec",
    "check_metadata_one",
    "check_metric",
    "check_query_vector",
    "check_top_k",
    "check_upsert",
    "describe_embedder",
    "unknown_index",
]

Metric = Literal["cosine", "euclidean", "dotproduct"]
IndexKind = Literal["flat", "hnsw"]
METRICS: Final = ("cosine", "euclidean", "dotproduct")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


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


def check_index_spec(
    name: str, dimension: Any, metric: Any, index: Any, m: Any, ef_construction: Any
) -> None:
    """Validate ``create_index`` arguments."""
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


def describe_embedder(embedder: Any) -> str:
    """How an embedder is named in messages: its ``name``, or its type when it has none."""
    name = getattr(embedder, "name", None)
    return repr(name) if isinstance(name, str) and name else f"an unnamed {type(embedder).__name__}"


def check_embedder(embedder: Embedder, dimension: int | None) -> tuple[str, int]:
    """The ``(name, dimension)`` an index records for ``embedder``; ``dimension`` is the index's, if known."""
    name, dim = getattr(embedder, "name", None), getattr(embedder, "dimension", None)
    if not isinstance(name, str) or not name or isinstance(dim, bool) or not isinstance(dim, int):
        raise VectorError(
            f"embedder= must be an Embedder with a non-empty name and an integer dimension; "
            f"{describe_embedder(embedder)} has name={name!r}, dimension={dim!r}. Set both "
            "(e.g. name = 'family:model'), or leave embedder= out",
            code="VECTOR_BAD_EMBEDDER",
        )
    if dimension is not None and dim != dimension:
        raise VectorError(
            f"embedder {name!r} makes {dim}-dimensional vectors but dimension={dimension}; "
            f"drop dimension= (it follows the embedder) or pass {dim}",
            code="VECTOR_DIMENSION_MISMATCH",
            details={"embedder": name, "expected": dimension, "got": dim},
        )
    return name, dim


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


def _uuid4_hex(n: int) -> list[str]:
    """``n`` random uuid4 hex strings from one ``os.urandom`` call (``uuid.uuid4()`` per row is slower
    than the rest of an upsert)."""
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.tobytes().hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]


def _check_ids(ids: Sequence[Any] | None, n: int, index: str) -> list[str]:
    if ids is None:
        return _uuid4_hex(n)
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


def check_top_k(top_k: Any) -> int:
    """``top_k`` if it is a positive int."""
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1:
        raise VectorError(f"top_k must be a positive integer, got {top_k!r}", code="VECTOR_BAD_TOP_K")
    return top_k


def check_delete_filter(filter: Mapping[str, Any] | None) -> None:
    """``delete_vectors`` needs a real filter; deleting everything is ``delete_index``."""
    if not filter:
        raise FilterError(
            "delete_vectors needs a non-empty filter such as {'source': 'a.txt'}; "
            "to remove everything use delete_index()",
            code="VECTOR_FILTER_EMPTY",
        )


def unknown_index(name: str, known: Iterable[str]) -> VectorError:
    """The error for a query/write against an index that does not exist."""
    names = ", ".join(sorted(known)) or "none yet"
    return VectorError(
        f"index {name!r} does not exist (existing: {names}); "
        f"create it with create_index({name!r}, dimension=...)",
        code="VECTOR_UNKNOWN_INDEX",
        details={"index": name},
    )
