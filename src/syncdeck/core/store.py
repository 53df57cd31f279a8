"""The knowledge store: every synced document once per ``(source, doc_id)``, full-text
searchable, owned by the connector that stored it. A batch is one durable transaction, so
the engine may move a cursor after it (docs/architecture.md, "The sync contract").

Per connector the store also keeps what the mirror contract needs: the number of its
documents (kept exact by triggers, whatever path writes or deletes), a generation that
every write bumps, and the version each document was stored with. With the store's own
random id they let the state database tell whether its checkpoints still describe this
store ("Store identity").
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from syncdeck.core.backend import BatchHook, DocumentStore, is_database_url
from syncdeck.core.connector import StoredDocuments
from syncdeck.core.counters import RunCounts
from syncdeck.core.database import (
    STORE,
    ensure_schema,
    open_database,
    split_script,
    transaction,
    translate_error,
)
from syncdeck.core.documents import as_utc
from syncdeck.core.text import restored, storable

SCHEMA_VERSION = 3


class StoredRow(NamedTuple):
    """A validated document as the store writes it (made by the pipeline). The timestamp
    is an aware UTC datetime, formatted by the store only for the rows it writes."""

    source: str
    doc_id: str
    doc_type: str
    title: str
    content: str
    author: str
    participants: str  # JSON list
    timestamp: datetime
    thread_id: str | None
    url: str | None
    metadata: str  # JSON object
    content_hash: str
    version: str | None


ROW_COLUMNS: tuple[str, ...] = StoredRow._fields

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
    connector TEXT NOT NULL DEFAULT '',
    version TEXT,
    UNIQUE (source, doc_id)
);
CREATE INDEX IF NOT EXISTS documents_hash
    ON documents (source, doc_id, content_hash, version, connector);
CREATE INDEX IF NOT EXISTS documents_connector ON documents (connector, doc_id, version);
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
CREATE TRIGGER IF NOT EXISTS documents_au AFTER UPDATE OF title, content, author ON documents
BEGIN
    INSERT INTO documents_fts(documents_fts, rowid, title, content, author)
    VALUES ('delete', old.id, old.title, old.content, old.author);
    INSERT INTO documents_fts(rowid, title, content, author)
    VALUES (new.id, new.title, new.content, new.author);
END;
CREATE TABLE IF NOT EXISTS connectors (
    connector TEXT PRIMARY KEY,
    documents INTEGER NOT NULL DEFAULT 0,
    generation INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS documents_count_ai AFTER INSERT ON documents BEGIN
    INSERT INTO connectors (connector, documents) VALUES (new.connector, 1)
    ON CONFLICT (connector) DO UPDATE SET documents = documents + 1;
END;
CREATE TRIGGER IF NOT EXISTS documents_count_ad AFTER DELETE ON documents BEGIN
    UPDATE connectors SET documents = documents - 1 WHERE connector = old.connector;
END;
CREATE TRIGGER IF NOT EXISTS documents_count_au AFTER UPDATE OF connector ON documents
WHEN old.connector IS NOT new.connector BEGIN
    UPDATE connectors SET documents = documents - 1 WHERE connector = old.connector;
    INSERT INTO connectors (connector, documents) VALUES (new.connector, 1)
    ON CONFLICT (connector) DO UPDATE SET documents = documents + 1;
END;
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
"""


def _to_version_3(conn: sqlite3.Connection) -> None:
    """Owner, version and per-connector counts for the mirror contract. The update
    trigger is narrowed first, so filling the owner column does not re-index the text."""
    conn.execute("ALTER TABLE documents ADD COLUMN connector TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE documents ADD COLUMN version TEXT")
    conn.execute("DROP TRIGGER IF EXISTS documents_au")
    conn.execute("DROP INDEX IF EXISTS documents_hash")
    for statement in split_script(SCHEMA):
        if "'automerge'" not in statement:
            conn.execute(statement)
    conn.execute("UPDATE documents SET connector = source")  # the old rule: owner = source
    conn.execute(
        "INSERT INTO connectors (connector, documents) "
        "SELECT connector, count(*) FROM documents GROUP BY connector "
        "ON CONFLICT (connector) DO UPDATE SET documents = excluded.documents"
    )


MIGRATIONS = {
    2: "CREATE INDEX IF NOT EXISTS documents_hash ON documents (source, doc_id, content_hash)",
    3: _to_version_3,
}

