"""Moving a deck up: copy a SQLite state database and knowledge store into an empty
PostgreSQL database (docs/architecture.md, "PostgreSQL backend").

Everything comes along - documents with their owners, versions and ingestion times,
checkpoints, run history, checkpoint-change history, quarantine - and the store keeps its
identity (store id and per-connector generations), so every checkpoint still belongs to
the store and the next sync resumes where the last one stopped.

The copy is resumable: documents go over in chunks, each committed with a progress marker
(``syncdeck_migration``), so a copy interrupted at any moment continues where it stopped;
the state tables then go over in one transaction. A target that holds anything else is
refused. The result is verified by counts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncdeck.core.errors import SyncAlreadyRunning, SyncdeckError
from syncdeck.core.postgres.state import PostgresStateStore
from syncdeck.core.postgres.store import PostgresStore
from syncdeck.core.state import StateStore
from syncdeck.core.store import ROW_COLUMNS, KnowledgeStore

MARKER = """
CREATE TABLE IF NOT EXISTS syncdeck_migration (
    source_store_id text PRIMARY KEY,
    source text NOT NULL,
    last_document bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
)
"""
_DOC_COLUMNS = ["id", *ROW_COLUMNS, "connector", "ingested_at"]
STATE_TABLES: dict[str, list[str]] = {
    "sync_state": [
        "connector_id", "items_synced", "cursor", "last_sync", "error", "updated_at",
        "store_id", "store_generation",
    ],
    "sync_runs": [
        "run_id", "connector_id", "status", "started_at", "finished_at", "heartbeat", "pid",
        "host", "since", "cursor_start", "cursor_end", "documents", "inserted", "updated",
        "unchanged", "rejected", "batches", "items_synced", "error", "traceback", "deleted",
        "deletes_held", "notice", "process_start",
    ],
    "checkpoint_history": [
        "id", "connector_id", "action", "changed_at", "existed", "items_synced", "cursor",
        "last_sync", "error",
    ],
    "rejected_documents": [
        "id", "connector_id", "run_id", "item", "doc_id", "reason", "payload", "rejected_at",
        "fingerprint",
    ],
}  # fmt: skip
IDENTITIES = {
    "documents": "id",
    "sync_runs": "run_id",
    "checkpoint_history": "id",
    "rejected_documents": "id",
}


class MigrationError(SyncdeckError):
    """The migration was refused, or its result does not match the source."""


@dataclass
class MigrationReport:
    """What the target holds after the migration, each count verified against the source."""

    documents: int
    connectors: dict[str, int]
    checkpoints: int
    runs: int
    history: int
    quarantine: int
    copied_now: int  # documents copied by this invocation (0 when it only verified)
    resumed: bool  # continued an interrupted copy


def _quoted(column: str) -> str:
    return f'"{column}"' if column == "timestamp" else column


def migrate(
    store_path: str | Path,
    state_path: str | Path,
    url: str,
    *,
    chunk: int = 2000,
    progress: Callable[[int, int], None] | None = None,
) -> MigrationReport:
    """Copy the SQLite deck at ``store_path``/``state_path`` into the database at ``url``.

    ``progress(copied, total)`` is called after each committed chunk of documents."""
    # Opening them upgrades older files and refuses what is not a syncdeck database.
    with KnowledgeStore(store_path) as source_store:
        source_state = StateStore(state_path)
        try:
            busy = [s.active for s in source_state.states().values() if s.active is not None]
            if busy:
                run = busy[0]
                raise SyncAlreadyRunning(run.connector_id, run.run_id, run.pid, run.host)
            store_id = source_store.store_id
            resolved_store, resolved_state = source_store.path, source_state.path
        finally:
            source_state.close()
    source = sqlite3.connect(f"file:{resolved_store}?mode=ro", uri=True)
    state = sqlite3.connect(f"file:{resolved_state}?mode=ro", uri=True)
    target_store = PostgresStore(url)
    target_state = PostgresStateStore(url)
    try:
        session = target_store.session
        resumed, last = session.run(lambda conn: _claim(conn, store_id, str(resolved_store)))
        if last is None:  # finished (and verified) before; the target may have moved on
            return _report(target_store, 0, True)
        total = source.execute("SELECT count(*) FROM documents").fetchone()[0]
        copied_before = source.execute(
            "SELECT count(*) FROM documents WHERE id <= ?", (last,)
        ).fetchone()[0]
        copied_now = 0
        while True:
            rows = source.execute(
                f"SELECT {', '.join(_quoted(c) for c in _DOC_COLUMNS)} FROM documents "
                "WHERE id > ? ORDER BY id LIMIT ?",
                (last, chunk),
            ).fetchall()
            if not rows:
                break
            session.run(lambda conn, rows=rows: _copy_documents(conn, store_id, rows))
            last = rows[-1][0]
            copied_now += len(rows)
            if progress is not None:
                progress(copied_before + copied_now, total)
        session.run(lambda conn: _copy_state(conn, source, state, store_id))
        return _verify(source, state, target_store, copied_now, resumed)
    finally:
        target_state.close()
        target_store.close()
        source.close()
        state.close()


def _claim(conn: Any, store_id: str, source: str) -> tuple[bool, int | None]:
    """Start or continue the migration of ``store_id``; returns (resumed, last copied
    document id), the id None when that migration already finished."""
    conn.execute(MARKER)
    conn.execute("LOCK TABLE syncdeck_migration IN EXCLUSIVE MODE")
    rows = conn.execute(
        "SELECT source_store_id, last_document, finished_at FROM syncdeck_migration"
    ).fetchall()
    mine = [row for row in rows if row[0] == store_id]
    if mine:
        _, last, finished = mine[0]
        return True, None if finished is not None else int(last)
    held = conn.execute(
        "SELECT (SELECT count(*) FROM documents) + (SELECT count(*) FROM sync_state) "
        "+ (SELECT count(*) FROM sync_runs)"
    ).fetchone()[0]
    if rows or held:
        raise MigrationError(
            "the target database is not empty (it holds another deck or a migration of "
            "another store); migrate copies into an empty database only, or continues its "
            "own interrupted copy"
        )
    conn.execute(
        "INSERT INTO syncdeck_migration (source_store_id, source) VALUES (%s, %s)",
        (store_id, source),
    )
    # the store keeps its identity, so every checkpoint still belongs to it
    conn.execute("UPDATE store_meta SET value = %s WHERE key = 'store_id'", (store_id,))
    return False, 0


def _copy_documents(conn: Any, store_id: str, rows: list[tuple[Any, ...]]) -> None:
    columns = ", ".join(_quoted(c) for c in _DOC_COLUMNS)
    with conn.cursor().copy(f"COPY documents ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    conn.execute(
        "UPDATE syncdeck_migration SET last_document = %s WHERE source_store_id = %s",
        (rows[-1][0], store_id),
    )


def _copy_state(
    conn: Any, source: sqlite3.Connection, state: sqlite3.Connection, store_id: str
) -> None:
    """Generations and every state table, in the one transaction that ends the migration."""
    for connector, generation in source.execute("SELECT connector, generation FROM connectors"):
        conn.execute(
            "INSERT INTO connectors AS c (connector, generation) VALUES (%s, %s) "
            "ON CONFLICT (connector) DO UPDATE SET generation = excluded.generation",
            (connector, generation),
        )
    for table, columns in STATE_TABLES.items():
        conn.execute(f"DELETE FROM {table}")
        rows = state.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        if table == "checkpoint_history":
            existed = columns.index("existed")
            rows = [(*r[:existed], bool(r[existed]), *r[existed + 1 :]) for r in rows]
        with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    for table, column in IDENTITIES.items():
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
            f"coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )
    conn.execute(
        "UPDATE syncdeck_migration SET finished_at = now() WHERE source_store_id = %s",
        (store_id,),
    )


def _verify(
    source: sqlite3.Connection,
    state: sqlite3.Connection,
    target: PostgresStore,
    copied_now: int,
    resumed: bool,
) -> MigrationReport:
    expected_connectors = dict(
        source.execute("SELECT connector, documents FROM connectors WHERE documents > 0")
    )
    found_connectors = {
        c: int(n)
        for c, n in target.session.run(
            lambda conn: conn.execute(
                "SELECT connector, documents FROM connectors WHERE documents > 0"
            ).fetchall()
        )
    }
    counts = {
        table: (
            state.execute(f"SELECT count(*) FROM {table}").fetchone()[0],
            target.session.run(
                lambda conn, t=table: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            ),
        )
        for table in STATE_TABLES
    }
    documents = (source.execute("SELECT count(*) FROM documents").fetchone()[0], target.count())
    problems = [
        f"{t}: {a:,} in SQLite, {b:,} in PostgreSQL" for t, (a, b) in counts.items() if a != b
    ]
    if documents[0] != documents[1]:
        problems.append(f"documents: {documents[0]:,} in SQLite, {documents[1]:,} in PostgreSQL")
    if expected_connectors != found_connectors:
        problems.append("the per-connector document counts differ")
    target_id = target.session.run(
        lambda conn: conn.execute("SELECT value FROM store_meta WHERE key='store_id'").fetchone()
    )[0]
    source_id = source.execute("SELECT value FROM store_meta WHERE key='store_id'").fetchone()[0]
    if target_id != source_id:
        problems.append("the store id was not preserved")
    if problems:
        raise MigrationError("the copy does not match its source: " + "; ".join(problems))
    return MigrationReport(
        documents=documents[1],
        connectors=found_connectors,
        checkpoints=counts["sync_state"][1],
        runs=counts["sync_runs"][1],
        history=counts["checkpoint_history"][1],
        quarantine=counts["rejected_documents"][1],
        copied_now=copied_now,
        resumed=resumed,
    )


def _report(target: PostgresStore, copied_now: int, resumed: bool) -> MigrationReport:
    """What the target holds now."""

    def read(conn: Any) -> tuple[dict[str, int], list[int]]:
        connectors = conn.execute(
            "SELECT connector, documents FROM connectors WHERE documents > 0"
        ).fetchall()
        counts = [
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in STATE_TABLES
        ]
        return {c: int(n) for c, n in connectors}, counts

    connectors, (checkpoints, runs, history, quarantine) = target.session.run(read)
    return MigrationReport(
        sum(connectors.values()), connectors, checkpoints, runs, history, quarantine,
        copied_now, resumed,
    )  # fmt: skip
