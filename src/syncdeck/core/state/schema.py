"""The state database's tables, and the steps that bring an older file up to date."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 3

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
    notice TEXT,
    process_start TEXT
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


def _to_version_3(conn: sqlite3.Connection) -> None:
    """The holder's process start time beside its pid, so a reused pid is not taken for
    the holder."""
    conn.execute("ALTER TABLE sync_runs ADD COLUMN process_start TEXT")


MIGRATIONS = {2: _to_version_2, 3: _to_version_3}
