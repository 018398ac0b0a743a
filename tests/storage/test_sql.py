"""``sql()`` reads only the store's tables: no files, URLs, extensions, ATTACH or settings, on any backend.

The same ``sql()`` is what a notebook magic and an HTTP endpoint hand user text to, so each refusal is
checked on every backend, and so is the analytical SQL that must keep working.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mastra_lab.errors import StorageError
from mastra_lab.storage import InMemoryStore, Storage, StoredMessage, Thread

SECRET = "s3cret-value"


@pytest.fixture
def secret_csv(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"name,value\nkey,{SECRET}\n")
    return path


def _fill(store: Storage) -> None:
    store.create("notes", {"title": "a", "tags": ["x", "y"], "n": 1}, id="n1")
    store.create("notes", {"title": "b", "tags": ["y"], "n": 2}, id="n2")
    store.save_thread(Thread("t1", "alice"))
    store.save_messages(
        [StoredMessage("m1", "t1", "user", "hi"), StoredMessage("m2", "t1", "assistant", "hello")]
    )


# (query, what the DuckDB-based backends' message must name). {csv} is a real file holding a secret.
DUCKDB_REFUSALS = [
    ("SELECT * FROM read_csv('{csv}')", r"table function read_csv\(\).*allow_files=True"),
    ("SELECT * FROM read_csv_auto('{csv}')", r"read_csv_auto\(\).*allow_files=True"),
    ("FROM '{csv}'", r"table '.*secret.csv'.*allow_files=True"),
    ('SELECT * FROM "{csv}"', r"table '.*secret.csv'.*allow_files=True"),
    ("SELECT * FROM read_text('{csv}')", r"read_text\(\).*allow_files=True"),
    ("SELECT * FROM read_blob('{csv}')", r"read_blob\(\).*allow_files=True"),
    ("SELECT * FROM glob('/etc/*')", r"glob\(\).*allow_files=True"),
    (
        "SELECT * FROM read_parquet('https://example.invalid/x.parquet')",
        r"read_parquet\(\).*allow_files=True",
    ),
    ("SELECT * FROM mastra_threads, read_csv('{csv}')", r"read_csv\(\)"),
    ("SELECT (SELECT max(content) FROM read_text('{csv}')) AS c", r"read_text\(\)"),
    ("SELECT * FROM notes WHERE id IN (SELECT name FROM read_csv('{csv}'))", r"read_csv\(\)"),
    ("WITH x AS (SELECT * FROM read_csv('{csv}')) SELECT * FROM x", r"read_csv\(\)"),
    ('SELECT * FROM (WITH "{csv}" AS (SELECT 1) SELECT 1) a, "{csv}" b', r"table '.*secret.csv'"),
    ('WITH "{csv}" AS (SELECT * FROM "{csv}") SELECT * FROM "{csv}"', r"table '.*secret.csv'"),
    ("SELECT * FROM query('SELECT 1')", r"table function query\(\)"),
    ("SELECT * FROM duckdb_settings()", r"table function duckdb_settings\(\)"),
    ("SELECT * FROM duckdb_secrets()", r"table function duckdb_secrets\(\)"),
    ("SELECT * FROM duckdb_extensions()", r"table function duckdb_extensions\(\)"),
    ("SELECT * FROM checkpoint()", r"table function checkpoint\(\)"),
    ("SELECT * FROM sqlite_scan('{csv}', 'x')", r"table function sqlite_scan\(\)"),
    ("SELECT current_setting('home_directory') AS h", r"function current_setting\(\)"),
    ("SELECT * FROM information_schema.tables", r"table 'information_schema.tables'"),
    ("SELECT * FROM duckdb_tables", r"table 'duckdb_tables'"),
    ("SELECT * FROM _mastra_migrations", r"table '_mastra_migrations'.*this store's tables"),
    ("SHOW ALL TABLES", r"SHOW of the catalog"),
    ("SHOW memory_limit", r"SHOW of the catalog"),
    ("INSTALL httpfs", r"INSTALL|LOAD"),
    ("LOAD httpfs", r"LOAD"),
    ("ATTACH '{csv}.db' AS other", r"ATTACH"),
    ("SET enable_external_access = true", r"SET|VARIABLE_SET"),
    ("RESET TimeZone", r"SET|VARIABLE_SET"),
    ("PRAGMA enable_profiling", r"PRAGMA"),
    ("CALL duckdb_settings()", r"CALL"),
    ("COPY mastra_threads TO '{csv}.out'", r"COPY"),
    ("EXPORT DATABASE '{csv}.dir'", r"EXPORT"),
]
# The same intents in SQLite's dialect; refused by its authorizer (or unknown to SQLite altogether).
SQLITE_REFUSALS = [
    ("ATTACH '{csv}.db' AS other", r"ATTACH"),
    ("SELECT load_extension('{csv}')", r"load_extension"),
    ("PRAGMA journal_mode = DELETE", r"PRAGMA journal_mode"),
    ("PRAGMA user_version = 5", r"PRAGMA user_version"),
    ("PRAGMA temp.user_version = 5", r"PRAGMA user_version"),
    ("PRAGMA cache_size = 10", r"PRAGMA cache_size"),
    ("PRAGMA synchronous = OFF", r"PRAGMA synchronous"),
    ("CREATE TEMP TABLE t AS SELECT 1", r"refused CREATE"),
    ("CREATE TEMP VIEW v AS SELECT 1", r"refused CREATE"),
    ("SAVEPOINT s", r"refused SAVEPOINT"),
    ("SELECT * FROM _mastra_migrations", r"table '_mastra_migrations'.*this store's tables"),
    ("SELECT * FROM mastra_records", r"table 'mastra_records'.*this store's tables"),
    ("SELECT * FROM read_csv('{csv}')", r"read_csv"),
    ("FROM '{csv}'", r"syntax error"),
]

# PostgreSQL's own ways to reach server files, programs, settings and other connections.
POSTGRES_REFUSALS = [
    ("SELECT pg_read_file('{csv}') AS f", r"function pg_read_file\(\)"),
    ("SELECT pg_read_binary_file('{csv}') AS f", r"function pg_read_binary_file\(\)"),
    ("SELECT \"pg_read_file\"('{csv}') AS f", r"function pg_read_file\(\)"),
    ("SELECT pg_catalog.PG_READ_FILE('{csv}') AS f", r"function pg_read_file\(\)"),
    ("SELECT pg_read_file /* c */ ('{csv}') AS f", r"function pg_read_file\(\)"),
    ("SELECT * FROM pg_ls_dir('.') AS d", r"function pg_ls_dir\(\)"),
    ("SELECT pg_stat_file('{csv}') AS s", r"function pg_stat_file\(\)"),
    ("SELECT lo_import('{csv}') AS o", r"function lo_import\(\)"),
    ("SELECT lo_export(1, '{csv}.out') AS o", r"function lo_export\(\)"),
    (
        "SELECT query_to_xml('SELECT pg_read_file(''{csv}'')', true, true, '') AS x",
        r"pg_read_file|query_to_xml",
    ),
    ("SELECT * FROM dblink('dbname=mastra', 'SELECT 1') AS t(a int)", r"function dblink\(\)"),
    ("SELECT set_config('statement_timeout', '0', false) AS s", r"function set_config\(\)"),
    ("SELECT current_setting('data_directory') AS d", r"function current_setting\(\)"),
    ("SELECT pg_advisory_lock(1) AS l", r"function pg_advisory_lock\(\)"),
    ("SELECT pg_terminate_backend(1) AS t", r"function pg_terminate_backend\(\)"),
    ("SELECT U&\"pg_read_file\"('{csv}') AS f", r"U&"),
    ("COPY mastra_threads TO '{csv}.out'", r"refused COPY.*read-only"),
    ("COPY (SELECT 1) TO PROGRAM 'touch {csv}.out'", r"refused COPY"),
    ("COPY mastra_threads FROM '{csv}'", r"refused COPY"),
    ("CREATE TEMP TABLE t AS SELECT 1", r"refused CREATE"),
    ("SET statement_timeout = 0", r"refused SET"),
    ("SHOW data_directory", r"refused SHOW"),
    ("SELECT 1; SELECT pg_read_file('{csv}')", r"pg_read_file|exactly one statement"),
    ("SELECT 1 AS a; DELETE FROM mastra_threads", r"exactly one statement"),
    ("SELECT * FROM pg_authid", r"pg_authid"),
    ("SELECT * FROM pg_catalog.pg_settings", r"table 'pg_catalog.pg_settings'|pg_show_all_settings"),
    ("SELECT * FROM information_schema.tables", r"table 'pg_catalog\.pg_"),
    ("SELECT nextval('x') AS n", r"read-only|nextval|no table"),
    ("SELECT * FROM mastra_threads FOR UPDATE", r"read-only"),
    ("SELECT 1 AS a INTO evil", r"read-only"),
    ("WITH gone AS (DELETE FROM mastra_threads RETURNING id) SELECT * FROM gone", r"read-only"),
    ("SELECT * FROM _mastra_migrations", r"table '_mastra_migrations'.*this store's tables"),
    ('SELECT * FROM "mastra_records"', r"table 'mastra_records'.*this store's tables"),
]


REFUSALS = [
    pytest.param(backend, query, message, id=f"{backend}-{i}")
    for backend, cases in (
        ("memory", DUCKDB_REFUSALS),
        ("duckdb", DUCKDB_REFUSALS),
        ("sqlite", SQLITE_REFUSALS),
        ("postgres", POSTGRES_REFUSALS),
    )
    for i, (query, message) in enumerate(cases)
]


@pytest.mark.parametrize(("backend", "query", "message"), REFUSALS)
def test_sql_refuses_files_urls_extensions_attach_and_settings(
    backend: str,
    query: str,
    message: str,
    secret_csv: Path,
    monkeypatch: Any,
    open_store: Callable[[str], Storage],
) -> None:
    monkeypatch.chdir(secret_csv.parent)
    with open_store(backend) as store:
        _fill(store)
        before = sorted(p.name for p in secret_csv.parent.iterdir())
        with pytest.raises(StorageError, match=message) as info:
            store.sql(query.format(csv=secret_csv))
        assert SECRET not in str(info.value)
        assert "\n" not in info.value.message
        assert sorted(p.name for p in secret_csv.parent.iterdir()) == before
        assert store.count("notes") == 2  # the store still works afterwards


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv('{csv}')",
        "FROM '{csv}'",
        "SELECT * FROM glob('{csv}')",
    ],
)
@pytest.mark.parametrize("backend", ["memory", "duckdb"])
def test_allow_files_lets_a_query_read_files(
    backend: str, query: str, secret_csv: Path, open_store: Callable[[str], Storage]
) -> None:
    with open_store(backend) as store:
        frame = store.sql(query.format(csv=secret_csv), allow_files=True)
    assert SECRET in frame.to_string() or str(secret_csv) in frame.to_string()


DUCKDB_STILL_REFUSED = [
    "ATTACH '{csv}.db' AS other",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "COPY (SELECT 1) TO '{csv}.out'",
    "SELECT * FROM duckdb_secrets()",
    "SELECT current_setting('home_directory') AS h",
    "WITH gone AS (DELETE FROM mastra_threads RETURNING id) SELECT * FROM gone",
]
SQLITE_STILL_REFUSED = [
    "ATTACH '{csv}.db' AS other",
    "PRAGMA user_version = 5",
    "CREATE TEMP TABLE t AS SELECT 1",
]


@pytest.mark.parametrize(
    ("backend", "query"),
    [(b, q) for b in ("memory", "duckdb") for q in DUCKDB_STILL_REFUSED]
    + [("sqlite", q) for q in SQLITE_STILL_REFUSED],
)
def test_allow_files_still_refuses_writes_extensions_attach_and_settings(
    backend: str, query: str, secret_csv: Path, open_store: Callable[[str], Storage]
) -> None:
    with open_store(backend) as store:
        _fill(store)
        with pytest.raises(StorageError, match="refused"):
            store.sql(query.format(csv=secret_csv), allow_files=True)
        assert [t.id for t in store.list_threads()] == ["t1"]
    assert not secret_csv.with_name("secret.csv.db").exists()
    assert not secret_csv.with_name("secret.csv.out").exists()


COMMON_ANALYTICS = [
    (
        "SELECT t.resource_id, m.role, count(*) AS n FROM mastra_messages m "
        "JOIN mastra_threads t ON t.id = m.thread_id GROUP BY 1, 2 ORDER BY 2",
        [("alice", "assistant", 1), ("alice", "user", 1)],
    ),
    (
        "WITH ranked AS (SELECT id, row_number() OVER (ORDER BY data ->> 'title' DESC) AS r FROM notes) "
        "SELECT id FROM ranked WHERE r = 1",
        [("n2",)],
    ),
    (
        "SELECT id, sum(CAST(data ->> 'n' AS INTEGER)) OVER (ORDER BY id) AS running FROM notes",
        [("n1", 1), ("n2", 3)],
    ),
    ("SELECT data ->> 'title' AS title FROM notes WHERE id = ?", [("a",)]),
    (
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r",
        [(1,), (2,), (3,)],
    ),
    ("SELECT id FROM notes UNION ALL SELECT id FROM mastra_threads ORDER BY 1", [("n1",), ("n2",), ("t1",)]),
    ("SELECT * FROM (SELECT id FROM notes) AS sub WHERE sub.id > 'n1'", [("n2",)]),
    ("SELECT id FROM notes WHERE id IN (SELECT 'n1')", [("n1",)]),
]
DUCKDB_ANALYTICS = [
    ("SELECT unnest(range(3)) AS n", [(0,), (1,), (2,)]),
    ("SELECT range AS n FROM range(2)", [(0,), (1,)]),
    ("SELECT * FROM generate_series(1, 2) g(n)", [(1,), (2,)]),
    (
        "SELECT id, unnest(CAST(data -> 'tags' AS VARCHAR[])) AS tag FROM notes ORDER BY id, tag",
        [("n1", "x"), ("n1", "y"), ("n2", "y")],
    ),
    ("SELECT count(*) AS n FROM notes, unnest(['a', 'b']) u(x)", [(4,)]),
    ("SELECT json_extract_string(data, '$.title') AS t FROM notes ORDER BY 1", [("a",), ("b",)]),
    ("SELECT key FROM json_each('{\"a\": 1}')", [("a",)]),
    ("SELECT list_transform([1, 2], lambda x: x * 10) AS l", [([10, 20],)]),
    ("FROM notes SELECT id ORDER BY id DESC LIMIT 1", [("n2",)]),
    ("SELECT count(*) FILTER (WHERE role = 'user') AS n FROM mastra_messages", [(1,)]),
]
SQLITE_ANALYTICS = [
    (
        "SELECT n.id, j.value AS tag FROM notes n, json_each(n.data, '$.tags') j ORDER BY 1, 2",
        [("n1", "x"), ("n1", "y"), ("n2", "y")],
    ),
    ("SELECT json_extract(data, '$.title') AS t FROM notes ORDER BY 1", [("a",), ("b",)]),
]

POSTGRES_ANALYTICS = [
    ("SELECT * FROM generate_series(1, 2) g(n)", [(1,), (2,)]),
    (
        "SELECT id, json_array_elements_text(data -> 'tags') AS tag FROM notes ORDER BY id, tag",
        [("n1", "x"), ("n1", "y"), ("n2", "y")],
    ),
    ("SELECT count(*) AS n FROM notes, unnest(ARRAY['a', 'b']) u(x)", [(2 * 2,)]),
    ("SELECT data::jsonb @> '{\"n\": 1}' AS one FROM notes ORDER BY id", [(True,), (False,)]),
    ("SELECT count(*) FILTER (WHERE role = 'user') AS n FROM mastra_messages", [(1,)]),
    ("SELECT id FROM notes WHERE data ->> 'title' LIKE 'a%' AND id = ?", [("n1",)]),
    ("SELECT '50%' AS pct, id FROM notes WHERE id = ?", [("50%", "n1")]),
    ("TABLE notes", None),
    ("VALUES (1, 'a')", [(1, "a")]),
]


def _rows(frame: Any) -> list[tuple[Any, ...]]:
    return [
        tuple(v.tolist() if hasattr(v, "tolist") else v for v in row) for row in frame.itertuples(index=False)
    ]


def test_ordinary_analytical_sql_over_the_stores_tables_still_works(store: Storage) -> None:
    _fill(store)
    extra = {"sqlite": SQLITE_ANALYTICS, "postgres": POSTGRES_ANALYTICS}.get(
        store.backend_name, DUCKDB_ANALYTICS
    )
    for query, expected in [*COMMON_ANALYTICS, *extra]:
        params = ["n1"] if "?" in query else None
        frame = store.sql(query, params)
        if expected is not None:
            assert _rows(frame) == expected, query
    if store.backend_name not in ("sqlite", "postgres"):
        assert not store.sql("SUMMARIZE notes").empty
        assert "data" in store.sql("DESCRIBE notes")["column_name"].tolist()
        assert store.sql('SELECT count(*) AS n FROM "notes"')["n"].tolist() == [2]


def test_in_memory_engine_refuses_files_even_if_the_syntax_check_is_bypassed(
    secret_csv: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr("mastra_lab.storage._duckdb_sql.check_query", lambda *a, **k: None)
    with InMemoryStore() as store, pytest.raises(StorageError, match="disabled by configuration") as info:
        store.sql(f"SELECT * FROM read_csv('{secret_csv}')")
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("backend", ["memory", "duckdb"])
def test_sql_never_loads_an_extension(backend: str, open_store: Callable[[str], Storage]) -> None:
    with (
        open_store(backend) as store,
        pytest.raises(StorageError, match=r"not in the catalog|does not exist"),
    ):
        store.sql("SELECT st_point(1, 2) AS p")  # lives in the spatial extension


def test_an_unknown_table_is_refused_naming_the_known_ones_on_every_backend(store: Storage) -> None:
    store.create("notes", {"a": 1})
    with pytest.raises(StorageError) as info:
        store.sql("SELECT * FROM nots")
    assert info.value.code == "STORAGE_SQL_REFUSED"
    assert "'nots'" in info.value.message
    assert "mastra_threads, mastra_workflow_snapshots, notes)" in info.value.message


@pytest.mark.parametrize("query", ["DELETE FROM notes", "UPDATE notes SET data = '{}'"])
def test_a_write_to_a_user_table_is_refused_as_read_only_on_every_backend(store: Storage, query: str) -> None:
    store.create("notes", {"a": 1})
    with pytest.raises(StorageError, match="read-only") as info:
        store.sql(query)
    assert info.value.code == "STORAGE_SQL_READ_ONLY"
    assert store.count("notes") == 1
