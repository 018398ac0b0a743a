"""``%mastra init``, ``status``, ``tables`` and ``sql`` driven through a real IPython shell."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from mastra_backends import Backend
from pg_server import PgServer, fresh_schema

from mastra_lab import Mastra
from mastra_lab.lab._testing import TestingShell
from mastra_lab.lab.display import Fields, Table
from mastra_lab.storage import DuckDBStore, SQLiteStore
from mastra_lab.vector import DuckDBVector, InMemoryVector, PgVector


@pytest.fixture
def ip_empty() -> Iterator[TestingShell]:
    """A shell with the extension loaded and no Mastra yet."""
    shell = TestingShell()
    yield shell
    shell.close()


@pytest.fixture
def ip(ip_empty: TestingShell) -> TestingShell:
    """``ip_empty`` after ``%mastra init``, with three notes."""
    ip_empty.line("init")
    storage = ip_empty.magics.mastra.storage  # type: ignore[union-attr]
    for i, who in enumerate(["Ada", "Bob", "Ada"]):
        storage.create("notes", {"i": i, "who": who})
    return ip_empty


# -- init -------------------------------------------------------------------------------------------------


def test_init_creates_an_in_memory_duckdb_with_a_default_vector_store(ip_empty: TestingShell) -> None:
    summary = ip_empty.line("init")
    assert isinstance(summary, Fields)
    assert summary.title == "Mastra ready (created)"
    assert dict(summary) == {
        "storage": "duckdb",
        "db": ":memory:",
        "mode": "read-write",
        "tables": 6,  # the five built-in ones and the vector store's registry
        "vectors": "default",
    }
    mastra = ip_empty.magics.mastra
    assert mastra is not None and ip_empty.magics.owns_mastra
    assert isinstance(mastra.get_vector("default"), DuckDBVector)


def test_init_on_a_duckdb_file_persists_between_inits(ip_empty: TestingShell, tmp_path: Path) -> None:
    path = tmp_path / "app.duckdb"
    ip_empty.line(f"init --db {path}")
    first = ip_empty.magics.mastra
    assert first is not None
    first.storage.create("notes", {"a": 1})
    summary = ip_empty.line(f'init --db "{path}"')
    assert first.status()["closed"] is True  # the Mastra init made is closed when replaced
    assert summary["db"] == str(path)
    assert ip_empty.line("sql SELECT count(*) AS n FROM notes")["n"].tolist() == [1]


def test_init_on_a_sqlite_file_uses_sqlite_and_in_memory_vectors(
    ip_empty: TestingShell, tmp_path: Path
) -> None:
    summary = ip_empty.line(f"init --db {tmp_path / 'app.sqlite'}")
    assert summary["storage"] == "sqlite"
    mastra = ip_empty.magics.mastra
    assert mastra is not None
    assert isinstance(mastra.storage, SQLiteStore)
    assert isinstance(mastra.get_vector("default"), InMemoryVector)


def test_init_read_only_refuses_writes(ip_empty: TestingShell, tmp_path: Path) -> None:
    path = tmp_path / "ro.duckdb"
    DuckDBStore(path).close()
    assert ip_empty.line(f"init --db {path} --read-only")["mode"] == "read-only"
    mastra = ip_empty.magics.mastra
    assert mastra is not None and mastra.storage_info()["read_only"] is True


def test_init_from_a_config_file(ip_empty: TestingShell, tmp_path: Path) -> None:
    config = tmp_path / "mastra.toml"
    config.write_text('[storage]\nbackend = "sqlite"\npath = "' + str(tmp_path / "c.sqlite") + '"\n')
    summary = ip_empty.line(f"init --config {config}")
    assert (summary["storage"], summary["db"]) == ("sqlite", str(tmp_path / "c.sqlite"))


def test_init_a_file_another_process_writes_opens_a_read_only_copy_and_says_so(
    ip_empty: TestingShell, tmp_path: Path
) -> None:
    from lock_holder import holding

    path = tmp_path / "busy.duckdb"
    DuckDBStore(path).close()
    with holding(path) as pid:
        summary = ip_empty.line(f"init --db {path}")
        assert summary["mode"] == "read-only"
        assert f"PID {pid}" in summary["note"] and "read-only copy" in summary["note"]
        assert "note" in ip_empty.line("status")
        assert ip_empty.line("sql SELECT data->>'by' AS by FROM notes")["by"].tolist() == ["holder"]
        ip_empty.line("init")  # closes the copy before the holder exits


def test_init_name_attaches_an_existing_mastra_without_owning_it(ip_empty: TestingShell) -> None:
    mine = Mastra()
    ip_empty.ns["app"] = mine
    summary = ip_empty.line("init app")
    assert summary.title == "Mastra ready (using app)"
    assert ip_empty.magics.mastra is mine and not ip_empty.magics.owns_mastra
    ip_empty.line("init")
    assert mine.status()["closed"] is False  # not ours to close
    mine.close()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("init app", "%mastra init app: no variable named 'app' in this notebook (hint: create it first"),
        ("init number", "%mastra init number: number is not a Mastra (it is a int object) (hint: pass"),
        ("init number --db x.duckdb", "%mastra init number uses an existing Mastra; --db, --dsn, --config"),
        ("init --db a.duckdb --config c.toml", "%mastra init takes one of --db, --dsn and --config"),
        ("init --read-only", "%mastra init --read-only needs a database file (hint: add --db FILE.duckdb)"),
        ("init --db 'x.duckdb", "%mastra init: cannot split the arguments: No closing quotation"),
        ("init --bogus", "%mastra init: unrecognized arguments: --bogus (hint: see %mastra init --help)"),
        ("init --config missing.toml", "config file 'missing.toml' does not exist"),
    ],
)
def test_init_mistakes_are_one_line_usage_errors_that_change_nothing(
    ip: TestingShell, line: str, message: str
) -> None:
    ip.ns["number"] = 3
    before = ip.magics.mastra
    error = ip.usage_error(line)
    assert error.startswith(message)
    assert "\n" not in error
    assert ip.magics.mastra is before


def test_init_read_only_on_a_missing_file_says_so(ip_empty: TestingShell, tmp_path: Path) -> None:
    error = ip_empty.usage_error(f"init --db {tmp_path / 'none.duckdb'} --read-only")
    assert "read-only: there is no such database yet" in error
    assert ip_empty.magics.mastra is None


# -- status, tables ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["status", "tables", "sql SELECT 1"])
def test_commands_before_init_say_how_to_start(ip_empty: TestingShell, line: str) -> None:
    name = line.split()[0]
    assert ip_empty.usage_error(line) == (
        f"%mastra {name} needs a Mastra and this notebook has none yet (hint: run %mastra init (in-memory), "
        "%mastra init --db FILE.duckdb, or %mastra init NAME to use an existing Mastra variable)"
    )


def test_status_shows_the_mastra_status_and_its_database(ip: TestingShell) -> None:
    status = ip.line("status")
    assert status.title == "Mastra status"
    assert (status["storage"], status["vectors"], status["db"], status["mode"]) == (
        "duckdb",
        1,
        ":memory:",
        "read-write",
    )
    assert "event_loop" in status


def test_tables_lists_every_table_with_its_row_count(ip: TestingShell) -> None:
    tables = ip.line("tables")
    assert isinstance(tables, Table)
    counts = dict(zip(tables.df["table"], tables.df["rows"], strict=True))
    assert counts["notes"] == 3 and counts["mastra_threads"] == 0
    assert tables.title == f"{len(tables.df)} tables"
    assert "notes" in repr(tables) and "<table" in tables._repr_html_()


# -- sql --------------------------------------------------------------------------------------------------


def test_sql_line_form_returns_a_dataframe(ip: TestingShell) -> None:
    frame = ip.line("sql SELECT data->>'who' AS who, count(*) AS n FROM notes GROUP BY 1 ORDER BY 1")
    assert isinstance(frame, pd.DataFrame)
    assert frame.to_dict("list") == {"who": ["Ada", "Bob"], "n": [2, 1]}


def test_sql_cell_form_reads_the_query_from_the_body(ip: TestingShell) -> None:
    frame = ip.cell("sql", "SELECT count(*) AS n\nFROM notes\nWHERE data->>'who' = 'Ada'\n")
    assert frame["n"].tolist() == [2]


@pytest.mark.parametrize("flag", ["-o", "--out"])
def test_sql_out_stores_the_frame_and_still_returns_it(ip: TestingShell, flag: str) -> None:
    frame = ip.line(f"sql {flag} result SELECT 42 AS x")
    assert ip.ns["result"] is frame
    assert frame["x"].tolist() == [42]


def test_sql_assignment_stores_the_frame_and_shows_nothing(ip: TestingShell) -> None:
    assert ip.cell("sql top <<", "SELECT data->>'who' AS who FROM notes ORDER BY created_at LIMIT 1") is None
    assert ip.ns["top"]["who"].tolist() == ["Ada"]
    assert ip.line("sql second<< SELECT 2 AS x") is None
    assert ip.ns["second"]["x"].tolist() == [2]
    ip.cell("sql -o third", "SELECT 3 AS x")
    assert ip.ns["third"]["x"].tolist() == [3]


def test_sql_shift_operator_is_not_an_assignment(ip: TestingShell) -> None:
    assert ip.line("sql SELECT 1 << 2 AS x")["x"].tolist() == [4]


def test_sql_interpolates_double_braces_only(ip: TestingShell) -> None:
    ip.ns.update(who="Ada", x="MANGLED", name="MANGLED")
    frame = ip.line(
        "sql SELECT count(*) AS n, '{x}' AS braces, '$x' AS dollar, ':name' AS colon, "
        "{'k': 1}['k'] AS struct FROM notes WHERE data->>'who' = '{{who}}'"
    )
    assert frame.to_dict("list") == {
        "n": [2],
        "braces": ["{x}"],
        "dollar": ["$x"],
        "colon": [":name"],
        "struct": [1],
    }


def test_sql_cell_body_is_never_mangled_either(ip: TestingShell) -> None:
    ip.ns.update(x="MANGLED", limit=1)
    code = ip.run_cell("%%mastra sql\nSELECT '{x}' AS a, '$x' AS b, '{ {x} }' AS c LIMIT {{ limit }}\n")
    code.raise_error()
    assert code.result.to_dict("list") == {"a": ["{x}"], "b": ["$x"], "c": ["{ {x} }"]}


def test_sql_line_is_not_expanded_by_ipython(ip: TestingShell) -> None:
    ip.ns["x"] = "MANGLED"
    code = ip.run_cell("%mastra sql SELECT '{x}' AS a, '$x' AS b")
    code.raise_error()
    assert code.result.to_dict("list") == {"a": ["{x}"], "b": ["$x"]}


def test_sql_allow_files_reads_a_csv(ip: TestingShell, tmp_path: Path) -> None:
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n3,4\n")
    assert "--allow-files" in ip.usage_error(f"sql SELECT * FROM read_csv('{csv}')")
    assert ip.line(f"sql --allow-files SELECT sum(a) AS s FROM read_csv('{csv}')")["s"].tolist() == [4]


def test_sql_on_sqlite_storage(ip_empty: TestingShell, tmp_path: Path) -> None:
    ip_empty.line(f"init --db {tmp_path / 'app.sqlite'}")
    ip_empty.magics.mastra.storage.create("notes", {"a": 1})  # type: ignore[union-attr]
    assert ip_empty.line("sql SELECT count(*) AS n FROM notes")["n"].tolist() == [1]
    assert "sql() found no table 'nots'" in ip_empty.usage_error("sql SELECT * FROM nots")
    assert "read-only" in ip_empty.usage_error("sql DELETE FROM notes")


def test_sql_help(ip: TestingShell) -> None:
    text = repr(ip.line("sql --help"))
    assert text.startswith("usage: %mastra sql [-h] [-o VAR] [--allow-files] [query ...]")
    assert "{{name}} is replaced" in text


NEEDS_VAR = "%mastra sql -o needs a Python variable name before the query"


@pytest.mark.parametrize(
    ("line", "body", "message"),
    [
        (
            "sql SELECT * FROM nots",
            None,
            "sql() refused table 'nots' in 'SELECT * FROM nots'; sql() reads only this store's tables (",
        ),
        ("sql DELETE FROM notes", None, "sql() is read-only: DELETE statements are refused"),
        ("sql", "UPDATE notes SET data = '{}'", "sql() is read-only: UPDATE statements are refused"),
        ("sql --bogus SELECT 1", None, "%mastra sql: unrecognized arguments: --bogus"),
        ("sql -o", None, "%mastra sql: argument -o/--out: expected one argument"),
        ("sql -o SELECT 1", None, f"{NEEDS_VAR}, got 'SELECT'"),
        ("sql -o 1x SELECT 1", None, f"{NEEDS_VAR}, got '1x'"),
        ("sql -o a b << SELECT 1", None, "%mastra sql: give -o VAR or VAR <<, not both"),
        ("sql SELECT '{{undefined}}'", None, "%mastra sql: {{undefined}} names no variable of this notebook"),
        ("sql SELECT 'abc", None, "DuckDB error: Parser Error: unterminated string literal"),
        ("sql", "SELECT 1; SELECT 2", "sql() runs exactly one statement, got 2"),
        ("sql", "   \n", "%mastra sql needs a query"),
        ("sql SELECT 1", "SELECT 2", "%%mastra sql: the query is both on the first line and in the cell"),
    ],
)
def test_sql_mistakes_are_one_line_usage_errors(
    ip: TestingShell, line: str, body: str | None, message: str
) -> None:
    error = ip.usage_error(line, body)
    assert error.startswith(message)
    assert "\n" not in error
    assert ip.magics.mastra.storage.count("notes") == 3  # type: ignore[union-attr]


def test_sql_unknown_table_lists_the_known_tables_and_points_at_tables(ip: TestingShell) -> None:
    error = ip.usage_error("sql SELECT * FROM nots")
    assert "mastra_threads, mastra_workflow_snapshots, notes)" in error
    assert error.endswith("(hint: %mastra tables lists the tables)")


def test_sql_mistakes_leave_the_namespace_alone(ip: TestingShell) -> None:
    ip.usage_error("sql -o kept SELECT * FROM nots")
    ip.usage_error("sql kept << DELETE FROM notes")
    assert "kept" not in ip.ns


# -- init on PostgreSQL -----------------------------------------------------------------------------------


@pytest.fixture
def pg_schema(pg_server: PgServer) -> Iterator[str]:
    with fresh_schema(pg_server) as name:
        yield name


def test_init_dsn_points_the_notebook_at_postgres_without_showing_the_password(
    ip_empty: TestingShell, pg_server: PgServer, pg_schema: str
) -> None:
    ip_empty.ns["dsn"] = pg_server.dsn
    summary = ip_empty.line(f"init --dsn {{{{dsn}}}} --schema {pg_schema}")
    assert isinstance(summary, Fields)
    assert dict(summary) == {
        "storage": "postgres",
        "server": pg_server.shown,
        "schema": pg_schema,
        "mode": "read-write",
        "tables": 6,
        "vectors": "default",
    }
    shown = repr(summary) + summary._repr_html_() + repr(ip_empty.line("status"))
    assert pg_server.password not in shown
    assert isinstance(ip_empty.magics.mastra.get_vector("default"), PgVector)  # type: ignore[union-attr]


def test_two_notebooks_on_one_dsn_see_the_same_data(pg_server: PgServer, pg_schema: str) -> None:
    first, second = TestingShell(), TestingShell()
    try:
        for shell in (first, second):
            shell.ns["dsn"] = pg_server.dsn
            shell.line(f"init --dsn {{{{dsn}}}} --schema {pg_schema}")
        first.magics.mastra.storage.create("notes", {"who": "Ada"})  # type: ignore[union-attr]
        frame = second.line("sql SELECT count(*) AS n FROM notes")
        assert frame["n"].tolist() == [1]
    finally:
        first.close()
        second.close()


def test_init_dsn_on_an_unreachable_server_names_host_and_port_only(ip_empty: TestingShell) -> None:
    error = ip_empty.usage_error("init --dsn postgresql://ada:s3cret-pw@127.0.0.1:1/app")
    assert "127.0.0.1:1" in error
    assert "s3cret-pw" not in error
    assert ip_empty.magics.mastra is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("init --schema app", "%mastra init --schema is for a PostgreSQL server"),
        ("init --dsn postgresql://a@h/db --read-only", "%mastra init --read-only is for DuckDB files"),
        (
            "init --dsn postgresql://a@h/db --db app.duckdb",
            "%mastra init takes one of --db, --dsn and --config",
        ),
    ],
)
def test_init_dsn_mistakes_are_usage_errors(ip_empty: TestingShell, line: str, message: str) -> None:
    ip_empty.ns["number"] = 3
    assert ip_empty.usage_error(line).startswith(message)
    assert ip_empty.magics.mastra is None


# -- on each backend --------------------------------------------------------------------------------------


@pytest.fixture
def ip_on(backend: Backend) -> Iterator[TestingShell]:
    """A shell over a Mastra on a DuckDB file or PostgreSQL, with three notes."""
    mastra = backend.open()
    for i, who in enumerate(["Ada", "Bob", "Ada"]):
        mastra.storage.create("notes", {"i": i, "who": who})
    shell = TestingShell()
    shell.magics.replace_mastra(mastra, owned=False)
    yield shell
    shell.close()


def test_tables_counts_the_rows_on_each_backend(ip_on: TestingShell) -> None:
    tables = ip_on.line("tables")
    counts = dict(zip(tables.df["table"], tables.df["rows"], strict=True))
    assert counts["notes"] == 3 and counts["mastra_threads"] == 0
    assert tables.title == f"{len(tables.df)} tables"


def test_sql_reads_the_same_json_on_each_backend(ip_on: TestingShell) -> None:
    ip_on.ns["who"] = "Ada"
    frame = ip_on.line("sql SELECT data->>'who' AS who, count(*) AS n FROM notes GROUP BY 1 ORDER BY 1")
    assert frame.to_dict("list") == {"who": ["Ada", "Bob"], "n": [2, 1]}
    assert ip_on.cell("sql", "SELECT count(*) AS n\nFROM notes\nWHERE data->>'who' = '{{who}}'\n")[
        "n"
    ].tolist() == [2]


def test_sql_refuses_writes_and_unknown_tables_on_each_backend(ip_on: TestingShell) -> None:
    assert "sql() is read-only" in ip_on.usage_error("sql kept << DELETE FROM notes")
    error = ip_on.usage_error("sql SELECT * FROM nots")
    assert "sql() reads only this store's tables (" in error and ", notes)" in error
    assert error.endswith("(hint: %mastra tables lists the tables)")
    assert "kept" not in ip_on.ns
    assert ip_on.line("sql SELECT count(*) AS n FROM notes")["n"].tolist() == [3]
