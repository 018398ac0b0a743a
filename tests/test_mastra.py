from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fake_provider import FakeProviderServer
from pg_server import PgServer, fresh_schema

from mastra_lab import Mastra, _runtime
from mastra_lab.errors import MastraError
from mastra_lab.llm import Message
from mastra_lab.storage import DuckDBStore, InMemoryStore, SQLiteStore, Thread
from mastra_lab.telemetry import InMemoryExporter, Tracer


class _Component:
    """Anything registrable: the registry hands it its services through ``_bind_mastra``."""

    def __init__(self, name: str) -> None:
        self.name = self.id = name
        self.mastra: Mastra | None = None

    def _bind_mastra(self, mastra: Mastra) -> None:
        self.mastra = mastra


def test_status_reports_loop_counts_and_storage_backend() -> None:
    with Mastra(agents=[_Component("a"), _Component("b")], workflows=[_Component("w")]) as mastra:
        status = mastra.status()
    assert (status["agents"], status["workflows"], status["storage"]) == (2, 1, "duckdb")


def test_status_reports_whether_the_background_loop_runs() -> None:
    _runtime.shutdown()
    with Mastra(storage=InMemoryStore()) as mastra:
        assert mastra.status()["event_loop"] == "stopped"
        mastra.get_model().generate_sync([Message.user("hi")])  # the first *_sync call starts the loop
        assert mastra.status()["event_loop"] == "running"
        _runtime.shutdown()
        assert mastra.status()["event_loop"] == "stopped"


def test_registered_components_receive_the_registry_services() -> None:
    agent = _Component("support")
    with Mastra(agents={"support": agent}, storage=InMemoryStore()) as mastra:
        assert mastra.get_agent("support") is agent
        assert agent.mastra is mastra
        assert agent.mastra.storage is mastra.storage


def test_unknown_name_error_lists_the_known_ones() -> None:
    with Mastra(agents=[_Component("support"), _Component("sales")], storage=InMemoryStore()) as mastra:
        with pytest.raises(MastraError, match="no agent named 'suport'; known agents: sales, support"):
            mastra.get_agent("suport")
        with pytest.raises(MastraError, match="no workflow named 'x'; known workflows: none registered"):
            mastra.get_workflow("x")
        with pytest.raises(MastraError, match="no vector store named 'docs'"):
            mastra.get_vector("docs")


def test_duplicate_names_are_rejected() -> None:
    with pytest.raises(MastraError, match="two agents are named 'a'"):
        Mastra(agents=[_Component("a"), _Component("a")], storage=InMemoryStore())
    with Mastra(storage=InMemoryStore()) as mastra:
        mastra.add_workflow(_Component("w"))
        with pytest.raises(MastraError, match="a workflow named 'w' is already registered"):
            mastra.add_workflow(_Component("w"))
        assert list(mastra.workflows) == ["w"]


def test_unnamed_components_are_rejected_with_a_fix() -> None:
    with pytest.raises(MastraError, match=r"no string \.name or \.id; pass a dict"):
        Mastra(agents=[SimpleNamespace()], storage=InMemoryStore())


def test_spans_go_to_the_registry_storage_by_default() -> None:
    with Mastra(storage=InMemoryStore()) as mastra:
        with mastra.tracer.span("outer") as outer, mastra.tracer.span("inner", "tool_call"):
            pass
        spans = mastra.storage.get_trace(outer.trace_id)
    assert [s["name"] for s in spans] == ["outer", "inner"]


def test_telemetry_can_be_disabled_or_replaced() -> None:
    with Mastra(storage=InMemoryStore(), telemetry=False) as mastra:
        assert mastra.status()["telemetry"]["enabled"] is False
    exporter = InMemoryExporter()
    with Mastra(storage=InMemoryStore(), telemetry=Tracer([exporter])) as mastra, mastra.tracer.span("x"):
        pass
    assert [s.name for s in exporter.spans] == ["x"]
    with pytest.raises(MastraError, match="telemetry='jaeger' is not understood"):
        Mastra(storage=InMemoryStore(), telemetry="jaeger")


