"""The :class:`Mastra` registry: one object that owns storage, vectors, telemetry and names every agent.

Everything an application has is registered here once, under a name, and reached by name afterwards
(``mastra.get_agent("support")``), which is what the CLI and the ``%mastra`` magics do. The registry also
hands its storage, tracer and logger to what it registers, so an agent writes its memory and traces to the
same database the notebook inspects, without being told twice.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from mastra_lab import _runtime
from mastra_lab.errors import MastraError
from mastra_lab.telemetry.exporters import ConsoleExporter, SpanExporter, StorageExporter
from mastra_lab.telemetry.logger import MastraLogger, configure_logging, get_logger
from mastra_lab.telemetry.metrics import resolve_prices
from mastra_lab.telemetry.tracer import Tracer

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.config import Settings, TelemetrySettings
    from mastra_lab.embed.base import Embedder
    from mastra_lab.llm.base import Model
    from mastra_lab.memory import Memory
    from mastra_lab.rag import Document, IngestReport
    from mastra_lab.storage import Storage
    from mastra_lab.telemetry.metrics import CostBy, MetricsBy, ModelPrice, TimeArg
    from mastra_lab.vector import IndexStats, QueryResults, VectorStore

__all__ = ["IndexRef", "Mastra"]

_IfLocked = Literal["error", "read_only"]


def _named(kind: str, items: Mapping[str, Any] | Iterable[Any] | None) -> dict[str, Any]:
    """Accept ``{"name": obj}`` or a list of objects that carry ``.name`` (or ``.id``)."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        pairs = list(items.items())
    else:
        pairs = []
        for obj in items:
            name = getattr(obj, "name", None) or getattr(obj, "id", None)
            if not isinstance(name, str):
                raise MastraError(
                    f"cannot register {obj!r} as a {kind}: it has no string .name or .id; "
                    f"pass a dict {{name: {kind}}} instead",
                    code="MASTRA_UNNAMED",
                )
            pairs.append((name, obj))
    named: dict[str, Any] = {}
    for name, obj in pairs:
        if name in named:
            raise MastraError(
                f"two {kind}s are named {name!r}; give each {kind} a unique name",
                code="MASTRA_DUPLICATE_NAME",
                details={"kind": kind, "name": name},
            )
        named[name] = obj
    return named


_TELEMETRY_FORMS = (
    "a Tracer, True/'storage' (the default), 'console', 'otlp', False/'none', a TelemetrySettings, "
    "or a dict of its fields"
)


def _make_tracer(
    telemetry: Tracer | bool | str | TelemetrySettings | Mapping[str, Any] | None, storage: Storage
) -> Tracer:
    """The registry's tracer from whatever ``Mastra(telemetry=...)`` was given."""
    from mastra_lab.config import TelemetrySettings

    if isinstance(telemetry, Tracer):
        return telemetry
    if telemetry is None or telemetry is True:
        telemetry = "storage"
    if telemetry is False:
        telemetry = "none"
    if isinstance(telemetry, str):
        if telemetry not in ("storage", "console", "otlp", "none"):
            raise MastraError(
                f"telemetry={telemetry!r} is not understood; pass {_TELEMETRY_FORMS}", code="MASTRA_TELEMETRY"
            )
        telemetry = TelemetrySettings(exporter=telemetry)  # type: ignore[arg-type]
    elif isinstance(telemetry, Mapping):
        from mastra_lab.config import load_settings

        telemetry = load_settings({"telemetry": dict(telemetry)}, environ={}).telemetry
    if not isinstance(telemetry, TelemetrySettings):
        raise MastraError(
            f"telemetry={telemetry!r} is not understood; pass {_TELEMETRY_FORMS}", code="MASTRA_TELEMETRY"
        )
    return _tracer_from_settings(telemetry, storage)


def _tracer_from_settings(settings: TelemetrySettings, storage: Storage) -> Tracer:
    from mastra_lab.telemetry.redaction import Redaction

    options: dict[str, Any] = {
        "sampler": settings.sampling,
        "capture_content": settings.capture_content,
        "redaction": Redaction(settings.mask_fields, max_attribute_chars=settings.max_attribute_chars),
    }
    if not settings.enabled or settings.exporter == "none":
        return Tracer(enabled=False, **options)
    exporter: SpanExporter
    if settings.exporter == "console":
        exporter = ConsoleExporter()
    elif settings.exporter == "otlp":
        exporter = _otlp_exporter(settings)
    else:
        exporter = StorageExporter(
            storage, flush_interval=settings.flush_interval, max_rows=settings.max_rows
        )
    return Tracer([exporter], **options)