INSERT_ROW = (  # a StoredRow (timestamp as text) and its owner
    f"INSERT INTO documents ({', '.join(ROW_COLUMNS)}, connector) "
    f"VALUES ({', '.join('?' * (len(ROW_COLUMNS) + 1))})"
)
_UPDATE = (
    "UPDATE documents SET doc_type=?, title=?, content=?, author=?, participants=?, "
    "timestamp=?, thread_id=?, url=?, metadata=?, content_hash=?, version=?, connector=? "
    "WHERE source=? AND doc_id=?"
)
# Same content, new version or owner: no text column changes, so no re-indexing.
_RETAG = "UPDATE documents SET version=?, connector=? WHERE source=? AND doc_id=?"
_BUMP = "UPDATE connectors SET generation = generation + 1 WHERE connector = ?"
_ENSURE_CONNECTOR = "INSERT OR IGNORE INTO connectors (connector) VALUES (?)"
_LOOKUP_CHUNK = 500


@functools.cache
def _lookup_sql(n: int) -> str:
    return (
        "SELECT doc_id, content_hash, version, connector FROM documents "
        f"WHERE source=? AND doc_id IN ({','.join('?' * n)})"
    )


@functools.cache
def _tokens_sql(n: int) -> str:
    return (
        "SELECT doc_id, content_hash || length(connector) || ':' || connector "
        "|| coalesce('v' || version, 'n') "
        f"FROM documents WHERE source=? AND doc_id IN ({','.join('?' * n)})"
    )


@functools.cache
def _versions_sql(n: int) -> str:
    return (
        "SELECT doc_id, version FROM documents "
        f"WHERE connector=? AND doc_id IN ({','.join('?' * n)})"
    )


@functools.cache
def _delete_sql(n: int) -> str:
    return f"DELETE FROM documents WHERE connector=? AND doc_id IN ({','.join('?' * n)})"


def by_pages(read: Callable[[int], Sequence[Sequence[Any]]], page: int) -> Iterator[Sequence[Any]]:
    """Rows read a page at a time by id (keyset paging): ``read(last)`` returns up to
    ``page`` rows ``(id, ...)`` with ids above ``last``, in id order; yields them without
    their id. Each page is its own short read, so no writer waits on a long export."""
    last = 0
    while True:
        rows = read(last)
        for row in rows:
            yield row[1:]
        if len(rows) < page:
            return
        last = rows[-1][0]


