"""PgVector: vector indexes in PostgreSQL with pgvector, searched and filtered by the server.

Each index is one table ``vec_<index>`` in the store's schema - ``seq`` (insertion order, the tie-break),
``id`` (primary key), ``embedding vector(dim)``, ``metadata jsonb`` and ``document`` - and a registry table
``mastra_vector_indexes`` records each index's shape and embedder. Unlike the embedded stores, nothing is
held in memory: every call is SQL, so several processes share an index and a collection may be larger than
any of them. Queries order by pgvector's distance operators (``<=>`` cosine, ``<->`` euclidean, ``<#>``
negative inner product), mapped to our higher-is-better scores; filters are compiled to SQL over ``jsonb``
(:mod:`~mastra_lab.vector._filter_sql`) and evaluated by the server.

``index="hnsw"`` builds a pgvector HNSW index with the metric's operator class, ``m`` and
``ef_construction`` (after the first bulk load into an empty index, since building the graph once is much
faster than growing it row by row); ``query(..., ef=)`` runs with that ``hnsw.ef_search``, and
``hnsw.iterative_scan`` lets a filtered query keep walking the graph until it has ``top_k`` matches. A
query that the graph still cannot fill (a very selective filter) is answered exactly. Flat indexes are
always exact.

Vectors travel in pgvector's binary format, and bulk upserts go through ``COPY ... (FORMAT BINARY)`` into a
temporary table merged with one ``INSERT ... ON CONFLICT``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import struct
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from mastra_lab.errors import VectorError
from mastra_lab.storage._pg import PgTarget, open_pool
from mastra_lab.vector._filter_sql import compile_sql
from mastra_lab.vector._types import IndexSpec, QueryResult, QueryResults
from mastra_lab.vector.base import VectorStore
from mastra_lab.vector.filter import FilterNode

try:
    import psycopg
    from psycopg.adapt import Dumper
    from psycopg.pq import Format
except ImportError as exc:  # pragma: no cover - the extra is missing
    raise ImportError('PgVector needs psycopg 3: pip install "mastra-lab[postgres]"') from exc

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from mastra_lab.storage.postgres import PostgresStore

__all__ = ["HNSW_MAX_DIMENSION", "MAX_DIMENSION", "PgVector"]

HNSW_MAX_DIMENSION = 2000
"""The most dimensions pgvector indexes with HNSW for the ``vector`` type."""
MAX_DIMENSION = 16000
"""The most dimensions a pgvector ``vector`` column holds (searched exactly)."""

_REGISTRY = "mastra_vector_indexes"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_OPERATOR = {"cosine": "<=>", "euclidean": "<->", "dotproduct": "<#>"}
_OPCLASS = {"cosine": "vector_cosine_ops", "euclidean": "vector_l2_ops", "dotproduct": "vector_ip_ops"}
_DEFAULT_EF = 40  # pgvector's default hnsw.ef_search
_SMALL_BATCH = 64  # rows up to which one multi-row INSERT beats COPY into a temporary table


class _Vector:
    """A float32 vector on its way to a ``vector`` parameter or column (binary format)."""

    __slots__ = ("array",)

    def __init__(self, array: np.ndarray) -> None:
        self.array = array


class _VectorDumper(Dumper):
    """pgvector's binary input: ``uint16`` dimension, ``uint16`` unused, then big-endian ``float4``s.

    The type oid stays 0 ("infer it"): statements cast the parameter (``%b::vector``) and ``COPY`` knows
    its column, so no lookup of the extension's oid is needed.
    """

    format = Format.BINARY

    def dump(self, obj: Any) -> bytes:
        arr: np.ndarray = obj.array
        return struct.pack(">HH", arr.shape[0], 0) + arr.astype(">f4", copy=False).tobytes()


def _configure(conn: psycopg.Connection[Any]) -> None:
    """Every pooled connection: the vector dumper, and autocommit - transactions are explicit, so a
    query is one round trip (or one pipelined batch with its settings)."""
    conn.adapters.register_dumper(_Vector, _VectorDumper)
    conn.autocommit = True


def _ident(prefix: str, name: str) -> str:
    """``prefix + name`` as a PostgreSQL identifier of at most 63 bytes (longer ones get a hash suffix,
    since the server would silently truncate them and two indexes could collide)."""
    full = prefix + name
    if len(full) <= 63:
        return full
    return f"{full[:54]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def _reopen(dsn: str, schema: str, pool_size: int, connect_timeout: float) -> PgVector:
    """Unpickle a :class:`PgVector`: open it again from its recipe in the receiving process."""
    return PgVector(dsn, schema, pool_size, connect_timeout=connect_timeout)


class PgVector(VectorStore):
    """Vector indexes in PostgreSQL with the ``vector`` extension (pgvector), searched by the server.

    Args:
        dsn: ``postgresql://user:password@host:port/db`` (or libpq's ``key=value`` form). The password
            is never shown: ``repr`` and errors name ``user@host:port/db``.
        schema: Where the tables live; created if missing.
        pool_size: Connections kept open.
        connect_timeout: Seconds to wait for the server before giving up with an error naming it.

    Raises:
        VectorError: The server cannot be reached or refuses the password, the database has no
            ``vector`` extension and the role may not create it (the message says how to install it), or
            ``schema`` is not an identifier.

    A ``PgVector`` pickles as its recipe (DSN, schema, pool size, timeout) and reopens in the receiving
    process, so worker processes share the same indexes; the pickle carries the DSN, password included.

    Example:
        ```py
        from mastra_lab.vector import PgVector

        with PgVector("postgresql://app:secret@127.0.0.1:5432/app") as store:
            store.create_index("docs", dimension=3, index="hnsw")
            store.upsert("docs", [[1, 0, 0], [0, 1, 0]], metadata=[{"k": "a"}, {"k": "b"}], ids=["a", "b"])
            assert store.query("docs", [1, 0.1, 0], top_k=1, filter={"k": "a"})[0].id == "a"
        ```
    """

    db_system = "postgresql"

    def __init__(
        self, dsn: str, schema: str = "public", pool_size: int = 4, *, connect_timeout: float = 5.0
    ) -> None:
        super().__init__()
        if not isinstance(schema, str) or not _IDENT.match(schema):
            raise VectorError(
                f"invalid schema name {schema!r}: use letters, digits and '_' (not starting with a digit, "
                "at most 63 characters), e.g. 'public' or 'vectors'",
                code="VECTOR_BAD_ARGUMENT",
            )
        if isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1:
            raise VectorError(
                f"pool_size must be a positive integer, got {pool_size!r}", code="VECTOR_BAD_ARGUMENT"
            )
        self._target = PgTarget(dsn, VectorError)
        self._ef_by_connection: weakref.WeakKeyDictionary[psycopg.Connection[Any], int] = (
            weakref.WeakKeyDictionary()
        )
        self.schema = schema
        self._recipe = (schema, pool_size, float(connect_timeout))
        self._pool: ConnectionPool = open_pool(
            self._target,
            VectorError,
            min_size=1,
            max_size=pool_size,
            connect_timeout=connect_timeout,
            configure=_configure,
        )
        try:
            with self._map_errors(f"open {self._target}"):
                self._iterative = self._prepare()
        except BaseException:
            self._pool.close()
            raise

    @classmethod
    def from_store(cls, store: PostgresStore, pool_size: int = 4) -> PgVector:
        """Vectors in the same database and schema as ``store``, so indexes live beside its threads and
        runs, and every process that opens the store's DSN finds them."""
        return cls(store.dsn.reveal(), store.schema, pool_size, connect_timeout=store.connect_timeout)

    def __repr__(self) -> str:
        return f"PgVector({str(self._target)!r}, schema={self.schema!r})" + (" closed" if self.closed else "")

    def __reduce__(self) -> tuple[Any, tuple[str, str, int, float]]:
        schema, pool_size, timeout = self._recipe
        return _reopen, (self._target.dsn.reveal(), schema, pool_size, timeout)

    # -- connections and errors ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _map_errors(self, action: str) -> Iterator[None]:
        """psycopg's and the pool's exceptions as :class:`VectorError`, the password scrubbed out."""
        from psycopg_pool import PoolTimeout

        try:
            yield
        except psycopg.Error as exc:
            text = self._target.scrub((str(exc).strip().splitlines() or [type(exc).__name__])[0])[:300]
            where = f"PostgreSQL at {self._target.host}:{self._target.port}"
            if isinstance(exc, psycopg.OperationalError):
                raise VectorError(
                    f"lost the connection to {where} while trying to {action}: {text}; check that the "
                    "server is running and reachable",
                    code="VECTOR_CONNECT_FAILED",
                    category="system",
                    details={"backend": "postgresql", "server": str(self._target)},
                ) from None
            raise VectorError(
                f"{where} failed to {action}: {text}",
                code="VECTOR_BACKEND",
                category="system",
                details={"backend": "postgresql", "type": type(exc).__name__, "sqlstate": exc.sqlstate},
            ) from None
        except PoolTimeout:
            raise VectorError(
                f"no connection to PostgreSQL at {self._target.host}:{self._target.port} became free to "
                f"{action}; raise pool_size or check that the server is reachable",
                code="VECTOR_CONNECT_FAILED",
                category="system",
            ) from None

    @contextlib.contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection in a transaction, committed when the block ends (rolled back on error)."""
        with self._pool.connection() as conn, conn.transaction():
            yield conn

    @property
    def _registry(self) -> str:
        return f'"{self.schema}".{_REGISTRY}'

    def _table(self, name: str) -> str:
        return f'"{self.schema}"."{_ident("vec_", name)}"'

    def _prepare(self) -> bool:
        """Check the extension (installing it when the role may), create the schema and the registry;
        return whether pgvector can continue a filtered HNSW scan (``hnsw.iterative_scan``, 0.8+)."""
        with self._connection() as conn:
            version = self._extension(conn)
            exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [self.schema]).fetchone()
            if exists is None:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{self.schema}".{_REGISTRY} (name text PRIMARY KEY, '
                "dimension integer NOT NULL, metric text NOT NULL, kind text NOT NULL, m integer NOT NULL, "
                "ef_construction integer NOT NULL, embedder text)"
            )
        major, minor = (int(x) for x in version.split(".")[:2])
        return (major, minor) >= (0, 8)

    def _extension(self, conn: psycopg.Connection[Any]) -> str:
        """The installed pgvector version; installs the extension if the role may, else a clear error."""
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        if row is not None:
            return str(row[0])
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
        where = f"PostgreSQL at {self._target.host}:{self._target.port}"
        database = self._target.database
        if available is None:
            major = conn.info.server_version // 10000
            raise VectorError(
                f"{where} has no pgvector: install the extension's package on the server (e.g. "
                f"apt install postgresql-{major}-pgvector, or build it from github.com/pgvector/pgvector), "
                f"then, as a superuser, run CREATE EXTENSION vector; in database {database!r}",
                code="VECTOR_EXTENSION_MISSING",
                details={"server": str(self._target)},
            )
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except psycopg.errors.InsufficientPrivilege:
            raise VectorError(
                f"database {database!r} on {where} does not have the vector extension, and role "
                f"{self._target.user!r} may not create it; as a superuser, connect to {database!r} and run "
                "CREATE EXTENSION vector;  (the package is installed on the server already)",
                code="VECTOR_EXTENSION_MISSING",
                details={"server": str(self._target)},
            ) from None
        row = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        return str(row[0]) if row else "0.0"

    # -- the registry ----------------------------------------------------------------------------------

    def _read_spec(self, name: str) -> IndexSpec | None:
        with self._connection() as conn:
            row = conn.execute(
                "SELECT dimension, metric, kind, m, ef_construction, embedder "
                f"FROM {self._registry} WHERE name = %s",
                [name],
            ).fetchone()
        return None if row is None else IndexSpec(name, *row)

    def _index_names(self) -> Iterable[str]:
        with self._connection() as conn:
            return [r[0] for r in conn.execute(f"SELECT name FROM {self._registry}")]

    def _create(self, spec: IndexSpec) -> None:
        limit = HNSW_MAX_DIMENSION if spec.kind == "hnsw" else MAX_DIMENSION
        if spec.dimension > limit:
            fix = (
                f"use index='flat' (exact search, up to {MAX_DIMENSION:,} dimensions) or reduce the dimension"
                if spec.kind == "hnsw"
                else "reduce the dimension (e.g. an embedder with fewer dimensions)"
            )
            raise VectorError(
                f"index {spec.name!r}: pgvector's {'HNSW index' if spec.kind == 'hnsw' else 'vector type'} "
                f"takes at most {limit:,} dimensions, got {spec.dimension:,}; {fix}",
                code="VECTOR_BAD_DIMENSION",
                details={"index": spec.name, "dimension": spec.dimension, "limit": limit},
            )
        table = self._table(spec.name)
        with self._connection() as conn:
            conn.execute(
                f"CREATE TABLE {table} (seq bigint GENERATED ALWAYS AS IDENTITY, id text PRIMARY KEY, "
                f"embedding vector({spec.dimension}) NOT NULL, metadata jsonb NOT NULL DEFAULT '{{}}', "
                "document text)"
            )
            if spec.kind == "hnsw":
                conn.execute(self._hnsw_ddl(spec))
            conn.execute(
                f"INSERT INTO {self._registry} (name, dimension, metric, kind, m, ef_construction, embedder) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
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

    def _hnsw_ddl(self, spec: IndexSpec) -> str:
        return (
            f'CREATE INDEX "{_ident("hnsw_", spec.name)}" ON {self._table(spec.name)} USING hnsw '
            f"(embedding {_OPCLASS[spec.metric]}) WITH (m = {int(spec.m)}, "
            f"ef_construction = {int(spec.ef_construction)})"
        )

    def _save_embedder(self, spec: IndexSpec) -> None:
        with self._connection() as conn:
            conn.execute(
                f"UPDATE {self._registry} SET embedder = %s WHERE name = %s",
                [spec.embedder, spec.name],
            )

    def _drop(self, spec: IndexSpec) -> None:
        with self._connection() as conn:
            conn.execute(f"DROP TABLE IF EXISTS {self._table(spec.name)}")
            conn.execute(f"DELETE FROM {self._registry} WHERE name = %s", [spec.name])

    def _count(self, spec: IndexSpec) -> int:
        with self._connection() as conn:
            row = conn.execute(f"SELECT count(*) FROM {self._table(spec.name)}").fetchone()
        return int(row[0]) if row else 0

    def _close(self) -> None:
        self._pool.close()

    # -- writes ----------------------------------------------------------------------------------------

    def _write(
        self,
        spec: IndexSpec,
        ids: list[str],
        vectors: np.ndarray,
        metadata: list[dict[str, Any]],
        documents: list[str | None],
    ) -> None:
        table = self._table(spec.name)
        merge = (
            "ON CONFLICT (id) DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata, "
            "document = EXCLUDED.document"
        )
        with self._connection() as conn:
            if len(ids) <= _SMALL_BATCH:
                params: list[Any] = []
                for i, v, m, d in zip(ids, vectors, metadata, documents, strict=True):
                    params += [i, _Vector(v), json.dumps(m), d]
                values = ", ".join(["(%s, %b::vector, %s::jsonb, %s)"] * len(ids))
                conn.execute(
                    f"INSERT INTO {table} (id, embedding, metadata, document) VALUES {values} {merge}", params
                )
                return
            # filling an empty HNSW index: building the graph once, after the load, is several times
            # faster than inserting row by row into it (pgvector's own advice)
            rebuild = (
                spec.kind == "hnsw" and conn.execute(f"SELECT NOT EXISTS (SELECT FROM {table})").fetchone()
            )
            if rebuild and rebuild[0]:
                conn.execute(f'DROP INDEX "{self.schema}"."{_ident("hnsw_", spec.name)}"')
            conn.execute(
                "CREATE TEMPORARY TABLE _mastra_upsert (ord integer, id text, "
                f"embedding vector({spec.dimension}), metadata jsonb, document text) ON COMMIT DROP"
            )
            with conn.cursor().copy("COPY _mastra_upsert FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(["int4", "text", "bytea", "jsonb", "text"])
                vecs = map(_vector_bytes, vectors)
                for row in zip(range(len(ids)), ids, vecs, metadata, documents, strict=True):
                    copy.write_row(row)
            conn.execute(
                f"INSERT INTO {table} (id, embedding, metadata, document) "
                f"SELECT id, embedding, metadata, document FROM _mastra_upsert ORDER BY ord {merge}"
            )
            if rebuild and rebuild[0]:
                conn.execute(self._hnsw_ddl(spec))

    def _update(
        self, spec: IndexSpec, id: str, vector: np.ndarray | None, metadata: dict[str, Any] | None
    ) -> bool:
        sets: list[str] = []
        params: list[Any] = []
        if vector is not None:
            sets.append("embedding = %b::vector")
            params.append(_Vector(vector[0]))
        if metadata is not None:
            sets.append("metadata = %s::jsonb")
            params.append(json.dumps(metadata))
        with self._connection() as conn:
            cur = conn.execute(
                f"UPDATE {self._table(spec.name)} SET {', '.join(sets) or 'id = id'} WHERE id = %s",
                [*params, id],
            )
            return cur.rowcount == 1

    def _delete_ids(self, spec: IndexSpec, ids: list[str]) -> int:
        with self._connection() as conn:
            return conn.execute(f"DELETE FROM {self._table(spec.name)} WHERE id = ANY(%s)", [ids]).rowcount

    def _delete_matching(self, spec: IndexSpec, node: FilterNode) -> int:
        where, params = compile_sql(node, dialect="postgres")
        with self._connection() as conn:
            return conn.execute(f"DELETE FROM {self._table(spec.name)} WHERE {where}", params).rowcount

    def _rebuild(self, spec: IndexSpec) -> None:
        with self._connection() as conn:
            conn.execute(f'REINDEX INDEX "{self.schema}"."{_ident("hnsw_", spec.name)}"')

    # -- reads -----------------------------------------------------------------------------------------

    def _set_ef(self, conn: psycopg.Connection[Any], ef: int) -> None:
        """Give ``conn`` the ``hnsw.ef_search`` of this query (and an iterative scan, so that a filtered
        query keeps walking the graph until it has ``top_k`` matches).

        The setting is the session's, and each pooled connection remembers the value it holds, so it is
        sent only when it changes: every HNSW query runs with the ``ef`` it asked for, in one round trip
        (``SET LOCAL`` would need a transaction around each query - three more). Nothing else on these
        connections reads it.
        """
        if self._ef_by_connection.get(conn) == ef:
            return
        conn.execute(
            "SELECT set_config('hnsw.ef_search', %s, false)"
            + (", set_config('hnsw.iterative_scan', 'relaxed_order', false)" if self._iterative else ""),
            [str(ef)],
        )
        self._ef_by_connection[conn] = ef

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
        if ef is not None and (isinstance(ef, bool) or not isinstance(ef, int) or not 1 <= ef <= 1000):
            raise VectorError(
                f"ef must be an integer from 1 to 1000 (pgvector's hnsw.ef_search), got {ef!r}",
                code="VECTOR_BAD_HNSW_PARAM",
            )
        where, params = ("", []) if node is None else compile_sql(node, dialect="postgres")
        distance = f"embedding {_OPERATOR[spec.metric]} %b::vector"
        columns = "id, metadata, document, seq" + (", embedding::real[]" if include_vector else "")
        clause = f" WHERE {where}" if where else ""
        table = self._table(spec.name)
        select = f"SELECT {distance} AS d, {columns} FROM {table}{clause}"
        with self._pool.connection() as conn:
            rows: list[tuple[Any, ...]] = []
            if spec.kind == "hnsw":
                self._set_ef(conn, max(_DEFAULT_EF, top_k) if ef is None else ef)
                rows = conn.execute(
                    f"{select} ORDER BY {distance} LIMIT %s", [_Vector(q), *params, _Vector(q), top_k]
                ).fetchall()
                # relaxed_order may hand back neighbours slightly out of order: put them in order
                rows.sort(key=lambda r: (r[0] if r[0] == r[0] else math.inf, r[4]))  # NaN last
                if len(rows) < top_k:
                    # exact, off the graph: the scan sees every matching row
                    rows = _in_one_round_trip(
                        conn,
                        [("SELECT set_config('enable_indexscan', 'off', true)", [])],
                        (f"{select} ORDER BY d, seq LIMIT %s", [_Vector(q), *params, top_k]),
                    )
            else:
                rows = conn.execute(
                    f"{select} ORDER BY d, seq LIMIT %s", [_Vector(q), *params, top_k]
                ).fetchall()
        return _results(spec.metric, rows, min_score, include_vector)


def _in_one_round_trip(
    conn: psycopg.Connection[Any], settings: list[tuple[str, list[Any]]], query: tuple[str, list[Any]]
) -> list[tuple[Any, ...]]:
    """``query``'s rows, run in one transaction after ``settings`` (``set_config(..., true)``, i.e.
    ``SET LOCAL``), all sent as one pipelined batch: one round trip instead of four."""
    with conn.pipeline():
        conn.execute("BEGIN")
        for sql, params in settings:
            conn.execute(sql, params)
        cur = conn.execute(*query)
        conn.execute("COMMIT")
    return cur.fetchall()


def _vector_bytes(v: np.ndarray) -> bytes:
    return struct.pack(">HH", v.shape[0], 0) + v.astype(">f4", copy=False).tobytes()


def _results(
    metric: str, rows: list[tuple[Any, ...]], min_score: float | None, include_vector: bool
) -> QueryResults:
    """Hits from ``(distance, id, metadata, document, seq[, vector])`` rows, with higher-is-better scores."""
    out = QueryResults()
    for row in rows:
        d = float(row[0])
        if d != d:  # NaN: the cosine of a zero vector, which the in-memory engine scores 0
            score = 0.0
        elif metric == "cosine":
            score = 1.0 - d
        elif metric == "euclidean":
            score = 1.0 / (1.0 + d)
        else:
            score = -d
        if min_score is not None and score < min_score:
            continue
        vector = [float(x) for x in row[5]] if include_vector else None
        out.append(QueryResult(id=row[1], score=score, metadata=row[2], vector=vector, document=row[3]))
    return out
