"""DuckDB helpers shared by ``DuckDBStore`` and ``InMemoryStore``: the ``sql()`` guard and the error mapping.

Both backends answer ``sql()`` with DuckDB, and ``sql()`` is also what a notebook magic and an HTTP endpoint
hand user text to. So "read-only" here means more than "changes nothing": the query may read only the
store's own tables (what ``tables()`` lists), the CTEs it defines, and a short list of table functions that
compute rows (``range``, ``unnest``, ``json_each`` …). Files, URLs, catalog/settings functions, extensions,
``ATTACH`` and ``SET`` are refused unless the caller passes ``allow_files=True``, which adds file readers and
replacement scans (``FROM 'data.csv'``) but nothing that writes or changes the engine.

The check is an allow-list walked over DuckDB's own syntax tree (``json_serialize_sql``): every table
reference, table function and query node must be one we know to be safe, and anything the walker does not
recognise is refused. It runs before the query does. :func:`map_duckdb_errors` is the one place where
:mod:`duckdb` exceptions become :class:`StorageError`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import duckdb

from mastra_lab.errors import StorageError

__all__ = ["ENGINE_CONFIG", "check_query", "map_duckdb_errors"]

ENGINE_CONFIG: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
"""Connection settings that keep ``sql()`` from installing or loading extensions behind the caller's back."""

# Only SELECT: EXPLAIN ANALYZE would run the statement it explains.
_READ_ONLY_STATEMENTS = frozenset({duckdb.StatementType.SELECT})
_SELECT_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
# Table reference kinds the walker understands; any other kind is refused.
_TABLE_REFS = frozenset(
    {"BASE_TABLE", "TABLE_FUNCTION", "JOIN", "SUBQUERY", "EMPTY", "EXPRESSION_LIST", "PIVOT", "SHOW_REF"}
)
# Table functions that only compute rows from their arguments.
_ROW_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree", "repeat"})
# Table functions that read files or URLs: allowed with allow_files=True only.
_FILE_FUNCTIONS_TEXT = """
read_csv read_csv_auto read_json read_json_auto read_json_objects read_json_objects_auto read_ndjson
read_ndjson_auto read_ndjson_objects read_parquet parquet_scan parquet_metadata parquet_schema
parquet_file_metadata parquet_kv_metadata read_text read_blob glob sniff_csv
"""
_FILE_FUNCTIONS = frozenset(_FILE_FUNCTIONS_TEXT.split())
# Scalar functions that read settings or change state outside the transaction.
_REFUSED_FUNCTIONS = frozenset(
    {"current_setting", "getenv", "nextval", "setval", "currval", "setseed", "write_log", "sleep_ms"}
)
_STATEMENT_FIXES = {
    "ATTACH": "sql() reads only this store's tables, never another database",
    "LOAD": "sql() never installs or loads extensions (INSTALL and LOAD both are LOAD statements)",
    "SET": "sql() never changes settings",
    "VARIABLE_SET": "sql() never changes settings",
    "PRAGMA": "sql() never changes settings; DESCRIBE or SUMMARIZE a table to inspect it",
    "UNVERIFIABLE": "write it as a plain SELECT",
}
_parser: duckdb.DuckDBPyConnection | None = None  # parses only; never holds data
_parser_lock = threading.Lock()


def _refuse(what: str, query: str, fix: str, code: str = "STORAGE_SQL_REFUSED") -> StorageError:
    return StorageError(f"sql() refused {what} in {query!r:.80}; {fix}", code=code, details={"refused": what})


def check_query(query: str, tables: Iterable[str], *, allow_files: bool = False) -> None:
    """Raise :class:`StorageError` unless ``query`` is one SELECT that reads only what it may.

    The statement type comes from DuckDB's parser (``extract_statements``); the SELECT is then
    serialised to its syntax tree so that a DELETE hidden in a CTE, a file read inside a subquery or a
    replacement scan (``FROM '/etc/passwd'``) is found wherever it sits.

    Args:
        query: The SQL text.
        tables: The names the query may read (the store's ``tables()``).
        allow_files: Also allow file-reading table functions and replacement scans.
    """
    parser = _parser_connection()  # not duckdb's module-level default connection, opened just for this
    with _parser_lock, map_duckdb_errors():
        statements = parser.extract_statements(query)
    if len(statements) != 1:
        raise StorageError(
            f"sql() runs exactly one statement, got {len(statements)} in {query!r:.80}; split them into "
            "separate calls",
            code="STORAGE_BAD_SQL",
        )
    if statements[0].type not in _READ_ONLY_STATEMENTS:
        _refuse_statement(statements[0].type.name, query)
    tree = _syntax_tree(query)
    if tree.get("error"):
        _refuse_statement("UNVERIFIABLE", query)
    _Walker(query, {t.lower() for t in tables}, allow_files).walk(tree["statements"])


def _refuse_statement(kind: str, query: str) -> None:
    fix = _STATEMENT_FIXES.get(
        kind, "use create()/update()/delete() and the other Storage methods to change data"
    )
    raise StorageError(
        f"sql() is read-only: {kind} statements are refused ({query!r:.80}); {fix}",
        code="STORAGE_SQL_READ_ONLY",
        details={"statement": kind},
    )


def _parser_connection() -> duckdb.DuckDBPyConnection:
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = duckdb.connect(config={**ENGINE_CONFIG, "enable_external_access": False})
        return _parser


