"""DuckDBVector: persistent vector indexes in a DuckDB file (or a connection shared with DuckDBStore).

The table is the source of truth: one ``vec_<index>`` table per index with ``id``, ``slot`` (the row's
position in the in-memory matrix), ``vector FLOAT[dim]``, ``metadata JSON`` and ``document``; a registry
table ``_mastra_vector_indexes`` holds each index's shape and a write ``version``. Searching uses the same
exact engine as :class:`~mastra_lab.vector.memory.InMemoryVector`: the matrix is loaded lazily, once, with
one Arrow scan, and every later write updates table and matrix together (no reload). Filters run as SQL
over the JSON column and return slots, which become the boolean mask applied before scoring.

HNSW graphs (``index="hnsw"``) are saved beside the database file as ``<db>.<index>.usearch`` by
:meth:`DuckDBVector.close` / :meth:`DuckDBVector.flush` and loaded - not rebuilt - on open. A graph file
older than the table (the process died before ``close``) is rebuilt once, with a warning.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mastra_lab.errors import VectorError
from mastra_lab.telemetry import get_logger
from mastra_lab.vector._filter_sql import compile_sql
from mastra_lab.vector._matrix import Matrix, plan_removal
from mastra_lab.vector._rows import Rows
from mastra_lab.vector.ann import HnswIndex, search_slots
from mastra_lab.vector.base import (
    IndexKind,
    IndexStats,
    Metric,
    QueryResults,
    VectorStore,
    check_delete_filter,
    check_index_name,
    check_index_spec,
    check_metadata_one,
    check_query_vector,
    check_top_k,
    check_upsert,
    index_exists,
    unknown_index,
)
from mastra_lab.vector.filter import parse_filter

try:
    import duckdb
except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
    raise ImportError('DuckDBVector needs duckdb: pip install "mastra-lab"') from exc

if TYPE_CHECKING:
    from mastra_lab.storage.duckdb import DuckDBStore

__all__ = ["DuckDBVector"]

_REGISTRY = "_mastra_vector_indexes"
_MASK_CACHE = 32
_log = get_logger("mastra_lab.vector.duckdb")


@contextlib.contextmanager
def _map_duckdb_errors(action: str) -> Iterator[None]:
    """Turn DuckDB's exceptions into :class:`VectorError` (the one place that does it)."""
    try:
        yield
    except duckdb.Error as exc:
        raise VectorError(
            f"DuckDB failed to {action}: {exc}", code="VECTOR_BACKEND", category="system"
        ) from exc


