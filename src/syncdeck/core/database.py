"""Opening SQLite files safely: never overwrite what is not ours, and turn SQLite's terse
errors into messages that name the file and the remedy."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from syncdeck.core.errors import (
    DatabaseCorruptError,
    DatabaseError,
    DatabaseLockedError,
    DatabaseReadOnlyError,
    DatabaseVersionError,
    StateWriteError,
    StoreWriteError,
)

SQLITE_HEADER = b"SQLite format 3\x00"
MEMORY = ":memory:"


@dataclass(frozen=True)
class Role:
    """Which of syncdeck's databases a file is: the name its messages use, and the error
    a failing write raises."""

    name: str
    write_error: type[DatabaseError]


STORE = Role("knowledge store", StoreWriteError)
STATE = Role("state database", StateWriteError)


def resolve_path(path: str | os.PathLike[str]) -> str:
    text = os.fspath(path)
    if text == MEMORY:
        return MEMORY
    return str(Path(text).expanduser().resolve())


def translate_error(exc: Exception, path: str, role: Role) -> DatabaseError:
    """Map a sqlite3/OS error to a syncdeck error that tells the operator what to do."""
    what = role.name
    message = str(exc).lower()
    if isinstance(exc, DatabaseError):
        return exc
    if "locked" in message or "busy" in message:
        return DatabaseLockedError(
            path,
            f"the {what} is locked by another process past the timeout; "
            "close the other program using it (or wait for its sync) and try again",
        )
    if "readonly" in message or "read-only" in message or isinstance(exc, PermissionError):
        return DatabaseReadOnlyError(
            path,
            f"the {what} cannot be written (read-only file or folder); "
            "fix the permissions or choose another data directory",
        )
    if "unable to open" in message:
        return DatabaseReadOnlyError(
            path,
            f"the {what} cannot be opened or created; check that its folder exists and "
            "is writable, or choose another data directory",
        )
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return DatabaseCorruptError(
            path,
            f"the {what} is not a valid SQLite database ({exc}); syncdeck will not overwrite "
            "it: move it aside or choose another data directory",
        )
    if "full" in message:
        return role.write_error(
            path,
            f"the {what} cannot grow: the disk is full or its size limit is reached ({exc}); "
            "free some space and run again: what was committed is kept",
        )
    if "disk i/o" in message:
        return role.write_error(
            path, f"the {what} hit an I/O error ({exc}); check the disk and run again"
        )
    return DatabaseError(path, f"{what} error: {exc}")


def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parents readable by the owner only (0700)."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is filtered by the umask


def _check_existing(path: Path, role: Role) -> None:
    what = role.name
    if path.is_dir():
        raise DatabaseCorruptError(str(path), f"the {what} path is a folder, not a file")
    try:
        with path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except PermissionError as exc:
        raise translate_error(exc, str(path), role) from exc
    if header and header != SQLITE_HEADER:
        raise DatabaseCorruptError(
            str(path),
            f"this file is not a SQLite database, so it cannot be the {what}; syncdeck will "
            "not overwrite it: move it aside or choose another data directory",
        )


def _make_private(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        with contextlib.suppress(OSError):
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                candidate.chmod(0o600)


def open_database(
    path: str | os.PathLike[str],
    *,
    role: Role,
    synchronous: str,
    lock_timeout: float,
) -> tuple[sqlite3.Connection, str]:
    """Open (creating if needed) a WAL database; returns the connection and resolved path.

    The connection is in autocommit mode: callers run explicit ``BEGIN IMMEDIATE``
    transactions so that a batch is one commit and locks are taken up front.
    """
    resolved = resolve_path(path)
    what = role.name
    if resolved != MEMORY:
        file = Path(resolved)
        try:
            make_private_dirs(file.parent)
        except OSError as exc:
            raise translate_error(exc, resolved, role) from exc
        if file.exists():
            _check_existing(file, role)
        elif not os.access(file.parent, os.W_OK):
            raise DatabaseReadOnlyError(
                resolved,
                f"cannot create the {what}: its folder is not writable; fix the permissions "
                "or choose another data directory",
            )
    try:
        conn = sqlite3.connect(
            resolved, timeout=lock_timeout, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise translate_error(exc, resolved, role) from exc
    try:
        if resolved != MEMORY:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise DatabaseError(resolved, f"cannot switch the {what} to WAL mode ({mode})")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlite3.Error, DatabaseError) as exc:
        conn.close()
        raise translate_error(exc, resolved, role) from exc
    if resolved != MEMORY:
        _make_private(Path(resolved))
    return conn, resolved


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection, path: str, role: Role) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back and translates errors."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise translate_error(exc, path, role) from exc
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise translate_error(exc, path, role) from exc
        raise


Migration = str | Callable[[sqlite3.Connection], None]


def ensure_schema(
    conn: sqlite3.Connection,
    path: str,
    role: Role,
    script: str,
    version: int,
    migrations: Mapping[int, Migration] | None = None,
) -> None:
    """Create or upgrade the schema in one transaction; a file from a newer syncdeck is
    refused rather than downgraded.

    A new file gets ``script`` (the current schema). An older one is brought up step by
    step: ``migrations[n]`` (a script or a function) takes it from version ``n - 1`` to
    ``n``; a step without an entry re-runs ``script``, whose statements are idempotent.
    """
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > version:
        raise DatabaseVersionError(
            path,
            f"this {role.name} was written by a newer syncdeck (schema version {found}, this "
            f"one knows up to {version}); upgrade syncdeck or point it at another file",
        )
    if found == version:
        return
    fresh = (
        found == 0
        and not conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[
            0
        ]
    )
    with transaction(conn, path, role):
        steps: list[Migration] = (
            [script]
            if fresh
            else [(migrations or {}).get(n, script) for n in range(found + 1, version + 1)]
        )
        for step in steps:
            if callable(step):
                step(conn)
            else:
                for statement in split_script(step):
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version={version}")


def split_script(script: str) -> list[str]:
    """Split a schema script into statements (triggers contain inner semicolons), so it
    can run inside our own transaction (``executescript`` would commit first)."""
    statements: list[str] = []
    buffer = ""
    for line in script.strip().splitlines():
        buffer += line + "\n"
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return statements
