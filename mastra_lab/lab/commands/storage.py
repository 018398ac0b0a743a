"""``%mastra init``, ``status``, ``tables`` and ``sql``: the notebook's Mastra and SQL over its storage.

The forms follow jupysql's ``%sql`` so that its users feel at home: ``%mastra sql SELECT …`` on a line,
``%%mastra sql`` with the query as the cell body, ``-o VAR`` and ``VAR <<`` to keep the DataFrame, and
``{{var}}`` to put a Python value into the text. Only ``{{name}}`` is replaced — never ``{x}``, ``$x`` or
``:x`` — so SQL that uses braces (JSON, struct literals), ``$1`` or named parameters arrives unchanged.
The SQL text is not shlex-split either (quotes belong to SQL): only the leading options are taken off.
"""

from __future__ import annotations

import argparse
import keyword
import re
from typing import TYPE_CHECKING, Any

from mastra_lab.errors import StorageError
from mastra_lab.lab.display import Fields, Table, usage_error
from mastra_lab.lab.registry import REGISTRY, CommandParser, Invocation, command

if TYPE_CHECKING:
    import pandas as pd

    from mastra_lab.mastra import Mastra

__all__: list[str] = []

# -- init, status, tables ---------------------------------------------------------------------------------


def _init_arguments(parser: CommandParser) -> None:
    parser.add_argument("name", nargs="?", help="use this existing Mastra variable instead of creating one")
    parser.add_argument("--db", metavar="PATH", help="a DuckDB file (.sqlite/.sqlite3/.db: SQLite)")
    parser.add_argument("--dsn", metavar="DSN", help="a PostgreSQL server: postgresql://user:pw@host:5432/db")
    parser.add_argument("--schema", metavar="NAME", help="the PostgreSQL schema for --dsn (default public)")
    parser.add_argument("--config", metavar="FILE", help="a JSON/TOML settings file (Mastra.from_config)")
    parser.add_argument("--read-only", action="store_true", help="open the DuckDB file without writing")


_INIT_EPILOG = """examples:
  %mastra init                          in-memory DuckDB
  %mastra init --db app.duckdb          a DuckDB file (read-only copy if another process writes it)
  %mastra init --db app.sqlite          SQLite
  %mastra init --dsn postgresql://u@host/db   PostgreSQL (with pgvector for the vectors)
  %mastra init --dsn {{dsn}}            the DSN from the variable dsn, so no password is in the cell
  %mastra init --config mastra.toml     from a settings file
  %mastra init mastra                   the Mastra object in the variable `mastra`"""


@command(
    "init",
    "create the notebook's Mastra (in memory, --db FILE, --dsn DSN, --config FILE) or use one: init NAME",
    arguments=_init_arguments,
    epilog=_INIT_EPILOG,
)
def init_command(invocation: Invocation, args: argparse.Namespace) -> Fields:
    if args.name is not None:
        if args.db or args.dsn or args.config or args.read_only:
            raise usage_error(
                f"%mastra init {args.name} uses an existing Mastra; --db, --dsn, --config and --read-only "
                "make one",
                f"run %mastra init {args.name} alone, or drop {args.name}",
            )
        mastra = _existing_mastra(invocation.user_ns, args.name)
        invocation.magics.replace_mastra(mastra, owned=False)
        return _summary(mastra, f"using {args.name}")
    if sum(bool(x) for x in (args.db, args.dsn, args.config)) > 1:
        raise usage_error(
            "%mastra init takes one of --db, --dsn and --config", "name the database inside the config file"
        )
    if args.schema and not args.dsn:
        raise usage_error("%mastra init --schema is for a PostgreSQL server", "add --dsn postgresql://…")
    if args.dsn and args.read_only:
        raise usage_error(
            "%mastra init --read-only is for DuckDB files", "on PostgreSQL, connect as a read-only role"
        )
    if args.read_only and not (args.db or args.config):
        raise usage_error("%mastra init --read-only needs a database file", "add --db FILE.duckdb")
    from mastra_lab.mastra import Mastra

    mastra = Mastra.open(
        db=args.db,
        dsn=_dsn(args.dsn, invocation.user_ns),
        schema=args.schema or "public",
        config=args.config,
        read_only=args.read_only,
    )
    invocation.magics.replace_mastra(mastra, owned=True)
    return _summary(mastra, "created")


