"""The ``sql()`` guard of ``PostgresStore``: what a query may do before and while PostgreSQL runs it.

``sql()`` hands text from a notebook cell or a web form to the server, possibly as a superuser, so
read-only is enforced three times. First the text is read here, token by token: one statement, starting
with ``SELECT``, ``WITH``, ``VALUES`` or ``TABLE``, calling none of the functions that reach the server's
files or programs, other connections, settings or session state (``pg_read_file``, ``lo_export``,
``dblink``, ``query_to_xml`` — which runs SQL given as text —, ``set_config`` …). Then the server's own
plan (``EXPLAIN``, which runs nothing) must scan only tables of the store's schema and call none of those
functions under any spelling. Finally the query runs in a ``READ ONLY`` transaction with a
``statement_timeout``, rolled back afterwards, so no write survives even if something slipped through.

The same scanner turns the ``?`` (and ``$name``) placeholders the other backends take into psycopg's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from mastra_lab.errors import StorageError

__all__ = ["check_plan", "check_text", "placeholders"]

_READ_STATEMENTS = frozenset({"select", "with", "values", "table"})
_REFUSED_PREFIXES = (
    "pg_read_",  # pg_read_file, pg_read_binary_file: server files
    "pg_ls_",  # pg_ls_dir, pg_ls_logdir, pg_ls_waldir, pg_ls_tmpdir …: server directories
    "pg_stat_file",
    "pg_file_",  # adminpack writes files
    "pg_logdir_ls",
    "lo_",  # large objects: lo_import / lo_export read and write server files
    "loread",
    "lowrite",
    "dblink",  # other connections, which no read-only transaction covers
    "postgres_fdw",
    "pg_advisory_lock",  # session locks outlive the rolled-back transaction
    "pg_advisory_unlock",
    "pg_try_advisory_lock",
    "pg_terminate_backend",
    "pg_cancel_backend",
    "pg_reload_conf",
    "pg_rotate_logfile",
    "pg_promote",
    "pg_switch_wal",
    "pg_create_",
    "pg_drop_replication_slot",
    "pg_replication_",
    "pg_logical_",
    "pg_backup_",
    "pg_notify",
    "set_config",  # session settings outlive the transaction
    "current_setting",  # settings name server paths
    "pg_import_system_collations",
    "pg_show_",  # pg_settings, pg_file_settings: the server's configuration
    "pg_hba_file_rules",
    "pg_ident_file_mappings",
    "pg_config",
    "pg_current_logfile",
    "pg_tablespace_location",
    "pg_stat_get_",  # pg_stat_activity: other sessions and their query texts
    "pg_get_",
)
_REFUSED_SUFFIXES = ("_to_xml", "_to_xmlschema", "_to_xml_and_xmlschema")  # query_to_xml runs SQL text
_WRITE_FIX = "sql() is read-only: use create()/update()/delete() and the other Storage methods to change data"
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<line>--[^\n]*)
  | (?P<block>/\*)
  | (?P<uescape>[uU]&["'])
  | (?P<estring>[eE]'(?:[^'\\]|\\.|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z0-9_]*)?\$)
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<param>\$[0-9]+|\$[A-Za-z_][A-Za-z0-9_]*|\?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
  | (?P<number>[0-9][0-9A-Za-z_.]*)
  | (?P<op>::|[%]|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def refused_function(name: str) -> bool:
    """Whether ``name`` (lower case, unqualified) is a function ``sql()`` never calls."""
    return name.startswith(_REFUSED_PREFIXES) or name.endswith(_REFUSED_SUFFIXES)


def _tokens(query: str) -> Iterator[tuple[str, str]]:
    """``(kind, text)`` for each token; comments and whitespace come back as kind ``"space"``."""
    pos = 0
    while pos < len(query):
        found = _TOKEN.match(query, pos)
        assert found is not None  # the last alternative matches any character
        kind = found.lastgroup or "op"
        if kind == "tag":
            kind = "dollar"
        if kind == "block":
            end = _block_end(query, found.end())
            yield "space", query[pos:end]
            pos = end
            continue
        if kind == "dollar":
            close = query.find(found.group(0), found.end())
            if close < 0:
                raise _bad(query, "an unterminated $-quoted string")
            end = close + len(found.group(0))
            yield "string", query[pos:end]
            pos = end
            continue
        if kind == "uescape":
            raise StorageError(
                f"sql() refused a U& (Unicode-escaped) name or string in {query!r:.80}; write it plainly",
                code="STORAGE_SQL_REFUSED",
                details={"refused": "U&"},
            )
        yield {"line": "space", "estring": "string"}.get(kind, kind), found.group(0)
        pos = found.end()


def _block_end(query: str, pos: int) -> int:
    """End of a (nestable) ``/* … */`` comment that opened just before ``pos``."""
    depth = 1
    while depth:
        nxt = re.compile(r"/\*|\*/").search(query, pos)
        if nxt is None:
            raise _bad(query, "an unterminated /* comment")
        depth += 1 if nxt.group(0) == "/*" else -1
        pos = nxt.end()
    return pos


def _bad(query: str, what: str) -> StorageError:
    return StorageError(f"sql() could not read {query!r:.80}: {what}", code="STORAGE_BAD_SQL")


def check_text(query: str, internal: Iterable[str] = (), tables: Iterable[str] = ()) -> None:
    """Refuse, before the server sees it, anything but one reading statement calling no refused function.

    Names in ``internal`` (the store's bookkeeping tables, which user tables are views over) may not be
    named at all, as on the other backends; ``tables`` are the readable ones, listed in that error.
    """
    hidden = frozenset(internal)
    tokens = [t for t in _tokens(query) if t[0] != "space"]
    first = next((text.lower() for kind, text in tokens if kind == "word"), None)
    for i, (kind, text) in enumerate(tokens):
        if kind == "op" and text == ";" and i != len(tokens) - 1:
            raise StorageError(
                f"sql() runs exactly one statement ({query!r:.80}); split them into separate calls",
                code="STORAGE_BAD_SQL",
            )
        if kind not in ("word", "quoted"):
            continue
        name = text.lower() if kind == "word" else text[1:-1].replace('""', '"')
        if name in hidden:
            shown = ", ".join(sorted(tables)) or "none yet"
            raise StorageError(
                f"sql() refused table {name!r} in {query!r:.80}; sql() reads only this store's tables "
                f"({shown})",
                code="STORAGE_SQL_REFUSED",
                details={"refused": name},
            )
        if i + 1 < len(tokens) and tokens[i + 1] == ("op", "(") and refused_function(name):
            raise StorageError(
                f"sql() refused function {name}() in {query!r:.80}; sql() reads only this store's tables "
                "and never reaches the server's files, programs, settings or other connections",
                code="STORAGE_SQL_REFUSED",
                details={"refused": f"{name}()"},
            )
    if first not in _READ_STATEMENTS:
        shown = (first or "").upper() or "an empty statement"
        raise StorageError(
            f"sql() refused {shown} in {query!r:.80}; {_WRITE_FIX} (sql() runs one SELECT, WITH, VALUES or "
            "TABLE statement)",
            code="STORAGE_SQL_READ_ONLY",
            details={"refused": shown},
        )


def placeholders(
    query: str, params: Sequence[Any] | Mapping[str, Any] | None
) -> tuple[str, Sequence[Any] | Mapping[str, Any] | None]:
    """``query`` with ``?`` / ``$name`` placeholders as psycopg's ``%s`` / ``%(name)s``, and the params.

    Without params the text goes as it is (psycopg then reads no placeholders); with them every ``%`` of
    the text is doubled, so ``LIKE 'a%'`` keeps meaning what it says.
    """
    if params is None:
        return query, None
    out: list[str] = []
    for kind, text in _tokens(query):
        if kind == "param" and text == "?":
            out.append("%s")
        elif kind == "param" and not text[1:].isdigit() and isinstance(params, Mapping):
            out.append(f"%({text[1:]})s")
        else:
            out.append(text.replace("%", "%%"))
    if isinstance(params, Mapping):
        return "".join(out), dict(params)
    return "".join(out), list(params)


def check_plan(plan: Any, schema: str, tables: Iterable[str], query: str) -> None:
    """Refuse a plan that scans a table outside ``schema`` or calls a refused function, however spelled."""
    for node in _nodes(plan):
        relation = node.get("Relation Name")
        if relation is not None and node.get("Schema") != schema:
            shown = ", ".join(sorted(tables)) or "none yet"
            where = f"{node.get('Schema')}.{relation}"
            raise StorageError(
                f"sql() refused table {where!r} in {query!r:.80}; sql() reads only this store's tables "
                f"({shown})",
                code="STORAGE_SQL_REFUSED",
                details={"refused": where},
            )
        for value in (*node.values(), f"{node.get('Function Name', '')}("):
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    for name in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\(", text):
                        if refused_function(name.lower()):
                            raise StorageError(
                                f"sql() refused function {name}() in {query!r:.80}; sql() never reaches the "
                                "server's files, programs, settings or other connections",
                                code="STORAGE_SQL_REFUSED",
                                details={"refused": f"{name}()"},
                            )


def _nodes(plan: Any) -> Iterator[dict[str, Any]]:
    if isinstance(plan, list):
        for item in plan:
            yield from _nodes(item)
    elif isinstance(plan, dict):
        yield plan
        for value in plan.values():
            if isinstance(value, list | dict):
                yield from _nodes(value)
