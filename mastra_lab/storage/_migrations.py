"""Numbered schema migrations for the SQL backends (DuckDB, SQLite and PostgreSQL).

The schema is never created in one block: it is the result of applying, in order, every ``@migration``
function below whose name is not yet recorded in ``_mastra_migrations``. To change the schema, append a new
``mNNN_…`` function — never edit one that has shipped — and a database created by any older release catches
up on its next open. SQL is written once with ``{text}``, ``{json}``, ``{ts}`` and ``{int}`` placeholders
that each dialect maps to its own column types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = ["MIGRATIONS", "SEQ_TABLES", "Migrator", "migrate", "migration"]


class _Conn(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Any: ...


class Migrator:
    """What a migration function receives: ``execute`` with type placeholders filled in for the dialect.

    Args:
        conn: A DB-API-like connection (sqlite3 or duckdb; for PostgreSQL one that takes ``?``).
        dialect: ``"duckdb"``, ``"sqlite"`` or ``"postgres"``.
        types: Placeholder → column type for this dialect.
    """

    def __init__(self, conn: _Conn, dialect: str, types: Mapping[str, str]) -> None:
        self.conn = conn
        self.dialect = dialect
        self.types = dict(types)

    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run one statement after substituting ``{text}``, ``{json}``, ``{ts}``, ``{int}``."""
        return self.conn.execute(sql.format(**self.types), params)


Migration = Callable[[Migrator], None]
MIGRATIONS: list[Migration] = []


def migration(fn: Migration) -> Migration:
    """Register ``fn`` as the next migration (order of definition is the order of application)."""
    MIGRATIONS.append(fn)
    return fn


@migration
def m001_records(db: Migrator) -> None:
    """Generic records of user tables, and the registry of those tables."""
    db.execute("CREATE TABLE mastra_record_tables (name {text} PRIMARY KEY, created_at {ts} NOT NULL)")
    db.execute(
        "CREATE TABLE mastra_records (tbl {text} NOT NULL, id {text} NOT NULL, data {json} NOT NULL, "
        "metadata {json} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, seq {int} NOT NULL, "
        "PRIMARY KEY (tbl, id))"
    )


@migration
def m002_memory(db: Migrator) -> None:
    """Threads, messages and resources for agent memory."""
    db.execute(
        "CREATE TABLE mastra_threads (id {text} PRIMARY KEY, resource_id {text} NOT NULL, title {text}, "
        "metadata {json} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, seq {int} NOT NULL)"
    )
    db.execute(
        "CREATE TABLE mastra_resources (id {text} PRIMARY KEY, working_memory {text}, "
        "metadata {json} NOT NULL, "
        "created_at {ts} NOT NULL, updated_at {ts} NOT NULL)"
    )
    db.execute(
        "CREATE TABLE mastra_messages (id {text} PRIMARY KEY, thread_id {text} NOT NULL, resource_id {text}, "
        "role {text} NOT NULL, type {text} NOT NULL, content {json} NOT NULL, metadata {json} NOT NULL, "
        "created_at {ts} NOT NULL, seq {int} NOT NULL)"
    )
    # DuckDB's ART index only serves single-column equality; SQLite can also sort from a composite index.
    cols = "thread_id" if db.dialect == "duckdb" else "thread_id, created_at, seq"
    db.execute(f"CREATE INDEX mastra_messages_thread ON mastra_messages ({cols})")
    db.execute("CREATE INDEX mastra_threads_resource ON mastra_threads (resource_id)")


@migration
def m003_workflow_snapshots(db: Migrator) -> None:
    """Workflow run snapshots (suspend/resume); status has its own column for listing."""
    db.execute(
        "CREATE TABLE mastra_workflow_snapshots (workflow {text} NOT NULL, run_id {text} NOT NULL, "
        "status {text}, snapshot {json} NOT NULL, created_at {ts} NOT NULL, updated_at {ts} NOT NULL, "
        "seq {int} NOT NULL, PRIMARY KEY (workflow, run_id))"
    )


@migration
def m004_spans(db: Migrator) -> None:
    """Telemetry spans, one row per span, upserted by span_id."""
    db.execute(
        "CREATE TABLE mastra_spans (span_id {text} PRIMARY KEY, trace_id {text} NOT NULL, "
        "parent_span_id {text}, "
        "name {text} NOT NULL, type {text} NOT NULL, status {text} NOT NULL, attributes {json} NOT NULL, "
        "input {json}, output {json}, error {json}, start_time {ts} NOT NULL, end_time {ts}, "
        "seq {int} NOT NULL)"
    )
    db.execute("CREATE INDEX mastra_spans_trace ON mastra_spans (trace_id)")


SEQ_TABLES = (
    "mastra_records",
    "mastra_threads",
    "mastra_messages",
    "mastra_workflow_snapshots",
    "mastra_spans",
)
"""The tables whose rows carry an insertion-order ``seq``."""


@migration
def m005_sequences(db: Migrator) -> None:
    """The last ``seq`` handed out per table, kept in the file so that every writer takes from one counter.

    Seeded from what is already stored, so an older database goes on numbering after its existing rows.
    """
    db.execute("CREATE TABLE mastra_sequences (name {text} PRIMARY KEY, last {int} NOT NULL)")
    for table in SEQ_TABLES:
        db.execute(f"INSERT INTO mastra_sequences SELECT '{table}', coalesce(max(seq), 0) FROM {table}")


@migration
def m006_span_events(db: Migrator) -> None:
    """Point events (log records…) inside a span, and an index for reading spans by time.

    ``events`` is nullable so that the column can be added in place: spans stored before it read back with
    no events. The ``start_time`` index serves the time-window reads (``query_spans``) and retention.
    """
    db.execute("ALTER TABLE mastra_spans ADD COLUMN events {json}")
    db.execute("CREATE INDEX mastra_spans_start ON mastra_spans (start_time)")


def applied(db: Migrator) -> list[str]:
    """Names of the migrations already applied (creates the bookkeeping table if needed)."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS _mastra_migrations (name {text} PRIMARY KEY, applied_at {ts} NOT NULL)"
    )
    return [row[0] for row in db.execute("SELECT name FROM _mastra_migrations").fetchall()]


def migrate(db: Migrator, now: Any, upto: str | None = None) -> list[str]:
    """Apply every pending migration (or those up to and including ``upto``) and return their names.

    Each migration and its bookkeeping row commit together, so a crash leaves the database at a migration
    boundary.

    Args:
        db: The migrator for the connection.
        now: The timestamp value to record (already in the dialect's format).
        upto: Stop after this migration (tests use it to build old schemas).
    """
    done = set(applied(db))
    ran: list[str] = []
    for fn in MIGRATIONS:
        name = fn.__name__
        if name not in done:
            db.execute("BEGIN")
            try:
                fn(db)
                db.execute("INSERT INTO _mastra_migrations (name, applied_at) VALUES (?, ?)", (name, now))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            ran.append(name)
        if name == upto:
            break
    return ran
