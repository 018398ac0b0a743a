"""What ``PostgresStore`` adds to the conformance suite: reaching the server, schemas, migrations, secrets,
pickling, threads sharing the pool, and a ``sql()`` that stays read-only even for a superuser.

Everything runs against the session's real server (``pg_server``), each test in a schema of its own.
"""

from __future__ import annotations

import logging
import pickle
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pg_server import PgServer, fresh_schema, require_ordinary_role

from mastra_lab.errors import StorageError
from mastra_lab.storage import PostgresStore, StoredMessage, Thread
from mastra_lab.storage._migrations import MIGRATIONS


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there once the socket is closed


# -- reaching the server ------------------------------------------------------------------------------


def test_repr_and_target_name_the_server_never_the_password(pg_server: PgServer, pg_schema: str) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        assert repr(store) == (f"PostgresStore('{pg_server.shown}', schema='{pg_schema}')")
        assert store.target == pg_server.shown
        assert pg_server.password not in repr(store) + str(store) + repr(vars(store))
    assert repr(store).endswith(" closed")


def test_an_unreachable_server_is_one_error_naming_host_and_port(pg_server: PgServer) -> None:
    port = _closed_port()
    dsn = f"postgresql://mastra:{pg_server.password}@127.0.0.1:{port}/mastra"
    with pytest.raises(StorageError) as info:
        PostgresStore(dsn, connect_timeout=2)
    assert info.value.code == "STORAGE_CONNECT_FAILED"
    assert f"127.0.0.1:{port}" in info.value.message
    assert pg_server.password not in str(info.value) + repr(info.value.details)
    assert info.value.__cause__ is None  # psycopg's text (which could quote the DSN) is not chained


def test_a_wrong_password_is_refused_without_showing_either_password(pg_server: PgServer) -> None:
    wrong = "not-the-password-9137"
    dsn = f"postgresql://mastra:{wrong}@127.0.0.1:{pg_server.port}/mastra"
    with pytest.raises(StorageError) as info:
        PostgresStore(dsn)
    assert info.value.code == "STORAGE_AUTH_FAILED"
    assert "refused the password for user 'mastra'" in info.value.message
    assert wrong not in str(info.value) and pg_server.password not in str(info.value)


def test_a_missing_database_is_named_with_how_to_create_it(pg_server: PgServer) -> None:
    with pytest.raises(StorageError, match=r"has no database 'nowhere'.*CREATE DATABASE nowhere") as info:
        PostgresStore(pg_server.database_dsn("nowhere"))
    assert pg_server.password not in str(info.value)


def test_the_password_never_reaches_the_logs(
    pg_server: PgServer, pg_schema: str, caplog: pytest.LogCaptureFixture
) -> None:
    # listen on the driver's and our loggers themselves, whatever earlier tests did to propagation
    watched = [logging.getLogger(name) for name in ("psycopg", "mastra_lab")]
    for logger in watched:
        logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.DEBUG, "psycopg"), caplog.at_level(logging.DEBUG, "mastra_lab"):
            with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
                store.save_thread(Thread("t", "r"))
                with pytest.raises(StorageError):
                    store.sql("SELECT * FROM nowhere")
            with pytest.raises(StorageError):
                PostgresStore(f"postgresql://mastra:{pg_server.password}@127.0.0.1:{_closed_port()}/mastra")
    finally:
        for logger in watched:
            logger.removeHandler(caplog.handler)
    assert any(r.name.startswith("psycopg") for r in caplog.records)  # the pool did log its connections
    assert all(pg_server.password not in r.getMessage() + str(r.__dict__) for r in caplog.records)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"schema": "Bad-Name"}, r"schema must be a lowercase identifier .*got 'Bad-Name'"),
        ({"schema": 'x"; DROP SCHEMA public; --'}, r"schema must be a lowercase identifier"),
        ({"schema": ""}, r"schema must be a lowercase identifier"),
        ({"pool_size": 0}, r"pool_size must be a number >= 1, got 0"),
        ({"pool_size": 2.5}, r"pool_size must be an int"),
        ({"statement_timeout": -1}, r"statement_timeout must be a number >= 0"),
        ({"connect_timeout": "5"}, r"connect_timeout must be a number"),
    ],
)
def test_bad_arguments_are_refused_before_connecting(kwargs: dict[str, Any], match: str) -> None:
    # nothing listens on this port: a connection attempt would be a different error
    dsn = f"postgresql://mastra:pw@127.0.0.1:{_closed_port()}/mastra"
    with pytest.raises(StorageError, match=match) as info:
        PostgresStore(dsn, **kwargs)
    assert info.value.code == "STORAGE_BAD_ARGUMENT"