def _chunks(items: Sequence[str], size: int = _LOOKUP_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class SearchHit:
    """One match: ``snippet`` has the matched words in ``[brackets]``; ``parts`` is the
    same text as ``(fragment, matched)`` pairs, for front ends that highlight them
    without guessing which brackets are the document's own."""

    source: str
    doc_id: str
    title: str
    snippet: str
    score: float
    timestamp: str
    author: str
    doc_type: str
    parts: tuple[tuple[str, bool], ...] = ()


# Snippet markers no document text contains (control characters), turned into brackets
# and highlight spans by _hit.
_OPEN, _CLOSE = "\x02", "\x03"
SNIPPET_WORDS = 12
RECENT_PREVIEW = 160  # characters of content shown for a document found without a query


@dataclass(frozen=True)
class StoreIdentity:
    """Which store, and how far one connector's documents in it have come: the state
    database keeps this beside a checkpoint to notice a deleted, replaced or restored
    store (docs/architecture.md, "Store identity")."""

    store_id: str
    generation: int


class KnowledgeStore:
    """SQLite store with an FTS5 index kept in step by triggers.

    Commits are ``synchronous=FULL``: once :meth:`write` returns, the batch survives a
    power cut, which is what lets the engine commit a cursor right after it.
    """

    def __new__(cls, db_path: str | Path = ":memory:", **options: Any) -> Any:
        """A ``postgresql://`` URL opens the PostgreSQL store instead (same interface)."""
        if cls is KnowledgeStore and is_database_url(db_path):
            from syncdeck.core.postgres.store import PostgresStore

            return PostgresStore(str(db_path), **options)
        return super().__new__(cls)

    def __init__(
        self,
        db_path: str | Path = ":memory:",
        *,
        lock_timeout: float = 5.0,
        max_bytes: int | None = None,
    ) -> None:
        self._conn, self.path = open_database(
            db_path, role=STORE, synchronous="FULL", lock_timeout=lock_timeout
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
            ensure_schema(self._conn, self.path, STORE, SCHEMA, SCHEMA_VERSION, MIGRATIONS)
            self.store_id: str = self._conn.execute(
                "SELECT value FROM store_meta WHERE key = 'store_id'"
            ).fetchone()[0]
        except sqlite3.Error as exc:
            self._conn.close()
            raise translate_error(exc, self.path, STORE) from exc
        except BaseException:
            self._conn.close()
            raise

    # -- writing -----------------------------------------------------------------------

    def write(
        self,
        rows: Sequence[StoredRow],
        *,
        connector: str | None = None,
        deletions: Sequence[str] = (),
        then: BatchHook | None = None,
    ) -> RunCounts:
        """Upsert prepared rows and delete ``deletions`` (ids of ``connector``'s documents)
        in one transaction: new rows inserted, rows whose content hash changed updated,
        identical rows left alone (a hash comparison, no write).

        ``connector`` owns the rows; without it each row is owned by its source (what a
        program using the pipeline directly gets). ``then`` is called after the durable
        commit (the state database is another file: docs/architecture.md, "Durability
        order") with the counts and the connector's ``(documents, generation)``."""
        counts = self._write(rows, connector, deletions)
        if then is not None:
            changed = counts.inserted or counts.updated or counts.deleted
            then(counts, self.tally(connector) if changed and connector else None, None)
        return counts

    def _write(
        self, rows: Sequence[StoredRow], connector: str | None, deletions: Sequence[str]
    ) -> RunCounts:
        if not rows and not deletions:
            return RunCounts()
        groups = by_source(rows)
        total = RunCounts()
        deleted = 0
        with self._lock:
            self._ensure_open()
            if not deletions and self._expect_unchanged and self._all_unchanged(groups, connector):
                return RunCounts(unchanged=len(rows))
            self._expect_unchanged = False
            touched: set[str] = set()
            with transaction(self._conn, self.path, STORE):
                for source, group in groups.items():
                    owner = connector if connector is not None else source
                    plan = plan_batch(group, self._known(source, group), owner)
                    total = total + plan.counts
                    if plan.new_rows:
                        self._conn.executemany(
                            INSERT_ROW,
                            [(*r[:7], r[7].isoformat(), *r[8:], owner) for r in plan.new_rows],
                        )
                    if plan.changed:
                        self._conn.executemany(
                            _UPDATE,
                            [
                                (*r[2:7], r[7].isoformat(), *r[8:], owner, r.source, r.doc_id)
                                for r in plan.changed
                            ],
                        )
                    if plan.retagged:
                        self._conn.executemany(
                            _RETAG, [(r.version, owner, r.source, r.doc_id) for r in plan.retagged]
                        )
                    touched.update(plan.touched)
                if deletions and connector is not None:
                    ids = list(dict.fromkeys(deletions))
                    for chunk in _chunks(ids):
                        cur = self._conn.execute(_delete_sql(len(chunk)), (connector, *chunk))
                        deleted += cur.rowcount
                    if deleted:
                        touched.add(connector)
                for owner in touched:
                    self._conn.execute(_BUMP, (owner,))
            self._expect_unchanged = total.inserted == total.updated == 0
        return total + RunCounts(deleted=deleted)

    def _all_unchanged(self, groups: dict[str, list[StoredRow]], connector: str | None) -> bool:
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
                    owner = connector if connector is not None else source
                    owned = f"{len(owner)}:{owner}"
                    get = self._tokens(source, group).get
                    for row in group:
                        version = "n" if row.version is None else "v" + row.version
                        if get(row.doc_id) != f"{row.content_hash}{owned}{version}":
                            return False
                return True
            finally:
                if several:
                    self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path, STORE) from exc

    def _tokens(self, source: str, rows: list[StoredRow]) -> dict[str, str]:
        """doc_id -> hash, owner and version in one string, for the unchanged check: the
        dictionary is built by SQLite and C, not by a Python loop over the rows. The form
        is unambiguous: the hash has a fixed length, the owner its length in front, and
        the version a tag ("n" for None, "v" before a text)."""
        ids = list(dict.fromkeys([row.doc_id for row in rows]))
        tokens: dict[str, str] = {}
        for chunk in _chunks(ids):
            tokens.update(self._conn.execute(_tokens_sql(len(chunk)), (source, *chunk)).fetchall())
        return tokens

    def _known(self, source: str, rows: list[StoredRow]) -> dict[str, tuple[str, Any, str]]:
        """doc_id -> (content hash, version, owner) for the ids of ``rows`` already stored."""
        ids = list(dict.fromkeys([row.doc_id for row in rows]))
        known: dict[str, tuple[str, Any, str]] = {}
        for chunk in _chunks(ids):
            for doc_id, content_hash, version, owner in self._conn.execute(
                _lookup_sql(len(chunk)), (source, *chunk)
            ):
                known[doc_id] = (content_hash, version, owner)
        return known

    def delete(
        self, connector: str, doc_ids: Iterable[str], *, then: BatchHook | None = None
    ) -> int:
        """Delete documents of ``connector`` (by stored key, see :meth:`keys`) in one
        transaction; returns how many were. ``then`` as for :meth:`write`, after the
        durable commit."""
        deleted = self._delete(connector, doc_ids)
        if then is not None:
            then(RunCounts(deleted=deleted), self.tally(connector), None)
        return deleted

    def _delete(self, connector: str, doc_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(doc_ids))
        if not ids:
            return 0
        deleted = 0
        with self._lock:
            self._ensure_open()
            with transaction(self._conn, self.path, STORE):
                for chunk in _chunks(ids):
                    deleted += self._conn.execute(
                        _delete_sql(len(chunk)), (connector, *chunk)
                    ).rowcount
                if deleted:
                    self._conn.execute(_BUMP, (connector,))
        return deleted

    def forget(self, connector: str) -> int:
        """Delete every document of ``connector`` and its bookkeeping; returns how many."""
        with self._lock:
            self._ensure_open()
            with transaction(self._conn, self.path, STORE):
                cur = self._conn.execute("DELETE FROM documents WHERE connector=?", (connector,))
                self._conn.execute("DELETE FROM connectors WHERE connector=?", (connector,))
                return cur.rowcount

    def delete_source(self, source: str) -> int:
        with self._lock:
            self._ensure_open()
            with transaction(self._conn, self.path, STORE):
                cur = self._conn.execute("DELETE FROM documents WHERE source=?", (source,))
                return cur.rowcount

    # -- what a connector has here -------------------------------------------------------

    def documents_of(self, connector: str) -> int:
        """How many documents ``connector`` has in the store (exact, kept by triggers)."""
        rows = self._read("SELECT documents FROM connectors WHERE connector=?", (connector,))
        return rows[0][0] if rows else 0

    def tally(self, connector: str) -> tuple[int, int]:
        """``(documents, generation)`` of ``connector``, read together."""
        rows = self._read(
            "SELECT documents, generation FROM connectors WHERE connector=?", (connector,)
        )
        return (rows[0][0], rows[0][1]) if rows else (0, 0)

    def identity(self, connector: str) -> StoreIdentity:
        rows = self._read("SELECT generation FROM connectors WHERE connector=?", (connector,))
        return StoreIdentity(self.store_id, rows[0][0] if rows else 0)

    def versions(self, connector: str, doc_ids: Iterable[str]) -> dict[str, str | None]:
        """doc_id -> stored version, for those of ``doc_ids`` that ``connector`` has."""
        keys = {storable(doc_id): doc_id for doc_id in doc_ids}
        found: dict[str, str | None] = {}
        for chunk in _chunks(list(keys)):
            for key, version in self._read(_versions_sql(len(chunk)), (connector, *chunk)):
                found[keys[key]] = version
        return found

    def ids(self, connector: str) -> list[str]:
        """Every document id ``connector`` has in the store."""
        return [restored(key) for key in self.keys(connector)]

    def keys(self, connector: str) -> list[str]:
        """The ids of ``connector``'s documents as stored (see core.text: an id with
        undecodable bytes is stored escaped); what :meth:`delete` takes."""
        rows = self._read("SELECT doc_id FROM documents WHERE connector=?", (connector,))
        return [row[0] for row in rows]

    def digests(self, connector: str) -> dict[tuple[str, str], str]:
        """``(source, doc_id) -> content hash`` of every document of ``connector``: what
        two stores are compared by when they must hold the same documents."""
        rows = self._read(
            "SELECT source, doc_id, content_hash FROM documents WHERE connector=?", (connector,)
        )
        return {(source, doc_id): digest for source, doc_id, digest in rows}

    def view(self, connector: str) -> StoredView:
        """The read-only view a connector sees during its run (``BaseConnector.stored``)."""
        return StoredView(self, connector)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            self._ensure_open()
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise translate_error(exc, self.path, STORE) from exc

    # -- reading -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        source: str | None = None,
        doc_type: str | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SearchHit]:
        """BM25-ranked hits (title weighted above author above content), narrowed by
        source, document type, author (a case-insensitive part of it) and a time range
        of the documents' timestamps (``since`` included, ``until`` excluded).

        A query that is not valid FTS5 syntax is retried as plain words, so users can
        type ``re: foo-bar`` without learning the query language.
        """
        if not query.strip():
            return []
        where = _filters(source, doc_type, author, since, until)
        try:
            return self._search(query, limit, where)
        except sqlite3.OperationalError:
            pass  # not FTS5 syntax (or a column filter that does not exist): plain words
        words = [w for w in query.split() if w]
        quoted = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        try:
            return self._search(quoted, limit, where)
        except sqlite3.Error as exc:
            raise translate_error(exc, self.path, STORE) from exc

    def _search(self, match: str, limit: int, where: _Where) -> list[SearchHit]:
        sql = (
            "SELECT d.source, d.doc_id, d.title, "
            f"snippet(documents_fts, 1, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_WORDS}), "
            "bm25(documents_fts, 10.0, 1.0, 2.0) AS score, d.timestamp, d.author, d.doc_type "
            "FROM documents_fts JOIN documents d ON d.id = documents_fts.rowid "
            f"WHERE documents_fts MATCH ?{where.sql} ORDER BY score, d.id LIMIT ?"
        )
        with self._lock:
            self._ensure_open()
            rows = self._conn.execute(sql, [match, *where.params, limit]).fetchall()
        return [_hit(row) for row in rows]

    def recent(
        self,
        *,
        limit: int = 10,
        source: str | None = None,
        doc_type: str | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SearchHit]:
        """The newest documents (by timestamp) within the same filters as :meth:`search`,
        without a query: what a search screen lists before anything is typed."""
        where = _filters(source, doc_type, author, since, until)
        sql = (
            f"SELECT d.source, d.doc_id, d.title, substr(d.content, 1, {RECENT_PREVIEW}), "
            "0.0, d.timestamp, d.author, d.doc_type FROM documents d "
            f"WHERE 1{where.sql} ORDER BY d.timestamp DESC, d.id DESC LIMIT ?"
        )
        rows = self._read(sql, [*where.params, limit])
        return [_hit(row) for row in rows]

    def doc_types(self, source: str | None = None) -> dict[str, int]:
        """Document types and how many documents of each (most first)."""
        where = " WHERE source = ?" if source is not None else ""
        rows = self._read(
            f"SELECT doc_type, count(*) AS n FROM documents{where} "
            "GROUP BY doc_type ORDER BY n DESC, doc_type",
            (source,) if source is not None else (),
        )
        return dict(rows)

    def get(self, source: str, doc_id: str) -> dict[str, Any] | None:
        rows = self._read(
            f"SELECT {_RECORD_COLUMNS} FROM documents WHERE source=? AND doc_id=?",
            (storable(source), storable(doc_id)),
        )
        return _record(rows[0]) if rows else None

    def export(self, connector: str, *, page: int = 500) -> Iterator[dict[str, Any]]:
        """Every document ``connector`` stored, oldest stored first, as :meth:`get` gives
        them; read a page at a time, so a large export neither holds the whole set in
        memory nor keeps writers waiting."""
        sql = (
            f"SELECT id, {_RECORD_COLUMNS} FROM documents WHERE connector=? AND id > ? "
            "ORDER BY id LIMIT ?"
        )
        for row in by_pages(lambda last: self._read(sql, (connector, last, page)), page):
            yield _record(row)

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


