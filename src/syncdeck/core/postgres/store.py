"""The knowledge store in PostgreSQL: the same contract as the SQLite store
(docs/architecture.md, "The knowledge store", "PostgreSQL backend"). A batch is one
transaction - new rows by ``COPY``, changed ones by a pipelined update - and the state
commit that moves the cursor can run inside it (``write(..., then=...)``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from syncdeck.core.backend import BatchHook
from syncdeck.core.counters import RunCounts
from syncdeck.core.database import STORE
from syncdeck.core.documents import as_utc
from syncdeck.core.errors import DatabaseCorruptError, DatabaseError, DatabaseUnavailableError
from syncdeck.core.postgres import schema
from syncdeck.core.postgres.connection import RETRY_FOR, Server, Session
from syncdeck.core.postgres.search import plain_words, tsquery
from syncdeck.core.postgres.snippets import HEADLINE_OPTIONS, MARGIN, OPENING, framed
from syncdeck.core.postgres.text import (
    key_from_pg,
    key_to_pg,
    text_from_pg,
    text_from_pg_or_none,
    text_to_pg,
    text_to_pg_or_none,
)
from syncdeck.core.store import (
    RECENT_PREVIEW,
    ROW_COLUMNS,
    SearchHit,
    StoredRow,
    StoredView,
    StoreIdentity,
    _hit,
    by_pages,
    by_source,
    plan_batch,
)
from syncdeck.core.text import ESCAPE, restored, storable

_COLUMNS = ", ".join(f'"{c}"' if c == "timestamp" else c for c in ROW_COLUMNS)
_COPY = f"COPY documents ({_COLUMNS}, connector) FROM STDIN"
_UPDATE = (
    "UPDATE documents SET doc_type=%s, title=%s, content=%s, author=%s, participants=%s, "
    '"timestamp"=%s, thread_id=%s, url=%s, metadata=%s, content_hash=%s, version=%s, '
    "connector=%s WHERE source=%s AND doc_id=%s"
)
_RETAG = "UPDATE documents SET version=%s, connector=%s WHERE source=%s AND doc_id=%s"
_BUMP = (  # returns the connector's tally after the batch, saving a round trip
    "INSERT INTO connectors AS c (connector, generation) VALUES (%s, 1) "
    "ON CONFLICT (connector) DO UPDATE SET generation = c.generation + 1 "
    "RETURNING documents, generation"
)
_KNOWN = (
    "SELECT doc_id, content_hash, version, connector FROM documents "
    "WHERE source = %s AND doc_id = ANY(%s)"
)
_TALLY = "SELECT documents, generation FROM connectors WHERE connector = %s"
# ts_rank's weights are {D, C, B, A}: content (C) below author (B) below title (A), as
# SQLite's bm25(10, 1, 2) ranks them.
_WEIGHTS = "'{0.1, 0.1, 0.2, 1.0}'"


class PostgresStore:
    """The knowledge store in a PostgreSQL database (``KnowledgeStore("postgresql://...")``
    returns one)."""

    def __init__(
        self,
        url: str,
        *,
        lock_timeout: float = 5.0,
        retry_for: float = RETRY_FOR,
        max_bytes: int | None = None,
    ) -> None:
        if max_bytes is not None:
            raise ValueError(
                "max_bytes caps a SQLite file; limit a PostgreSQL database on the server"
            )
        self.server = Server.parse(url)
        self.path = self.server.label
        timeout_ms = max(1, int(lock_timeout * 1000))

        def setup(conn: Any) -> None:
            conn.execute(f"SET lock_timeout = {timeout_ms}")

        self._session = Session(self.server, STORE, retry_for=retry_for, on_connect=setup)
        self._closed = False
        try:
            self._session.run(lambda conn: None)  # connect (and say so clearly if not)
            conn = self._session.connection()
            schema.ensure(
                conn,
                self.path,
                STORE,
                "store",
                schema.STORE_SCHEMA,
                schema.STORE_VERSION,
            )
            self.store_id: str = self._read_one(
                "SELECT value FROM store_meta WHERE key = 'store_id'"
            )[0]
        except BaseException as exc:
            self._session.close()
            if isinstance(exc, Exception) and not hasattr(exc, "path"):
                from syncdeck.core.postgres.connection import translate

                raise translate(exc, self.server, STORE) from None
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({self.server.masked_url!r})"

    @property
    def session(self) -> Session:
        return self._session

    # -- writing -----------------------------------------------------------------------

    def write(
        self,
        rows: Sequence[StoredRow],
        *,
        connector: str | None = None,
        deletions: Sequence[str] = (),
        then: BatchHook | None = None,
    ) -> RunCounts:
        """Upsert ``rows`` and delete ``deletions`` of ``connector`` in one transaction;
        ``then`` runs inside it (with the open connection), so a checkpoint committed by
        it commits with the batch or not at all."""
        if not rows and not deletions and then is None:
            return RunCounts()
        groups = by_source(rows)

        def operation(conn: Any) -> RunCounts:
            total = RunCounts()
            touched: set[str] = set()
            for source, group in groups.items():
                owner = connector if connector is not None else source
                plan = plan_batch(group, self._known(conn, source, group), owner)
                total = total + plan.counts
                if plan.new_rows:
                    with conn.cursor().copy(_COPY) as copy:
                        for row in plan.new_rows:
                            copy.write_row((*_pg_row(row), owner))
                cur = conn.cursor()
                if plan.changed:
                    cur.executemany(
                        _UPDATE,
                        [(*(r := _pg_row(row))[2:], owner, r[0], r[1]) for row in plan.changed],
                    )
                if plan.retagged:
                    cur.executemany(
                        _RETAG,
                        [
                            (
                                text_to_pg_or_none(r.version),
                                owner,
                                key_to_pg(r.source),
                                key_to_pg(r.doc_id),
                            )
                            for r in plan.retagged
                        ],
                    )
                touched.update(plan.touched)
            deleted = 0
            if deletions and connector is not None:
                deleted = conn.execute(
                    "DELETE FROM documents WHERE connector = %s AND doc_id = ANY(%s)",
                    (connector, [key_to_pg(key) for key in dict.fromkeys(deletions)]),
                ).rowcount
                if deleted:
                    touched.add(connector)
            tallies = {}
            for owner in sorted(touched):  # a fixed order: no deadlock between writers
                tallies[owner] = conn.execute(_BUMP, (owner,)).fetchone()
            counts = total + RunCounts(deleted=deleted)
            if then is not None:
                changed = counts.inserted or counts.updated or counts.deleted
                tally = None
                if changed and connector:
                    row = tallies.get(connector)
                    tally = (row[0], row[1]) if row else self._tally(conn, connector)
                then(counts, tally, conn)
            return counts

        return self._session.run(operation)

    @staticmethod
    def _known(conn: Any, source: str, rows: list[StoredRow]) -> dict[str, tuple[str, Any, str]]:
        ids = [key_to_pg(doc_id) for doc_id in dict.fromkeys(row.doc_id for row in rows)]
        return {
            key_from_pg(doc_id): (content_hash, text_from_pg_or_none(version), owner)
            for doc_id, content_hash, version, owner in conn.execute(
                _KNOWN, (key_to_pg(source), ids)
            )
        }

    @staticmethod
    def _tally(conn: Any, connector: str) -> tuple[int, int]:
        row = conn.execute(_TALLY, (connector,)).fetchone()
        return (row[0], row[1]) if row else (0, 0)

    def delete(
        self, connector: str, doc_ids: Iterable[str], *, then: BatchHook | None = None
    ) -> int:
        """Delete documents of ``connector`` (by stored key, see :meth:`keys`) in one
        transaction (``then`` inside it)."""
        ids = [key_to_pg(key) for key in dict.fromkeys(doc_ids)]

        def operation(conn: Any) -> int:
            deleted = 0
            if ids:
                deleted = conn.execute(
                    "DELETE FROM documents WHERE connector = %s AND doc_id = ANY(%s)",
                    (connector, ids),
                ).rowcount
            if deleted:
                conn.execute(_BUMP, (connector,))
            if then is not None:
                then(RunCounts(deleted=deleted), self._tally(conn, connector), conn)
            return deleted

        if not ids and then is None:
            return 0
        return self._session.run(operation)

    def forget(self, connector: str) -> int:
        def operation(conn: Any) -> int:
            deleted = conn.execute(
                "DELETE FROM documents WHERE connector = %s", (connector,)
            ).rowcount
            conn.execute("DELETE FROM connectors WHERE connector = %s", (connector,))
            return deleted

        return self._session.run(operation)

    def delete_source(self, source: str) -> int:
        return self._session.run(
            lambda conn: (
                conn.execute(
                    "DELETE FROM documents WHERE source = %s", (key_to_pg(storable(source)),)
                ).rowcount
            )
        )

    # -- what a connector has here -------------------------------------------------------

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self._session.run(lambda conn: conn.execute(sql, params).fetchall())

    def _read_one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._read(sql, params)
        return rows[0] if rows else None

    def documents_of(self, connector: str) -> int:
        row = self._read_one("SELECT documents FROM connectors WHERE connector = %s", (connector,))
        return int(row[0]) if row else 0

    def tally(self, connector: str) -> tuple[int, int]:
        return self._session.run(lambda conn: self._tally(conn, connector))

    def identity(self, connector: str) -> StoreIdentity:
        return StoreIdentity(self.store_id, self.tally(connector)[1])

    def versions(self, connector: str, doc_ids: Iterable[str]) -> dict[str, str | None]:
        """doc_id -> stored version, for those of ``doc_ids`` that ``connector`` has."""
        keys = {key_to_pg(storable(doc_id)): doc_id for doc_id in doc_ids}
        if not keys:
            return {}
        rows = self._read(
            "SELECT doc_id, version FROM documents WHERE connector = %s AND doc_id = ANY(%s)",
            (connector, list(keys)),
        )
        return {keys[key]: text_from_pg_or_none(version) for key, version in rows}

    def ids(self, connector: str) -> list[str]:
        """Every document id ``connector`` has in the store."""
        return [restored(key) for key in self.keys(connector)]

    def keys(self, connector: str) -> list[str]:
        """The ids of ``connector``'s documents as the engine keys them (core.text)."""
        rows = self._read("SELECT doc_id FROM documents WHERE connector = %s", (connector,))
        return [key_from_pg(row[0]) for row in rows]

    def digests(self, connector: str) -> dict[tuple[str, str], str]:
        """``(source, doc_id) -> content hash`` of every document of ``connector`` (keys as
        the engine has them)."""
        rows = self._read(
            "SELECT source, doc_id, content_hash FROM documents WHERE connector = %s", (connector,)
        )
        return {(key_from_pg(src), key_from_pg(doc)): digest for src, doc, digest in rows}

    def view(self, connector: str) -> StoredView:
        return StoredView(self, connector)

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
        """Ranked hits within the SQLite store's filters (source, document type, a
        case-insensitive part of the author, ``since`` included, ``until`` excluded), with
        snippets marked and framed as FTS5 marks them (core.postgres.snippets); the query
        language is the SQLite store's (core.postgres.search).

        The ranking differs: ``ts_rank`` weighs title above author above content as
        bm25(10, 1, 2) does, but counts matches without BM25's rarity of a word across the
        store or its discount for long documents, so hits of equal standing on SQLite may
        come in another order here (ties: oldest stored first). ``score`` is the negated
        rank, so lower is better on both backends.
        """
        if not query.strip():
            return []
        where = _filters(source, doc_type, author, since, until)
        try:
            return self._search(*tsquery(query), limit, where)
        except DatabaseUnavailableError:
            raise
        except DatabaseError:
            return self._search(*plain_words(query), limit, where)

    def _search(
        self, expression: str, params: list[str], limit: int, where: _Where
    ) -> list[SearchHit]:
        sql = (
            f"WITH q AS (SELECT {expression} AS query), "
            f"top AS (SELECT d.id, ts_rank({_WEIGHTS}, d.search, q.query) AS rank "
            f"FROM documents d, q WHERE d.search @@ q.query{where.sql} "
            "ORDER BY rank DESC, d.id LIMIT %s), "
            f"lit AS (SELECT top.id, top.rank, ts_headline('simple', "
            f"left(d.content, {schema.INDEXED_CHARS}), q.query, %s) AS h "
            "FROM top JOIN documents d USING (id), q) "
            'SELECT d.source, d.doc_id, d.title, lit.h, -lit.rank, d."timestamp", d.author, '
            f"d.doc_type, f.at, substr(d.content, greatest(1, f.at - {MARGIN}), "
            f"least(greatest(f.at - 1, 0), {MARGIN})), "
            f"substr(d.content, f.at + length(p.plain), {MARGIN + 1}), "
            f"CASE WHEN strpos(lit.h, chr(2)) = 0 THEN left(d.content, {OPENING + 1}) END "
            "FROM lit JOIN documents d USING (id) "
            "CROSS JOIN LATERAL (SELECT replace(replace(lit.h, chr(2), ''), chr(3), '') "
            "AS plain) p "
            "CROSS JOIN LATERAL (SELECT strpos(d.content, p.plain) AS at) f "
            "ORDER BY lit.rank DESC, d.id"
        )
        rows = self._read(sql, [*params, *where.params, limit, HEADLINE_OPTIONS])
        return [
            _pg_hit(r[:3], framed(r[3], r[8], r[9], r[10], r[11]), float(r[4]), r[5:8])
            for r in rows
        ]

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
        """The newest documents (by timestamp, then newest stored) within the filters of
        :meth:`search`, without a query."""
        where = _filters(source, doc_type, author, since, until)
        sql = (
            "SELECT d.source, d.doc_id, d.title, CASE WHEN starts_with(d.content, %s) "
            f"THEN d.content ELSE left(d.content, {RECENT_PREVIEW}) END, "
            'd."timestamp", d.author, d.doc_type FROM documents d '
            f'WHERE TRUE{where.sql} ORDER BY d."timestamp" DESC, d.id DESC LIMIT %s'
        )
        rows = self._read(sql, [ESCAPE, *where.params, limit])
        return [_pg_hit(r[:3], text_from_pg(r[3])[:RECENT_PREVIEW], 0.0, r[4:7]) for r in rows]

    def doc_types(self, source: str | None = None) -> dict[str, int]:
        """Document types and how many documents of each (most first, then by name in
        code-point order, as SQLite sorts them)."""
        where = " WHERE source = %s" if source is not None else ""
        rows = self._read(
            f"SELECT doc_type, count(*) AS n FROM documents{where} "
            'GROUP BY doc_type ORDER BY n DESC, doc_type COLLATE "C"',
            (key_to_pg(storable(source)),) if source is not None else (),
        )
        return {text_from_pg(kind): int(n) for kind, n in rows}

    def get(self, source: str, doc_id: str) -> dict[str, Any] | None:
        row = self._read_one(
            f"SELECT {_RECORD_COLUMNS} FROM documents WHERE source = %s AND doc_id = %s",
            (key_to_pg(storable(source)), key_to_pg(storable(doc_id))),
        )
        return None if row is None else _record(row)

    def export(self, connector: str, *, page: int = 500) -> Iterator[dict[str, Any]]:
        """Every document ``connector`` stored, oldest stored first, as :meth:`get` gives
        them, a page per short transaction (as on SQLite: no snapshot across pages, so a
        sync running meanwhile may add to or remove from what follows)."""
        sql = (
            f"SELECT id, {_RECORD_COLUMNS} FROM documents WHERE connector = %s AND id > %s "
            "ORDER BY id LIMIT %s"
        )
        for row in by_pages(lambda last: self._read(sql, (connector, last, page)), page):
            yield _record(row)

    def count(self, source: str | None = None) -> int:
        if source is None:
            return int(self._read_one("SELECT count(*) FROM documents")[0])
        return int(
            self._read_one(
                "SELECT count(*) FROM documents WHERE source = %s", (key_to_pg(storable(source)),)
            )[0]
        )

    def sources(self) -> dict[str, int]:
        rows = self._read(
            'SELECT source, count(*) FROM documents GROUP BY source ORDER BY source COLLATE "C"'
        )
        return {restored(key_from_pg(source)): int(n) for source, n in rows}

    def check_index(self) -> None:
        """Raise if the per-connector counts the triggers keep disagree with the documents
        (the full-text column is generated, so it cannot drift)."""
        rows = self._read(
            "SELECT coalesce(c.connector, d.connector), coalesce(c.documents, 0), "
            "coalesce(d.n, 0) FROM connectors c FULL JOIN "
            "(SELECT connector, count(*) AS n FROM documents GROUP BY connector) d "
            "ON c.connector = d.connector WHERE coalesce(c.documents, 0) <> coalesce(d.n, 0)"
        )
        if rows:
            raise DatabaseCorruptError(
                self.path, f"the knowledge store's document counts disagree: {rows[:5]}"
            )

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self._closed = True
        self._session.close()

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_RECORD_FIELDS = (*ROW_COLUMNS, "connector", "ingested_at")
_RECORD_COLUMNS = f"{_COLUMNS}, connector, ingested_at"