@pytest.mark.parametrize("dsn", ["", "   ", "host=127.0.0.1 port=notaport"])
def test_a_dsn_that_is_not_one_is_refused(dsn: str) -> None:
    with pytest.raises(StorageError, match=r"DSN") as info:
        PostgresStore(dsn)
    assert info.value.code == "STORAGE_BAD_ARGUMENT"


# -- schemas and migrations ---------------------------------------------------------------------------


def _columns(pg_server: PgServer, schema: str) -> dict[str, str]:
    with psycopg.connect(pg_server.dsn) as conn:
        rows = conn.execute(
            "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = %s",
            (schema,),
        ).fetchall()
    return dict(rows)


def test_a_missing_schema_is_created_and_migrated_to_the_final_schema(pg_server: PgServer) -> None:
    with fresh_schema(pg_server) as parent:
        schema = f"{parent}_new"
        try:
            PostgresStore(pg_server.dsn, schema=schema).close()
            columns = _columns(pg_server, schema)
            with psycopg.connect(pg_server.dsn) as conn:
                applied = conn.execute(
                    f"SELECT name FROM {schema}._mastra_migrations ORDER BY name"
                ).fetchall()
        finally:
            with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    assert [r[0] for r in applied] == [fn.__name__ for fn in MIGRATIONS]
    assert columns["mastra_messages.content"] == "json"  # kept as written: key order, 1.0, -0.0
    assert columns["mastra_messages.created_at"] == "timestamp with time zone"
    assert columns["mastra_spans.events"] == "json"


def test_a_schema_the_role_may_not_create_is_one_error_saying_how_to_create_it(pg_server: PgServer) -> None:
    require_ordinary_role(pg_server)
    with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS not_yours")
        conn.execute("CREATE DATABASE not_yours")  # owned by postgres: mastra may connect, not create
    try:
        with pytest.raises(
            StorageError, match=r"may not create it.*CREATE SCHEMA app AUTHORIZATION mastra"
        ) as info:
            PostgresStore(pg_server.database_dsn("not_yours"), schema="app")
        assert info.value.code == "STORAGE_SCHEMA_DENIED"
        assert pg_server.password not in str(info.value)
    finally:
        with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS not_yours WITH (FORCE)")


def test_reopening_applies_nothing_twice_and_keeps_the_data(pg_server: PgServer, pg_schema: str) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        store.create("notes", {"a": 1}, id="n1")
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        assert store.get("notes", "n1").data == {"a": 1}  # type: ignore[union-attr]
    with psycopg.connect(pg_server.dsn) as conn:
        n = conn.execute(f"SELECT count(*) FROM {pg_schema}._mastra_migrations").fetchone()
    assert n == (len(MIGRATIONS),)


def test_stores_in_two_schemas_of_one_database_do_not_see_each_other(pg_server: PgServer) -> None:
    with (
        fresh_schema(pg_server) as a,
        fresh_schema(pg_server) as b,
        PostgresStore(pg_server.dsn, schema=a) as sa,
        PostgresStore(pg_server.dsn, schema=b) as sb,
    ):
        sa.create("notes", {"in": "a"})
        assert sb.tables() == [t for t in sa.tables() if t != "notes"]
        assert sa.sql("SELECT data ->> 'in' AS x FROM notes")["x"].tolist() == ["a"]
        with pytest.raises(StorageError, match="no table 'notes'"):
            sb.sql("SELECT * FROM notes")
        with pytest.raises(StorageError, match=rf"refused table '{a}.mastra_records'"):
            sb.sql(f"SELECT * FROM {a}.notes")  # the view reads the other schema's records