def _dsn(given: str | None, user_ns: dict[str, Any]) -> str | None:
    """``--dsn`` as typed, or ``{{name}}``: a notebook variable's value, so no password is in the cell."""
    if given is None:
        return None
    named = _TEMPLATE.fullmatch(given)
    if named is None:
        return given
    name = named.group(1)
    value = user_ns.get(name)
    if not isinstance(value, str):
        found = "no variable" if name not in user_ns else f"a {type(value).__name__}, not a str"
        raise usage_error(
            f"%mastra init --dsn {{{{{name}}}}}: the notebook has {found} named {name!r}",
            f"set {name} = os.environ['PG_DSN'] (or another DSN string) first",
        )
    return value


def _existing_mastra(user_ns: dict[str, Any], name: str) -> Mastra:
    from mastra_lab.mastra import Mastra

    if name not in user_ns:
        raise usage_error(
            f"%mastra init {name}: no variable named {name!r} in this notebook",
            f"create it first ({name} = Mastra(...)), or run %mastra init without a name",
        )
    found = user_ns[name]
    if not isinstance(found, Mastra):
        raise usage_error(
            f"%mastra init {name}: {name} is not a Mastra (it is a {type(found).__name__} object)",
            "pass the name of a Mastra object, or run %mastra init without a name",
        )
    if found.status()["closed"]:
        raise usage_error(f"%mastra init {name}: that Mastra is closed", "create a new one")
    return found


def _storage_fields(mastra: Mastra) -> dict[str, Any]:
    info = mastra.storage_info()
    if "server" in info:
        fields = {"server": info["server"], "schema": info["schema"]}
    else:
        fields = {"db": info["path"] or ":memory:"}
    fields["mode"] = "read-only" if info["read_only"] else "read-write"
    if info["note"]:
        fields["note"] = info["note"]
    return fields


def _summary(mastra: Mastra, how: str) -> Fields:
    info = mastra.storage_info()
    values = {
        "storage": info["backend"],
        **_storage_fields(mastra),
        "tables": len(mastra.storage.tables()),
        "vectors": ", ".join(sorted(mastra.vectors)) or "none",
    }
    return Fields(values, title=f"Mastra ready ({how})")


@command("status", "the notebook's Mastra: storage, database file, counts, event loop")
def status_command(invocation: Invocation, args: argparse.Namespace) -> Fields:
    mastra = invocation.mastra
    return Fields({**mastra.status(), **_storage_fields(mastra)}, title="Mastra status")


@command("tables", "the storage's tables with their row counts")
def tables_command(invocation: Invocation, args: argparse.Namespace) -> Table:
    frame = invocation.mastra.storage.tables_df()
    limit = invocation.magics.display_limit
    return Table(frame, title=f"{len(frame)} tables", limit=max(limit, len(frame)))


# -- sql --------------------------------------------------------------------------------------------------


def _sql_arguments(parser: CommandParser) -> None:
    parser.add_argument("-o", "--out", metavar="VAR", help="also store the DataFrame in the variable VAR")
    parser.add_argument(
        "--allow-files", action="store_true", help="let the query read files (read_csv, 'x.parquet')"
    )
    parser.add_argument("query", nargs="*", help="the SQL (line form); in a %%%%mastra sql cell, the body")


_SQL_EPILOG = """examples:
  %mastra sql SELECT count(*) AS n FROM notes
  %mastra sql -o df SELECT * FROM notes          df holds the DataFrame too
  %%mastra sql top <<                            top holds it (nothing is shown)
  SELECT * FROM notes WHERE data->>'author' = '{{author}}'

{{name}} is replaced by str(name) from the notebook; nothing else in the text is touched.
The query is read-only: a write, a file (without --allow-files) or an unknown table is refused."""

