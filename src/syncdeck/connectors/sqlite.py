"""Rows of a table (or of a SELECT) in a SQLite database, read incrementally by a key."""

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
from syncdeck.connectors.fields import FieldMap
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document
from syncdeck.core.errors import ConfigError

TYPE = "sqlite"
ROWID = "rowid"
_ROWID_ALIAS = "__syncdeck_rowid"  # the table's rowid, selected under a name of ours


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
        self, conn: sqlite3.Connection, last: tuple[Any, Any] | None, size: int
    ) -> list[sqlite3.Row]:
        key, row_id = quote_identifier(self.key), quote_identifier(self.id_column)
        sql = f"SELECT * FROM ({self.select}) WHERE {key} IS NOT NULL"
        args: list[Any] = []
        if last is not None and self.unique_key:
            sql += f" AND {key} > ?"
            args = [last[0]]
        elif last is not None:
            # Equivalent to (key, id) > (?, ?), written so that an index on key is used.
            sql += f" AND {key} >= ? AND ({key} > ? OR {row_id} > ?)"
            args = [last[0], last[0], last[1]]
        order = key if self.unique_key else f"{key}, {row_id}"
        try:
            return conn.execute(f"{sql} ORDER BY {order} LIMIT ?", [*args, size]).fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"{TYPE}: reading {self.path} failed: {exc}") from exc


class SqliteConnector(BaseConnector):
    """Rows of a SQLite table or query, in order of an incremental key.

    The database is opened read-only. Rows are read in pages ordered by (key_column,
    id_column); the cursor is the (key, id) of the last row done, JSON-encoded so numbers
    stay numbers, with a checkpoint after each page. Use an ``updated_at``-style key to
    have edited rows synced again; with the default (rowid) only new rows are. Rows whose
    key is NULL cannot be placed in that order and are not read. Without a cursor, rows
    older than ``since`` (by timestamp_column) are skipped.

    Parameters:
        path: the SQLite database file
        table: the table to read (give table or query)
        query: a SELECT whose rows to read instead of a table (it must return key_column)
        id_column: column holding each row's unique id
        key_column: column whose increasing value orders the sync (default rowid)
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

    def __init__(
        self,
        path: Path,
        table: str = "",
        query: str = "",
        id_column: str = "id",
        key_column: str = ROWID,
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
        self.path = checks.existing_path(TYPE, "path", path, kind="file")
        self.table = checks.text(TYPE, "table", table).strip()
        self.query = checks.text(TYPE, "query", query).strip().rstrip(";").strip()
        if bool(self.table) == bool(self.query):
            raise ConfigError(f"{TYPE}: give exactly one of the parameters 'table' and 'query'")
        self.key_column = checks.text(TYPE, "key_column", key_column, required=True)
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

    def describe(self) -> str:
        what = f"table {self.table}" if self.table else "a query"
        return f"{what} in {self.path} by {self.key_column}"

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        source = self.connector_id or TYPE
        last: tuple[Any, Any] | None = None
        if cursor is not None:
            since = None
            value = decode_cursor(
                cursor,
                connector=TYPE,
                example='{"key": 42, "id": 42}',
                key=(int, float, str),
                id=(int, float, str, type(None)),
            )
            last = (value["key"], value["id"])
        conn = self._connect()
        try:
            plan = self._plan(conn)
            while True:
                rows = plan.page(conn, last, self.page_size)
                for row in rows:
                    record = dict(row)
                    record.pop(_ROWID_ALIAS, None)
                    if since is None or not self._older(record, since):
                        yield self.fields.document(record, source=source)
                if not rows:
                    break
                last = (rows[-1][plan.key], rows[-1][self.fields.id_field])
                yield Checkpoint(self._cursor(last))
                if len(rows) < self.page_size:
                    break
        finally:
            conn.close()

    def _older(self, record: dict[str, Any], since: datetime) -> bool:
        timestamp = self.fields.timestamp(record)
        return timestamp is not None and timestamp < since

    def _connect(self) -> sqlite3.Connection:
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
