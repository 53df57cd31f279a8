"""The state database: one SQLite connection behind one lock (thread-safe), every
operation one transaction. Other processes (the UI) read it to follow syncs they did not
start, so everything a run does is visible here within a heartbeat."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

from syncdeck.core.counters import RunCounts
from syncdeck.core.database import STATE, ensure_schema, open_database, transaction, translate_error
from syncdeck.core.documents import utcnow
from syncdeck.core.events import RunStatus
from syncdeck.core.state import checkpoints, leases, runs
from syncdeck.core.state.changes import PolledChanges
from syncdeck.core.state.records import (
    EMPTY,
    CheckpointChange,
    CheckpointRow,
    ConnectorState,
    QuarantineEntry,
    RejectedRecord,
    RunRecord,
)
from syncdeck.core.state.schema import MIGRATIONS, SCHEMA, SCHEMA_VERSION
from syncdeck.core.store import StoreIdentity

T = TypeVar("T")


class StateStore:
    """All state-DB access: checkpoints, runs with their leases, checkpoint history and
    quarantine (docs/architecture.md, "The state database")."""

    def __init__(self, path: str | os.PathLike[str], *, lock_timeout: float = 5.0) -> None:
        self._conn, self.path = open_database(
            path, role=STATE, synchronous="NORMAL", lock_timeout=lock_timeout
        )
        self._lock = threading.RLock()
        self._closed = False
        try:
            ensure_schema(self._conn, self.path, STATE, SCHEMA, SCHEMA_VERSION, MIGRATIONS)
        except BaseException:
            self._conn.close()
            raise

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, transaction(self._conn, self.path, STATE) as conn:
            yield conn

    def _write(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        with self._tx() as conn:
            return operation(conn)

    def _read(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                return operation(self._conn)
            except sqlite3.Error as exc:
                raise translate_error(exc, self.path, STATE) from exc

    def joins(self, store: object) -> bool:
        """Never: the state is a file of its own (docs/architecture.md, "Durability order")."""
        return False

    def changes(self) -> PolledChanges:
        return PolledChanges(self.path)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    # -- checkpoints -------------------------------------------------------------------

    def get_checkpoint(self, connector_id: str) -> CheckpointRow:
        """The connector's checkpoint; an empty one if it never synced."""
        return self.find_checkpoint(connector_id) or EMPTY

    def find_checkpoint(self, connector_id: str) -> CheckpointRow | None:
        """The connector's checkpoint, or None if it never synced."""
        return self._read(lambda conn: checkpoints.read(conn, connector_id))

    def reset(self, connector_id: str) -> None:
        self._write(lambda conn: checkpoints.reset(conn, connector_id))

    def set_cursor(self, connector_id: str, cursor: str | None) -> None:
        self._write(lambda conn: checkpoints.set_cursor(conn, connector_id, cursor))

    def undo(self, connector_id: str) -> CheckpointRow:
        return self._write(lambda conn: checkpoints.undo(conn, connector_id))

    def history(self, connector_id: str, limit: int = 20) -> list[CheckpointChange]:
        return self._read(lambda conn: checkpoints.history(conn, connector_id, limit))

    def forget(self, connector_id: str) -> None:
        self._write(lambda conn: checkpoints.forget(conn, connector_id))

    def release_lease(self, connector_id: str) -> RunRecord | None:
        """Release the connector's lease by hand; the run row records who did."""
        return self._write(lambda conn: leases.release(conn, connector_id, utcnow()))

    def refuse_if_running(self, connector_id: str) -> None:
        """Raise SyncAlreadyRunning if a live run holds the connector's lease."""
        self._read(lambda conn: leases.refuse_if_running(conn, connector_id))

    # -- runs --------------------------------------------------------------------------

    def begin_run(
        self,
        connector_id: str,
        *,
        lease_timeout: float,
        store: StoreIdentity | None = None,
        documents: int = 0,
    ) -> tuple[int, datetime, CheckpointRow, str | None]:
        """Take the connector's lease and open a run row; returns run id, start, the
        checkpoint to resume from and, when the checkpoint had to be dropped, why.

        ``store`` is the knowledge store's identity for this connector and ``documents``
        how many it holds: a checkpoint written for another store, or for a later state of
        this one, would resume past documents the store does not hold, so the connector
        starts over instead."""
        return self._write(
            lambda conn: runs.open_run(
                conn,
                connector_id,
                lease_timeout=lease_timeout,
                store=store,
                documents=documents,
            )
        )

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
        within: Any = None,
    ) -> None:
        """One transaction after a durable store batch (see runs.commit_batch); the state
        is a file of its own, so it never joins the store's transaction (``within``)."""
        if within is not None:
            raise ValueError("a SQLite state database cannot join another transaction")
        self._write(
            lambda conn: runs.commit_batch(
                conn,
                connector_id,
                run_id,
                cursor=cursor,
                move_cursor=move_cursor,
                items_synced=items_synced,
                generation=generation,
                progress=progress,
                quarantine=quarantine,
            )
        )

    def heartbeat(self, run_id: int, documents: int) -> None:
        self._write(lambda conn: runs.heartbeat(conn, run_id, documents))

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
        """Close the run row and update the checkpoint's error / last_sync; the run is no
        longer this process's, whatever happens."""
        try:
            self._write(
                lambda conn: runs.finish_run(
                    conn,
                    connector_id,
                    run_id,
                    status=status,
                    since=since,
                    error=error,
                    traceback=traceback,
                    deletes_held=deletes_held,
                )
            )
        finally:
            self.release(run_id)

    def release(self, run_id: int) -> None:
        """Forget a run of this process (finished, or that could not be finished)."""
        leases.LIVE.discard(run_id)

    def runs(self, connector_id: str, limit: int = 20) -> list[RunRecord]:
        return self._read(lambda conn: runs.runs(conn, connector_id, limit))

    def run(self, run_id: int) -> RunRecord:
        return self._read(lambda conn: runs.run(conn, run_id))

    def rejected(self, connector_id: str, limit: int = 100) -> list[RejectedRecord]:
        return self._read(lambda conn: runs.rejected(conn, connector_id, limit))

    def states(self, lease_timeout: float | None = None) -> dict[str, ConnectorState]:
        return self._read(lambda conn: runs.states(conn, lease_timeout))