def _otlp_exporter(settings: TelemetrySettings) -> SpanExporter:
    import importlib

    try:
        otlp = importlib.import_module("mastra_lab.telemetry.otlp")
    except ImportError as exc:
        raise MastraError(
            f"telemetry exporter 'otlp' needs the otlp extra ({exc}); pip install 'mastra-lab[otlp]'",
            code="MASTRA_TELEMETRY",
        ) from exc
    kwargs: dict[str, Any] = {"flush_interval": settings.flush_interval}
    if settings.otlp_endpoint:
        kwargs["endpoint"] = settings.otlp_endpoint
    if settings.otlp_headers:
        kwargs["headers"] = dict(settings.otlp_headers)  # secrets stay wrapped: the exporter sends them
    exporter: SpanExporter = otlp.OTLPExporter(**kwargs)
    return exporter


@dataclasses.dataclass(frozen=True)
class IndexRef:
    """One index of one registered vector store, as :meth:`Mastra.find_index` finds it.

    ``IndexRef(store_name='default', index_name='help', store=<the DuckDBVector>)``; :attr:`path` names it.

    Attributes:
        store_name: The name the store is registered under.
        index_name: The index's name in that store.
        store: The vector store itself.
    """

    store_name: str
    index_name: str
    store: VectorStore = dataclasses.field(repr=False)

    @property
    def path(self) -> str:
        """``store/index``: the name that picks this index even when several stores have one so named."""
        return f"{self.store_name}/{self.index_name}"

    def describe(self) -> IndexStats:
        """The index's :class:`~mastra_lab.vector.IndexStats` (dimension, count, metric, embedder)."""
        return self.store.describe_index(self.index_name)


def _resolve_embedder(
    ref: str, recorded: str | None, given: Embedder | str | None, default: Embedder | str
) -> Embedder:
    """The embedder for an index: the one given, else the one it records, else ``default``."""
    from mastra_lab.embed.registry import get_embedder

    choice = given if given is not None else recorded if recorded is not None else default
    if not isinstance(choice, str):
        return choice
    try:
        return get_embedder(choice)
    except MastraError as exc:
        if given is None and recorded is not None:
            raise MastraError(
                f"index {ref!r} records embedder {recorded!r}, which cannot be rebuilt from its name "
                f"({exc.message}); pass the embedder object that filled it as embedder=",
                code=exc.code,
                domain="vector",
                details={"index": ref, "recorded": recorded},
            ) from exc
        raise


