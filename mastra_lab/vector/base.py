"""The ``VectorStore`` seam: one public API, validated once, over backends that only persist rows.

Every public method lives here, concrete: it checks its arguments (so bad input fails identically on every
backend, before anything is written), takes the store's lock, refuses calls after :meth:`VectorStore.close`,
wraps the whole call in the backend's ``_map_errors()`` and calls the small ``_``-prefixed hooks a backend
implements (listed in ``_hooks.py``). By default each index is searched in memory - one float32 matrix, an
optional HNSW graph and a columnar view of the metadata that answers every filter - loaded from the backend
on first use and kept current by every write. A backend that searches where its data lives (PgVector)
overrides the few *operations* the public methods end in (``_write``, ``_update``, ``_delete_ids``,
``_delete_matching``, ``_find``, ``_rebuild``) instead, and never loads an index. Every backend subclasses
:class:`VectorStore`, implements the hooks, and must pass ``tests/vector/test_conformance.py`` unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import numpy as np

from mastra_lab.errors import VectorError
from mastra_lab.telemetry._context import SpanOpener, current_span, open_span
from mastra_lab.telemetry._span import Span, noop_span
from mastra_lab.vector._checks import (
    IndexKind,
    Metric,
    check_delete_filter,
    check_embedder,
    check_index_name,
    check_index_spec,
    check_metadata_one,
    check_query_vector,
    check_top_k,
    check_upsert,
    describe_embedder,
    unknown_index,
)
from mastra_lab.vector._hooks import VectorHooks
from mastra_lab.vector._matrix import plan_removal
from mastra_lab.vector._rows import Rows, plan_slots
from mastra_lab.vector._types import IndexSpec, IndexStats, QueryResult, QueryResults, UpsertBatch
from mastra_lab.vector.filter import FilterNode, parse_filter

if TYPE_CHECKING:
    from mastra_lab.embed.base import Embedder

__all__ = ["IndexKind", "IndexStats", "Metric", "QueryResult", "QueryResults", "VectorStore"]

_P = ParamSpec("_P")
_T = TypeVar("_T")
_S = TypeVar("_S", bound="VectorStore")

_UNTRACED: contextlib.AbstractContextManager[Span] = contextlib.nullcontext(noop_span("", "custom"))
"""What a call outside any trace, on a store without a tracer, runs in: nothing to open, nothing to record
(the no-op span ignores every write, so one instance serves every call)."""


def _operation(action: str) -> Callable[[Callable[_P, _T]], Callable[_P, _T]]:
    """Run a public method under the store's lock, refuse it after close, map backend exceptions.

    Args:
        action: What the method does, for error messages; ``{name}`` is replaced by the index name.
    """

    def decorate(fn: Callable[_P, _T]) -> Callable[_P, _T]:
        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            self = args[0]
            assert isinstance(self, VectorStore)
            name = args[1] if len(args) > 1 else kwargs.get("name")
            with self._lock:
                if self._closed:
                    raise VectorError(
                        f"this {type(self).__name__} is closed; open a new store to keep working",
                        code="VECTOR_CLOSED",
                    )
                with self._map_errors(action.format(name=repr(name))):
                    return fn(*args, **kwargs)

        return wrapper

    return decorate


class VectorStore(VectorHooks):
    """A named collection of indexes of vectors with JSON metadata and optional documents.

    To write a backend: subclass, implement every abstract hook of
    :class:`~mastra_lab.vector._hooks.VectorHooks` and either its row hooks or the operations below
    (each receives validated input and runs under ``self._lock``), override ``_map_errors`` to turn your
    driver's exceptions into :class:`VectorError`, and run the conformance suite against it. Results are
    best first with higher-is-better scores for every metric (euclidean: ``1 / (1 + distance)``).

    :meth:`query` and :meth:`upsert` open ``vector_query`` / ``vector_upsert`` spans (see
    :func:`~mastra_lab.telemetry._context.open_span`): inside a trace they join it, outside one they start
    a trace with :attr:`tracer` when it is set, and cost nothing when it is not.
    """

    db_system: str = "other"
    """The backend, as OpenTelemetry's ``db.system.name`` span attribute (``duckdb``, ``memory`` …)."""
    tracer: SpanOpener | None = None
    """Where spans of calls made outside any trace go; a :class:`~mastra_lab.Mastra` sets its tracer on the
    stores it registers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._closed = False
        self._specs: dict[str, IndexSpec] = {}
        self._resident: dict[str, Rows] = {}

    # -- lifecycle -------------------------------------------------------------------------------------

    def close(self) -> None:
        """Persist what each backend derives from its rows (HNSW graphs) and release its resources.

        Later calls raise :class:`VectorError`; closing twice is fine.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            with self._map_errors("close"):
                try:
                    for name, rows in self._resident.items():
                        self._flush(self._specs[name], rows)
                finally:
                    self._close()
                    self._resident.clear()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @_operation("flush")
    def flush(self) -> None:
        """Persist what is derived from the rows of every loaded index now (HNSW graph files)."""
        for name, rows in self._resident.items():
            self._flush(self._specs[name], rows)

    # -- internals -------------------------------------------------------------------------------------

    def _spec(self, name: str) -> IndexSpec:
        spec = self._specs.get(name)
        if spec is None:
            check_index_name(name)
            spec = self._read_spec(name)
            if spec is None:
                raise unknown_index(name, self._index_names())
            self._specs[name] = spec
        return spec

    def _span(self, kind: str, index: str) -> contextlib.AbstractContextManager[Span]:
        """The span of one read or write of ``index``; outside any trace and without a tracer, none at all
        (a query of a small index takes microseconds: even a no-op span would show in its time)."""
        if self.tracer is None and current_span() is None:
            return _UNTRACED
        attributes = {"db.system.name": self.db_system, "mastra.vector.index": index}
        return open_span(f"{kind} {index}", kind, tracer=self.tracer, attributes=attributes)

    def _rows(self, spec: IndexSpec) -> Rows:
        rows = self._resident.get(spec.name)
        if rows is None:
            rows = self._resident[spec.name] = self._load(spec)
        return rows

    def _remove(self, spec: IndexSpec, rows: Rows, slots: np.ndarray) -> int:
        dead, holes, sources = plan_removal(rows.n, slots)
        if len(dead):
            self._save_removal(spec, dead, holes, sources)
            rows.remove(dead)
        return len(dead)

    # -- operations: how each public call reaches the rows -----------------------------------------------
    # The defaults below work on the in-memory rows and persist through the row hooks; a backend that
    # writes and searches where its data lives (SQL in PostgreSQL) overrides these instead of the row hooks.

    def _write(
        self,
        spec: IndexSpec,
        ids: list[str],
        vectors: np.ndarray,
        metadata: list[dict[str, Any]],
        documents: list[str | None],
    ) -> None:
        """Insert validated rows, replacing those whose id exists (``ids`` are distinct)."""
        rows = self._resident.get(spec.name)
        # a graph must see every write, so only a flat index may be written without loading its rows
        stored = self._slots(spec, ids) if rows is None and spec.kind == "flat" else None
        if stored is None:
            rows = self._rows(spec)
            slots, is_old = rows.plan_upsert(ids)
        else:
            slots, is_old = plan_slots(stored[0], stored[1], ids)
        batch = UpsertBatch(ids, slots, is_old, vectors, metadata, documents)
        self._save_upsert(spec, batch)
        if rows is not None:
            rows.apply_upsert(batch)

    def _update(
        self, spec: IndexSpec, id: str, vector: np.ndarray | None, metadata: dict[str, Any] | None
    ) -> bool:
        """Replace the vector (``(1, dim)``) and/or metadata of ``id``; ``False`` if there is no such id."""
        rows = self._rows(spec)
        slot = rows.pos.get(id)
        if slot is None:
            return False
        if vector is None and metadata is None:
            return True
        self._save_update(spec, slot, vector, metadata)
        if vector is not None:
            rows.set_vector(slot, vector)
        if metadata is not None:
            rows.set_metadata(slot, metadata)
        return True

    def _delete_ids(self, spec: IndexSpec, ids: list[str]) -> int:
        """Delete the rows of ``ids``; returns how many existed."""
        rows = self._rows(spec)
        slots = [s for s in map(rows.pos.get, ids) if s is not None]
        return self._remove(spec, rows, np.array(slots, dtype=np.int64)) if slots else 0

    def _delete_matching(self, spec: IndexSpec, node: FilterNode) -> int:
        """Delete the rows whose metadata matches ``node``; returns how many."""
        rows = self._rows(spec)
        return self._remove(spec, rows, np.flatnonzero(self._mask(spec, rows, node)))

    def _find(
        self,
        spec: IndexSpec,
        q: np.ndarray,
        top_k: int,
        node: FilterNode | None,
        include_vector: bool,
        min_score: float | None,
        ef: int | None,
    ) -> QueryResults:
        """The hits of a validated query, best first (``node`` is ``None`` without a filter)."""
        rows = self._rows(spec)
        slots, scores = self._search(spec, rows, q, top_k, node, ef)
        if min_score is not None:
            keep = scores >= min_score
            slots, scores = slots[keep], scores[keep]
        return rows.results(slots, scores, include_vector)

    def _rebuild(self, spec: IndexSpec) -> None:
        """Rebuild and persist the HNSW graph of the ``hnsw`` index ``spec``."""
        rows = self._rows(spec)
        rows.rebuild_ann()
        self._flush(spec, rows)

    # -- indexes ---------------------------------------------------------------------------------------

    @_operation("create index {name}")
    def create_index(
        self,
        name: str,
        dimension: int | None = None,
        metric: Metric = "cosine",
        index: IndexKind = "flat",
        m: int = 16,
        ef_construction: int = 128,
        *,
        embedder: Embedder | None = None,
    ) -> None:
        """Create an index; a no-op if it exists with the same dimension and metric.

        With ``embedder``, the index records the embedder's ``name``: :meth:`query_text` then refuses any
        other embedder, and :func:`~mastra_lab.rag.ingest` refuses to mix embedders in it. Calling this for
        an existing index that records no embedder yet records it; one that records another is an error.

        Args:
            name: An identifier (letters, digits, ``_``).
            dimension: Vector length; may be left out when ``embedder`` is given (it is the embedder's).
            metric: ``cosine`` (default), ``euclidean`` or ``dotproduct``.
            index: ``flat`` (exact, default) or ``hnsw`` (approximate, for large collections).
            m: HNSW connectivity.
            ef_construction: HNSW build breadth.
            embedder: The embedder whose vectors fill the index (anything with ``name`` and ``dimension``).
        """
        recorded = None
        if embedder is not None:
            recorded, dimension = check_embedder(embedder, dimension)
        if dimension is None:
            raise VectorError(
                f"create_index({name!r}) needs dimension=N, or embedder=... to take the embedder's",
                code="VECTOR_BAD_DIMENSION",
            )
        check_index_spec(name, dimension, metric, index, m, ef_construction)
        old = self._specs.get(name) or self._read_spec(name)
        if old is None:
            spec = IndexSpec(name, dimension, metric, index, m, ef_construction, recorded)
            self._create(spec)
            self._specs[name] = spec
        else:
            self._specs[name] = self._reconcile(old, dimension, metric, recorded)

    def _reconcile(self, old: IndexSpec, dimension: int, metric: str, recorded: str | None) -> IndexSpec:
        """``create_index`` of an existing index: refuse another shape or embedder, record a first one."""
        name = old.name
        if (old.dimension, old.metric) != (dimension, metric):
            raise VectorError(
                f"index {name!r} already exists with dimension {old.dimension} and metric {old.metric!r}; "
                f"delete_index({name!r}) first or use another name",
                code="VECTOR_INDEX_EXISTS",
            )
        if recorded is None or old.embedder == recorded:
            return old
        if old.embedder is not None:
            raise VectorError(
                f"index {name!r} already records embedder {old.embedder!r}, not {recorded!r}; its vectors "
                f"come from {old.embedder!r}, so keep using that one, or delete_index({name!r}) (or pick "
                "another name) for the new embedder",
                code="VECTOR_EMBEDDER_MISMATCH",
                details={"index": name, "recorded": old.embedder, "given": recorded},
            )
        spec = dataclasses.replace(old, embedder=recorded)
        self._save_embedder(spec)
        return spec

    @_operation("list indexes")
    def list_indexes(self) -> list[str]:
        """Names of all indexes, sorted."""
        return sorted(self._index_names())

    @_operation("describe index {name}")
    def describe_index(self, name: str) -> IndexStats:
        """``IndexStats(dimension, count, metric)`` of one index, plus ``embedder`` when one is recorded.

        Args:
            name: The index.
        """
        spec = self._spec(name)
        rows = self._resident.get(name)
        count = rows.n if rows is not None else self._count(spec)
        if count is None:
            count = self._rows(spec).n
        return IndexStats(spec.dimension, count, spec.metric, spec.embedder)

    @_operation("delete index {name}")
    def delete_index(self, name: str) -> None:
        """Drop an index and everything in it.

        Args:
            name: The index.
        """
        spec = self._spec(name)
        self._drop(spec)
        self._specs.pop(name, None)
        self._resident.pop(name, None)

    @_operation("rebuild index {name}")
    def rebuild_index(self, name: str) -> None:
        """Rebuild (and persist) the HNSW graph of ``name`` from its vectors; a no-op for flat indexes.

        Args:
            name: The index.
        """
        spec = self._spec(name)
        if spec.kind == "hnsw":
            self._rebuild(spec)

    # -- writes ----------------------------------------------------------------------------------------

    @_operation("upsert into {name}")
    def upsert(
        self,
        name: str,
        vectors: Any,
        metadata: Sequence[Mapping[str, Any] | None] | None = None,
        ids: Sequence[str] | None = None,
        documents: Sequence[str | None] | None = None,
    ) -> list[str]:
        """Insert vectors, replacing those whose id already exists; returns the ids.

        Args:
            name: The index.
            vectors: ``(n, dimension)`` numbers.
            metadata: One JSON object per vector (default ``{}``).
            ids: One string id per vector (default: new uuid4 hex ids).
            documents: Optional text per vector.
        """
        spec = self._spec(name)
        arr, out_ids, metas, docs = check_upsert(name, spec.dimension, vectors, metadata, ids, documents)
        if not out_ids:
            return []
        with self._span("vector_upsert", name) as span:
            span.set_attribute("mastra.vector.count", len(out_ids))
            self._write(spec, out_ids, arr, metas, docs)
        return out_ids

    @_operation("update a vector in {name}")
    def update_vector(
        self, name: str, id: str, vector: Any = None, metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Replace the vector and/or the metadata of one existing id.

        Args:
            name: The index.
            id: An existing id.
            vector: New vector (optional).
            metadata: New metadata, replacing the old object (optional).
        """
        spec = self._spec(name)
        arr = None if vector is None else check_query_vector(vector, name, spec.dimension)[None, :]
        meta = None if metadata is None else check_metadata_one(metadata, name)
        if not (isinstance(id, str) and self._update(spec, id, arr, meta)):
            raise VectorError(
                f"no vector with id {id!r} in index {name!r}; upsert() it to add it",
                code="VECTOR_UNKNOWN_ID",
                details={"index": name, "id": repr(id)},
            )

    @_operation("delete from {name}")
    def delete_vector(self, name: str, id: str) -> bool:
        """Delete one id; returns whether it existed.

        Args:
            name: The index.
            id: The id.
        """
        spec = self._spec(name)
        return isinstance(id, str) and self._delete_ids(spec, [id]) == 1

    @_operation("delete from {name}")
    def delete_vectors(self, name: str, filter: Mapping[str, Any]) -> int:
        """Delete every vector whose metadata matches ``filter``; returns how many.

        Args:
            name: The index.
            filter: A non-empty Mongo-style filter.
        """
        check_delete_filter(filter)
        node = parse_filter(filter)
        return self._delete_matching(self._spec(name), node)

    # -- reads -----------------------------------------------------------------------------------------

    @_operation("query {name}")
    def query(
        self,
        name: str,
        vector: Any,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        include_vector: bool = False,
        min_score: float | None = None,
        ef: int | None = None,
    ) -> QueryResults:
        """The ``top_k`` nearest vectors, best first (higher score is better for every metric).

        Args:
            name: The index.
            vector: The query, ``(dimension,)``.
            top_k: How many results at most.
            filter: Mongo-style metadata filter, applied before scoring (every result matches it).
            include_vector: Also return each stored vector.
            min_score: Drop results scoring below this.
            ef: HNSW search breadth (ignored by flat indexes).
        """
        node = parse_filter(filter)
        spec = self._spec(name)
        q = check_query_vector(vector, name, spec.dimension)
        check_top_k(top_k)
        with self._span("vector_query", name) as span:
            if span.recording:
                span.set_attribute("mastra.vector.top_k", top_k)
                span.set_attribute("mastra.vector.filtered", bool(filter))
            hits = self._find(spec, q, top_k, node if filter else None, include_vector, min_score, ef)
            span.set_attribute("mastra.vector.results", len(hits))
            return hits

    def query_text(self, name: str, text: str, embedder: Embedder, **kwargs: Any) -> QueryResults:
        """Embed ``text`` with ``embedder`` and query with the result.

        When the index records an embedder (see :meth:`create_index`), ``embedder`` must be that one - the
        same ``name`` and ``dimension`` - since vectors from different embedders are not comparable.

        Args:
            name: The index.
            text: The query text.
            embedder: An :class:`~mastra_lab.embed.Embedder` (e.g. ``HashingEmbedder()``).
            **kwargs: Passed to :meth:`query` (``top_k``, ``filter``, ``min_score`` ...).
        """
        self._check_query_embedder(name, embedder)
        return self.query(name, embedder.embed([text])[0], **kwargs)

    @_operation("query {name}")
    def _check_query_embedder(self, name: str, embedder: Embedder) -> None:
        spec = self._spec(name)
        given, dim = getattr(embedder, "name", None), getattr(embedder, "dimension", None)
        if spec.embedder is not None and (given != spec.embedder or dim != spec.dimension):
            raise VectorError(
                f"index {name!r} was filled by embedder {spec.embedder!r} ({spec.dimension} dimensions), but "
                f"query_text got {describe_embedder(embedder)} ({dim} dimensions); query it with the "
                "embedder that filled it, or ingest the documents into a new index with this one",
                code="VECTOR_EMBEDDER_MISMATCH",
                details={"index": name, "recorded": spec.embedder, "given": given},
            )
        if isinstance(dim, int) and dim != spec.dimension:
            raise VectorError(
                f"index {name!r} holds {spec.dimension}-dimensional vectors but "
                f"{describe_embedder(embedder)} makes {dim}; query it with an embedder of dimension "
                f"{spec.dimension}",
                code="VECTOR_DIMENSION_MISMATCH",
                details={"index": name, "expected": spec.dimension, "got": dim},
            )
