"""DuckDBVector: persistent vector indexes in a DuckDB file (or a connection shared with DuckDBStore).

The table is the source of truth: one ``vec_<index>`` table per index with ``id``, ``slot`` (the row's
position in the in-memory matrix), ``vector FLOAT[dim]``, ``metadata JSON`` and ``document``; a registry
table ``_mastra_vector_indexes`` holds each index's shape, the embedder recorded on it and, for HNSW
indexes, a write ``version``. Searching - filtered or not - runs on the in-memory rows every store shares
(:class:`~mastra_lab.vector._rows.Rows`): they are loaded once, on first use, with one Arrow scan, and every
later write goes to the table (in one transaction) and then to the rows, so nothing is ever reloaded and no
query runs SQL. Upserts into a flat index that has not been loaded yet go to the table only, so bulk loading
a file never pays for the load.

HNSW graphs (``index="hnsw"``) are saved beside the database file as ``<db>.<index>.usearch`` by
:meth:`DuckDBVector.close` / :meth:`DuckDBVector.flush` and loaded - not rebuilt - on open. A graph file
older than the table (the process died before ``close``) is rebuilt once, with a warning.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mastra_lab.errors import VectorError
from mastra_lab.telemetry import get_logger
from mastra_lab.vector._rows import Rows
from mastra_lab.vector._types import IndexSpec, UpsertBatch
from mastra_lab.vector.ann import HnswIndex
from mastra_lab.vector.base import VectorStore

try:
    import duckdb
except ImportError as exc:  # pragma: no cover - duckdb is a core dependency
    raise ImportError('DuckDBVector needs duckdb: pip install "mastra-lab"') from exc

if TYPE_CHECKING:
    import pyarrow as pa

    from mastra_lab.storage.duckdb import DuckDBStore

__all__ = ["DuckDBVector"]

_REGISTRY = "_mastra_vector_indexes"
_REGISTRY_UPGRADES = (
    # Each statement brings a registry written by an older release up to date; append, never edit.
    f"ALTER TABLE {_REGISTRY} ADD COLUMN IF NOT EXISTS embedder VARCHAR",
)
_SMALL_BATCH = 16  # rows up to which plain parameters beat registering an Arrow table
_log = get_logger("mastra_lab.vector.duckdb")


def _first(rows: list[tuple[Any, ...]]) -> tuple[Any, ...] | None:
    return rows[0] if rows else None


class DuckDBVector(VectorStore):
    """Vector indexes stored in DuckDB, searched in memory with the exact engine (or HNSW).

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

    db_system = "duckdb"

    def __init__(
        self,
        path: str | Path = ":memory:",
        *,
        connection: duckdb.DuckDBPyConnection | None = None,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self._owns = connection is None
        self._read_only = read_only
        with self._map_errors(f"open {str(path)!r}"):
            self.con = connection or duckdb.connect(str(path), read_only=read_only)
            if not read_only:
                self._run(
                    f"CREATE TABLE IF NOT EXISTS {_REGISTRY} (name VARCHAR PRIMARY KEY, dimension INTEGER, "
                    "metric VARCHAR, kind VARCHAR, m INTEGER, ef_construction INTEGER, "
                    "version BIGINT DEFAULT 0, ann_version BIGINT DEFAULT -1)"
                )
                for statement in _REGISTRY_UPGRADES:
                    self._run(statement)
            columns = {
                r[0]
                for r in self._run(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                    "AND database_name = current_database()",
                    [_REGISTRY],
                )
            }
            files = [
                r[0]
                for r in self._run(
                    "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                )
            ]
        # a read-only file written before the embedder column existed records no embedders
        self._embedder_column = "embedder" if "embedder" in columns else "NULL"
        self.path: Path | None = Path(files[0]) if files and files[0] else None

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

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection (shareable)."""
        return self.con

    def __repr__(self) -> str:
        where = str(self.path) if self.path else ":memory:"
        return f"DuckDBVector(path={where!r})" + (" closed" if self.closed else "")

    @contextlib.contextmanager
    def _map_errors(self, action: str) -> Iterator[None]:
        """Turn DuckDB's exceptions into :class:`VectorError`: the one place DuckDBVector does it (the base
        class wraps every hook call in it; DuckDBStore maps the same exceptions to ``StorageError`` in
        :func:`mastra_lab.storage.duckdb.map_duckdb_errors`)."""
        try:
            yield
        except duckdb.Error as exc:
            text = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
            if "read-only" in text.lower() or "read only" in text.lower():
                raise VectorError(
                    f"DuckDB failed to {action}: the database is open read-only ({text}); open it with "
                    "read_only=False to write",
                    code="VECTOR_READ_ONLY",
                    details={"backend": "duckdb"},
                ) from exc
            raise VectorError(
                f"DuckDB failed to {action}: {text}",
                code="VECTOR_BACKEND",
                category="system",
                details={"backend": "duckdb", "type": type(exc).__name__},
            ) from exc

    # -- SQL statements --------------------------------------------------------------------------------

    def _run(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Execute and fetch everything (DuckDB refuses other work while a result is unfinished)."""
        return self.con.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._run("BEGIN TRANSACTION")
        try:
            yield
            self._run("COMMIT")
        except BaseException:
            self._run("ROLLBACK")
            raise

    def _bump(self, spec: IndexSpec) -> None:
        """Count a write to an HNSW index: its graph file saved at an older version is stale. (Flat indexes
        derive nothing from their rows, so their writes skip this statement.)"""
        if spec.kind == "hnsw":
            self._run(f"UPDATE {_REGISTRY} SET version = version + 1 WHERE name = ?", [spec.name])

    def _ann_path(self, name: str) -> Path | None:
        return None if self.path is None else self.path.with_name(f"{self.path.name}.{name}.usearch")

    # -- the registry ----------------------------------------------------------------------------------

    def _read_spec(self, name: str) -> IndexSpec | None:
        try:
            row = _first(
                self._run(
                    f"SELECT dimension, metric, kind, m, ef_construction, {self._embedder_column} "
                    f"FROM {_REGISTRY} WHERE name = ?",
                    [name],
                )
            )
        except duckdb.CatalogException:  # a read-only file that never held vectors
            return None
        return None if row is None else IndexSpec(name, *row)

    def _index_names(self) -> Iterable[str]:
        try:
            return [r[0] for r in self._run(f"SELECT name FROM {_REGISTRY}")]
        except duckdb.CatalogException:
            return []

    def _create(self, spec: IndexSpec) -> None:
        with self._transaction():
            self._run(
                f"CREATE TABLE vec_{spec.name} (id VARCHAR NOT NULL, slot BIGINT NOT NULL, "
                f"vector FLOAT[{spec.dimension}] NOT NULL, metadata JSON, document VARCHAR)"
            )
            self._run(
                f"INSERT INTO {_REGISTRY} (name, dimension, metric, kind, m, ef_construction, embedder) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    spec.name,
                    spec.dimension,
                    spec.metric,
                    spec.kind,
                    spec.m,
                    spec.ef_construction,
                    spec.embedder,
                ],
            )

    def _save_embedder(self, spec: IndexSpec) -> None:
        self._run(f"UPDATE {_REGISTRY} SET embedder = ? WHERE name = ?", [spec.embedder, spec.name])

    def _drop(self, spec: IndexSpec) -> None:
        with self._transaction():
            self._run(f"DROP TABLE vec_{spec.name}")
            self._run(f"DELETE FROM {_REGISTRY} WHERE name = ?", [spec.name])
        path = self._ann_path(spec.name)
        if path is not None:
            path.unlink(missing_ok=True)

    def _count(self, spec: IndexSpec) -> int:
        row = _first(self._run(f"SELECT count(*) FROM vec_{spec.name}"))
        return int(row[0]) if row else 0

    # -- rows ------------------------------------------------------------------------------------------

    def _slots(self, spec: IndexSpec, ids: list[str]) -> tuple[dict[str, int], int]:
        found = self._run(
            f"SELECT id, slot FROM vec_{spec.name} WHERE id IN (SELECT unnest(?::VARCHAR[]))", [ids]
        )
        return dict(found), self._count(spec)

    def _load(self, spec: IndexSpec) -> Rows:
        """One Arrow scan of the table into the rows (vectors straight into the matrix, in slot order)."""
        rows = Rows.empty(spec)
        table = self.con.sql(
            f"SELECT slot, vector, id, document, COALESCE(CAST(metadata AS VARCHAR), '{{}}') AS metadata "
            f"FROM vec_{spec.name}"
        ).to_arrow_table()
        if table.num_rows:
            slots = np.asarray(table.column("slot").to_numpy(), dtype=np.int64)
            order = _slot_order(slots, spec.name)
            rows.matrix.adopt(_gather_vectors(table.column("vector"), slots, spec.dimension))
            ids, docs, metas = (
                (table.column(c) if order is None else table.column(c).take(order)).to_pylist()
                for c in ("id", "document", "metadata")
            )
            rows.load(ids, json.loads("[" + ",".join(metas) + "]"), docs)
        if spec.kind == "hnsw":
            self._attach_ann(spec, rows)
        return rows

    def _save_upsert(self, spec: IndexSpec, batch: UpsertBatch) -> None:
        old = batch.slots[batch.is_old]
        with self._transaction():
            if len(old):
                self._run(
                    f"DELETE FROM vec_{spec.name} WHERE slot IN (SELECT unnest(?::BIGINT[]))", [old.tolist()]
                )
            if len(batch.ids) <= _SMALL_BATCH:
                self._insert_rows(spec, batch)
            else:
                self._insert_bulk(spec, batch)
            self._bump(spec)

    def _insert_rows(self, spec: IndexSpec, batch: UpsertBatch) -> None:
        """A few rows as plain parameters, in one multi-row ``VALUES`` statement (``executemany`` runs one
        statement per row, and each costs DuckDB about a millisecond)."""
        if not batch.ids:
            return
        columns = (batch.ids, batch.slots.tolist(), batch.vectors.tolist(), batch.metadata, batch.documents)
        params: list[Any] = []
        for i, s, v, m, d in zip(*columns, strict=True):
            params += [i, s, v, json.dumps(m, sort_keys=True), d]
        row = f"(?, ?, ?::FLOAT[{spec.dimension}], CAST(? AS JSON), ?)"
        self._run(f"INSERT INTO vec_{spec.name} VALUES {', '.join([row] * len(batch.ids))}", params)

    def _insert_bulk(self, spec: IndexSpec, batch: UpsertBatch) -> None:
        """One INSERT through Arrow; the metadata is one ``json.dumps`` of the batch that DuckDB splits and
        matches by slot (3x cheaper than a JSON text per row)."""
        import pyarrow as pa

        table = pa.table(
            {
                "id": batch.ids,
                "slot": pa.array(batch.slots, pa.int64()),
                "vector": pa.FixedSizeListArray.from_arrays(pa.array(batch.vectors.ravel()), spec.dimension),
                "document": pa.array(batch.documents, pa.string()),
            }
        )
        self.con.register("_mastra_upsert", table)
        try:
            self._run(
                f"INSERT INTO vec_{spec.name} SELECT u.id, u.slot, u.vector, m.metadata, u.document "
                "FROM _mastra_upsert AS u JOIN (SELECT unnest(?::BIGINT[]) AS slot, "
                "unnest(json_extract(CAST(? AS JSON), '$[*]')) AS metadata) AS m ON u.slot = m.slot",
                [batch.slots.tolist(), json.dumps(batch.metadata, sort_keys=True)],
            )
        finally:
            self.con.unregister("_mastra_upsert")

    def _save_update(
        self, spec: IndexSpec, slot: int, vector: np.ndarray | None, metadata: dict[str, Any] | None
    ) -> None:
        sets, params = [], []
        if vector is not None:
            sets.append(f"vector = ?::FLOAT[{spec.dimension}]")
            params.append(vector[0].tolist())
        if metadata is not None:
            sets.append("metadata = CAST(? AS JSON)")
            params.append(json.dumps(metadata, sort_keys=True))
        # one statement (atomic on its own); by slot, not id: slots follow insertion order, so DuckDB's zone
        # maps skip almost every row group
        update = f"UPDATE vec_{spec.name} SET {', '.join(sets)} WHERE slot = ?"
        if spec.kind == "flat":
            self._run(update, [*params, slot])
            return
        with self._transaction():
            self._run(update, [*params, slot])
            self._bump(spec)

    def _save_removal(
        self, spec: IndexSpec, dead: np.ndarray, holes: np.ndarray, sources: np.ndarray
    ) -> None:
        table = f"vec_{spec.name}"
        with self._transaction():
            self._run(f"DELETE FROM {table} WHERE slot IN (SELECT unnest(?::BIGINT[]))", [dead.tolist()])
            if len(holes):
                self._run(
                    f"UPDATE {table} SET slot = mv.hole FROM (SELECT unnest(?::BIGINT[]) AS src, "
                    f"unnest(?::BIGINT[]) AS hole) AS mv WHERE {table}.slot = mv.src",
                    [sources.tolist(), holes.tolist()],
                )
            self._bump(spec)

    # -- HNSW graph files ------------------------------------------------------------------------------

    def _attach_ann(self, spec: IndexSpec, rows: Rows) -> None:
        """Load the saved graph when it is as new as the table, else build it from the rows."""
        path = self._ann_path(spec.name)
        row = _first(self._run(f"SELECT version, ann_version FROM {_REGISTRY} WHERE name = ?", [spec.name]))
        fresh = row is not None and row[0] == row[1]
        if path is not None and path.exists() and fresh:
            ann = HnswIndex.load(path, spec.dimension, spec.metric, spec.m, spec.ef_construction)
            if len(ann) == rows.n:
                rows.ann, rows.ann_origin = ann, "file"
                _log.bind(index=spec.name, path=str(path)).debug("loaded HNSW graph from file")
                return
        if rows.n:
            _log.bind(index=spec.name).warning(
                "HNSW graph file missing or older than the table; rebuilding it"
            )
        rows.rebuild_ann()

    def _flush(self, spec: IndexSpec, rows: Rows) -> None:
        path = self._ann_path(spec.name)
        if path is None or rows.ann is None or not rows.ann_dirty or self._read_only:
            return
        rows.ann.save(path)
        self._run(f"UPDATE {_REGISTRY} SET ann_version = version WHERE name = ?", [spec.name])
        rows.ann_dirty = False

    def _close(self) -> None:
        if self._owns:
            self.con.close()