class StoredView(StoredDocuments):
    """``BaseConnector.stored`` during a run: what the store holds of one connector."""

    def __init__(self, store: DocumentStore, connector: str) -> None:
        self._store = store
        self._connector = connector

    def versions(self, doc_ids: Iterable[str]) -> dict[str, str | None]:
        return self._store.versions(self._connector, doc_ids)

    def ids(self) -> Iterator[str]:
        return iter(self._store.ids(self._connector))

    def __len__(self) -> int:
        return self._store.documents_of(self._connector)


_RECORD_FIELDS = (*ROW_COLUMNS, "connector", "ingested_at")
_RECORD_COLUMNS = ", ".join(_RECORD_FIELDS)


def _record(row: Sequence[Any]) -> dict[str, Any]:
    """A stored document as a plain dict (ids restored, JSON fields decoded)."""
    record = dict(zip(_RECORD_FIELDS, row, strict=True))
    record["source"], record["doc_id"] = restored(record["source"]), restored(record["doc_id"])
    record["participants"] = json.loads(record["participants"])
    record["metadata"] = json.loads(record["metadata"])
    return record


class _Where(NamedTuple):
    sql: str  # " AND ..." conditions on documents d
    params: list[Any]


def _filters(
    source: str | None,
    doc_type: str | None,
    author: str | None,
    since: datetime | None,
    until: datetime | None,
) -> _Where:
    """The search filters as SQL. Timestamps are stored as ISO text in UTC, which sorts
    as the times do, so a range is a comparison of text."""
    sql: list[str] = []
    params: list[Any] = []
    if source is not None:
        sql.append("d.source = ?")
        params.append(storable(source))
    if doc_type is not None:
        sql.append("d.doc_type = ?")
        params.append(doc_type)
    if author:
        sql.append("instr(lower(d.author), lower(?)) > 0")
        params.append(author)
    if since is not None:
        sql.append("d.timestamp >= ?")
        params.append(as_utc(since).isoformat())
    if until is not None:
        sql.append("d.timestamp < ?")
        params.append(as_utc(until).isoformat())
    return _Where("".join(f" AND {part}" for part in sql), params)