def _stamp(value: datetime) -> str:
    """``ingested_at`` as the SQLite store writes it (``strftime('%Y-%m-%dT%H:%M:%fZ')``),
    so an export reads the same from either backend."""
    utc = as_utc(value)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _record(row: Sequence[Any]) -> dict[str, Any]:
    """A stored document as the SQLite store's ``get`` gives it: ids restored, text
    unescaped, JSON fields decoded, times as ISO text in UTC."""
    record = {
        name: text_from_pg(value) if isinstance(value, str) else value
        for name, value in zip(_RECORD_FIELDS, row, strict=True)
    }
    record["source"] = restored(key_from_pg(row[0]))
    record["doc_id"] = restored(key_from_pg(row[1]))
    record["timestamp"] = as_utc(record["timestamp"]).isoformat()
    record["ingested_at"] = _stamp(record["ingested_at"])
    record["participants"] = json.loads(record["participants"])
    record["metadata"] = json.loads(record["metadata"])
    return record


def _pg_hit(ids: Sequence[str], snippet: str, score: float, details: Sequence[Any]) -> SearchHit:
    """A hit from ``(source, doc_id, title)``, a marked snippet and ``(timestamp, author,
    doc_type)`` as PostgreSQL returns them."""
    source, doc_id, title = ids
    timestamp, author, doc_type = details
    return _hit(
        (
            key_from_pg(source),
            key_from_pg(doc_id),
            text_from_pg(title),
            snippet,
            score,
            as_utc(timestamp).isoformat(),
            text_from_pg(author),
            text_from_pg(doc_type),
        )
    )


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
    """The search filters, meaning what they mean on SQLite: the author's case folded in
    ASCII only (SQLite's ``lower``, hence ``COLLATE "C"``), times compared in UTC."""
    sql: list[str] = []
    params: list[Any] = []
    if source is not None:
        sql.append("d.source = %s")
        params.append(key_to_pg(storable(source)))
    if doc_type is not None:
        sql.append("d.doc_type = %s")
        params.append(text_to_pg(doc_type))
    if author:
        sql.append('strpos(lower(d.author COLLATE "C"), lower(%s::text COLLATE "C")) > 0')
        params.append(author)
    if since is not None:
        sql.append('d."timestamp" >= %s')
        params.append(as_utc(since))
    if until is not None:
        sql.append('d."timestamp" < %s')
        params.append(as_utc(until))
    return _Where("".join(f" AND {part}" for part in sql), params)


def _pg_row(row: StoredRow) -> tuple[Any, ...]:
    """``row`` with what PostgreSQL cannot hold escaped (core.postgres.text)."""
    return (
        key_to_pg(row[0]),
        key_to_pg(row[1]),
        *(text_to_pg(v) if type(v) is str else v for v in row[2:11]),
        row[11],
        text_to_pg_or_none(row[12]),
    )
