"""Connecting to PostgreSQL: the URL and its masked form, a session that re-makes a lost
connection and retries the transaction, and errors that name the server (``host:port/db``)
and never the password."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from syncdeck.core.database import Role
from syncdeck.core.errors import (
    DatabaseError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    SyncdeckError,
)
from syncdeck.core.redaction import MASK, redact_text

if TYPE_CHECKING:
    import psycopg

T = TypeVar("T")
EXTRA_HINT = "pip install 'syncdeck[postgres]'"
RETRY_FOR = 10.0  # seconds a lost connection is re-tried before the operation fails
# What the server says at connect while it restarts: worth waiting for.
_TRANSIENT = ("starting up", "shutting down", "recovery", "terminating connection", "too many")


def driver() -> Any:
    """The psycopg module, or a clear error naming the extra that installs it."""
    try:
        import psycopg
    except ImportError as exc:
        raise SyncdeckError(
            f"a postgresql:// database needs the PostgreSQL driver (psycopg 3), which is not "
            f"installed: {EXTRA_HINT}"
        ) from exc
    return psycopg


@dataclass(frozen=True)
class Server:
    """A parsed ``postgresql://`` URL. ``label`` (``host:port/db``) names it in every message;
    the password is kept out of ``repr`` and masked in any text."""

    url: str = field(repr=False)
    host: str
    port: str
    dbname: str
    user: str
    password: str = field(default="", repr=False)

    @classmethod
    def parse(cls, url: str) -> Server:
        driver()
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(url)
        except Exception as exc:
            text = redact_text(str(exc), [url])
            raise SyncdeckError(f"not a valid PostgreSQL URL ({text})") from None
        host = str(params.get("host") or params.get("hostaddr") or "localhost")
        return cls(
            url=url,
            host=host,
            port=str(params.get("port") or "5432"),
            dbname=str(params.get("dbname") or params.get("user") or ""),
            user=str(params.get("user") or ""),
            password=str(params.get("password") or ""),
        )

    @property
    def label(self) -> str:
        return f"{self.host}:{self.port}/{self.dbname}"

    @property
    def masked_url(self) -> str:
        """The URL with its password replaced by ``***`` (for status and logs)."""
        return self.redact(self.url)

    def redact(self, text: str) -> str:
        secrets = [self.password] if self.password else []
        masked = redact_text(text, secrets)
        if self.password and len(self.password) < 4:  # too short for redact_text
            masked = masked.replace(f":{self.password}@", f":{MASK}@")
        return masked

    def same_database(self, other: Server) -> bool:
        return (self.host, self.port, self.dbname, self.user) == (
            other.host,
            other.port,
            other.dbname,
            other.user,
        )

    def connect(self, *, autocommit: bool = True, timeout: float = 5.0) -> psycopg.Connection:
        psycopg = driver()
        conn = psycopg.connect(
            self.url,
            autocommit=autocommit,
            connect_timeout=max(1, int(timeout)),
            application_name="syncdeck",
        )
        conn.execute("SET TIME ZONE 'UTC'")
        return conn


def translate(exc: BaseException, server: Server, role: Role) -> DatabaseError:
    """A psycopg error as a syncdeck error that names the server and the remedy."""
    if isinstance(exc, DatabaseError):
        return exc
    from psycopg import errors

    what = role.name
    text = server.redact(str(exc).strip() or type(exc).__name__)
    label = server.label
    if isinstance(exc, errors.DiskFull) or "no space left" in text.lower():
        return role.write_error(
            label,
            f"the {what} cannot grow: the PostgreSQL server's disk is full ({text}); free "
            "space on the server and run again: what was committed is kept",
        )
    if isinstance(exc, errors.QueryCanceled):
        return role.write_error(
            label,
            f"the {what}'s statement was cancelled by the server (statement timeout or an "
            f"operator: {text}); what was committed is kept, run again",
        )
    if isinstance(exc, errors.LockNotAvailable):
        return DatabaseLockedError(
            label,
            f"the {what} is locked by another session past the lock timeout ({text}); wait for "
            "it or end it, and try again",
        )
    if isinstance(exc, errors.InsufficientPrivilege | errors.ReadOnlySqlTransaction):
        return DatabaseReadOnlyError(
            label, f"the {what} cannot be written with this role ({text}); grant it or use another"
        )
    if isinstance(exc, errors.OperationalError):
        return DatabaseUnavailableError(
            label,
            f"cannot reach the {what} on the PostgreSQL server ({text}); check that the "
            "server is running and the URL is right: what was committed is kept",
        )
    return DatabaseError(label, f"{what} error: {text}")


class Session:
    """One connection behind one lock (thread-safe). :meth:`run` executes an operation in
    one transaction; a connection lost on the way (server restart, a terminated backend)
    is re-made and the whole transaction run again - every operation here is idempotent -
    until ``retry_for`` seconds have passed. Other errors are translated at once."""

    def __init__(
        self,
        server: Server,
        role: Role,
        *,
        retry_for: float = RETRY_FOR,
        on_connect: Callable[[psycopg.Connection], None] | None = None,
    ) -> None:
        self.server = server
        self.role = role
        self.retry_for = retry_for
        self.on_connect = on_connect
        self.lock = threading.RLock()
        self._conn: psycopg.Connection | None = None
        self.closed = False

    def connection(self) -> psycopg.Connection:
        if self.closed:
            raise RuntimeError(f"the {self.role.name} is closed")
        if self._conn is None or self._conn.closed:
            conn = self.server.connect()
            try:
                if self.on_connect is not None:
                    self.on_connect(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _lost(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the connection is gone (worth re-making), not a refusal
        such as a wrong password or a missing database (the server answered)."""
        import psycopg

        if not isinstance(exc, psycopg.OperationalError):
            return False
        state = exc.sqlstate or ""
        if state and not state.startswith(("08", "57P")):  # connection exception, shutdown
            return False
        text = str(exc)
        if "FATAL" in text and not any(word in text for word in _TRANSIENT):
            return False  # a refusal at connect (password, role, database): no retry helps
        conn = self._conn
        return conn is None or conn.broken or conn.closed

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def run(self, operation: Callable[[psycopg.Connection], T]) -> T:
        import psycopg

        deadline = time.monotonic() + self.retry_for
        delay = 0.05
        while True:
            with self.lock:
                try:
                    conn = self.connection()
                    with conn.transaction():
                        return operation(conn)
                except psycopg.Error as exc:
                    if not self._lost(exc) or time.monotonic() + delay > deadline:
                        if self._lost(exc):
                            self._drop()
                        raise translate(exc, self.server, self.role) from None
                    self._drop()
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            self._drop()