def _hit(row: Sequence[Any]) -> SearchHit:
    """A result row whose snippet marks matches with _OPEN/_CLOSE."""
    marked: str = row[3] or ""
    parts: list[tuple[str, bool]] = []
    for chunk in marked.split(_OPEN):
        inside, sep, after = chunk.partition(_CLOSE)
        if sep:
            parts.append((inside, True))
            if after:
                parts.append((after, False))
        elif chunk:
            parts.append((chunk, False))
    snippet = "".join(f"[{text}]" if hit else text for text, hit in parts)
    return SearchHit(
        restored(row[0]),
        restored(row[1]),
        row[2],
        snippet,
        row[4],
        row[5],
        row[6],
        row[7],
        tuple(parts),
    )


def by_source(rows: Sequence[StoredRow]) -> dict[str, list[StoredRow]]:
    if not rows:
        return {}
    first = rows[0].source
    if all(row.source == first for row in rows):
        return {first: list(rows)}
    groups: dict[str, list[StoredRow]] = {}
    for row in rows:
        groups.setdefault(row.source, []).append(row)
    return groups


class BatchPlan(NamedTuple):
    """What one source's rows of a batch do to the store, decided from what it holds:
    both backends write the same plan (docs/architecture.md, "The knowledge store")."""

    new_rows: list[StoredRow]
    changed: list[StoredRow]
    retagged: list[StoredRow]  # same content, new version or owner: no re-indexing
    counts: RunCounts
    touched: set[str]  # owners whose generation the batch bumps


