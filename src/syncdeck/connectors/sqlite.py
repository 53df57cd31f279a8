"""Rows of a table (or of a SELECT) in a SQLite database, mirrored: every run lists the
rows in pages by a key and reads in full only the rows whose version changed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.fields import FieldMap, as_text
from syncdeck.connectors.listing import LOOKUP_CHUNK, digest, lookup_versions
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, ListingComplete, Progress, Unchanged
from syncdeck.core.errors import ConfigError

TYPE = "sqlite"
ROWID = "rowid"
_ROWID_ALIAS = "__syncdeck_rowid"  # the table's rowid, selected under a name of ours


@dataclass(slots=True)
class _Listed:
    """One row of a page: where it sits, its document id and its version."""

    key: Any
    row_id: Any
    doc_id: str
    version: str
    record: dict[str, Any] | None = None  # the whole row, when the page read it


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class _PagePlan:
    """The paged query: rows of ``select`` after a (key, id) position, in that order."""

    select: str
    key: str  # column holding the incremental key
    id_column: str
    unique_key: bool  # the key alone orders rows (rowid or the id): no tie-breaker needed
    path: str

    def page(
        self,
        conn: sqlite3.Connection,
        last: tuple[Any, Any] | None,
        size: int,
        columns: str = "*",
    ) -> list[sqlite3.Row]:
        """The next ``size`` rows after ``last``, with ``columns`` (a select list)."""
        key, row_id = quote_identifier(self.key), quote_identifier(self.id_column)
        sql = f"SELECT {columns} FROM ({self.select}) WHERE {key} IS NOT NULL"
        args: list[Any] = []
        if last is not None and self.unique_key:
            sql += f" AND {key} > ?"
            args = [last[0]]
        elif last is not None:
            # Equivalent to (key, id) > (?, ?), written so that an index on key is used.
            sql += f" AND {key} >= ? AND ({key} > ? OR {row_id} > ?)"
            args = [last[0], last[0], last[1]]
        order = key if self.unique_key else f"{key}, {row_id}"
        return self._fetch(conn, f"{sql} ORDER BY {order} LIMIT ?", [*args, size])

    def count(self, conn: sqlite3.Connection) -> int:
        """How many rows a pass lists (COUNT(*)), for the progress hint."""
        key = quote_identifier(self.key)
        sql = f"SELECT count(*) FROM ({self.select}) WHERE {key} IS NOT NULL"
        return int(self._fetch(conn, sql, [])[0][0])

    def rows(
        self, conn: sqlite3.Connection, first: Any, last: Any, ids: list[Any]
    ) -> list[sqlite3.Row]:
        """The full rows of ``ids`` among those whose key is within [first, last]: the key
        range lets SQLite use the key's index even when the id column has none."""
        key, row_id = quote_identifier(self.key), quote_identifier(self.id_column)
        marks = ",".join("?" * len(ids))
        sql = (
            f"SELECT * FROM ({self.select}) WHERE {key} >= ? AND {key} <= ? "
            f"AND {row_id} IN ({marks})"
        )
        return self._fetch(conn, sql, [first, last, *ids])

    def _fetch(self, conn: sqlite3.Connection, sql: str, args: list[Any]) -> list[sqlite3.Row]:
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"{TYPE}: reading {self.path} failed: {exc}") from exc