class Mastra:
    """The registry of an application's agents, workflows, storage, vector stores and telemetry.

    Args:
        agents: ``{name: agent}`` or a list of agents (named by their ``.name``).
        workflows: ``{id: workflow}`` or a list of workflows (named by their ``.id``).
        storage: Any :class:`~mastra_lab.storage.Storage`; defaults to an in-memory DuckDB.
        vectors: ``{name: vector_store}``.
        telemetry: A :class:`~mastra_lab.telemetry.Tracer`, ``True``/``"storage"`` (spans saved to
            ``storage``, the default), ``"console"``, ``"otlp"`` (needs the ``otlp`` extra),
            ``False``/``"none"``, or a :class:`~mastra_lab.config.TelemetrySettings` (or a dict of its
            fields: ``{"capture_content": True, "sampling": 0.1, "max_rows": 100_000}``).
        logger: The logger to use and hand to registered components.
        prices: Model prices for cost (``{"my-model": ModelPrice(0.5, 1.5)}``), merged over
            :data:`~mastra_lab.telemetry.metrics.DEFAULT_PRICES`; see :attr:`prices`.

    Example:
        ```python
        from mastra_lab import Mastra

        with Mastra() as mastra:
            print(mastra.status()["storage"])  # duckdb
        ```
    """

    def __init__(
        self,
        agents: Mapping[str, Any] | Iterable[Any] | None = None,
        workflows: Mapping[str, Any] | Iterable[Any] | None = None,
        storage: Storage | None = None,
        vectors: Mapping[str, Any] | None = None,
        telemetry: Tracer | bool | str | TelemetrySettings | Mapping[str, Any] | None = None,
        logger: MastraLogger | None = None,
        prices: Mapping[str, Any] | None = None,
    ) -> None:
        self.prices: dict[str, ModelPrice] = resolve_prices(prices)
        """Model prices (USD per million tokens) that :meth:`spans_df`, :meth:`cost_df` … use; editable."""
        agents_by_name = _named("agent", agents)
        workflows_by_id = _named("workflow", workflows)
        vectors_by_name = _named("vector store", vectors)
        if storage is None:
            from mastra_lab.storage import DuckDBStore

            storage = DuckDBStore(":memory:")
        self.storage: Storage = storage
        self.tracer = _make_tracer(telemetry, storage)
        self.logger = logger or get_logger("mastra")
        self._agents: dict[str, Any] = {}
        self._workflows: dict[str, Any] = {}
        self._vectors: dict[str, Any] = {}
        self._memory: Memory | None = None
        self._closed = False
        self.settings: Settings | None = None
        """The validated settings, when built with :meth:`from_config`."""
        for name, agent in agents_by_name.items():
            self.add_agent(agent, name)
        for name, workflow in workflows_by_id.items():
            self.add_workflow(workflow, name)
        for name, vector in vectors_by_name.items():
            self.add_vector(name, vector)

    @classmethod
    def from_config(
        cls, path_or_dict: str | os.PathLike[str] | Mapping[str, Any] | None = None, **kwargs: Any
    ) -> Mastra:
        """Build a registry from a JSON/TOML file or a dict, with ``MASTRA_*`` environment variables on top.

        Args:
            path_or_dict: A config file path, a dict of settings, or ``None`` for ``MASTRA_CONFIG``/defaults.
            **kwargs: Passed to :class:`Mastra` (``agents=…``, ``workflows=…``).
        """
        from mastra_lab.config import load_settings

        return cls._from_settings(load_settings(path_or_dict), "error", **kwargs)

    @classmethod
    def _from_settings(cls, settings: Settings, if_locked: _IfLocked, **kwargs: Any) -> Mastra:
        configure_logging(settings.log_level, settings.log_format)
        kwargs.setdefault("telemetry", settings.telemetry)
        mastra = cls(storage=_open_storage(settings, if_locked), **kwargs)
        mastra.settings = settings
        return mastra

    @classmethod
    def open(
        cls,
        db: str | os.PathLike[str] | None = None,
        config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
        *,
        dsn: str | None = None,
        schema: str = "public",
        read_only: bool = False,
        **kwargs: Any,
    ) -> Mastra:
        """The registry a notebook usually wants, in one call: storage from a file or a config, plus vectors.

        A ``db`` ending in ``.sqlite``, ``.sqlite3`` or ``.db`` opens a
        :class:`~mastra_lab.storage.SQLiteStore`, any other path a DuckDB file, and no ``db`` (nor
        ``config``) an in-memory DuckDB. A DuckDB file that another process holds is still opened, read-only
        (see :meth:`~mastra_lab.storage.DuckDBStore.open`), and :meth:`storage_info` says so in ``note``:
        looking at the database a running app writes is what a notebook is often for. A vector store named
        ``"default"`` is registered unless ``vectors=`` has one: on DuckDB it lives in the same database
        (:meth:`~mastra_lab.vector.DuckDBVector.from_store`), so indexes persist with the data; on other
        backends it is an :class:`~mastra_lab.vector.InMemoryVector`, except on PostgreSQL, where it is a
        :class:`~mastra_lab.vector.PgVector` in the same database and schema, so every process that opens
        the same DSN sees the same threads, runs, spans and vectors.

        Args:
            db: A database file, or ``None`` for an in-memory DuckDB.
            config: A config file or dict as for :meth:`from_config` (not together with ``db``).
            dsn: A PostgreSQL server (``postgresql://user:password@host:5432/db``) instead of a file: opens
                a :class:`~mastra_lab.storage.PostgresStore` (extra ``postgres``).
            schema: The PostgreSQL schema for ``dsn``.
            read_only: Open the storage without writing (DuckDB files only).
            **kwargs: Passed to :class:`Mastra` (``agents=…``, ``vectors=…``).

        Example:
            ```python
            from mastra_lab import Mastra

            with Mastra.open() as mastra:
                print(mastra.storage_info()["backend"], sorted(mastra.vectors))  # duckdb ['default']
            ```
        """
        if sum(x is not None for x in (db, config, dsn)) > 1:
            raise MastraError(
                "pass one of db (a database file), dsn (a PostgreSQL server) or config (a settings file "
                "naming one), not several",
                code="MASTRA_BAD_ARGUMENT",
            )
        if dsn is not None:
            if read_only:
                raise MastraError(
                    "read_only is for DuckDB files; on PostgreSQL use a role with read-only grants",
                    code="MASTRA_BAD_ARGUMENT",
                )
            from mastra_lab.storage import PostgresStore

            mastra = cls(storage=PostgresStore(dsn, schema=schema), **kwargs)
        elif config is not None:
            from mastra_lab.config import load_settings

            settings = load_settings(config)
            if read_only:
                storage = settings.storage.model_copy(update={"read_only": True})
                settings = settings.model_copy(update={"storage": storage})
            mastra = cls._from_settings(settings, "read_only", **kwargs)
        else:
            mastra = cls(storage=_open_path(db, read_only), **kwargs)
        if "default" not in mastra._vectors:
            try:
                mastra.add_vector("default", _default_vector(mastra.storage))
            except BaseException:
                mastra.close()
                raise
        return mastra

    # -- registration -------------------------------------------------------------------------------

    def _bind(self, component: Any) -> None:
        bind = getattr(component, "_bind_mastra", None)
        if callable(bind):
            bind(self)

    def add_agent(self, agent: Any, name: str | None = None) -> None:
        """Register ``agent`` under ``name`` (default: its ``.name``) and give it this registry's services."""
        key = name or getattr(agent, "name", None)
        self._add("agent", self._agents, key, agent)

    def add_workflow(self, workflow: Any, name: str | None = None) -> None:
        """Register ``workflow`` under ``name`` (default: its ``.id``)."""
        key = name or getattr(workflow, "id", None)
        self._add("workflow", self._workflows, key, workflow)

    def add_vector(self, name: str, vector: Any) -> None:
        """Register a vector store under ``name`` and give it this registry's services.

        Its calls made outside any trace (``store.query(...)`` in a cell) start traces of this registry's
        tracer, unless the store was given a tracer of its own. A ``"default"`` store is also handed to the
        memories of agents registered before it that have no vector store yet (:meth:`open` adds one after
        the agents), so their embeddings live beside the data instead of in a private in-memory store.
        """
        self._add("vector store", self._vectors, name, vector)
        if getattr(vector, "tracer", False) is None:
            vector.tracer = self.tracer
        if name == "default":
            for memory in self.memories.values():
                memory.bind(self.storage, vector)

    def _add(self, kind: str, registry: dict[str, Any], name: Any, obj: Any) -> None:
        self._check_open()
        if not isinstance(name, str) or not name:
            raise MastraError(f"a {kind} needs a non-empty string name, got {name!r}", code="MASTRA_UNNAMED")
        if name in registry:
            raise MastraError(
                f"a {kind} named {name!r} is already registered; choose another name",
                code="MASTRA_DUPLICATE_NAME",
                details={"kind": kind, "name": name},
            )
        registry[name] = obj
        self._bind(obj)

    # -- lookup -------------------------------------------------------------------------------------

    @staticmethod
    def _get(kind: str, registry: dict[str, Any], name: str) -> Any:
        try:
            return registry[name]
        except KeyError:
            known = ", ".join(sorted(registry)) or "none registered"
            raise MastraError(
                f"no {kind} named {name!r}; known {kind}s: {known}",
                code="MASTRA_NOT_FOUND",
                details={"kind": kind, "name": name, "known": sorted(registry)},
            ) from None

    def get_agent(self, name: str) -> Any:
        """The agent registered as ``name``; a :class:`MastraError` lists the known names otherwise."""
        return self._get("agent", self._agents, name)

    def agents_df(self) -> pd.DataFrame:
        """One row per registered agent: name, model, tools, memory, description (from ``describe()``)."""
        import pandas as pd

        columns = ["name", "model", "tools", "memory", "description"]
        rows = []
        for name, agent in sorted(self._agents.items()):
            info = agent.describe() if callable(getattr(agent, "describe", None)) else {}
            rows.append({**{c: info.get(c) for c in columns}, "name": name})
        return pd.DataFrame(rows, columns=columns)

    @property
    def memories(self) -> dict[str, Memory]:
        """The memory of each registered agent that has one, by agent name (agents may share one)."""
        return {
            n: a.memory for n, a in sorted(self._agents.items()) if getattr(a, "memory", None) is not None
        }

    def get_memory(self, agent: str | None = None) -> Memory:
        """The :class:`~mastra_lab.memory.Memory` a notebook inspects: an agent's, or one over this storage.

        Threads and messages live in the storage, not in the ``Memory`` object, so with no agent memory to
        pick, a ``Memory`` over this registry's storage and its ``"default"`` vector store (made once, with
        the library's default options, semantic recall and working memory on, and the embedder the message
        index records) shows the same conversations an application's agents wrote.

        Args:
            agent: Take this agent's memory. Without it: the one memory the agents have (several distinct
                ones are an error that names the agents), or the storage's when no agent has one.
        """
        if agent is not None:
            found = self.get_agent(agent)
            if getattr(found, "memory", None) is None:
                have = ", ".join(self.memories) or "none"
                raise MastraError(
                    f"agent {agent!r} has no memory; agents with memory: {have}",
                    code="MASTRA_NO_MEMORY",
                    details={"agent": agent},
                )
            memory: Memory = found.memory
            return memory
        memories = self.memories
        distinct = {id(m): m for m in memories.values()}
        if len(distinct) == 1:
            return next(iter(distinct.values()))
        if distinct:
            raise MastraError(
                f"several agents have their own memory ({', '.join(memories)}); name one with agent=",
                code="MASTRA_AMBIGUOUS_MEMORY",
                details={"agents": list(memories)},
            )
        if self._memory is None:
            self._memory = self._storage_memory()
        return self._memory

    def _storage_memory(self) -> Memory:
        from mastra_lab.memory import Memory

        vector = self._vectors.get("default")
        memory = Memory(semantic_recall=True, working_memory=True).bind(self.storage, vector)
        if memory.index in memory.vector.list_indexes():
            recorded = memory.vector.describe_index(memory.index).embedder
            if recorded is not None:
                memory = Memory(embedder=recorded, semantic_recall=True, working_memory=True)
                memory.bind(self.storage, vector)
        return memory

    def get_workflow(self, name: str) -> Any:
        """The workflow registered as ``name``."""
        return self._get("workflow", self._workflows, name)

    def workflows_df(self) -> pd.DataFrame:
        """One row per registered workflow: name, description, nodes, steps, and its stored runs by status.

        ``runs`` counts every stored run; ``success``, ``suspended`` and ``failed`` the runs that ended so
        (a run waiting in ``suspended`` is one a person may have to resume).
        """
        import pandas as pd

        columns = ["name", "description", "nodes", "steps", "runs", "success", "suspended", "failed"]
        rows = []
        for name, workflow in sorted(self._workflows.items()):
            statuses = [r.status for r in self.storage.list_runs(workflow.id)]
            rows.append(
                {
                    "name": name,
                    "description": workflow.description,
                    "nodes": len(workflow.nodes),
                    "steps": len(workflow.step_ids),
                    "runs": len(statuses),
                    **{s: statuses.count(s) for s in ("success", "suspended", "failed")},
                }
            )
        return pd.DataFrame(rows, columns=columns)

    def workflow_runs_df(self, workflow: str | None = None, status: str | None = None) -> pd.DataFrame:
        """The stored runs of one registered workflow, or of all of them, oldest first, by workflow name.

        Args:
            workflow: Only this registered workflow's runs (a :class:`MastraError` lists the known names).
            status: Only runs with this status (``success``, ``suspended`` …).
        """
        import pandas as pd

        names = [workflow] if workflow is not None else sorted(self._workflows)
        frames = []
        for name in names:
            df = self.get_workflow(name).runs_df(status=status)
            df.insert(0, "workflow", name)
            frames.append(df)
        if not frames:
            columns = ["workflow", "run_id", "status", "steps", "suspended", "error", "created_at"]
            return pd.DataFrame(columns=[*columns, "updated_at"])
        frames = [f for f in frames if len(f)] or frames[:1]
        df = pd.concat(frames, ignore_index=True)
        return df.sort_values("created_at", kind="stable", ignore_index=True) if len(df) else df

    def get_vector(self, name: str) -> Any:
        """The vector store registered as ``name``."""
        return self._get("vector store", self._vectors, name)

    def list_indexes(self) -> list[IndexRef]:
        """Every index of every registered vector store, by store name, then index name."""
        self._check_open()
        return [
            IndexRef(name, index, store)
            for name, store in sorted(self._vectors.items())
            for index in store.list_indexes()
        ]

    def find_index(self, name: str) -> IndexRef:
        """The index called ``name`` (``index`` in whichever store has it, or ``store/index``).

        Args:
            name: ``"help"`` or ``"default/help"``.

        Raises:
            MastraError: No index has that name (the message lists the known ones as ``store/index``),
                or several stores have one (the message lists the ``store/index`` forms to choose from).
        """
        indexes = self.list_indexes()
        store_name, sep, index = name.rpartition("/")
        found = [r for r in indexes if r.index_name == index and (not sep or r.store_name == store_name)]
        if len(found) == 1:
            return found[0]
        paths = [r.path for r in found or indexes]
        if found:
            raise MastraError(
                f"index {name!r} is in {len(found)} vector stores: {', '.join(paths)}; "
                "name one as STORE/INDEX",
                code="MASTRA_AMBIGUOUS",
                details={"name": name, "candidates": paths},
            )
        known = ", ".join(paths) or "none yet (ingest documents first, or create_index on a vector store)"
        raise MastraError(
            f"no vector index named {name!r}; known indexes: {known}",
            code="MASTRA_NOT_FOUND",
            details={"kind": "vector index", "name": name, "known": paths},
        )

    def indexes_df(self) -> pd.DataFrame:
        """One row per index of :meth:`list_indexes`: store, index, dimension, count, metric, embedder."""
        import pandas as pd

        rows = [
            {"store": r.store_name, "index": r.index_name, **dataclasses.asdict(r.describe())}
            for r in self.list_indexes()
        ]
        columns = ["store", "index", "dimension", "count", "metric", "embedder"]
        return pd.DataFrame(rows, columns=columns)

    def search(
        self,
        index: str,
        text: str,
        *,
        top_k: int = 10,
        filter: Mapping[str, Any] | None = None,
        embedder: Embedder | str | None = None,
        default_embedder: Embedder | str = "hashing",
        min_score: float | None = None,
    ) -> QueryResults:
        """Search an index by text, embedded by the embedder that filled it.

        Args:
            index: ``index`` or ``store/index`` (see :meth:`find_index`).
            text: The query.
            top_k: How many results at most.
            filter: A Mongo-style metadata filter.
            embedder: An embedder or its name (see :func:`~mastra_lab.embed.get_embedder`); by default the
                one the index records, then ``default_embedder``. One other than the recorded is refused.
            default_embedder: For an index that records no embedder.
            min_score: Drop results scoring below this.
        """
        ref = self.find_index(index)
        chosen = _resolve_embedder(ref.path, ref.describe().embedder, embedder, default_embedder)
        options = {"top_k": top_k, "filter": filter, "min_score": min_score}
        return ref.store.query_text(ref.index_name, text, chosen, **options)

    def ingest(
        self,
        documents: Iterable[Document | str],
        index: str,
        *,
        store: str | None = None,
        embedder: Embedder | str | None = None,
        default_embedder: Embedder | str = "hashing",
        **options: Any,
    ) -> IngestReport:
        """Chunk, embed and upsert ``documents`` into ``index`` of a registered vector store.

        Args:
            documents: :class:`~mastra_lab.rag.Document` objects or strings (see
                :func:`~mastra_lab.rag.load_documents` for files).
            index: The index name; created when missing.
            store: The registered store's name; by default ``"default"``, or the only store there is.
            embedder: An embedder or its name; by default the one an existing index records, then
                ``default_embedder``.
            default_embedder: For a new index, or one that records no embedder.
            **options: Passed to :func:`mastra_lab.rag.ingest` (``strategy``, ``max_size``, ``progress`` …).
        """
        from mastra_lab.rag import ingest

        store_name, vector = self._pick_vector(store)
        recorded = vector.describe_index(index).embedder if index in vector.list_indexes() else None
        chosen = _resolve_embedder(f"{store_name}/{index}", recorded, embedder, default_embedder)
        target = f"{store_name}/{index}"
        with self.tracer.span(f"rag_ingest {target}", "rag_ingest", input={"index": target}) as span:
            report = ingest(documents, vector, index, chosen, **options)
            span.set_output(dataclasses.asdict(report))
        return report

    def _pick_vector(self, name: str | None) -> tuple[str, VectorStore]:
        if name is None:
            if not self._vectors:
                raise MastraError(
                    "this Mastra has no vector store; register one with Mastra(vectors={'default': "
                    "InMemoryVector()}) or add_vector('default', store)",
                    code="MASTRA_NOT_FOUND",
                )
            if "default" not in self._vectors and len(self._vectors) > 1:
                raise MastraError(
                    f"this Mastra has several vector stores ({', '.join(sorted(self._vectors))}) and none "
                    "is named 'default'; name the store to use",
                    code="MASTRA_AMBIGUOUS",
                )
            name = "default" if "default" in self._vectors else next(iter(self._vectors))
        return name, self.get_vector(name)

    def get_model(self, model_id: str | None = None, **kwargs: Any) -> Model:
        """A model by id (default: the configured ``default_model``), with the configured API key.

        Keys set in the config file or environment (``openai_api_key`` …) are passed to the provider, so
        code does not need to repeat them; an explicit ``api_key=`` still wins.

        Args:
            model_id: ``provider:model`` (``"openai:gpt-4o-mini"``, ``"test"`` …).
            **kwargs: Passed to :func:`mastra_lab.llm.get_model`.
        """
        from mastra_lab.llm import get_model

        settings = self.settings
        model_id = model_id or (settings.default_model if settings else "test")
        key = getattr(settings, f"{model_id.partition(':')[0]}_api_key", None)
        if key is not None:
            kwargs.setdefault("api_key", key)
        return get_model(model_id, **kwargs)

    @property
    def agents(self) -> dict[str, Any]:
        """A copy of the agents by name."""
        return dict(self._agents)

    @property
    def workflows(self) -> dict[str, Any]:
        """A copy of the workflows by id."""
        return dict(self._workflows)

    @property
    def vectors(self) -> dict[str, Any]:
        """A copy of the vector stores by name."""
        return dict(self._vectors)

    # -- telemetry tables ---------------------------------------------------------------------------

    def _flushed_storage(self) -> Storage:
        """The storage, after the tracer has written what it holds, so the tables include the last run."""
        flush = getattr(self.tracer, "flush", None)
        if callable(flush):
            flush()
        return self.storage

    def spans_df(
        self,
        *,
        since: TimeArg = None,
        until: TimeArg = None,
        trace_id: str | Sequence[str] | None = None,
        type: str | Sequence[str] | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """A row per stored span with model, tokens and cost
        (:func:`~mastra_lab.telemetry.metrics.spans_df`).

        Args:
            since: Spans that started at or after this (``"15m"``, ``"1h"``, ``"7d"``, a timedelta …).
            until: Spans that started before this (same forms).
            trace_id: One trace id or several.
            type: One span kind or several (``"llm_generation"``, ``"tool_call"`` …).
            status: ``"ok"``, ``"error"`` or ``"running"``.
            limit: At most this many spans, the newest.
        """
        from mastra_lab.telemetry import metrics

        return metrics.spans_df(
            self._flushed_storage(),
            since=since,
            until=until,
            trace_id=trace_id,
            type=type,
            status=status,
            limit=limit,
            prices=self.prices,
        )

    def traces_df(
        self,
        *,
        since: TimeArg = None,
        agent: str | None = None,
        status: str | None = None,
        min_ms: float | None = None,
        limit: int | None = 50,
    ) -> pd.DataFrame:
        """A row per trace, newest first: root, duration, spans, tokens, cost, status, error
        (:func:`~mastra_lab.telemetry.metrics.traces_df`).

        Args:
            since: Traces with a span that started at or after this (``"1h"``, a timedelta, a datetime).
            agent: Only traces in which this agent ran.
            status: ``"ok"``, ``"error"`` or ``"running"``.
            min_ms: Only traces that took at least this many milliseconds.
            limit: At most this many traces (``None`` for all).
        """
        from mastra_lab.telemetry import metrics

        return metrics.traces_df(
            self._flushed_storage(),
            since=since,
            agent=agent,
            status=status,
            min_ms=min_ms,
            limit=limit,
            prices=self.prices,
        )

    def metrics_df(self, *, by: MetricsBy = "model", since: TimeArg = None) -> pd.DataFrame:
        """Requests, errors, p50/p95/p99 latency, tokens, time to first token and cost per key
        (:func:`~mastra_lab.telemetry.metrics.metrics_df`).

        Args:
            by: ``"model"``, ``"agent"``, ``"tool"`` or ``"workflow"``.
            since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
        """
        from mastra_lab.telemetry import metrics

        return metrics.metrics_df(self._flushed_storage(), by=by, since=since, prices=self.prices)

    def cost_df(self, *, by: CostBy = "trace", since: TimeArg = None) -> pd.DataFrame:
        """What model calls cost per trace, thread, resource or model
        (:func:`~mastra_lab.telemetry.metrics.cost_df`).

        Args:
            by: ``"trace"``, ``"thread"``, ``"resource"`` or ``"model"``.
            since: Spans that started at or after this (``"1h"``, a timedelta, a datetime).
        """
        from mastra_lab.telemetry import metrics

        return metrics.cost_df(self._flushed_storage(), by=by, since=since, prices=self.prices)

    def logs_df(
        self, *, trace_id: str | Sequence[str] | None = None, since: TimeArg = None, level: str | None = None
    ) -> pd.DataFrame:
        """Log records written inside spans, with their trace and span ids
        (:func:`~mastra_lab.telemetry.metrics.logs_df`).

        Args:
            trace_id: Only the records of this trace (or these traces).
            since: Records of spans that started at or after this (``"1h"``, a timedelta, a datetime).
            level: This level and above (``"INFO"``, ``"WARN"``, ``"ERROR"`` …).
        """
        from mastra_lab.telemetry import metrics

        return metrics.logs_df(self._flushed_storage(), trace_id=trace_id, since=since, level=level)

    def prune_spans(
        self,
        older_than: datetime | timedelta | str | None = None,
        *,
        keep_errors: bool = True,
        max_rows: int | None = None,
    ) -> int:
        """Delete old whole traces from storage (:meth:`Storage.prune_spans`); returns the spans deleted.

        Args:
            older_than: Traces whose last activity is older than this: ``"7d"``, a timedelta or a datetime.
            keep_errors: Keep every trace that has a failed span.
            max_rows: Then delete the oldest traces until at most this many spans remain.
        """
        from mastra_lab.telemetry.metrics import parse_time

        cutoff = parse_time(older_than, "older_than") if isinstance(older_than, str) else older_than
        return self._flushed_storage().prune_spans(cutoff, keep_errors=keep_errors, max_rows=max_rows)

    # -- lifecycle ----------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """A summary for people and dashboards: event loop, counts, storage backend, telemetry."""
        return {
            "event_loop": _runtime.status(),
            "agents": len(self._agents),
            "workflows": len(self._workflows),
            "vectors": len(self._vectors),
            "storage": getattr(self.storage, "backend_name", type(self.storage).__name__),
            "telemetry": self.tracer.status(),
            "closed": self._closed,
        }

    def storage_info(self) -> dict[str, Any]:
        """Where the storage keeps its data and how it is open, for status lines and panels.

        Returns:
            ``backend``; ``path`` (the database file, ``None`` in memory; for a read-only copy of a locked
            file, the original); ``read_only``; ``note`` (why it is read-only when writing was asked for,
            see :meth:`open`, else ``None``); for a database server, ``server`` (``user@host:port/db``,
            never the password) and ``schema``.
        """
        storage = self.storage
        path = getattr(storage, "copied_from", None) or getattr(storage, "path", None)
        info = {
            "backend": getattr(storage, "backend_name", type(storage).__name__),
            "path": None if path is None or str(path) == ":memory:" else str(path),
            "read_only": bool(getattr(storage, "read_only", False)),
            "note": getattr(storage, "note", None),
        }
        target = getattr(storage, "target", None)
        if target is not None:
            info |= {"server": str(target), "schema": getattr(storage, "schema", None)}
        return info

    def _check_open(self) -> None:
        if self._closed:
            raise MastraError("this Mastra is closed; create a new one", code="MASTRA_CLOSED")

    def close(self) -> None:
        """Flush telemetry and close storage and vector stores. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self.tracer.shutdown()
        for vector in self._vectors.values():
            close = getattr(vector, "close", None)
            if callable(close):
                close()
        self.storage.close()

    def __enter__(self) -> Mastra:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        s = self.status()
        return (
            f"Mastra(storage={s['storage']!r}, agents={s['agents']}, workflows={s['workflows']}, "
            f"vectors={s['vectors']})"
        )


_SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")


def _open_storage(settings: Settings, if_locked: _IfLocked = "error") -> Storage:
    from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore

    cfg = settings.storage
    if cfg.read_only and cfg.backend != "duckdb":
        raise MastraError(
            f"read-only opening is for DuckDB storage, and this is {cfg.backend!r}; drop read_only",
            code="MASTRA_BAD_ARGUMENT",
        )
    if cfg.backend == "memory":
        return InMemoryStore()
    if cfg.backend == "postgres":
        if cfg.dsn is None:
            raise MastraError(
                "storage.backend is 'postgres' but storage.dsn is not set; set MASTRA_STORAGE_DSN "
                "(postgresql://user:password@host:5432/db) or dsn in the config file",
                code="MASTRA_BAD_ARGUMENT",
            )
        from mastra_lab.storage import PostgresStore

        return PostgresStore(cfg.dsn.reveal(), schema=cfg.schema_name)
    if cfg.backend == "sqlite":
        return SQLiteStore(cfg.path)
    if cfg.path == ":memory:" and not cfg.read_only:
        return DuckDBStore(cfg.path)
    return DuckDBStore.open(cfg.path, read_only=cfg.read_only, if_locked=if_locked)


def _open_path(db: str | os.PathLike[str] | None, read_only: bool) -> Storage:
    """The store for ``Mastra.open(db=...)``: SQLite by suffix, else DuckDB (in memory without a path)."""
    from mastra_lab.storage import DuckDBStore, SQLiteStore

    path = None if db is None or os.fspath(db) == ":memory:" else os.fspath(db)
    if path is not None and path.lower().endswith(_SQLITE_SUFFIXES):
        if read_only:
            raise MastraError(
                f"read-only opening is for DuckDB files, and {path!r} is SQLite (which other processes can "
                "share while it is open); drop read_only",
                code="MASTRA_BAD_ARGUMENT",
            )
        return SQLiteStore(path)
    if path is None:
        if read_only:
            raise MastraError(
                "read_only needs a database file to read; pass db='FILE.duckdb'", code="MASTRA_BAD_ARGUMENT"
            )
        return DuckDBStore(":memory:")
    return DuckDBStore.open(path, read_only=read_only, if_locked="read_only")


def _default_vector(storage: Storage) -> Any:
    """Vectors in the same database as ``storage`` when it is DuckDB or PostgreSQL, else in memory."""
    from mastra_lab.storage import DuckDBStore
    from mastra_lab.vector import DuckDBVector, InMemoryVector

    if isinstance(storage, DuckDBStore):
        return DuckDBVector.from_store(storage)
    if storage.backend_name == "postgres":
        from mastra_lab.storage import PostgresStore
        from mastra_lab.vector import PgVector

        assert isinstance(storage, PostgresStore)
        return PgVector.from_store(storage)
    return InMemoryVector()