def test_close_releases_storage_and_vectors_and_is_idempotent(tmp_path: Path) -> None:
    closed: list[str] = []
    vector = SimpleNamespace(close=lambda: closed.append("vector"))
    path = tmp_path / "app.duckdb"
    mastra = Mastra(storage=DuckDBStore(str(path)), vectors={"docs": vector})
    mastra.storage.create("notes", {"x": 1})
    mastra.close()
    mastra.close()
    assert closed == ["vector"]
    assert mastra.status()["closed"] is True
    with pytest.raises(MastraError, match="closed"):
        mastra.add_agent(_Component("late"))
    # The file lock is gone: another store can open the same file for writing.
    with DuckDBStore(str(path)) as again:
        assert again.count("notes") == 1


def test_from_config_builds_storage_from_file_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "app.sqlite"
    config = tmp_path / "mastra.json"
    config.write_text(json.dumps({"storage": {"backend": "duckdb", "path": str(tmp_path / "x.duckdb")}}))
    monkeypatch.setenv("MASTRA_STORAGE_BACKEND", "sqlite")
    monkeypatch.setenv("MASTRA_STORAGE_PATH", str(db))
    with Mastra.from_config(config) as mastra:
        assert isinstance(mastra.storage, SQLiteStore)
        assert mastra.settings is not None and mastra.settings.storage.path == str(db)
        mastra.storage.create("notes", {"x": 1})
    assert db.exists()


def test_from_config_accepts_a_dict_and_validates_it() -> None:
    with Mastra.from_config({"storage": {"backend": "memory"}, "telemetry": {"enabled": False}}) as mastra:
        assert mastra.status()["storage"] == "memory"
        assert mastra.status()["telemetry"]["enabled"] is False
    with pytest.raises(MastraError, match=r"storage\.backend"):
        Mastra.from_config({"storage": {"backend": "mongo"}})


def test_get_model_sends_the_configured_key(
    fake_server: FakeProviderServer, allow_model_requests: None
) -> None:
    settings = {"storage": {"backend": "memory"}, "openai_api_key": "sk-from-config-0123456789"}
    with Mastra.from_config(settings) as mastra:
        model = mastra.get_model("openai:gpt-4o-mini", base_url=fake_server.base_url("openai"))
        assert "0123456789" not in repr(model)
        reply = model.generate_sync([Message.user("hello")])
    assert reply.text == "Hello from the fake server!"
    assert fake_server.requests[-1].headers["authorization"] == "Bearer sk-from-config-0123456789"


def test_get_model_defaults_to_the_configured_offline_model() -> None:
    with Mastra.from_config({"storage": {"backend": "memory"}}) as mastra:
        assert mastra.get_model().id == "test:test"


def test_a_dumped_config_without_a_key_still_reports_the_missing_key(
    fake_server: FakeProviderServer, allow_model_requests: None
) -> None:
    from mastra_lab.config import Settings
    from mastra_lab.errors import AuthenticationError

    dump = Settings(storage={"backend": "memory"}).model_dump()  # type: ignore[arg-type]
    with Mastra.from_config(dump) as mastra:
        model = mastra.get_model("openai:gpt-4o-mini", base_url=fake_server.base_url("openai"))
        with pytest.raises(AuthenticationError, match="OPENAI_API_KEY") as info:
            model.generate_sync([Message.user("hello")])
    assert info.value.code == "PROVIDER_API_KEY_MISSING"
    assert fake_server.requests == []


def test_vector_stores_given_to_the_constructor_are_bound_like_added_ones() -> None:
    given, added = _Component("docs"), _Component("faq")
    with Mastra(storage=InMemoryStore(), vectors={"docs": given}) as mastra:
        mastra.add_vector("faq", added)
        assert (given.mastra, added.mastra) == (mastra, mastra)
        assert mastra.get_vector("docs") is given


def test_vector_stores_given_to_the_constructor_are_checked_like_added_ones() -> None:
    with pytest.raises(MastraError, match="needs a non-empty string name"):
        Mastra(storage=InMemoryStore(), vectors={"": _Component("x")})