_TOKEN = re.compile(r"\s*(\S+)")
_OPTION = re.compile(r"--?[A-Za-z][\w-]*(=\S*)?")
_ASSIGN = re.compile(r"([A-Za-z_]\w*)\s*<<", re.ASCII)
_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}", re.ASCII)
_SQL_WORDS = frozenset(
    ("SELECT", "WITH", "FROM", "VALUES", "TABLE", "SHOW", "DESCRIBE", "SUMMARIZE", "EXPLAIN", "PRAGMA")
)


def _leading_options(line: str) -> tuple[list[str], str]:
    """Split ``line`` into its leading option tokens (with ``-o``'s value) and the rest, verbatim."""
    argv: list[str] = []
    rest = line
    while (token := _TOKEN.match(rest)) is not None and _OPTION.fullmatch(token.group(1)):
        argv.append(token.group(1))
        rest = rest[token.end() :]
        if token.group(1) in ("-o", "--out") and (value := _TOKEN.match(rest)) is not None:
            argv.append(value.group(1))
            rest = rest[value.end() :]
    return argv, rest.strip()


def _variable(name: str, where: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name) or name.upper() in _SQL_WORDS:
        raise usage_error(
            f"%mastra sql {where} needs a Python variable name before the query, got {name!r}",
            "write %mastra sql -o df SELECT … or %mastra sql df << SELECT …",
        )
    return name


def _interpolate(query: str, user_ns: dict[str, Any]) -> str:
    """``{{name}}`` → ``str(user_ns[name])``; an unknown name is a ``UsageError`` naming it."""
    for name in _TEMPLATE.findall(query):
        if name not in user_ns:
            raise usage_error(
                f"%mastra sql: {{{{{name}}}}} names no variable of this notebook",
                f"define {name} first, or remove the {{{{…}}}} around it",
            )
    return _TEMPLATE.sub(lambda m: str(user_ns[m.group(1)]), query)


def _query_and_target(invocation: Invocation) -> tuple[argparse.Namespace, str, str | None, bool]:
    """The parsed options, the SQL text, the variable to store into and whether ``VAR <<`` named it."""
    argv, rest = _leading_options(invocation.line)
    args = REGISTRY["sql"].parser().parse_args(argv)
    target = _variable(args.out, "-o") if args.out is not None else None
    assign = _ASSIGN.match(rest)
    if assign is not None:
        if target is not None:
            raise usage_error("%mastra sql: give -o VAR or VAR <<, not both", "keep one of them")
        target, rest = _variable(assign.group(1), "VAR <<"), rest[assign.end() :].strip()
    body = (invocation.cell or "").strip()
    if rest and body:
        raise usage_error(
            "%%mastra sql: the query is both on the first line and in the cell body",
            "put it in the body only; the first line takes options and VAR <<",
        )
    query = rest or body
    if not query:
        raise usage_error("%mastra sql needs a query", "%mastra sql SELECT … or a %%mastra sql cell")
    return args, query, target, assign is not None


@command(
    "sql",
    "run a read-only SQL query over the storage: returns a DataFrame (-o VAR / VAR << keep it)",
    arguments=_sql_arguments,
    cell="optional",
    raw=True,
    epilog=_SQL_EPILOG,
)
def sql_command(invocation: Invocation, args: argparse.Namespace | None) -> pd.DataFrame | None:
    options, query, target, assigned = _query_and_target(invocation)
    query = _interpolate(query, invocation.user_ns)
    storage = invocation.mastra.storage
    try:
        frame = storage.sql(query, allow_files=options.allow_files)
    except StorageError as exc:
        if exc.code != "STORAGE_SQL_REFUSED":
            raise
        raise usage_error(
            str(exc).replace("pass allow_files=True", "add --allow-files"), "%mastra tables lists the tables"
        ) from None
    if target is not None:
        invocation.user_ns[target] = frame
    return None if assigned else frame