def test_json_comes_back_exactly_as_stored(pg_server: PgServer, pg_schema: str) -> None:
    data = {"z": 1, "a": -0.0, "big": 1e300, "f": 1.0, "s": "é"}
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        store.create("notes", data, id="n")
        back = store.get("notes", "n").data  # type: ignore[union-attr]
        assert list(back) == ["z", "a", "big", "f", "s"]
        assert repr(back) == repr(data)
        assert [r.id for r in store.list("notes", where={"a": -0.0})] == ["n"]
        assert store.list("notes", where={"a": 0.0}) == []  # JSON equality: "-0.0" is not "0.0"


def test_a_nul_character_round_trips_in_json_and_is_one_clear_error_in_text(
    pg_server: PgServer, pg_schema: str
) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        store.save_thread(Thread("t", "r"))
        store.save_messages([StoredMessage("m", "t", "user", "a\x00b")])
        assert store.get_messages("t")[0].content == "a\x00b"  # json keeps the \u0000 escape
        with pytest.raises(StorageError, match=r"U\+0000.*remove or replace it") as info:
            store.save_thread(Thread("t2", "r", title="a\x00"))
        assert info.value.code == "STORAGE_BAD_TEXT"
        assert [t.id for t in store.list_threads()] == ["t"]


# -- a store in other processes and threads -----------------------------------------------------------


def test_a_store_pickles_as_its_recipe_and_reopens_on_the_same_data(
    pg_server: PgServer, pg_schema: str
) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema, pool_size=2, statement_timeout=7) as store:
        store.create("notes", {"a": 1}, id="n1")
        blob = pickle.dumps(store)
    assert b"ConnectionPool" not in blob
    with pickle.loads(blob) as again:
        assert (again.schema, again.pool_size, again.statement_timeout) == (pg_schema, 2, 7.0)
        assert again.get("notes", "n1").data == {"a": 1}  # type: ignore[union-attr]


def test_threads_share_the_pool_and_lose_nothing(pg_server: PgServer, pg_schema: str) -> None:
    threads, calls = 8, 100
    with PostgresStore(pg_server.dsn, schema=pg_schema, pool_size=4) as store:
        store.save_thread(Thread("t", "r"))
        connections: set[int] = set()

        def worker(w: int) -> int:
            for i in range(calls):
                store.save_messages([StoredMessage(f"w{w}-{i}", "t", "user", f"message {i} of {w}")])
                pid = store.sql("SELECT pg_backend_pid() AS pid")["pid"].tolist()[0]
                connections.add(pid)
            return w

        with ThreadPoolExecutor(threads) as pool:
            assert sorted(pool.map(worker, range(threads))) == list(range(threads))
        messages = store.get_messages("t")
    assert len(messages) == threads * calls
    assert {m.id for m in messages} == {f"w{w}-{i}" for w in range(threads) for i in range(calls)}
    for w in range(threads):  # each worker's messages keep their order
        assert [m.id for m in messages if m.id.startswith(f"w{w}-")] == [f"w{w}-{i}" for i in range(calls)]
    assert 1 < len(connections) <= 4  # several pooled connections served the threads, never more than 4


def test_a_bulk_save_over_existing_ids_upserts(pg_server: PgServer, pg_schema: str) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        store.save_thread(Thread("t", "r"))
        store.save_messages([StoredMessage(f"m{i}", "t", "user", "first") for i in range(100)])
        store.save_messages([StoredMessage(f"m{i}", "t", "user", "second") for i in range(50, 150)])
        messages = store.get_messages("t")
    assert len(messages) == 150
    assert [m.content for m in messages].count("second") == 100


# -- sql(): read-only for real -----------------------------------------------------------------------