def test_open_without_arguments_is_an_in_memory_duckdb_with_a_default_vector_store() -> None:
    from mastra_lab.vector import DuckDBVector

    with Mastra.open() as mastra:
        assert mastra.storage_info() == {"backend": "duckdb", "path": None, "read_only": False, "note": None}
        vector = mastra.get_vector("default")
        assert isinstance(vector, DuckDBVector)
        vector.create_index("docs", 2)
        assert "vec_docs" in mastra.storage.tables()  # the vectors live in the storage's database


def test_open_a_duckdb_file_keeps_vectors_beside_the_data(tmp_path: Path) -> None:
    path = tmp_path / "app.duckdb"
    with Mastra.open(path) as mastra:
        mastra.get_vector("default").create_index("docs", 2)
        mastra.get_vector("default").upsert("docs", [[1.0, 0.0]], ids=["a"])
        mastra.storage.create("notes", {"a": 1})
    with Mastra.open(str(path), read_only=True) as again:
        info = again.storage_info()
        assert info == {"backend": "duckdb", "path": str(path), "read_only": True, "note": None}
        assert again.get_vector("default").describe_index("docs").count == 1
        assert again.storage.count("notes") == 1


@pytest.mark.parametrize("name", ["app.sqlite", "app.sqlite3", "app.db"])
def test_open_a_sqlite_file_by_its_suffix_with_in_memory_vectors(tmp_path: Path, name: str) -> None:
    from mastra_lab.vector import InMemoryVector

    with Mastra.open(tmp_path / name) as mastra:
        assert isinstance(mastra.storage, SQLiteStore)
        assert isinstance(mastra.get_vector("default"), InMemoryVector)
        assert mastra.storage_info()["path"] == str(tmp_path / name)


def test_open_a_config_file_and_its_read_only_override(tmp_path: Path) -> None:
    db = tmp_path / "cfg.duckdb"
    DuckDBStore(db).close()
    config = tmp_path / "mastra.json"
    config.write_text(json.dumps({"storage": {"backend": "duckdb", "path": str(db)}}))
    with Mastra.open(config=config, read_only=True) as mastra:
        assert mastra.settings is not None
        info = mastra.storage_info()
        assert info == {"backend": "duckdb", "path": str(db), "read_only": True, "note": None}
        assert "default" in mastra.vectors


def test_open_keeps_a_default_vector_store_that_was_passed_in() -> None:
    from mastra_lab.vector import InMemoryVector

    mine = InMemoryVector()
    with Mastra.open(vectors={"default": mine}) as mastra:
        assert mastra.get_vector("default") is mine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"db": "a.duckdb", "config": {}}, r"pass one of db \(a database file\), dsn .* not several"),
        ({"read_only": True}, r"read_only needs a database file to read; pass db='FILE.duckdb'"),
        ({"db": "a.sqlite", "read_only": True}, r"'a.sqlite' is SQLite .*; drop read_only"),
        ({"config": {"storage": {"backend": "memory", "read_only": True}}}, r"'memory'; drop read_only"),
    ],
)
def test_open_refuses_contradictory_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(MastraError, match=message):
        Mastra.open(**kwargs)  # type: ignore[arg-type]


def test_open_a_file_another_process_writes_gives_a_read_only_copy_and_says_so(tmp_path: Path) -> None:
    from lock_holder import holding

    path = tmp_path / "busy.duckdb"
    DuckDBStore(path).close()
    with holding(path) as pid, Mastra.open(path) as mastra:
        info = mastra.storage_info()
        assert (info["path"], info["read_only"]) == (str(path), True)
        assert f"PID {pid}" in info["note"] and "read-only copy" in info["note"]
        assert mastra.storage.list("notes")[0].data == {"by": "holder"}
        assert mastra.get_vector("default").list_indexes() == []


def _gated_workflow(id: str) -> Any:
    from mastra_lab.workflow import Step, StepContext, Workflow

    def gate(ctx: StepContext) -> Any:
        if ctx.input == "wait" and ctx.resume_data is None:
            ctx.suspend()
        if ctx.input == "fail":
            raise ValueError("no")
        return ctx.input

    return Workflow(id, description=f"{id} flow").then(Step("gate", gate)).map(lambda ctx: ctx.input).commit()