def _slot_order(slots: np.ndarray, name: str) -> np.ndarray | None:
    """``None`` when the scan returned the rows in slot order, else the order that sorts them."""
    n = len(slots)
    if bool((slots == np.arange(n)).all()):
        return None
    order = np.argsort(slots, kind="stable")
    if not bool((slots[order] == np.arange(n)).all()):
        raise VectorError(
            f"table vec_{name} does not hold slots 0..{n - 1} exactly once each; it was changed outside "
            f"DuckDBVector - rebuild the index (delete_index({name!r}) and upsert again)",
            code="VECTOR_CORRUPT_TABLE",
        )
    return order


def _gather_vectors(column: pa.ChunkedArray, slots: np.ndarray, dimension: int) -> np.ndarray:
    """The ``FLOAT[dim]`` column as one writable float32 matrix in slot order (one copy, chunk by chunk)."""
    out = np.empty((len(slots), dimension), dtype=np.float32)
    start = 0
    for chunk in column.chunks:
        k = len(chunk)
        part = np.asarray(chunk.flatten().to_numpy(zero_copy_only=False), dtype=np.float32).reshape(
            k, dimension
        )
        at = slots[start : start + k]
        if k and at[-1] - at[0] == k - 1 and bool((np.diff(at) == 1).all()):
            out[at[0] : at[0] + k] = part
        else:
            out[at] = part
        start += k
    return out
