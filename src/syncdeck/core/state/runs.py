"""Runs: opening a run under its lease, the per-batch commit, the heartbeat, closing it,
and reading run history, quarantine and the per-connector overview back."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime

from syncdeck.core.counters import RunCounts
from syncdeck.core.documents import utcnow
from syncdeck.core.errors import UnknownConnectorError
from syncdeck.core.events import RunStatus
from syncdeck.core.state import checkpoints
from syncdeck.core.state.leases import HOST, LIVE, OWN_START, is_stale, take_over_stale
from syncdeck.core.state.records import (
    RUN_COLUMNS,
    CheckpointRow,
    ConnectorState,
    QuarantineEntry,
    RejectedRecord,
    RunRecord,
    iso,
    parse_time,
    run_from_row,
)
from syncdeck.core.store import StoreIdentity
from syncdeck.core.text import restored_or_none, storable_or_none


def open_run(
    conn: sqlite3.Connection,
    connector_id: str,
    *,
    lease_timeout: float,
    store: StoreIdentity | None,
    documents: int,
) -> tuple[int, datetime, CheckpointRow, str | None]:
    """Inside one transaction: take the lease, settle the checkpoint against the store
    (dropping it, with the reason, when it belongs to another state of the store) and
    insert the run row. Returns run id, start time, checkpoint and the reason if any."""
    started = utcnow()
    take_over_stale(conn, connector_id, lease_timeout, started)
    current = checkpoints.read(conn, connector_id)
    notice = None
    if current is not None and store is not None:
        recorded = checkpoints.recorded_store(conn, connector_id)
        notice = checkpoints.store_mismatch(recorded, current, store, documents)
    store_id = store.store_id if store is not None else None
    generation = store.generation if store is not None else 0
    state, action = checkpoints.settle(current, notice, store, documents)
    if action == "insert":
        conn.execute(
            "INSERT INTO sync_state (connector_id, items_synced, updated_at, store_id, "
            "store_generation) VALUES (?, ?, ?, ?, ?)",
            (connector_id, documents, iso(started), store_id, generation),
        )
    elif action == "drop":
        conn.execute(
            "UPDATE sync_state SET cursor=NULL, last_sync=NULL, items_synced=?, store_id=?, "
            "store_generation=?, updated_at=? WHERE connector_id=?",
            (documents, store_id, generation, iso(started), connector_id),
        )
    elif action == "adopt":
        conn.execute(
            "UPDATE sync_state SET items_synced=?, store_id=?, store_generation=? "
            "WHERE connector_id=?",
            (documents, store_id, generation, connector_id),
        )
    cur = conn.execute(
        "INSERT INTO sync_runs (connector_id, status, started_at, heartbeat, pid, host, "
        "since, cursor_start, cursor_end, items_synced, notice, process_start) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            connector_id,
            RunStatus.RUNNING.value,
            iso(started),
            iso(started),
            os.getpid(),
            HOST,
            iso(state.last_sync),
            storable_or_none(state.cursor),
            storable_or_none(state.cursor),
            state.items_synced,
            notice,
            OWN_START,
        ),
    )
    run_id = int(cur.lastrowid or 0)
    LIVE.add(run_id)
    return run_id, started, state, notice


def commit_batch(
    conn: sqlite3.Connection,
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
    """After a durable store batch: the cursor (when it moves), the connector's document
    count and store generation as the store reported them, the run's counters and
    heartbeat, and the batch's quarantined documents."""
    now = iso(utcnow())
    conn.execute(
        "UPDATE sync_state SET cursor=CASE WHEN ? THEN ? ELSE cursor END, items_synced=?, "
        "store_generation=coalesce(?, store_generation), updated_at=? WHERE connector_id=?",
        (move_cursor, storable_or_none(cursor), items_synced, generation, now, connector_id),
    )
    conn.execute(
        "UPDATE sync_runs SET heartbeat=?, documents=?, inserted=?, updated=?, unchanged=?, "
        "rejected=?, batches=?, deleted=?, cursor_end=?, items_synced=? WHERE run_id=?",
        (
            now,
            progress.documents,
            progress.inserted,
            progress.updated,
            progress.unchanged,
            progress.rejected,
            progress.batches,
            progress.deleted,
            storable_or_none(cursor),
            items_synced,
            run_id,
        ),
    )
    if quarantine:
        conn.executemany(
            "INSERT INTO rejected_documents (connector_id, run_id, item, doc_id, reason, "
            "payload, rejected_at, fingerprint) VALUES (?,?,?,?,?,?,?,?) "
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
                    q.fingerprint or (q.doc_id if q.doc_id is not None else q.payload),
                )
                for q in quarantine
            ],
        )


