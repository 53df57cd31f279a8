"""The state database: checkpoints, run history with leases, checkpoint-change history
and quarantined documents. Other processes (the UI) read it to follow syncs they did not
start, so everything a run does is visible here within a heartbeat."""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import sqlite3
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from syncdeck.core.counters import RunCounts
from syncdeck.core.database import ensure_schema, open_database, transaction, translate_error
from syncdeck.core.documents import utcnow
from syncdeck.core.errors import (
    DatabaseError,
    NothingToUndo,
    SyncAlreadyRunning,
    UnknownConnectorError,
)
from syncdeck.core.events import RunStatus
from syncdeck.core.store import StoreIdentity

WHAT = "state database"
SCHEMA_VERSION = 2
HOST = socket.gethostname()

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_state (
    connector_id TEXT PRIMARY KEY,
    items_synced INTEGER NOT NULL DEFAULT 0,
    cursor TEXT,
    last_sync TEXT,
    error TEXT,
    updated_at TEXT,
    store_id TEXT,
    store_generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sync_runs (
    run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id TEXT NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    heartbeat TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    since TEXT,
    cursor_start TEXT,
    cursor_end TEXT,
    documents INTEGER NOT NULL DEFAULT 0,
    inserted INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0,
    batches INTEGER NOT NULL DEFAULT 0,
    items_synced INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    traceback TEXT,
    deleted INTEGER NOT NULL DEFAULT 0,
    deletes_held INTEGER NOT NULL DEFAULT 0,
    notice TEXT
);
CREATE INDEX IF NOT EXISTS sync_runs_by_connector ON sync_runs (connector_id, run_id);
CREATE INDEX IF NOT EXISTS sync_runs_running ON sync_runs (status) WHERE status = 'running';
CREATE TABLE IF NOT EXISTS checkpoint_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id TEXT NOT NULL,
    action TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    existed INTEGER NOT NULL,
    items_synced INTEGER,
    cursor TEXT,
    last_sync TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS rejected_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connector_id TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    item INTEGER NOT NULL,
    doc_id TEXT,
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    UNIQUE (connector_id, fingerprint, reason)
);
"""


def _to_version_2(conn: sqlite3.Connection) -> None:
    """Store identity beside each checkpoint, and the mirror counters of a run."""
    for table, column in (
        ("sync_state", "store_id TEXT"),
        ("sync_state", "store_generation INTEGER NOT NULL DEFAULT 0"),
        ("sync_runs", "deleted INTEGER NOT NULL DEFAULT 0"),
        ("sync_runs", "deletes_held INTEGER NOT NULL DEFAULT 0"),
        ("sync_runs", "notice TEXT"),
    ):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


MIGRATIONS = {2: _to_version_2}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _store_mismatch(
    recorded: tuple[str | None, int],
    checkpoint: CheckpointRow,
    store: StoreIdentity,
    documents: int,
) -> str | None:
    """Why a checkpoint cannot be resumed against this store, or None when it can."""
    if checkpoint.cursor is None and checkpoint.last_sync is None:
        return None  # nothing to resume from: no reason to say anything
    store_id, generation = recorded
    if store_id is None:
        # a checkpoint from before stores had an identity: trust it unless the store
        # plainly holds nothing of what it covers
        if checkpoint.items_synced > 0 and documents == 0:
            return (
                "the knowledge store holds none of this connector's documents (deleted or "
                "replaced?); starting over from the beginning"
            )
        return None
    if store_id != store.store_id:
        return (
            "the knowledge store is not the one this checkpoint was written for (deleted "
            "or replaced); starting over from the beginning"
        )
    if generation > store.generation:
        return (
            "the knowledge store is older than this checkpoint (restored from an earlier "
            "copy?); starting over from the beginning"
        )
    return None


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    return True


@dataclass(frozen=True)
class RunRecord:
    run_id: int
    connector_id: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    heartbeat: datetime
    pid: int
    host: str
    since: datetime | None
    cursor_start: str | None
    cursor_end: str | None
    counts: RunCounts
    items_synced: int
    error: str | None
    traceback: str | None
    deletes_held: int = 0  # deletions the guard withheld (the run failed for it)
    notice: str | None = None  # what the run said about itself (e.g. why it started over)

    @property
    def duration(self) -> float:
        end = self.finished_at or self.heartbeat
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def documents(self) -> int:
        return self.counts.documents

    @property
    def inserted(self) -> int:
        return self.counts.inserted

    @property
    def updated(self) -> int:
        return self.counts.updated

    @property
    def unchanged(self) -> int:
        return self.counts.unchanged

    @property
    def rejected(self) -> int:
        return self.counts.rejected

    @property
    def batches(self) -> int:
        return self.counts.batches

    @property
    def deleted(self) -> int:
        return self.counts.deleted

    @property
    def written(self) -> int:
        return self.counts.written

    @property
    def holder(self) -> str:
        return f"pid {self.pid} on {self.host}"


_RUN_COLUMNS = (
    "run_id, connector_id, status, started_at, finished_at, heartbeat, pid, host, since, "
    "cursor_start, cursor_end, documents, inserted, updated, unchanged, rejected, batches, "
    "items_synced, error, traceback, deleted, deletes_held, notice"
)


def _run(row: tuple[Any, ...]) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        connector_id=row[1],
        status=RunStatus(row[2]),
        started_at=datetime.fromisoformat(row[3]),
        finished_at=_dt(row[4]),
        heartbeat=datetime.fromisoformat(row[5]),
        pid=row[6],
        host=row[7],
        since=_dt(row[8]),
        cursor_start=row[9],
        cursor_end=row[10],
        counts=RunCounts(*row[11:17], deleted=row[20]),
        items_synced=row[17],
        error=row[18],
        traceback=row[19],
        deletes_held=row[21],
        notice=row[22],
    )


@dataclass(frozen=True)
class RejectedRecord:
    connector_id: str
    run_id: int
    item: int
    doc_id: str | None
    reason: str
    payload: str
    rejected_at: datetime


@dataclass(frozen=True)
class ConnectorState:
    """What the UI and ``status`` show for one connector."""

    connector_id: str
    items_synced: int
    cursor: str | None
    last_sync: datetime | None
    error: str | None
    active: RunRecord | None  # the live lease holder, in this process or another
    last_run: RunRecord | None


@dataclass(frozen=True)
class CheckpointRow:
    items_synced: int
    cursor: str | None
    last_sync: str | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "items_synced": self.items_synced,
            "cursor": self.cursor,
            "last_sync": self.last_sync,
            "error": self.error,
        }


EMPTY = CheckpointRow(0, None, None, None)


@dataclass(frozen=True)
class QuarantineEntry:
    item: int
    doc_id: str | None
    reason: str
    payload: str


def _close_at_exit(ref: weakref.ReferenceType[StateStore]) -> None:
    store = ref()
    if store is not None:
        store.end_live_runs()


# Run ids held by live SyncEngine runs of *this* process; a lease with our pid that is
# not in here was left behind by a run that could not finish its bookkeeping.
_LIVE_RUNS: set[int] = set()
_LIVE_LOCK = threading.Lock()


class StateStore:
    """All state-DB access, behind one connection and one lock (thread-safe)."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 5.0) -> None:
        self._conn, self.path = open_database(
            path, what=WHAT, synchronous="NORMAL", lock_timeout=lock_timeout
        )
        self._lock = threading.RLock()
        self._closed = False
        self._live: dict[int, threading.Event | None] = {}
        atexit.register(_close_at_exit, weakref.ref(self))
        try:
            ensure_schema(self._conn, self.path, WHAT, SCHEMA, SCHEMA_VERSION, MIGRATIONS)
        except BaseException:
            self._conn.close()
            raise

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, transaction(self._conn, self.path, WHAT) as conn:
            yield conn

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise translate_error(exc, self.path, WHAT) from exc

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def end_live_runs(self) -> None:
        """Close the rows of runs whose thread is still stuck in a connector when the
        process exits, so that they read as cancelled (or abandoned) rather than running."""
        if self._closed or not self._live or not self._lock.acquire(timeout=1.0):
            return
        try:
            now = _iso(utcnow())
            for run_id, cancel in list(self._live.items()):
                cancelled = cancel is not None and cancel.is_set()
                status = RunStatus.CANCELLED if cancelled else RunStatus.ABANDONED
                with (
                    contextlib.suppress(sqlite3.Error, DatabaseError),
                    transaction(self._conn, self.path, WHAT),
                ):
                    self._conn.execute(
                        "UPDATE sync_runs SET status=?, finished_at=?, error=? "
                        "WHERE run_id=? AND status='running'",
                        (
                            status.value,
                            now,
                            "the process exited while the connector was still blocked; "
                            "documents stored before were kept",
                            run_id,
                        ),
                    )
                self._live.pop(run_id, None)
        finally:
            self._lock.release()

    # -- checkpoints -------------------------------------------------------------------

    def _checkpoint(self, connector_id: str) -> CheckpointRow | None:
        rows = self._conn.execute(
            "SELECT items_synced, cursor, last_sync, error FROM sync_state WHERE connector_id=?",
            (connector_id,),
        ).fetchall()
        return CheckpointRow(*rows[0]) if rows else None

    def get_checkpoint(self, connector_id: str) -> CheckpointRow:
        with self._lock:
            try:
                return self._checkpoint(connector_id) or EMPTY
            except sqlite3.Error as exc:
                raise translate_error(exc, self.path, WHAT) from exc

    def states(self) -> dict[str, ConnectorState]:
        with self._lock:
            checkpoints = self._read(
                "SELECT connector_id, items_synced, cursor, last_sync, error FROM sync_state"
            )
            latest = self._read(
                f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE run_id IN "
                "(SELECT max(run_id) FROM sync_runs GROUP BY connector_id)"
            )
            running = self._read(f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE status='running'")
        last_runs = {r.connector_id: r for r in map(_run, latest)}
        active = {r.connector_id: r for r in map(_run, running) if not self._is_stale(r, None)}
        result: dict[str, ConnectorState] = {}
        ids = [row[0] for row in checkpoints] + list(last_runs)
        by_id = {row[0]: row for row in checkpoints}
        for connector_id in dict.fromkeys(ids):
            row = by_id.get(connector_id)
            result[connector_id] = ConnectorState(
                connector_id=connector_id,
                items_synced=row[1] if row else 0,
                cursor=row[2] if row else None,
                last_sync=_dt(row[3]) if row else None,
                error=row[4] if row else None,
                active=active.get(connector_id),
                last_run=last_runs.get(connector_id),
            )
        return result

    def _record_change(self, connector_id: str, action: str) -> CheckpointRow | None:
        current = self._checkpoint(connector_id)
        snapshot = current or EMPTY
        self._conn.execute(
            "INSERT INTO checkpoint_history (connector_id, action, changed_at, existed, "
            "items_synced, cursor, last_sync, error) VALUES (?,?,?,?,?,?,?,?)",
            (
                connector_id,
                action,
                _iso(utcnow()),
                int(current is not None),
                snapshot.items_synced,
                snapshot.cursor,
                snapshot.last_sync,
                snapshot.error,
            ),
        )
        return current

    def refuse_if_running(self, connector_id: str) -> None:
        """Raise SyncAlreadyRunning if a live run holds the connector's lease."""
        with self._lock:
            try:
                self._refuse_if_running(connector_id)
            except sqlite3.Error as exc:
                raise translate_error(exc, self.path, WHAT) from exc

    def _refuse_if_running(self, connector_id: str) -> None:
        for row in self._conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE connector_id=? AND status='running'",
            (connector_id,),
        ).fetchall():
            run = _run(row)
            if not self._is_stale(run, None):
                raise SyncAlreadyRunning(connector_id, run.run_id, run.pid, run.host)

    def reset(self, connector_id: str) -> None:
        with self._tx():
            self._refuse_if_running(connector_id)
            self._record_change(connector_id, "reset")
            # items_synced counts the connector's stored documents, which a reset keeps
            self._conn.execute(
                "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync, error, "
                "updated_at) VALUES (?, 0, NULL, NULL, NULL, ?) ON CONFLICT(connector_id) DO "
                "UPDATE SET cursor=NULL, last_sync=NULL, error=NULL, "
                "updated_at=excluded.updated_at",
                (connector_id, _iso(utcnow())),
            )

    def set_cursor(self, connector_id: str, cursor: str | None) -> None:
        if cursor is not None and not isinstance(cursor, str):
            raise TypeError(f"a cursor is a string or None, not {type(cursor).__name__}")
        with self._tx():
            self._refuse_if_running(connector_id)
            self._record_change(connector_id, "set_cursor")
            self._conn.execute(
                "INSERT INTO sync_state (connector_id, items_synced, cursor, updated_at) "
                "VALUES (?, 0, ?, ?) ON CONFLICT(connector_id) DO UPDATE SET "
                "cursor=excluded.cursor, updated_at=excluded.updated_at",
                (connector_id, cursor, _iso(utcnow())),
            )

    def undo(self, connector_id: str) -> CheckpointRow:
        with self._tx():
            self._refuse_if_running(connector_id)
            rows = self._conn.execute(
                "SELECT id, existed, items_synced, cursor, last_sync, error FROM "
                "checkpoint_history WHERE connector_id=? ORDER BY id DESC LIMIT 1",
                (connector_id,),
            ).fetchall()
            if not rows:
                raise NothingToUndo(
                    f"connector {connector_id!r} has no reset or cursor edit to undo"
                )
            entry_id, existed, items, cursor, last_sync, error = rows[0]
            self._conn.execute("DELETE FROM checkpoint_history WHERE id=?", (entry_id,))
            if not existed:
                self._conn.execute("DELETE FROM sync_state WHERE connector_id=?", (connector_id,))
                return EMPTY
            # the cursor, since and error come back; items_synced stays the stored count
            current = self._checkpoint(connector_id)
            if current is not None:
                items = current.items_synced
            self._conn.execute(
                "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync, error, "
                "updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT(connector_id) DO UPDATE SET "
                "cursor=excluded.cursor, last_sync=excluded.last_sync, error=excluded.error, "
                "updated_at=excluded.updated_at",
                (connector_id, items, cursor, last_sync, error, _iso(utcnow())),
            )
            return CheckpointRow(items, cursor, last_sync, error)

    def forget(self, connector_id: str) -> None:
        """Remove everything kept about a connector: checkpoint, undo history, runs and
        quarantine (its documents are the store's to remove)."""
        with self._tx():
            self._refuse_if_running(connector_id)
            for table in ("sync_state", "checkpoint_history", "sync_runs", "rejected_documents"):
                self._conn.execute(f"DELETE FROM {table} WHERE connector_id=?", (connector_id,))

    def history(self, connector_id: str, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._read(
            "SELECT action, changed_at, existed, items_synced, cursor, last_sync, error FROM "
            "checkpoint_history WHERE connector_id=? ORDER BY id DESC LIMIT ?",
            (connector_id, limit),
        )
        keys = ("action", "changed_at", "existed", "items_synced", "cursor", "last_sync", "error")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- runs and leases ---------------------------------------------------------------

    def _is_stale(self, run: RunRecord, lease_timeout: float | None) -> bool:
        if run.host == HOST:
            if run.pid == os.getpid():
                with _LIVE_LOCK:
                    return run.run_id not in _LIVE_RUNS
            return not pid_alive(run.pid)
        if lease_timeout is None:
            lease_timeout = 60.0
        return (utcnow() - run.heartbeat).total_seconds() > lease_timeout

    def begin_run(
        self,
        connector_id: str,
        *,
        lease_timeout: float,
        cancel: threading.Event | None = None,
        store: StoreIdentity | None = None,
        documents: int = 0,
    ) -> tuple[int, datetime, CheckpointRow, str | None]:
        """Take the connector's lease and open a run row; returns run id, start, the
        checkpoint to resume from and, when the checkpoint had to be dropped, why.

        ``store`` is the knowledge store's identity for this connector and ``documents``
        how many it holds: a checkpoint written for another store, or for a later state of
        this one, would resume past documents the store does not hold, so the connector
        starts over instead (docs/architecture.md, "Store identity")."""
        started = utcnow()
        with self._tx():
            for row in self._conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE connector_id=? AND status='running'",
                (connector_id,),
            ).fetchall():
                holder = _run(row)
                if not self._is_stale(holder, lease_timeout):
                    raise SyncAlreadyRunning(connector_id, holder.run_id, holder.pid, holder.host)
                self._conn.execute(
                    "UPDATE sync_runs SET status=?, finished_at=?, error=? WHERE run_id=?",
                    (
                        RunStatus.ABANDONED.value,
                        _iso(started),
                        f"its process ({holder.holder}) stopped without finishing; lease "
                        "taken over",
                        holder.run_id,
                    ),
                )
            current = self._checkpoint(connector_id)
            notice = None
            if current is not None and store is not None:
                notice = _store_mismatch(self._store_of(connector_id), current, store, documents)
            if current is None:
                self._conn.execute(
                    "INSERT INTO sync_state (connector_id, items_synced, updated_at, store_id, "
                    "store_generation) VALUES (?, ?, ?, ?, ?)",
                    (
                        connector_id,
                        documents,
                        _iso(started),
                        store.store_id if store else None,
                        store.generation if store else 0,
                    ),
                )
                state = CheckpointRow(documents, None, None, None)
            elif notice is not None:
                self._conn.execute(
                    "UPDATE sync_state SET cursor=NULL, last_sync=NULL, items_synced=?, "
                    "store_id=?, store_generation=?, updated_at=? WHERE connector_id=?",
                    (documents, store.store_id, store.generation, _iso(started), connector_id),  # type: ignore[union-attr]
                )
                state = CheckpointRow(documents, None, None, current.error)
            else:
                if store is not None:
                    self._conn.execute(
                        "UPDATE sync_state SET items_synced=?, store_id=?, store_generation=? "
                        "WHERE connector_id=?",
                        (documents, store.store_id, store.generation, connector_id),
                    )
                state = CheckpointRow(
                    documents if store is not None else current.items_synced,
                    current.cursor,
                    current.last_sync,
                    current.error,
                )
            cur = self._conn.execute(
                "INSERT INTO sync_runs (connector_id, status, started_at, heartbeat, pid, host, "
                "since, cursor_start, cursor_end, items_synced, notice) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    connector_id,
                    RunStatus.RUNNING.value,
                    _iso(started),
                    _iso(started),
                    os.getpid(),
                    HOST,
                    state.last_sync,
                    state.cursor,
                    state.cursor,
                    state.items_synced,
                    notice,
                ),
            )
            run_id = int(cur.lastrowid or 0)
            with _LIVE_LOCK:
                _LIVE_RUNS.add(run_id)
            self._live[run_id] = cancel
        return run_id, started, state, notice

    def _store_of(self, connector_id: str) -> tuple[str | None, int]:
        row = self._conn.execute(
            "SELECT store_id, store_generation FROM sync_state WHERE connector_id=?",
            (connector_id,),
        ).fetchone()
        return (row[0], row[1]) if row else (None, 0)

    def commit_batch(
        self,
        connector_id: str,
        run_id: int,
        *,
        cursor: str | None,
        move_cursor: bool,
        items_synced: int,
        generation: int | None,
        progress: RunCounts,
        quarantine: list[QuarantineEntry],
    ) -> None:
        """One transaction after a durable store batch: the cursor (when it moves), the
        connector's document count and store generation as the store reported them, the
        run's counters and heartbeat, and the batch's quarantined documents."""
        now = _iso(utcnow())
        with self._tx():
            if move_cursor:
                self._conn.execute(
                    "UPDATE sync_state SET cursor=?, items_synced=?, "
                    "store_generation=coalesce(?, store_generation), updated_at=? "
                    "WHERE connector_id=?",
                    (cursor, items_synced, generation, now, connector_id),
                )
            else:
                self._conn.execute(
                    "UPDATE sync_state SET items_synced=?, "
                    "store_generation=coalesce(?, store_generation), updated_at=? "
                    "WHERE connector_id=?",
                    (items_synced, generation, now, connector_id),
                )
            self._conn.execute(
                "UPDATE sync_runs SET heartbeat=?, documents=?, inserted=?, updated=?, "
                "unchanged=?, rejected=?, batches=?, deleted=?, cursor_end=?, items_synced=? "
                "WHERE run_id=?",
                (
                    now,
                    progress.documents,
                    progress.inserted,
                    progress.updated,
                    progress.unchanged,
                    progress.rejected,
                    progress.batches,
                    progress.deleted,
                    cursor,
                    items_synced,
                    run_id,
                ),
            )
            if quarantine:
                self._conn.executemany(
                    "INSERT INTO rejected_documents (connector_id, run_id, item, doc_id, "
                    "reason, payload, rejected_at, fingerprint) VALUES (?,?,?,?,?,?,?,?) "
                    "ON CONFLICT DO UPDATE SET run_id=excluded.run_id, item=excluded.item, "
                    "payload=excluded.payload, rejected_at=excluded.rejected_at",
                    [
                        (
                            connector_id,
                            run_id,
                            q.item,
                            q.doc_id,
                            q.reason,
                            q.payload,
                            now,
                            q.doc_id if q.doc_id is not None else q.payload,
                        )
                        for q in quarantine
                    ],
                )

    def heartbeat(self, run_id: int, documents: int) -> None:
        with self._tx():
            self._conn.execute(
                "UPDATE sync_runs SET heartbeat=?, documents=? WHERE run_id=?",
                (_iso(utcnow()), documents, run_id),
            )

    def finish_run(
        self,
        connector_id: str,
        run_id: int,
        *,
        status: RunStatus,
        since: datetime | None,
        error: str | None,
        traceback: str | None,
        deletes_held: int = 0,
    ) -> None:
        """Close the run row and update the checkpoint's error / last_sync."""
        now = _iso(utcnow())
        try:
            with self._tx():
                if status is RunStatus.SUCCEEDED:
                    self._conn.execute(
                        "UPDATE sync_state SET last_sync=?, error=NULL, updated_at=? "
                        "WHERE connector_id=?",
                        (_iso(since), now, connector_id),
                    )
                elif status is RunStatus.FAILED:
                    self._conn.execute(
                        "UPDATE sync_state SET error=?, updated_at=? WHERE connector_id=?",
                        (error, now, connector_id),
                    )
                self._conn.execute(
                    "UPDATE sync_runs SET status=?, finished_at=?, heartbeat=?, error=?, "
                    "traceback=?, deletes_held=? WHERE run_id=?",
                    (status.value, now, now, error, traceback, deletes_held, run_id),
                )
        finally:
            self.release(run_id)

    def release(self, run_id: int) -> None:
        """Forget a run of this process (finished, or that could not be finished)."""
        self._live.pop(run_id, None)
        with _LIVE_LOCK:
            _LIVE_RUNS.discard(run_id)

    def runs(self, connector_id: str, limit: int = 20) -> list[RunRecord]:
        rows = self._read(
            f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE connector_id=? "
            "ORDER BY run_id DESC LIMIT ?",
            (connector_id, limit),
        )
        return [_run(row) for row in rows]

    def run(self, run_id: int) -> RunRecord:
        rows = self._read(f"SELECT {_RUN_COLUMNS} FROM sync_runs WHERE run_id=?", (run_id,))
        if not rows:
            raise UnknownConnectorError(f"no run {run_id}")
        return _run(rows[0])

    def rejected(self, connector_id: str, limit: int = 100) -> list[RejectedRecord]:
        rows = self._read(
            "SELECT connector_id, run_id, item, doc_id, reason, payload, rejected_at FROM "
            "rejected_documents WHERE connector_id=? ORDER BY id DESC LIMIT ?",
            (connector_id, limit),
        )
        return [
            RejectedRecord(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]))
            for r in rows
        ]