def plan_batch(
    group: Sequence[StoredRow], known: dict[str, tuple[str, Any, str]], owner: str
) -> BatchPlan:
    """Classify ``group`` (rows of one source) against ``known`` (doc_id -> stored hash,
    version, owner): the last row of an id wins, each delivery is counted."""
    inserted = updated = unchanged = 0
    final: dict[str, StoredRow] = {}
    for row in group:
        previous = final.get(row.doc_id)
        seen = previous.content_hash if previous is not None else None
        if seen is None:
            stored = known.get(row.doc_id)
            seen = stored[0] if stored is not None else None
        if seen is None:
            inserted += 1
        elif seen == row.content_hash:
            unchanged += 1
        else:
            updated += 1
        final[row.doc_id] = row
    new_rows, changed, retagged = [], [], []
    for doc_id, row in final.items():
        stored = known.get(doc_id)
        if stored is None:
            new_rows.append(row)
        elif stored[0] != row.content_hash:
            changed.append(row)
        elif stored[1] != row.version or stored[2] != owner:
            retagged.append(row)
    touched: set[str] = set()
    if new_rows or changed or retagged:
        touched.add(owner)
        touched.update(s[2] for s in known.values() if s[2] != owner)
    return BatchPlan(
        new_rows,
        changed,
        retagged,
        RunCounts(inserted=inserted, updated=updated, unchanged=unchanged),
        touched,
    )
