"""The knowledge store: every synced document once per ``(source, doc_id)``, full-text
searchable. A batch is one durable transaction, so the engine may move a cursor after it."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from syncdeck.core.counters import RunCounts
from syncdeck.core.database import ensure_schema, open_database, transaction, translate_error

WHAT = "knowledge store"
SCHEMA_VERSION = 2

# Columns of a stored row, in the order StoredRow tuples carry them (the timestamp as
# an aware UTC datetime, formatted by the store only for the rows it writes).
ROW_COLUMNS = (
    "source",
    "doc_id",
    "doc_type",
    "title",
    "content",
    "author",
    "participants",
    "timestamp",
    "thread_id",
    "url",
    "metadata",
    "content_hash",
)
StoredRow = tuple[str, str, str, str, str, str, str, datetime, str | None, str | None, str, str]

SCHEMA = """
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

_INSERT = f"INSERT INTO documents ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * 12)})"
_UPDATE = (
    "UPDATE documents SET doc_type=?, title=?, content=?, author=?, participants=?, "
    "timestamp=?, thread_id=?, url=?, metadata=?, content_hash=? WHERE source=? AND doc_id=?"
)
_LOOKUP_CHUNK = 500


@functools.cache
def _lookup_sql(n: int) -> str:
    return (
        "SELECT doc_id, content_hash FROM documents WHERE source=? AND doc_id IN "
        f"({','.join('?' * n)})"
    )


@dataclass(frozen=True)
class SearchHit:
    source: str
    doc_id: str
    title: str
    snippet: str
    score: float
    timestamp: str
    author: str
    doc_type: str