class SqliteConnector(BaseConnector):
    """Rows of a SQLite table or query, mirrored.

    The database is opened read-only. Every run lists all rows in pages ordered by
    (key_column, id_column), with a checkpoint after each page, and ends with a complete
    listing, so deleted rows leave the store. Each row has a version: with
    ``version_column`` (an ``updated_at`` or revision column) a page first reads only the
    ids, keys and versions, and then the full rows of those whose version is not the
    stored one; without it, every row is read and its version is a digest of its values,
    which still spares the unchanged rows their document and store work. Either way an
    updated row is ingested again even when its key does not move. Rows whose key is NULL
    cannot be placed in the order and are not read.

    The cursor is the (key, id) of the last row of the current pass, for progress: a
    resumed run lists everything again, and what it had stored compares equal.

    Parameters:
        path: the SQLite database file
        table: the table to read (give table or query)
        query: a SELECT whose rows to read instead of a table (it must return key_column)
        id_column: column holding each row's unique id
        key_column: column ordering the pages (default rowid)
        version_column: column that changes whenever the row does, e.g. updated_at ("" to
            use a digest of each row's values, which reads every row every run)
        content_column: column holding the text to index
        title_column: column holding the title ("" for none)
        author_column: column holding the author ("" for none)
        timestamp_column: column holding the time (ISO 8601 text or epoch seconds)
        participants_column: column holding comma-separated participants ("" for none)
        thread_column: column grouping rows into threads ("" for none)
        url_column: column holding a link to the row ("" for none)
        doc_type: the document type stored for each row
        page_size: rows read per page (one checkpoint per page)
    """

    connector_id = TYPE
    display_name = "SQLite table"
    lists_source = True  # every run ends with a complete listing

    def __init__(
        self,
        path: Path,
        table: str = "",
        query: str = "",
        id_column: str = "id",
        key_column: str = ROWID,
        version_column: str = "",
        content_column: str = "content",
        title_column: str = "",
        author_column: str = "",
        timestamp_column: str = "",
        participants_column: str = "",
        thread_column: str = "",
        url_column: str = "",
        doc_type: str = "record",
        page_size: int = 500,
    ) -> None:
        self.path = checks.source_path(TYPE, "path", path, kind="file")
        self.table = checks.text(TYPE, "table", table).strip()
        self.query = checks.text(TYPE, "query", query).strip().rstrip(";").strip()
        if bool(self.table) == bool(self.query):
            raise ConfigError(f"{TYPE}: give exactly one of the parameters 'table' and 'query'")
        self.key_column = checks.text(TYPE, "key_column", key_column, required=True)
        self.version_column = checks.text(TYPE, "version_column", version_column).strip()
        self.page_size = checks.number(TYPE, "page_size", page_size, minimum=1, integer=True)
        self.fields = FieldMap.from_params(
            TYPE,
            id_column=id_column,
            content_column=content_column,
            title_column=title_column,
            author_column=author_column,
            timestamp_column=timestamp_column,
            participants_column=participants_column,
            thread_column=thread_column,
            url_column=url_column,
            doc_type=doc_type,
        )
        # What shapes a document besides the row: a new mapping makes stored versions stale.
        self._variant = digest(repr(self.fields), self.table, self.query)[:8]

    def describe(self) -> str:
        what = f"table {self.table}" if self.table else "a query"
        return f"{what} in {self.path} by {self.key_column}"

    def check_cursor(self, cursor: str) -> None:
        decode_cursor(
            cursor,
            connector=TYPE,
            example='{"key": 42, "id": 42}',
            key=(int, float, str),
            id=(int, float, str, type(None)),
        )

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        if cursor is not None:
            self.check_cursor(cursor)
        conn = self._connect()
        try:
            plan = self._plan(conn)
            total, done = plan.count(conn), 0
            seen: set[str] = set()  # ids listed this run: a repeated id is always read
            last: tuple[Any, Any] | None = None
            while True:
                listed = self._listed_page(conn, plan, last)
                if not listed:
                    break
                known = lookup_versions(self.stored, [entry.doc_id for entry in listed])
                changed: list[_Listed] = []
                for entry in listed:
                    if entry.doc_id in seen or known.get(entry.doc_id) != entry.version:
                        changed.append(entry)
                    seen.add(entry.doc_id)
                records = self._records(conn, plan, listed, changed)
                read = {id(entry) for entry in changed}
                for entry in listed:
                    record = records.get(id(entry))
                    if id(entry) not in read:
                        yield Unchanged(entry.doc_id)
                    elif record is not None:
                        document = self.fields.document(record, source=source)
                        document.version = entry.version
                        yield document
                    elif entry.doc_id in known:
                        # Changed again between the two reads: keep the stored copy, whose
                        # version differs, so the next run reads the row again.
                        yield Unchanged(entry.doc_id)
                last = (listed[-1].key, listed[-1].row_id)
                done += len(listed)
                yield Progress(done, total, "rows")
                yield Checkpoint(self._cursor(last))
                if len(listed) < self.page_size:
                    break
            yield ListingComplete()
        finally:
            conn.close()

    def _listed_page(
        self, conn: sqlite3.Connection, plan: _PagePlan, last: tuple[Any, Any] | None
    ) -> list[_Listed]:
        """The next page: each row's key, id and version (the whole row without a
        version column, since its version is then a digest of its values)."""
        id_field = self.fields.id_field
        if self.version_column:
            columns = ", ".join(
                quote_identifier(c) for c in (plan.key, id_field, self.version_column)
            )
            return [
                _Listed(row[0], row[1], as_text(row[1]).strip(), f"{self._variant}:{row[2]}")
                for row in plan.page(conn, last, self.page_size, columns)
            ]
        listed = []
        for row in plan.page(conn, last, self.page_size):
            record = dict(row)
            key = record.pop(_ROWID_ALIAS) if plan.key == _ROWID_ALIAS else record[plan.key]
            version = f"{self._variant}:{digest(repr(tuple(record.items())))}"
            row_id = record[id_field]
            listed.append(_Listed(key, row_id, as_text(row_id).strip(), version, record))
        return listed

    def _records(
        self,
        conn: sqlite3.Connection,
        plan: _PagePlan,
        listed: list[_Listed],
        changed: list[_Listed],
    ) -> dict[int, dict[str, Any]]:
        """The full record of each changed entry, by ``id()`` of the entry."""
        if not self.version_column:
            return {id(entry): entry.record or {} for entry in changed}
        waiting: dict[tuple[Any, Any], list[_Listed]] = {}
        for entry in changed:
            waiting.setdefault((entry.key, entry.row_id), []).append(entry)
        records: dict[int, dict[str, Any]] = {}
        ids = list(dict.fromkeys(entry.row_id for entry in changed))
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            for row in plan.rows(conn, listed[0].key, listed[-1].key, chunk):
                record = dict(row)
                key = record.pop(_ROWID_ALIAS) if plan.key == _ROWID_ALIAS else record[plan.key]
                entries = waiting.get((key, record[self.fields.id_field]))
                if entries:
                    records[id(entries.pop(0))] = record
        return records

    def _connect(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise SourceError(
                f"{TYPE}: the database {self.path} is missing (moved, deleted or unmounted?); "
                "nothing was synced and nothing deleted. Restore it, or change 'path'"
            )
        uri = f"file:{quote(str(self.path))}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=10.0, check_same_thread=False)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.Error as exc:
            raise SourceError(f"{TYPE}: cannot read {self.path}: {exc}") from exc
        conn.row_factory = sqlite3.Row
        return conn

    def _plan(self, conn: sqlite3.Connection) -> _PagePlan:
        """How to page through the rows, after checking that the columns exist."""
        param = "table" if self.table else "query"
        if self.table:
            exists = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
                (self.table,),
            ).fetchone()
            if not exists:
                raise ConfigError(
                    f"{TYPE}: parameter 'table': no table {self.table!r} in {self.path}"
                )
            table = quote_identifier(self.table)
            names = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            if self.key_column == ROWID and ROWID not in names:
                select = f"SELECT {ROWID} AS {_ROWID_ALIAS}, * FROM {table}"
            else:
                select = f"SELECT * FROM {table}"
        else:
            select = f"SELECT * FROM ({self.query})"
        try:
            described = conn.execute(f"SELECT * FROM ({select}) LIMIT 0").description
        except sqlite3.Error as exc:
            hint = "; set key_column (views and WITHOUT ROWID tables have no rowid)"
            raise ConfigError(
                f"{TYPE}: parameter {param!r} cannot be read: {exc}"
                + (hint if "rowid" in str(exc) else "")
            ) from exc
        columns = [d[0] for d in described]
        key = _ROWID_ALIAS if _ROWID_ALIAS in columns else self.key_column
        for name, column in (("key_column", key), ("id_column", self.fields.id_field)):
            if column not in columns:
                shown = ", ".join(c for c in columns if c != _ROWID_ALIAS)
                raise ConfigError(
                    f"{TYPE}: parameter {name!r}: no column {column!r} in the {param} "
                    f"(columns: {shown})"
                )
        unique = key in (_ROWID_ALIAS, self.fields.id_field)
        return _PagePlan(select, key, self.fields.id_field, unique, str(self.path))

    def _cursor(self, last: tuple[Any, Any]) -> str:
        key, row_id = last
        if not isinstance(key, (int, float, str)) or isinstance(row_id, bytes):
            raise SourceError(
                f"{TYPE}: key_column {self.key_column!r} and id_column "
                f"{self.fields.id_field!r} must hold numbers or text, not {type(key).__name__}"
            )
        return encode_cursor(key=key, id=row_id)