def _syntax_tree(query: str) -> dict[str, Any]:
    parser = _parser_connection()
    with _parser_lock, map_duckdb_errors():
        row = parser.execute("SELECT json_serialize_sql(?)", [query]).fetchone()
    assert row is not None
    tree: dict[str, Any] = json.loads(row[0])
    return tree


class _Walker:
    """Visits every node of a serialised query, carrying the CTE names visible at each point."""

    def __init__(self, query: str, tables: set[str], allow_files: bool) -> None:
        self.query = query
        self.tables = tables
        self.allow_files = allow_files

    def walk(self, root: Any) -> None:
        stack: list[tuple[Any, frozenset[str]]] = [(root, frozenset())]
        while stack:
            node, scope = stack.pop()
            if isinstance(node, list):
                stack.extend((item, scope) for item in node)
            elif isinstance(node, dict):
                stack.extend(self._visit(node, scope))

    def _visit(self, node: dict[str, Any], scope: frozenset[str]) -> list[tuple[Any, frozenset[str]]]:
        """Check one node; return its children with the scope they see."""
        kind = node.get("type")
        if "class" in node:  # an expression
            if node["class"] in ("FUNCTION", "WINDOW"):
                self._check_function(str(node.get("function_name", "")).lower())
        elif isinstance(kind, str) and kind.endswith("_NODE"):
            return self._query_node(node, scope)
        elif "sample" in node and "alias" in node:  # a table reference
            return self._table_ref(node, scope)
        return [(child, scope) for child in node.values()]

    def _query_node(self, node: dict[str, Any], scope: frozenset[str]) -> list[tuple[Any, frozenset[str]]]:
        kind = node["type"]
        if kind not in _SELECT_NODES:
            _refuse_statement(kind.removesuffix("_NODE").removesuffix("_QUERY"), self.query)
        children: list[tuple[Any, frozenset[str]]] = []
        for entry in (node.get("cte_map") or {}).get("map", []):
            # a CTE sees the ones defined before it (and itself only when recursive, via cte_name)
            children.append((entry.get("value"), scope))
            scope = scope | {str(entry.get("key", "")).lower()}
        if node.get("cte_name"):
            scope = scope | {str(node["cte_name"]).lower()}
        children += [(child, scope) for key, child in node.items() if key != "cte_map"]
        return children

    def _table_ref(self, node: dict[str, Any], scope: frozenset[str]) -> list[tuple[Any, frozenset[str]]]:
        kind = node.get("type")
        if kind == "BASE_TABLE":
            self._check_table(node, scope)
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            self._check_table_function(str(function.get("function_name", "")).lower())
            return [(function.get("arguments"), scope), (node.get("subquery"), scope)]
        elif kind == "SHOW_REF" and node.get("query") is None:
            raise _refuse("SHOW of the catalog or a setting", self.query, "use tables() to list tables")
        elif kind not in _TABLE_REFS:
            raise _refuse(f"the table reference kind {kind}", self.query, "rewrite it as a plain SELECT")
        return [(child, scope) for child in node.values()]

    def _check_table(self, node: dict[str, Any], scope: frozenset[str]) -> None:
        name = str(node.get("table_name", ""))
        schema, catalog = node.get("schema_name") or "", node.get("catalog_name") or ""
        if not catalog and schema in ("", "main") and (name.lower() in self.tables or name.lower() in scope):
            return
        if self.allow_files and not catalog and not schema:
            return  # a replacement scan of a file or URL, which the caller opted into
        shown = ".".join(p for p in (catalog, schema, name) if p)
        raise _refuse(
            f"table {shown!r}",
            self.query,
            f"sql() reads only this store's tables ({', '.join(sorted(self.tables)) or 'none yet'}); "
            "pass allow_files=True to read a file or URL",
        )

    def _check_table_function(self, name: str) -> None:
        if name in _ROW_FUNCTIONS or (self.allow_files and name in _FILE_FUNCTIONS):
            return
        fix = (
            "pass allow_files=True to read files or URLs"
            if name in _FILE_FUNCTIONS
            else f"table functions allowed: {', '.join(sorted(_ROW_FUNCTIONS))}"
            + (", and file readers with allow_files=True" if not self.allow_files else "")
        )
        raise _refuse(f"table function {name}()", self.query, fix)

    def _check_function(self, name: str) -> None:
        if name in _REFUSED_FUNCTIONS:
            raise _refuse(
                f"function {name}()", self.query, "it reads settings or changes state outside the store"
            )


@contextmanager
def map_duckdb_errors(path: str = ":memory:") -> Iterator[None]:
    """Turn :mod:`duckdb` exceptions into :class:`StorageError` (the one place that does so)."""
    try:
        yield
    except duckdb.Error as exc:
        text = str(exc)
        if isinstance(exc, duckdb.IOException) and "lock" in text.lower():
            raise StorageError(
                f"DuckDB file {path!r} is locked by another process ({text.splitlines()[0][:200]}); "
                "close that process, or open the file with DuckDBStore(path, read_only=True) in every "
                "process that only needs to read",
                code="STORAGE_LOCKED",
                category="system",
                details={"path": path},
            ) from exc
        if "read-only" in text.lower() or "read only" in text.lower():
            raise StorageError(
                f"DuckDB file {path!r} is open read-only, so it cannot be changed; open it with "
                "read_only=False to write",
                code="STORAGE_READ_ONLY",
                details={"path": path},
            ) from exc
        raise StorageError(
            f"DuckDB error: {text.splitlines()[0][:300] if text else type(exc).__name__}",
            code="STORAGE_BACKEND",
            category="system",
            details={"backend": "duckdb", "type": type(exc).__name__},
        ) from exc