class KnowledgeStore:
    """SQLite store with an FTS5 index kept in step by triggers.

    Commits are ``synchronous=FULL``: once :meth:`write` returns, the batch survives a
    power cut, which is what lets the engine commit a cursor right after it.
    """

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        *,
        lock_timeout: float = 5.0,
        max_bytes: int | None = None,
    ) -> None:
        self._conn, self.path = open_database(
            db_path, what=WHAT, synchronous="FULL", lock_timeout=lock_timeout
        )
        self._lock = threading.RLock()
        self._closed = False
        # Whether the last batch was all unchanged: only then is the next one first
        # checked without the write lock (a first sync never pays for that check).
        self._expect_unchanged = True
        try:
            if max_bytes is not None:
                # A cap on the store's size: past it a batch fails cleanly (and is rolled
                # back) instead of filling the disk.
                page_size = self._conn.execute("PRAGMA page_size").fetchone()[0]
                self._conn.execute(f"PRAGMA max_page_count={max(1, max_bytes // page_size)}")
            ensure_schema(self._conn, self.path, WHAT, SCHEMA, SCHEMA_VERSION)
        except sqlite3.Error as exc:
            self._conn.close()
            raise translate_error(exc, self.path, WHAT) from exc
        except BaseException:
            self._conn.close()
            raise

    # -- writing -----------------------------------------------------------------------

    def write(self, rows: list[StoredRow]) -> RunCounts:
        """Upsert prepared rows in one transaction: new rows inserted, rows whose content
        hash changed updated, identical rows left alone (a hash comparison, no write)."""
        if not rows:
            return RunCounts()
        first_source = rows[0][0]
        if all(row[0] == first_source for row in rows):
            groups = {first_source: rows}
        else:
            groups = {}
            for row in rows:
                groups.setdefault(row[0], []).append(row)
        inserted = updated = unchanged = 0
        with self._lock:
            self._ensure_open()
            if self._expect_unchanged and self._all_unchanged(groups):
                return RunCounts(unchanged=len(rows))
            self._expect_unchanged = False
            with transaction(self._conn, self.path, WHAT):
                for source, group in groups.items():
                    known = self._known_hashes(source, group)
                    final: dict[str, StoredRow] = {}
                    for row in group:
                        doc_id = row[1]
                        previous = final.get(doc_id)
                        seen = previous[11] if previous is not None else known.get(doc_id)
                        if seen is None:
                            inserted += 1
                        elif seen == row[11]:
                            unchanged += 1
                        else:
                            updated += 1
                        final[doc_id] = row
                    new_rows = [
                        (*r[:7], r[7].isoformat(), *r[8:])
                        for k, r in final.items()
                        if k not in known
                    ]
                    changed = [
                        (*r[2:7], r[7].isoformat(), *r[8:], r[0], r[1])
                        for k, r in final.items()
                        if k in known and known[k] != r[11]
                    ]
                    if new_rows:
                        self._conn.executemany(_INSERT, new_rows)
                    if changed:
                        self._conn.executemany(_UPDATE, changed)
            self._expect_unchanged = inserted == updated == 0
        return RunCounts(inserted=inserted, updated=updated, unchanged=unchanged)

    def _all_unchanged(self, groups: dict[str, list[StoredRow]]) -> bool:
        """Whether every row equals its stored copy, read from one snapshot without the
        write lock: a re-sync of unchanged data then costs a lookup, not a write
        transaction. Any difference sends the batch to the locked path, which reads again."""
        # One SELECT is a snapshot by itself; several need a read transaction around them.
        several = len(groups) > 1 or len(next(iter(groups.values()))) > _LOOKUP_CHUNK
        try:
            if several:
                self._conn.execute("BEGIN")
            try:
                for source, group in groups.items():
                    get = self._known_hashes(source, group).get
                    for row in group:
                        if get(row[1]) != row[11]:
                            return False
                return True
            finally:
                if several:
                    self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path, WHAT) from exc

    def _known_hashes(self, source: str, rows: list[StoredRow]) -> dict[str, str]:
        """doc_id -> stored content hash, for the ids of ``rows`` already in the store."""
        ids = list(dict.fromkeys([row[1] for row in rows]))
        known: dict[str, str] = {}
        for start in range(0, len(ids), _LOOKUP_CHUNK):
            chunk = ids[start : start + _LOOKUP_CHUNK]
            known.update(self._conn.execute(_lookup_sql(len(chunk)), (source, *chunk)).fetchall())
        return known

    def delete_source(self, source: str) -> int:
        with self._lock:
            self._ensure_open()
            with transaction(self._conn, self.path, WHAT):
                cur = self._conn.execute("DELETE FROM documents WHERE source=?", (source,))
                return cur.rowcount

    # -- reading -----------------------------------------------------------------------

    def search(self, query: str, *, limit: int = 10, source: str | None = None) -> list[SearchHit]:
        """BM25-ranked hits (title weighted above author above content).

        A query that is not valid FTS5 syntax is retried as plain words, so users can
        type ``re: foo-bar`` without learning the query language.
        """
        if not query.strip():
            return []
        try:
            return self._search(query, limit, source)
        except sqlite3.OperationalError:
            pass  # not FTS5 syntax (or a column filter that does not exist): plain words
        words = [w for w in query.split() if w]
        quoted = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        try:
            return self._search(quoted, limit, source)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path, WHAT) from exc

    def _search(self, match: str, limit: int, source: str | None) -> list[SearchHit]:
        sql = (
            "SELECT d.source, d.doc_id, d.title, "
            "snippet(documents_fts, 1, '[', ']', '…', 12), "
            "bm25(documents_fts, 10.0, 1.0, 2.0) AS score, d.timestamp, d.author, d.doc_type "
            "FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
            "WHERE documents_fts MATCH ?"
        )
        params: list[Any] = [match]
        if source is not None:
            sql += " AND d.source = ?"
            params.append(source)
        sql += " ORDER BY score LIMIT ?"
        params.append(limit)
        with self._lock:
            self._ensure_open()
            rows = self._conn.execute(sql, params).fetchall()
        return [SearchHit(*row) for row in rows]

    def get(self, source: str, doc_id: str) -> dict[str, Any] | None:
        with self._lock:
            self._ensure_open()
            cur = self._conn.execute(
                f"SELECT {', '.join(ROW_COLUMNS)}, ingested_at FROM documents "
                "WHERE source=? AND doc_id=?",
                (source, doc_id),
            )
            row = cur.fetchone()
        if row is None:
            return None
        record = dict(zip((*ROW_COLUMNS, "ingested_at"), row, strict=True))
        record["participants"] = json.loads(record["participants"])
        record["metadata"] = json.loads(record["metadata"])
        return record

    def count(self, source: str | None = None) -> int:
        with self._lock:
            self._ensure_open()
            if source is None:
                return self._conn.execute("SELECT count(*) FROM documents").fetchone()[0]
            return self._conn.execute(
                "SELECT count(*) FROM documents WHERE source=?", (source,)
            ).fetchone()[0]

    def sources(self) -> dict[str, int]:
        with self._lock:
            self._ensure_open()
            rows = self._conn.execute(
                "SELECT source, count(*) FROM documents GROUP BY source ORDER BY source"
            ).fetchall()
        return dict(rows)

    def check_index(self) -> None:
        """Raise if the full-text index disagrees with the documents (integrity-check)."""
        with self._lock:
            self._ensure_open()
            self._conn.execute(
                "INSERT INTO documents_fts(documents_fts, rank) VALUES ('integrity-check', 1)"
            )

    # -- lifecycle ---------------------------------------------------------------------

    def _ensure_open(self) -> None:
        if self._closed:
            raise RuntimeError("KnowledgeStore is closed")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._conn.close()

    def __enter__(self) -> KnowledgeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