def heartbeat(conn: sqlite3.Connection, run_id: int, documents: int) -> None:
    conn.execute(
        "UPDATE sync_runs SET heartbeat=?, documents=? WHERE run_id=?",
        (iso(utcnow()), documents, run_id),
    )


def finish_run(
    conn: sqlite3.Connection,
    connector_id: str,
    run_id: int,
    *,
    status: RunStatus,
    since: datetime | None,
    error: str | None,
    traceback: str | None,
    deletes_held: int,
) -> None:
    """Close the run row; a success moves ``since`` and clears the error, a failure
    records it."""
    now = iso(utcnow())
    if status is RunStatus.SUCCEEDED:
        conn.execute(
            "UPDATE sync_state SET last_sync=?, error=NULL, updated_at=? WHERE connector_id=?",
            (iso(since), now, connector_id),
        )
    elif status is RunStatus.FAILED:
        conn.execute(
            "UPDATE sync_state SET error=?, updated_at=? WHERE connector_id=?",
            (error, now, connector_id),
        )
    conn.execute(
        "UPDATE sync_runs SET status=?, finished_at=?, heartbeat=?, error=?, traceback=?, "
        "deletes_held=? WHERE run_id=?",
        (status.value, now, now, error, traceback, deletes_held, run_id),
    )


def runs(conn: sqlite3.Connection, connector_id: str, limit: int) -> list[RunRecord]:
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE connector_id=? ORDER BY run_id DESC LIMIT ?",
        (connector_id, limit),
    ).fetchall()
    return [run_from_row(row) for row in rows]


def run(conn: sqlite3.Connection, run_id: int) -> RunRecord:
    row = conn.execute(f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE run_id=?", (run_id,)).fetchone()
    if row is None:
        raise UnknownConnectorError(f"no run {run_id}")
    return run_from_row(row)


def rejected(conn: sqlite3.Connection, connector_id: str, limit: int) -> list[RejectedRecord]:
    rows = conn.execute(
        "SELECT connector_id, run_id, item, doc_id, reason, payload, rejected_at FROM "
        "rejected_documents WHERE connector_id=? ORDER BY id DESC LIMIT ?",
        (connector_id, limit),
    ).fetchall()
    return [
        RejectedRecord(r[0], r[1], r[2], r[3], r[4], r[5], datetime.fromisoformat(r[6]))
        for r in rows
    ]


def states(
    conn: sqlite3.Connection, lease_timeout: float | None = None
) -> dict[str, ConnectorState]:
    """Every connector the state database knows, with its live run and its last run."""
    saved = conn.execute(
        "SELECT connector_id, items_synced, cursor, last_sync, error FROM sync_state"
    ).fetchall()
    latest = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE run_id IN "
        "(SELECT max(run_id) FROM sync_runs GROUP BY connector_id)"
    ).fetchall()
    live = conn.execute(f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE status='running'").fetchall()
    changes = checkpoints.latest_changes(conn)
    last_runs = {r.connector_id: r for r in map(run_from_row, latest)}
    active = {r.connector_id: r for r in map(run_from_row, live) if not is_stale(r, lease_timeout)}
    by_id = {row[0]: row for row in saved}
    result: dict[str, ConnectorState] = {}
    for connector_id in dict.fromkeys([*by_id, *last_runs]):
        row = by_id.get(connector_id)
        result[connector_id] = ConnectorState(
            connector_id=connector_id,
            items_synced=row[1] if row else 0,
            cursor=restored_or_none(row[2]) if row else None,
            last_sync=parse_time(row[3]) if row else None,
            error=row[4] if row else None,
            active=active.get(connector_id),
            last_run=last_runs.get(connector_id),
            last_change=changes.get(connector_id),
        )
    return result
