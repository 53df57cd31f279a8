"""The state database in PostgreSQL, shared by every host: the same operations as
``core.state.StateStore`` (docs/architecture.md, "The state database", "PostgreSQL
backend") with two differences that many hosts need.

- **Leases** are taken under a per-connector advisory transaction lock, so two hosts
  opening the same connector at once are serialised and the second sees the first's run;
  a unique partial index (one ``running`` row per connector) makes a double lease
  impossible even so. Heartbeats are the server's ``now()`` and their age is measured by
  the server, so hosts whose clocks disagree still agree on staleness.
- **Every commit notifies** the ``syncdeck_state`` channel, so front ends on any host see a
  change as it commits (core.postgres.notifications).

The decisions (staleness, store identity, what a run resumes from) are the backend-free
functions of core.state; only the SQL lives here.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from syncdeck.core.counters import RunCounts
from syncdeck.core.database import STATE
from syncdeck.core.errors import NothingToUndo, SyncAlreadyRunning, UnknownConnectorError
from syncdeck.core.events import RunStatus
from syncdeck.core.postgres import schema
from syncdeck.core.postgres.connection import RETRY_FOR, Server, Session, translate
from syncdeck.core.postgres.notifications import NOTIFY, ListenChanges
from syncdeck.core.postgres.text import key_to_pg_or_none, text_to_pg, text_to_pg_or_none
from syncdeck.core.state import checkpoints, leases
from syncdeck.core.state.records import (
    EMPTY,
    RUN_COLUMNS,
    CheckpointChange,
    CheckpointRow,
    ConnectorState,
    QuarantineEntry,
    RejectedRecord,
    RunRecord,
    run_from_row,
)
from syncdeck.core.store import StoreIdentity
from syncdeck.core.text import restored_or_none, storable_or_none

LEASE_LOCK = 0x5D_EC  # first key of the per-connector advisory lock
_AGE = "extract(epoch FROM now() - heartbeat)::float8"


class PostgresStateStore:
    """The state store in a PostgreSQL database (``SyncEngine(..., state_db=URL)``)."""

    def __init__(self, url: str, *, lock_timeout: float = 5.0, retry_for: float = RETRY_FOR):
        self.server = Server.parse(url)
        self.path = self.server.label
        timeout_ms = max(1, int(lock_timeout * 1000))

        def setup(conn: Any) -> None:
            conn.execute(f"SET lock_timeout = {timeout_ms}")

        self._session = Session(self.server, STATE, retry_for=retry_for, on_connect=setup)
        try:
            self._session.run(lambda conn: None)
            schema.ensure(
                self._session.connection(),
                self.path,
                STATE,
                "state",
                schema.STATE_SCHEMA,
                schema.STATE_VERSION,
            )
        except BaseException as exc:
            self._session.close()
            if isinstance(exc, Exception) and not hasattr(exc, "path"):
                raise translate(exc, self.server, STATE) from None
            raise

    def __repr__(self) -> str:
        return f"PostgresStateStore({self.server.masked_url!r})"

    @property
    def session(self) -> Session:
        """The connection (``session.retry_for``: how long a lost connection is retried)."""
        return self._session

    @property
    def closed(self) -> bool:
        return self._session.closed

    def close(self) -> None:
        self._session.close()

    def joins(self, store: object) -> bool:
        """True for a PostgreSQL store in this same database: a batch and its checkpoint
        then commit in one transaction."""
        server = getattr(store, "server", None)
        return isinstance(server, Server) and server.same_database(self.server)

    def changes(self) -> ListenChanges:
        return ListenChanges(self.server)

    def _write(self, connector_id: str, operation: Any) -> Any:
        """One transaction holding the connector's advisory lock, notifying listeners."""

        def locked(conn: Any) -> Any:
            _lock(conn, connector_id)
            result = operation(conn)
            conn.execute(NOTIFY, (connector_id,))
            return result

        return self._session.run(locked)

    # -- checkpoints -------------------------------------------------------------------

    def get_checkpoint(self, connector_id: str) -> CheckpointRow:
        """The connector's checkpoint; an empty one if it never synced."""
        return self.find_checkpoint(connector_id) or EMPTY

    def find_checkpoint(self, connector_id: str) -> CheckpointRow | None:
        """The connector's checkpoint, or None if it never synced."""
        return self._session.run(lambda conn: _checkpoint(conn, connector_id))

    def release_lease(self, connector_id: str) -> RunRecord | None:
        """Release the connector's lease by hand (its holder stuck, or on a host gone for
        good): the run is marked abandoned, saying who released it; returns it, or None."""

        def operation(conn: Any) -> RunRecord | None:
            holders = [run for run, _ in _running(conn, connector_id, lock=True)]
            for holder in holders:
                conn.execute(
                    "UPDATE sync_runs SET status=%s, finished_at=now(), error=%s WHERE run_id=%s",
                    (RunStatus.ABANDONED.value, leases.released_note(holder), holder.run_id),
                )
            return holders[0] if holders else None

        return self._write(connector_id, operation)

    def reset(self, connector_id: str) -> None:
        def operation(conn: Any) -> None:
            _refuse_if_running(conn, connector_id)
            _record_change(conn, connector_id, "reset")
            conn.execute(
                "INSERT INTO sync_state (connector_id, items_synced, updated_at) "
                "VALUES (%s, 0, now()) ON CONFLICT (connector_id) DO UPDATE SET cursor=NULL, "
                "last_sync=NULL, error=NULL, updated_at=now()",
                (connector_id,),
            )

        self._write(connector_id, operation)

    def set_cursor(self, connector_id: str, cursor: str | None) -> None:
        if cursor is not None and not isinstance(cursor, str):
            raise TypeError(f"a cursor is a string or None, not {type(cursor).__name__}")

        def operation(conn: Any) -> None:
            _refuse_if_running(conn, connector_id)
            _record_change(conn, connector_id, "set_cursor")
            conn.execute(
                "INSERT INTO sync_state (connector_id, items_synced, cursor, updated_at) "
                "VALUES (%s, 0, %s, now()) ON CONFLICT (connector_id) DO UPDATE SET "
                "cursor=excluded.cursor, updated_at=now()",
                (connector_id, _cursor(cursor)),
            )

        self._write(connector_id, operation)

    def undo(self, connector_id: str) -> CheckpointRow:
        def operation(conn: Any) -> CheckpointRow:
            _refuse_if_running(conn, connector_id)
            row = conn.execute(
                "SELECT id, existed, items_synced, cursor, last_sync, error FROM "
                "checkpoint_history WHERE connector_id=%s ORDER BY id DESC LIMIT 1",
                (connector_id,),
            ).fetchone()
            if row is None:
                raise NothingToUndo(
                    f"connector {connector_id!r} has no reset or cursor edit to undo"
                )
            entry_id, existed, items, cursor, last_sync, error = row
            conn.execute("DELETE FROM checkpoint_history WHERE id=%s", (entry_id,))
            if not existed:
                conn.execute("DELETE FROM sync_state WHERE connector_id=%s", (connector_id,))
                return EMPTY
            current = _checkpoint(conn, connector_id)
            if current is not None:  # items_synced stays the stored count
                items = current.items_synced
            conn.execute(
                "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync, error, "
                "updated_at) VALUES (%s,%s,%s,%s,%s,now()) ON CONFLICT (connector_id) DO "
                "UPDATE SET cursor=excluded.cursor, last_sync=excluded.last_sync, "
                "error=excluded.error, updated_at=now()",
                (connector_id, items, cursor, last_sync, error),
            )
            return CheckpointRow(items, restored_or_none(cursor), last_sync, error)

        return self._write(connector_id, operation)

    def history(self, connector_id: str, limit: int = 20) -> list[CheckpointChange]:
        rows = self._session.run(
            lambda conn: conn.execute(
                f"SELECT {checkpoints.CHANGE_COLUMNS} FROM checkpoint_history "
                "WHERE connector_id=%s ORDER BY id DESC LIMIT %s",
                (connector_id, limit),
            ).fetchall()
        )
        return [checkpoints.change_from_row(row) for row in rows]

    def forget(self, connector_id: str) -> None:
        def operation(conn: Any) -> None:
            _refuse_if_running(conn, connector_id)
            for table in ("sync_state", "checkpoint_history", "sync_runs", "rejected_documents"):
                conn.execute(f"DELETE FROM {table} WHERE connector_id=%s", (connector_id,))

        self._write(connector_id, operation)

    def refuse_if_running(self, connector_id: str) -> None:
        self._session.run(lambda conn: _refuse_if_running(conn, connector_id))

    # -- runs --------------------------------------------------------------------------

    def begin_run(
        self,
        connector_id: str,
        *,
        lease_timeout: float,
        store: StoreIdentity | None = None,
        documents: int = 0,
    ) -> tuple[int, datetime, CheckpointRow, str | None]:
        """Take the lease (under the connector's advisory lock), settle the checkpoint
        against the store and open the run row, all in one transaction."""

        def operation(conn: Any) -> tuple[int, datetime, CheckpointRow, str | None]:
            started = conn.execute("SELECT now()").fetchone()[0]
            for holder, age in _running(conn, connector_id, lock=True):
                if not leases.is_stale(holder, lease_timeout, age=age):
                    raise SyncAlreadyRunning(connector_id, holder.run_id, holder.pid, holder.host)
                conn.execute(
                    "UPDATE sync_runs SET status=%s, finished_at=now(), error=%s WHERE run_id=%s",
                    (RunStatus.ABANDONED.value, leases.abandoned_note(holder), holder.run_id),
                )
            current = _checkpoint(conn, connector_id)
            notice = None
            if current is not None and store is not None:
                row = conn.execute(
                    "SELECT store_id, store_generation FROM sync_state WHERE connector_id=%s",
                    (connector_id,),
                ).fetchone()
                notice = checkpoints.store_mismatch((row[0], row[1]), current, store, documents)
            store_id = store.store_id if store is not None else None
            generation = store.generation if store is not None else 0
            state, action = checkpoints.settle(current, notice, store, documents)
            if action == "insert":
                conn.execute(
                    "INSERT INTO sync_state (connector_id, items_synced, updated_at, store_id, "
                    "store_generation) VALUES (%s, %s, now(), %s, %s)",
                    (connector_id, documents, store_id, generation),
                )
            elif action == "drop":
                conn.execute(
                    "UPDATE sync_state SET cursor=NULL, last_sync=NULL, items_synced=%s, "
                    "store_id=%s, store_generation=%s, updated_at=now() WHERE connector_id=%s",
                    (documents, store_id, generation, connector_id),
                )
            elif action == "adopt":
                conn.execute(
                    "UPDATE sync_state SET items_synced=%s, store_id=%s, store_generation=%s "
                    "WHERE connector_id=%s",
                    (documents, store_id, generation, connector_id),
                )
            run_id = conn.execute(
                "INSERT INTO sync_runs (connector_id, status, started_at, heartbeat, pid, host, "
                "since, cursor_start, cursor_end, items_synced, notice, process_start) "
                "VALUES (%s,%s,now(),now(),%s,%s,%s,%s,%s,%s,%s,%s) RETURNING run_id",
                (
                    connector_id,
                    RunStatus.RUNNING.value,
                    os.getpid(),
                    leases.HOST,
                    state.last_sync,
                    _cursor(state.cursor),
                    _cursor(state.cursor),
                    state.items_synced,
                    notice,
                    leases.OWN_START,
                ),
            ).fetchone()[0]
            return int(run_id), started, state, notice

        result = self._write(connector_id, operation)
        leases.LIVE.add(result[0])
        return result  # type: ignore[no-any-return]

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
        """The checkpoint, counters and heartbeat after a batch; ``within`` is the store's
        open transaction in this database, which this commit then joins."""

        def operation(conn: Any) -> None:
            # one statement, one round trip: the checkpoint, the run's counters and
            # heartbeat, and the notification
            conn.execute(
                "WITH checkpoint AS (UPDATE sync_state SET "
                "cursor=CASE WHEN %s THEN %s ELSE cursor END, items_synced=%s, "
                "store_generation=coalesce(%s, store_generation), updated_at=now() "
                "WHERE connector_id=%s), "
                "progress AS (UPDATE sync_runs SET heartbeat=now(), documents=%s, inserted=%s, "
                "updated=%s, unchanged=%s, rejected=%s, batches=%s, deleted=%s, cursor_end=%s, "
                "items_synced=%s WHERE run_id=%s) "
                "SELECT pg_notify('syncdeck_state', %s)",
                (
                    move_cursor,
                    _cursor(cursor),
                    items_synced,
                    generation,
                    connector_id,
                    progress.documents,
                    progress.inserted,
                    progress.updated,
                    progress.unchanged,
                    progress.rejected,
                    progress.batches,
                    progress.deleted,
                    _cursor(cursor),
                    items_synced,
                    run_id,
                    connector_id,
                ),
            )
            if quarantine:
                conn.cursor().executemany(
                    "INSERT INTO rejected_documents (connector_id, run_id, item, doc_id, reason, "
                    "payload, rejected_at, fingerprint) VALUES (%s,%s,%s,%s,%s,%s,now(),%s) "
                    "ON CONFLICT (connector_id, fingerprint, reason) DO UPDATE SET "
                    "run_id=excluded.run_id, item=excluded.item, payload=excluded.payload, "
                    "rejected_at=excluded.rejected_at",
                    [
                        (
                            connector_id,
                            run_id,
                            q.item,
                            text_to_pg_or_none(q.doc_id),
                            text_to_pg(q.reason),
                            text_to_pg(q.payload),
                            text_to_pg(
                                q.fingerprint or (q.doc_id if q.doc_id is not None else q.payload)
                            ),
                        )
                        for q in quarantine
                    ],
                )

        if within is not None:
            operation(within)
        else:
            self._session.run(operation)

    def heartbeat(self, run_id: int, documents: int) -> None:
        self._session.run(
            lambda conn: conn.execute(
                "WITH beat AS (UPDATE sync_runs SET heartbeat=now(), documents=%s "
                "WHERE run_id=%s RETURNING connector_id) "
                "SELECT pg_notify('syncdeck_state', connector_id) FROM beat",
                (documents, run_id),
            )
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
        def operation(conn: Any) -> None:
            if status is RunStatus.SUCCEEDED:
                conn.execute(
                    "UPDATE sync_state SET last_sync=%s, error=NULL, updated_at=now() "
                    "WHERE connector_id=%s",
                    (since, connector_id),
                )
            elif status is RunStatus.FAILED:
                conn.execute(
                    "UPDATE sync_state SET error=%s, updated_at=now() WHERE connector_id=%s",
                    (text_to_pg_or_none(error), connector_id),
                )
            conn.execute(
                "UPDATE sync_runs SET status=%s, finished_at=now(), heartbeat=now(), error=%s, "
                "traceback=%s, deletes_held=%s WHERE run_id=%s",
                (
                    status.value,
                    text_to_pg_or_none(error),
                    text_to_pg_or_none(traceback),
                    deletes_held,
                    run_id,
                ),
            )
            conn.execute(NOTIFY, (connector_id,))

        try:
            self._session.run(operation)
        finally:
            self.release(run_id)

    def release(self, run_id: int) -> None:
        leases.LIVE.discard(run_id)

    def runs(self, connector_id: str, limit: int = 20) -> list[RunRecord]:
        rows = self._session.run(
            lambda conn: conn.execute(
                f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE connector_id=%s "
                "ORDER BY run_id DESC LIMIT %s",
                (connector_id, limit),
            ).fetchall()
        )
        return [run_from_row(row) for row in rows]

    def run(self, run_id: int) -> RunRecord:
        row = self._session.run(
            lambda conn: conn.execute(
                f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE run_id=%s", (run_id,)
            ).fetchone()
        )
        if row is None:
            raise UnknownConnectorError(f"no run {run_id}")
        return run_from_row(row)

    def rejected(self, connector_id: str, limit: int = 100) -> list[RejectedRecord]:
        rows = self._session.run(
            lambda conn: conn.execute(
                "SELECT connector_id, run_id, item, doc_id, reason, payload, rejected_at FROM "
                "rejected_documents WHERE connector_id=%s ORDER BY id DESC LIMIT %s",
                (connector_id, limit),
            ).fetchall()
        )
        return [RejectedRecord(*row) for row in rows]

    def states(self, lease_timeout: float | None = None) -> dict[str, ConnectorState]:
        """Every connector with its live run (any host) and its last run."""

        def operation(conn: Any) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
            saved = conn.execute(
                "SELECT connector_id, items_synced, cursor, last_sync, error FROM sync_state"
            ).fetchall()
            newest = conn.execute(
                f"SELECT DISTINCT ON (connector_id) connector_id, {checkpoints.CHANGE_COLUMNS} "
                "FROM checkpoint_history ORDER BY connector_id, id DESC"
            ).fetchall()
            # the newest run of each connector picked first: the run number in RUN_COLUMNS
            # is a count per row, which DISTINCT ON would compute for every run
            latest = conn.execute(
                f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE run_id IN "
                "(SELECT max(run_id) FROM sync_runs GROUP BY connector_id)"
            ).fetchall()
            live = conn.execute(
                f"SELECT {RUN_COLUMNS}, {_AGE} FROM sync_runs WHERE status='running'"
            ).fetchall()
            return saved, latest, live, newest

        saved, latest, live, newest = self._session.run(operation)
        changes = {row[0]: checkpoints.change_from_row(row[1:]) for row in newest}
        last_runs = {r.connector_id: r for r in map(run_from_row, latest)}
        active = {}
        for row in live:
            record = run_from_row(row[:-1])
            if not leases.is_stale(record, lease_timeout, age=row[-1]):
                active[record.connector_id] = record
        by_id = {row[0]: row for row in saved}
        result: dict[str, ConnectorState] = {}
        for connector_id in dict.fromkeys([*by_id, *last_runs]):
            row = by_id.get(connector_id)
            result[connector_id] = ConnectorState(
                connector_id=connector_id,
                items_synced=row[1] if row else 0,
                cursor=restored_or_none(row[2]) if row else None,
                last_sync=row[3] if row else None,
                error=row[4] if row else None,
                active=active.get(connector_id),
                last_run=last_runs.get(connector_id),
                last_change=changes.get(connector_id),
            )
        return result


def _lock(conn: Any, connector_id: str) -> None:
    conn.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (LEASE_LOCK, connector_id))


