"""Checkpoints and their manual changes: reset, cursor edits, undo, forget, and whether a
checkpoint still belongs to the knowledge store it was written for."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from syncdeck.core.documents import utcnow
from syncdeck.core.errors import NothingToUndo
from syncdeck.core.state.leases import refuse_if_running
from syncdeck.core.state.records import (
    EMPTY,
    CheckpointChange,
    CheckpointRow,
    iso,
    parse_time,
)
from syncdeck.core.store import StoreIdentity
from syncdeck.core.text import restored_or_none, storable_or_none


def read(conn: sqlite3.Connection, connector_id: str) -> CheckpointRow | None:
    row = conn.execute(
        "SELECT items_synced, cursor, last_sync, error FROM sync_state WHERE connector_id=?",
        (connector_id,),
    ).fetchone()
    return (
        CheckpointRow(row[0], restored_or_none(row[1]), parse_time(row[2]), row[3]) if row else None
    )


def _record_change(conn: sqlite3.Connection, connector_id: str, action: str) -> None:
    current = read(conn, connector_id)
    before = current or EMPTY
    conn.execute(
        "INSERT INTO checkpoint_history (connector_id, action, changed_at, existed, "
        "items_synced, cursor, last_sync, error) VALUES (?,?,?,?,?,?,?,?)",
        (
            connector_id,
            action,
            iso(utcnow()),
            int(current is not None),
            before.items_synced,
            storable_or_none(before.cursor),
            iso(before.last_sync),
            before.error,
        ),
    )


def reset(conn: sqlite3.Connection, connector_id: str) -> None:
    refuse_if_running(conn, connector_id)
    _record_change(conn, connector_id, "reset")
    # items_synced counts the connector's stored documents, which a reset keeps
    conn.execute(
        "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync, error, "
        "updated_at) VALUES (?, 0, NULL, NULL, NULL, ?) ON CONFLICT(connector_id) DO "
        "UPDATE SET cursor=NULL, last_sync=NULL, error=NULL, updated_at=excluded.updated_at",
        (connector_id, iso(utcnow())),
    )


def set_cursor(conn: sqlite3.Connection, connector_id: str, cursor: str | None) -> None:
    if cursor is not None and not isinstance(cursor, str):
        raise TypeError(f"a cursor is a string or None, not {type(cursor).__name__}")
    refuse_if_running(conn, connector_id)
    _record_change(conn, connector_id, "set_cursor")
    conn.execute(
        "INSERT INTO sync_state (connector_id, items_synced, cursor, updated_at) "
        "VALUES (?, 0, ?, ?) ON CONFLICT(connector_id) DO UPDATE SET "
        "cursor=excluded.cursor, updated_at=excluded.updated_at",
        (connector_id, storable_or_none(cursor), iso(utcnow())),
    )


def undo(conn: sqlite3.Connection, connector_id: str) -> CheckpointRow:
    """Restore the checkpoint as it was before the last reset or cursor edit."""
    refuse_if_running(conn, connector_id)
    row = conn.execute(
        "SELECT id, existed, items_synced, cursor, last_sync, error FROM checkpoint_history "
        "WHERE connector_id=? ORDER BY id DESC LIMIT 1",
        (connector_id,),
    ).fetchone()
    if row is None:
        raise NothingToUndo(f"connector {connector_id!r} has no reset or cursor edit to undo")
    entry_id, existed, items, cursor, last_sync, error = row
    conn.execute("DELETE FROM checkpoint_history WHERE id=?", (entry_id,))
    if not existed:
        conn.execute("DELETE FROM sync_state WHERE connector_id=?", (connector_id,))
        return EMPTY
    # the cursor, since and error come back; items_synced stays the stored count
    current = read(conn, connector_id)
    if current is not None:
        items = current.items_synced
    conn.execute(
        "INSERT INTO sync_state (connector_id, items_synced, cursor, last_sync, error, "
        "updated_at) VALUES (?,?,?,?,?,?) ON CONFLICT(connector_id) DO UPDATE SET "
        "cursor=excluded.cursor, last_sync=excluded.last_sync, error=excluded.error, "
        "updated_at=excluded.updated_at",
        (connector_id, items, cursor, last_sync, error, iso(utcnow())),
    )
    return CheckpointRow(items, restored_or_none(cursor), parse_time(last_sync), error)


CHANGE_COLUMNS = "action, changed_at, existed, items_synced, cursor, last_sync, error"


def change_from_row(row: Sequence[Any]) -> CheckpointChange:
    """A checkpoint_history row (CHANGE_COLUMNS), from either backend."""
    action, changed_at, existed, items, cursor, last_sync, error = row
    return CheckpointChange(
        action,
        parse_time(changed_at),  # type: ignore[arg-type]
        bool(existed),
        CheckpointRow(items or 0, restored_or_none(cursor), parse_time(last_sync), error),
    )


def history(conn: sqlite3.Connection, connector_id: str, limit: int) -> list[CheckpointChange]:
    rows = conn.execute(
        f"SELECT {CHANGE_COLUMNS} FROM checkpoint_history WHERE connector_id=? "
        "ORDER BY id DESC LIMIT ?",
        (connector_id, limit),
    ).fetchall()
    return [change_from_row(row) for row in rows]


def latest_changes(conn: sqlite3.Connection) -> dict[str, CheckpointChange]:
    """Every connector's newest reset or cursor edit (what undo would revert)."""
    rows = conn.execute(
        f"SELECT connector_id, {CHANGE_COLUMNS} FROM checkpoint_history WHERE id IN "
        "(SELECT max(id) FROM checkpoint_history GROUP BY connector_id)"
    ).fetchall()
    return {row[0]: change_from_row(row[1:]) for row in rows}


def forget(conn: sqlite3.Connection, connector_id: str) -> None:
    """Remove everything kept about a connector: checkpoint, undo history, runs and
    quarantine (its documents are the store's to remove)."""
    refuse_if_running(conn, connector_id)
    for table in ("sync_state", "checkpoint_history", "sync_runs", "rejected_documents"):
        conn.execute(f"DELETE FROM {table} WHERE connector_id=?", (connector_id,))


def recorded_store(conn: sqlite3.Connection, connector_id: str) -> tuple[str | None, int]:
    """The store id and generation the connector's checkpoint was last committed against."""
    row = conn.execute(
        "SELECT store_id, store_generation FROM sync_state WHERE connector_id=?",
        (connector_id,),
    ).fetchone()
    return (row[0], row[1]) if row else (None, 0)


def store_mismatch(
    recorded: tuple[str | None, int],
    checkpoint: CheckpointRow,
    store: StoreIdentity,
    documents: int,
) -> str | None:
    """Why a checkpoint cannot be resumed against this store, or None when it can
    (docs/architecture.md, "Store identity")."""
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


def settle(
    current: CheckpointRow | None,
    notice: str | None,
    store: StoreIdentity | None,
    documents: int,
) -> tuple[CheckpointRow, str]:
    """The checkpoint a run starts from, and what the state database writes for it:
    ``insert`` a first row, ``drop`` the cursor and since (``notice`` says why), ``adopt``
    the store's identity and count, or ``keep`` the row as it is."""
    if current is None:
        return CheckpointRow(documents, None, None, None), "insert"
    if notice is not None:
        return CheckpointRow(documents, None, None, current.error), "drop"
    if store is not None:
        return CheckpointRow(documents, current.cursor, current.last_sync, current.error), "adopt"
    return current, "keep"