def test_sql_uses_the_store_schema_and_question_mark_and_named_parameters(
    pg_server: PgServer, pg_schema: str
) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema) as store:
        store.save_thread(Thread("t1", "alice", title="what? 100%"))
        frame = store.sql("SELECT id, title, '?' AS q FROM mastra_threads WHERE resource_id = ?", ["alice"])
        assert frame.to_dict("records") == [{"id": "t1", "title": "what? 100%", "q": "?"}]
        named = store.sql("SELECT id FROM mastra_threads WHERE title LIKE $pat", {"pat": "%100%%"})
        assert named["id"].tolist() == ["t1"]


def test_allow_files_opens_no_server_files_on_postgresql(
    pg_server: PgServer, pg_schema: str, server_file: Path
) -> None:
    with (
        PostgresStore(pg_server.admin_dsn, schema=pg_schema) as store,
        pytest.raises(StorageError, match=r"function pg_read_file\(\)"),
    ):
        store.sql(f"SELECT pg_read_file('{server_file}') AS f", allow_files=True)


def test_a_slow_query_stops_at_the_statement_timeout(pg_server: PgServer, pg_schema: str) -> None:
    with PostgresStore(pg_server.dsn, schema=pg_schema, statement_timeout=0.2) as store:
        with pytest.raises(StorageError, match="statement_timeout") as info:
            store.sql("SELECT pg_sleep(30) AS s")
        assert info.value.code == "STORAGE_SQL_TIMEOUT"
        assert store.sql("SELECT 1 AS one")["one"].tolist() == [1]  # the connection is fine afterwards


ADMIN_REFUSALS = [
    "SELECT pg_read_file('{file}') AS f",
    "SELECT pg_read_binary_file('{file}') AS f",
    "SELECT * FROM pg_ls_dir('{dir}') AS d",
    "SELECT lo_import('{file}') AS o",
    "SELECT query_to_xml('SELECT pg_read_file(''{file}'')', true, true, '') AS x",
    "COPY (SELECT 'x') TO PROGRAM 'touch {dir}/made-by-program'",
    "COPY (SELECT 'x') TO '{dir}/made-by-copy'",
    "SELECT * FROM pg_authid",
    "SELECT set_config('default_transaction_read_only', 'off', false) AS s",
    "SELECT 1 AS a; COPY (SELECT 'x') TO '{dir}/made-by-copy'",
]


@pytest.fixture
def server_file(tmp_path: Path) -> Path:
    """A file only the server could read for sql(), in a folder the server (maybe another user) can write."""
    tmp_path.chmod(0o777)
    path = tmp_path / "server-secret.txt"
    path.write_text("server-side-secret-value")
    path.chmod(0o644)
    return path


@pytest.mark.parametrize("bypass_text_check", [False, True], ids=["guarded", "text-check-bypassed"])
@pytest.mark.parametrize("query", ADMIN_REFUSALS)
def test_sql_refuses_server_files_and_programs_even_for_a_superuser(
    pg_server: PgServer,
    pg_schema: str,
    server_file: Path,
    query: str,
    bypass_text_check: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if bypass_text_check:  # the plan check and the READ ONLY transaction must still hold
        monkeypatch.setattr("mastra_lab.storage._pg_sql.check_text", lambda *args: None)
    before = sorted(p.name for p in server_file.parent.iterdir())
    with PostgresStore(pg_server.admin_dsn, schema=pg_schema) as store:
        with pytest.raises(StorageError) as info:
            store.sql(query.format(file=server_file, dir=server_file.parent))
        assert "server-side-secret-value" not in str(info.value)
        assert pg_server.password not in str(info.value)
        assert "\n" not in info.value.message
        assert store.sql("SELECT 1 AS x")["x"].tolist() == [1]
    assert sorted(p.name for p in server_file.parent.iterdir()) == before
    with psycopg.connect(pg_server.admin_dsn) as conn:  # nothing imported into large objects either
        assert conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone() == (0,)