def _first(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    return rows[0] if rows else None


@dataclass
class _Spec:
    dimension: int
    metric: Metric
    kind: IndexKind
    m: int
    ef_construction: int


class _Mirror(Rows[str]):
    """The in-memory copy of one table (metadata kept as JSON text) plus the state of its graph file."""

    def __init__(self, matrix: Matrix) -> None:
        super().__init__(matrix)
        self.ann_origin = ""  # "file" when loaded from disk, "built" when built from the rows
        self.ann_dirty = False
        self.masks: OrderedDict[str, np.ndarray] = OrderedDict()  # filter -> slots, until the next write


class DuckDBVector(VectorStore):
    """Vector indexes stored in DuckDB, searched with the in-memory exact engine (or HNSW).

    Args:
        path: Database file, or ``":memory:"``.
        connection: An open DuckDB connection to share; it is not closed by :meth:`close`. To share a
            :class:`~mastra_lab.storage.DuckDBStore`'s database use :meth:`from_store`, which shares its lock
            too.
        read_only: Open the file read-only.

    Example:
        ```python
        from mastra_lab.vector import DuckDBVector

        with DuckDBVector(":memory:") as store:
            store.create_index("docs", dimension=2, metric="euclidean")
            store.upsert("docs", [[0, 0], [5, 5]], ids=["origin", "far"])
            assert store.query("docs", [1, 1], top_k=1)[0].id == "origin"
        ```
    """

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        connection: duckdb.DuckDBPyConnection | None = None,
        read_only: bool = False,
    ) -> None:
        self._owns = connection is None
        self._read_only = read_only
        self._closed = False
        with _map_duckdb_errors(f"open {str(path)!r}"):
            self.con = connection or duckdb.connect(str(path), read_only=read_only)
            if not read_only:
                self._run(
                    f"CREATE TABLE IF NOT EXISTS {_REGISTRY} (name VARCHAR PRIMARY KEY, dimension INTEGER, "
                    "metric VARCHAR, kind VARCHAR, m INTEGER, ef_construction INTEGER, "
                    "version BIGINT DEFAULT 0, ann_version BIGINT DEFAULT -1)"
                )
            files = [
                r[0]
                for r in self._run(
                    "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                )
            ]
        self.path: Path | None = Path(files[0]) if files and files[0] else None
        self._lock = threading.RLock()
        self._mirrors: dict[str, _Mirror] = {}
        self._specs: dict[str, _Spec] = {}

    @classmethod
    def from_store(cls, store: DuckDBStore) -> DuckDBVector:
        """Vectors in the same database as ``store``, sharing its connection *and* its lock.

        One DuckDB connection must not run two statements at once; sharing the store's lock makes threads
        that use both the store and the vectors take turns instead of interleaving on the connection.

        Args:
            store: An open :class:`~mastra_lab.storage.DuckDBStore`.
        """
        vector = cls(connection=store.connection, read_only=store.read_only)
        vector._lock = store.lock
        return vector

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute and fetch everything (DuckDB refuses other work while a result is unfinished)."""
        return self.con.execute(sql, params).fetchall()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (shareable)."""
        return self.con

    def __repr__(self) -> str:
        return f"DuckDBVector(path={str(self.path) if self.path else ':memory:'!r})"

    # ------------------------------------------------------------------------------------- helpers

    def _spec(self, name: str) -> _Spec:
        spec = self._specs.get(name)
        if spec is None:
            check_index_name(name)
            with _map_duckdb_errors("read the index registry"):
                row = self._registry_row(name)
            if row is None:
                raise unknown_index(name, self.list_indexes())
            spec = self._specs[name] = _Spec(*row)
        return spec

    def _registry_row(self, name: str) -> tuple[Any, ...] | None:
        try:
            return _first(
                self._run(
                    f"SELECT dimension, metric, kind, m, ef_construction FROM {_REGISTRY} WHERE name = ?",
                    [name],
                )
            )
        except duckdb.CatalogException:
            return None

    def _ann_path(self, name: str) -> Path | None:
        return None if self.path is None else self.path.with_name(f"{self.path.name}.{name}.usearch")

    def _count(self, name: str) -> int:
        row = _first(self._run(f"SELECT count(*) FROM vec_{name}"))
        return int(row[0]) if row else 0

    def _bump(self, name: str) -> None:
        self._run(f"UPDATE {_REGISTRY} SET version = version + 1 WHERE name = ?", [name])
        mirror = self._mirrors.get(name)
        if mirror is not None:
            mirror.masks.clear()
            mirror.ann_dirty = mirror.ann is not None

    def _mirror(self, name: str) -> _Mirror:
        """The in-memory matrix (and graph) of ``name``, loaded on first use."""
        mirror = self._mirrors.get(name)
        if mirror is not None:
            return mirror
        spec = self._spec(name)
        with _map_duckdb_errors(f"load index {name!r}"):
            table = self.con.sql(
                f"SELECT vector, id, CAST(metadata AS VARCHAR), document FROM vec_{name} ORDER BY slot"
            ).to_arrow_table()
        flat = table.column(0).combine_chunks().flatten().to_numpy() if table.num_rows else np.empty(0)
        matrix = Matrix(spec.dimension, spec.metric)
        matrix.append(np.asarray(flat, dtype=np.float32).reshape(-1, spec.dimension))
        mirror = _Mirror(matrix)
        mirror.load(table.column(1).to_pylist(), table.column(2).to_pylist(), table.column(3).to_pylist())
        if spec.kind == "hnsw":
            self._attach_ann(name, spec, mirror)
        self._mirrors[name] = mirror
        return mirror

    def _attach_ann(self, name: str, spec: _Spec, mirror: _Mirror) -> None:
        path = self._ann_path(name)
        row = _first(self._run(f"SELECT version, ann_version FROM {_REGISTRY} WHERE name = ?", [name]))
        fresh = row is not None and row[0] == row[1]
        if path is not None and path.exists() and fresh:
            mirror.ann = HnswIndex.load(path, spec.dimension, spec.metric, spec.m, spec.ef_construction)
            if len(mirror.ann) == mirror.matrix.n:
                mirror.ann_origin = "file"
                _log.bind(index=name, path=str(path)).debug("loaded HNSW graph from file")
                return
        if mirror.matrix.n:
            _log.bind(index=name).warning("HNSW graph file missing or older than the table; rebuilding it")
        self._build_ann(spec, mirror)

    @staticmethod
    def _build_ann(spec: _Spec, mirror: _Mirror) -> None:
        ann = HnswIndex(spec.dimension, spec.metric, spec.m, spec.ef_construction)
        ann.add(np.arange(mirror.matrix.n), mirror.matrix.data)
        mirror.ann, mirror.ann_origin, mirror.ann_dirty = ann, "built", True

    def _filter_slots(self, name: str, flt: Mapping[str, Any], mirror: _Mirror | None = None) -> np.ndarray:
        """Slots whose metadata matches, by SQL over the JSON column (cached per filter until a write)."""
        sql, params = compile_sql(parse_filter(flt))
        key = sql + json.dumps(params)
        if mirror is not None and key in mirror.masks:
            mirror.masks.move_to_end(key)
            return mirror.masks[key]
        with _map_duckdb_errors(f"filter index {name!r}"):
            got = self.con.execute(f"SELECT slot FROM vec_{name} WHERE {sql}", params).fetchnumpy()["slot"]
        slots = np.asarray(got, dtype=np.int64)
        if mirror is not None:
            mirror.masks[key] = slots
            if len(mirror.masks) > _MASK_CACHE:
                mirror.masks.popitem(last=False)
        return slots

    # ---------------------------------------------------------------------------------------- API

    def create_index(
        self,
        name: str,
        dimension: int,
        metric: Metric = "cosine",
        index: IndexKind = "flat",
        m: int = 16,
        ef_construction: int = 128,
    ) -> None:
        """Create an index (a no-op if it exists with the same dimension and metric).

        Args:
            name: An identifier (letters, digits, ``_``); the table is ``vec_<name>``.
            dimension: Vector length.
            metric: ``cosine`` (default), ``euclidean`` or ``dotproduct``.
            index: ``flat`` (exact, default) or ``hnsw`` (approximate, persisted beside the file).
            m: HNSW connectivity.
            ef_construction: HNSW build breadth.
        """
        check_index_spec(name, dimension, metric, index, m, ef_construction)
        with self._lock:
            with _map_duckdb_errors(f"create index {name!r}"):
                row = self._registry_row(name)
            if index_exists(name, None if row is None else (row[0], row[1]), dimension, metric):
                return
            with self._transaction(f"create index {name!r}"):
                self._run(
                    f"CREATE TABLE vec_{name} (id VARCHAR NOT NULL, slot BIGINT NOT NULL, "
                    f"vector FLOAT[{dimension}] NOT NULL, metadata JSON, document VARCHAR)"
                )
                self._run(
                    f"INSERT INTO {_REGISTRY} (name, dimension, metric, kind, m, ef_construction) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [name, dimension, metric, index, m, ef_construction],
                )
            self._specs[name] = _Spec(dimension, metric, index, m, ef_construction)

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[None]:
        with _map_duckdb_errors(action):
            self._run("BEGIN TRANSACTION")
            try:
                yield
                self._run("COMMIT")
            except BaseException:
                self._run("ROLLBACK")
                raise

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
        with self._lock:
            spec = self._spec(name)
            arr, out_ids, metas, docs = check_upsert(name, spec.dimension, vectors, metadata, ids, documents)
            if not len(out_ids):
                return []
            mirror = self._mirror(name) if spec.kind == "hnsw" else self._mirrors.get(name)
            meta_json = [json.dumps(m, sort_keys=True) for m in metas]
            with self._transaction(f"upsert into {name!r}"):
                old = dict(
                    self._run(
                        f"SELECT id, slot FROM vec_{name} WHERE id IN (SELECT unnest(?::VARCHAR[]))",
                        [out_ids],
                    )
                )
                n = self._count(name)
                is_old = np.array([i in old for i in out_ids], dtype=bool)
                slots = np.empty(len(out_ids), dtype=np.int64)
                slots[is_old] = [old[i] for i, o in zip(out_ids, is_old, strict=True) if o]
                slots[~is_old] = np.arange(n, n + int((~is_old).sum()))
                if old:
                    self._run(
                        f"DELETE FROM vec_{name} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [list(old)]
                    )
                self._insert(name, spec.dimension, out_ids, slots, arr, meta_json, docs)
                self._bump(name)
            if mirror is not None:
                mirror.apply_upsert(slots, is_old, arr, out_ids, meta_json, docs)
            return out_ids

    def _insert(
        self,
        name: str,
        dimension: int,
        ids: list[str],
        slots: np.ndarray,
        arr: np.ndarray,
        meta_json: list[str],
        docs: list[str | None],
    ) -> None:
        """One bulk INSERT through Arrow (no per-row SQL)."""
        import pyarrow as pa

        rows = pa.table(
            {
                "id": ids,
                "slot": pa.array(slots, pa.int64()),
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(arr.ravel()), dimension),
                "metadata": meta_json,
                "document": pa.array(docs, pa.string()),
            }
        )
        self.con.register("_mastra_upsert", rows)
        try:
            self._run(
                f"INSERT INTO vec_{name} SELECT id, slot, vector, CAST(metadata AS JSON), document "
                "FROM _mastra_upsert"
            )
        finally:
            self.con.unregister("_mastra_upsert")

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
            filter: Mongo-style metadata filter, run as SQL before scoring.
            include_vector: Also return each stored vector.
            min_score: Drop results scoring below this.
            ef: HNSW search breadth (ignored by flat indexes).
        """
        parse_filter(filter)  # validate before touching anything
        with self._lock:
            spec = self._spec(name)
            q = check_query_vector(vector, name, spec.dimension)
            check_top_k(top_k)
            mirror = self._mirror(name)
            mask = None
            if filter:
                mask = np.zeros(mirror.matrix.n, dtype=bool)
                mask[self._filter_slots(name, filter, mirror)] = True
            slots, scores = search_slots(mirror.matrix, mirror.ann, q, top_k, mask, ef)
            if min_score is not None:
                keep = scores >= min_score
                slots, scores = slots[keep], scores[keep]
            return mirror.results(slots, scores, include_vector)

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
        with self._lock:
            spec = self._spec(name)
            arr = None if vector is None else check_query_vector(vector, name, spec.dimension)[None, :]
            meta = None if metadata is None else check_metadata_one(metadata, name)
            mirror = self._mirror(name) if spec.kind == "hnsw" else self._mirrors.get(name)
            with self._transaction(f"update {id!r} in {name!r}"):
                row = _first(self._run(f"SELECT slot FROM vec_{name} WHERE id = ?", [id]))
                if row is None:
                    raise VectorError(f"no vector with id {id!r} in index {name!r}", code="VECTOR_UNKNOWN_ID")
                if arr is not None:
                    self._run(
                        f"UPDATE vec_{name} SET vector = ?::FLOAT[{spec.dimension}] WHERE id = ?",
                        [arr[0].tolist(), id],
                    )
                meta_json = None if meta is None else json.dumps(meta, sort_keys=True)
                if meta_json is not None:
                    self._run(
                        f"UPDATE vec_{name} SET metadata = CAST(? AS JSON) WHERE id = ?", [meta_json, id]
                    )
                self._bump(name)
            if mirror is not None:
                if arr is not None:
                    mirror.set_vector(int(row[0]), arr)
                if meta_json is not None:
                    mirror.set_metadata(int(row[0]), meta_json)

    def _remove_slots(self, name: str, dead_slots: np.ndarray) -> int:
        spec = self._spec(name)
        mirror = self._mirror(name) if spec.kind == "hnsw" else self._mirrors.get(name)
        n = self._count(name)
        dead, holes, sources = plan_removal(n, dead_slots)
        if not len(dead):
            return 0
        with self._transaction(f"delete from {name!r}"):
            self._run(f"DELETE FROM vec_{name} WHERE slot IN (SELECT unnest(?::BIGINT[]))", [dead.tolist()])
            if len(holes):
                self._run(
                    f"UPDATE vec_{name} SET slot = mv.hole FROM (SELECT unnest(?::BIGINT[]) AS src, "
                    f"unnest(?::BIGINT[]) AS hole) AS mv WHERE vec_{name}.slot = mv.src",
                    [sources.tolist(), holes.tolist()],
                )
            self._bump(name)
        if mirror is not None:
            mirror.remove(dead)
        return len(dead)

    def delete_vector(self, name: str, id: str) -> bool:
        """Delete one id; returns whether it existed."""
        with self._lock:
            self._spec(name)
            with _map_duckdb_errors(f"find {id!r} in {name!r}"):
                row = _first(self._run(f"SELECT slot FROM vec_{name} WHERE id = ?", [id]))
            return row is not None and self._remove_slots(name, np.array([row[0]])) == 1

    def delete_vectors(self, name: str, filter: Mapping[str, Any]) -> int:
        """Delete every vector whose metadata matches ``filter``; returns how many.

        Args:
            name: The index.
            filter: A non-empty Mongo-style filter.
        """
        check_delete_filter(filter)
        parse_filter(filter)
        with self._lock:
            self._spec(name)
            return self._remove_slots(name, self._filter_slots(name, filter))

    def list_indexes(self) -> list[str]:
        """Names of all indexes, sorted."""
        try:
            rows = self._run(f"SELECT name FROM {_REGISTRY} ORDER BY name")
        except duckdb.CatalogException:
            return []
        return [r[0] for r in rows]

    def describe_index(self, name: str) -> IndexStats:
        """``IndexStats(dimension, count, metric)`` of one index."""
        with self._lock:
            spec = self._spec(name)
            with _map_duckdb_errors(f"count {name!r}"):
                return IndexStats(dimension=spec.dimension, count=self._count(name), metric=spec.metric)

    def delete_index(self, name: str) -> None:
        """Drop an index, its table and its HNSW file."""
        with self._lock:
            self._spec(name)
            with self._transaction(f"delete index {name!r}"):
                self._run(f"DROP TABLE vec_{name}")
                self._run(f"DELETE FROM {_REGISTRY} WHERE name = ?", [name])
            self._specs.pop(name, None)
            self._mirrors.pop(name, None)
            path = self._ann_path(name)
            if path is not None:
                path.unlink(missing_ok=True)

    def rebuild_index(self, name: str) -> None:
        """Rebuild (and save) the HNSW graph of ``name`` from its rows; a no-op for flat indexes."""
        with self._lock:
            spec = self._spec(name)
            if spec.kind != "hnsw":
                return
            mirror = self._mirror(name)
            self._build_ann(spec, mirror)
            self._save_ann(name, mirror)

    def _save_ann(self, name: str, mirror: _Mirror) -> None:
        path = self._ann_path(name)
        if path is None or mirror.ann is None or not mirror.ann_dirty or self._read_only:
            return
        mirror.ann.save(path)
        with _map_duckdb_errors(f"record the HNSW file of {name!r}"):
            self._run(f"UPDATE {_REGISTRY} SET ann_version = version WHERE name = ?", [name])
        mirror.ann_dirty = False

    def flush(self) -> None:
        """Save every changed HNSW graph beside the database file."""
        with self._lock:
            for name, mirror in self._mirrors.items():
                self._save_ann(name, mirror)

    def close(self) -> None:
        """Save HNSW graphs and close the connection (unless it was passed in)."""
        with self._lock:
            if self._closed:
                return
            self.flush()
            if self._owns:
                self.con.close()
            self._closed = True