def _checkpoint(conn: Any, connector_id: str) -> CheckpointRow | None:
    row = conn.execute(
        "SELECT items_synced, cursor, last_sync, error FROM sync_state WHERE connector_id=%s",
        (connector_id,),
    ).fetchone()
    return CheckpointRow(int(row[0]), restored_or_none(row[1]), row[2], row[3]) if row else None


def _running(conn: Any, connector_id: str, *, lock: bool = False) -> list[tuple[RunRecord, float]]:
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS}, {_AGE} FROM sync_runs WHERE connector_id=%s "
        "AND status='running'" + (" FOR UPDATE" if lock else ""),
        (connector_id,),
    ).fetchall()
    return [(run_from_row(row[:-1]), row[-1]) for row in rows]


def _refuse_if_running(conn: Any, connector_id: str) -> None:
    for run, age in _running(conn, connector_id):
        if not leases.is_stale(run, None, age=age):
            raise SyncAlreadyRunning(connector_id, run.run_id, run.pid, run.host)


def _record_change(conn: Any, connector_id: str, action: str) -> None:
    current = _checkpoint(conn, connector_id)
    before = current or EMPTY
    conn.execute(
        "INSERT INTO checkpoint_history (connector_id, action, changed_at, existed, "
        "items_synced, cursor, last_sync, error) VALUES (%s,%s,now(),%s,%s,%s,%s,%s)",
        (
            connector_id,
            action,
            current is not None,
            before.items_synced,
            _cursor(before.cursor),
            before.last_sync,
            before.error,
        ),
    )


def _cursor(cursor: str | None) -> str | None:
    """A cursor as stored: core.text's form, with what PostgreSQL refuses escaped."""
    return key_to_pg_or_none(storable_or_none(cursor))