def test_workflows_df_counts_each_workflow_shape_and_runs_by_status(tmp_path: Path) -> None:
    with Mastra(storage=SQLiteStore(tmp_path / "runs.sqlite")) as mastra:
        mastra.add_workflow(_gated_workflow("b"))
        mastra.add_workflow(_gated_workflow("a"), name="first")
        empty = mastra.workflow_runs_df()
        assert list(empty.columns)[:3] == ["workflow", "run_id", "status"] and len(empty) == 0
        b = mastra.get_workflow("b")
        for value in ["ok", "wait", "wait", "fail"]:
            b.create_run(run_id=f"b-{value}-{len(b.list_runs())}").start_sync(value)
        mastra.get_workflow("first").create_run(run_id="a-1").start_sync("ok")
        df = mastra.workflows_df()
        runs = mastra.workflow_runs_df()
        waiting = mastra.workflow_runs_df("b", status="suspended")
        with pytest.raises(MastraError, match="no workflow named 'c'; known workflows: b, first"):
            mastra.workflow_runs_df("c")
    assert df.to_dict("records") == [
        {"name": "b", "description": "b flow", "nodes": 2, "steps": 2, "runs": 4, "success": 1,
         "suspended": 2, "failed": 1},
        {"name": "first", "description": "a flow", "nodes": 2, "steps": 2, "runs": 1, "success": 1,
         "suspended": 0, "failed": 0},
    ]  # fmt: skip
    assert runs[["workflow", "run_id"]].values.tolist() == [
        ["b", "b-ok-0"], ["b", "b-wait-1"], ["b", "b-wait-2"], ["b", "b-fail-3"], ["first", "a-1"]
    ]  # fmt: skip
    assert waiting["run_id"].tolist() == ["b-wait-1", "b-wait-2"] and set(waiting["workflow"]) == {"b"}


# -- PostgreSQL -------------------------------------------------------------------------------------------


@pytest.fixture
def pg_schema(pg_server: PgServer) -> Iterator[str]:
    with fresh_schema(pg_server) as name:
        yield name


def test_open_with_a_dsn_shares_threads_and_vectors_between_registries(
    pg_server: PgServer, pg_schema: str
) -> None:
    from mastra_lab.storage import PostgresStore
    from mastra_lab.vector import PgVector

    with Mastra.open(dsn=pg_server.dsn, schema=pg_schema) as first:
        assert isinstance(first.storage, PostgresStore)
        assert isinstance(first.get_vector("default"), PgVector)
        first.storage.save_thread(Thread(id="t1", resource_id="ada", title="shared"))
        first.get_vector("default").create_index("notes", 3)
        first.get_vector("default").upsert("notes", [[1.0, 0.0, 0.0]], ids=["n1"])
        info = first.storage_info()
        assert info["backend"] == "postgres"
        assert info["server"] == pg_server.shown
        assert info["schema"] == pg_schema
        assert pg_server.password not in repr(info) + repr(first) + repr(first.status())
    with Mastra.open(dsn=pg_server.dsn, schema=pg_schema) as second:
        thread = second.storage.get_thread("t1")
        assert thread is not None and thread.title == "shared"
        assert [hit.id for hit in second.get_vector("default").query("notes", [1.0, 0.0, 0.0])] == ["n1"]


def test_from_config_opens_postgres_from_the_environment(
    pg_server: PgServer, pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASTRA_STORAGE_BACKEND", "postgres")
    monkeypatch.setenv("MASTRA_STORAGE_DSN", pg_server.dsn)
    monkeypatch.setenv("MASTRA_STORAGE_SCHEMA_NAME", pg_schema)
    with Mastra.from_config() as mastra:
        assert mastra.storage_info()["schema"] == pg_schema


def test_postgres_without_a_dsn_says_which_setting_is_missing() -> None:
    with pytest.raises(MastraError, match=r"storage\.dsn is not set; set MASTRA_STORAGE_DSN"):
        Mastra.from_config({"storage": {"backend": "postgres"}})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"db": "app.duckdb", "dsn": "postgresql://x@h/db"}, "pass one of db"),
        ({"dsn": "postgresql://x@h/db", "read_only": True}, "read_only is for DuckDB files"),
    ],
)
def test_open_refuses_mixed_or_unsupported_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(MastraError, match=message):
        Mastra.open(**kwargs)
