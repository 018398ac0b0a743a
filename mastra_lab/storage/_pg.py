"""Reaching PostgreSQL: one place that opens connection pools and says what went wrong without the password.

``PostgresStore`` and ``PgVector`` both take a DSN (``postgresql://user:password@host:port/db`` or libpq's
``key=value`` form) and keep it only as a :class:`~mastra_lab._secret.Secret`; what they show is
:func:`describe` (``user@host:port/db``). :func:`open_pool` makes one real connection first, with a connect
timeout, so an unreachable server, a wrong password or a missing database is one clear error naming host
and port before the pool exists (a pool would only log the failure and time out). Any text the server or
libpq returns passes through :func:`scrub` on its way into an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mastra_lab._secret import Secret
from mastra_lab.errors import MastraError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

__all__ = ["PgTarget", "connect_error", "open_pool", "scrub"]

_INSTALL = 'install the "postgres" extra: pip install "mastra-lab[postgres]"'


class PgTarget:
    """A parsed DSN: the password kept secret, the rest printable."""

    __slots__ = ("_dsn", "database", "host", "port", "user")

    def __init__(self, dsn: str, error: type[MastraError]) -> None:
        if not isinstance(dsn, str) or not dsn.strip():
            raise error(
                f"a PostgreSQL DSN must be a non-empty string like postgresql://user:password@host:5432/db, "
                f"got {type(dsn).__name__}",
                code=f"{error.default_domain.upper()}_BAD_ARGUMENT",
            )
        conninfo = _import_psycopg(error).conninfo
        try:
            info = conninfo.conninfo_to_dict(dsn)
        except Exception as exc:  # psycopg.ProgrammingError: the text is not a DSN
            raise error(
                f"not a PostgreSQL DSN: {' '.join(scrub(str(exc), dsn).split())}; use postgresql://user:password@host:5432/db",
                code=f"{error.default_domain.upper()}_BAD_ARGUMENT",
            ) from None
        port = str(info.get("port") or 5432)
        if not port.isdigit():
            raise error(
                f"the port in a PostgreSQL DSN must be a number, got {port!r:.20}; e.g. host=db port=5432",
                code=f"{error.default_domain.upper()}_BAD_ARGUMENT",
            )
        self._dsn = Secret(dsn)
        self.host = str(info.get("host") or "localhost")
        self.port = int(port)
        self.user = str(info.get("user") or "")
        self.database = str(info.get("dbname") or self.user or "postgres")

    @property
    def dsn(self) -> Secret:
        """The DSN as given, password included; reveal it only to hand it to psycopg."""
        return self._dsn

    def __str__(self) -> str:
        user = f"{self.user}@" if self.user else ""
        host = self.host if not self.host.startswith("/") else f"[socket {self.host}]"
        return f"{user}{host}:{self.port}/{self.database}"

    def __repr__(self) -> str:
        return f"PgTarget({str(self)!r})"

    def scrub(self, text: str) -> str:
        """``text`` with this DSN's password (and the DSN itself) replaced by ``***``."""
        return scrub(text, self._dsn.reveal())


def scrub(text: str, dsn: str) -> str:
    """Remove the password of ``dsn`` (and the whole DSN) from ``text``, for messages and logs."""
    try:
        import psycopg.conninfo

        password = str(psycopg.conninfo.conninfo_to_dict(dsn).get("password") or "")
    except Exception:  # an unparseable DSN: hide it whole below
        password = ""
    text = text.replace(dsn, "***")
    return text.replace(password, "***") if password else text


def _import_psycopg(error: type[MastraError]) -> Any:
    try:
        import psycopg
        import psycopg.conninfo
    except ImportError:
        raise error(f"PostgreSQL support needs psycopg 3; {_INSTALL}", code="MASTRA_MISSING_EXTRA") from None
    return psycopg


def connect_error(target: PgTarget, exc: BaseException, error: type[MastraError]) -> MastraError:
    """The error for a failed connection attempt: which server, what went wrong, what to do."""
    reason = " ".join(target.scrub(str(exc)).split()) or type(exc).__name__
    lowered = reason.lower()
    domain = error.default_domain.upper()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return error(
            f"PostgreSQL at {target.host}:{target.port} refused the password for user {target.user!r}; "
            "check the user and password in the DSN",
            code=f"{domain}_AUTH_FAILED",
        )
    if "does not exist" in lowered and "database" in lowered:
        return error(
            f"PostgreSQL at {target.host}:{target.port} has no database {target.database!r}; "
            f"create it (CREATE DATABASE {target.database}) or name another in the DSN",
            code=f"{domain}_CONNECT_FAILED",
        )
    return error(
        f"cannot connect to PostgreSQL at {target.host}:{target.port} (database {target.database!r}): "
        f"{reason}; check that the server is running and reachable, and the host and port in the DSN",
        code=f"{domain}_CONNECT_FAILED",
    )


def open_pool(
    target: PgTarget,
    error: type[MastraError],
    *,
    min_size: int = 1,
    max_size: int = 4,
    connect_timeout: float = 5.0,
    configure: Callable[[psycopg.Connection[Any]], None] | None = None,
) -> ConnectionPool:
    """A pool of connections to ``target``, after one successful connection proves the server is there.

    ``configure`` runs on every new connection (session settings, type adapters); it must leave the
    connection idle (committed).
    """
    psycopg = _import_psycopg(error)
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise error(
            f"PostgreSQL support needs psycopg_pool; {_INSTALL}", code="MASTRA_MISSING_EXTRA"
        ) from None
    kwargs = {"connect_timeout": max(1, round(connect_timeout)), "application_name": "mastra_lab"}
    try:
        probe = psycopg.connect(target.dsn.reveal(), **kwargs)
    except psycopg.Error as exc:
        raise connect_error(target, exc, error) from None
    probe.close()
    pool = ConnectionPool(
        target.dsn.reveal(),
        min_size=min_size,
        max_size=max_size,
        kwargs=kwargs,
        configure=configure,
        timeout=max(connect_timeout, 1.0) * 6,
        name=f"mastra_lab {target}",
        open=False,
    )
    pool.open(wait=True, timeout=max(connect_timeout, 1.0) * 6)
    return pool
