"""The schemas earlier syncdeck releases wrote, frozen here so that upgrades are tested
against real old files rather than against today's schema with a number changed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from syncdeck.core.database import split_script

STORE_V2 = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    doc_id TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    author TEXT NOT NULL,
    participants TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    thread_id TEXT,
    url TEXT,
    metadata TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    ingested_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (source, doc_id)
);
CREATE INDEX IF NOT EXISTS documents_hash ON documents (source, doc_id, content_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    title, content, author, content='documents', content_rowid='id', tokenize='unicode61'
);
INSERT INTO documents_fts(documents_fts, rank) VALUES ('automerge', 16);
CREATE TRIGGER IF NOT EXISTS documents_ai AFTER INSERT ON documents BEGIN
    INSERT INTO documents_fts(rowid, title, content, author)
    VALUES (new.id, new.title, new.content, new.author);
END;
CREATE TRIGGER IF NOT EXISTS documents_ad AFTER DELETE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, content, author)
    VALUES ('delete', old.id, old.title, old.content, old.author);
END;
CREATE TRIGGER IF NOT EXISTS documents_au AFTER UPDATE ON documents BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, content, author)
    VALUES ('delete', old.id, old.title, old.content, old.author);
    INSERT INTO documents_fts(rowid, title, content, author)
    VALUES (new.id, new.title, new.content, new.author);
END;
"""


STATE_V1 = """
CREATE TABLE IF NOT EXISTS sync_state (
    connector_id TEXT PRIMARY KEY,
    items_synced INTEGER NOT NULL DEFAULT 0,
    cursor TEXT,
    last_sync TEXT,
    error TEXT,
    updated_at TEXT
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
    traceback TEXT
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


def create(path: Path, script: str, version: int) -> sqlite3.Connection:
    """A database file as an old release left it (the caller adds rows, then closes)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    for statement in split_script(script):
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version={version}")
    return conn
