"""A JSON Lines file (an export or an append-only log), one document per line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.fields import FieldMap
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document

TYPE = "jsonl"
CHECKPOINT_EVERY = 100  # lines; also checkpointed before an error and at the end
_INVALID = object()


class JsonlConnector(BaseConnector):
    """Records of a JSON Lines file, read incrementally by byte offset.

    The cursor is the byte offset just after the last complete line read (with its line
    number, for messages), so lines appended later are picked up next run. A last line
    without newline is read if it is a whole JSON object; otherwise it is still being
    written and is left for the next run. A complete line that is not a JSON object
    stops the sync with an error naming its line number and offset, after a checkpoint
    covering every line before it; fix the line (or set the cursor past it, as the
    error says) and sync again.

    Without a cursor, records older than ``since`` (by timestamp_field) are skipped; with
    one, the offset alone decides. A file that shrank below the cursor was replaced and is
    read from the start (re-delivered records are no-ops in the store).

    Parameters:
        path: the .jsonl file
        id_field: field holding the record's unique id (dotted paths reach nested fields)
        content_field: field holding the text to index
        title_field: field holding the title ("" for none)
        author_field: field holding the author ("" for none)
        timestamp_field: field holding the time (ISO 8601 text or epoch seconds/ms)
        participants_field: field holding a list (or comma-separated text) of participants
        thread_field: field grouping records into threads, e.g. a channel ("" for none)
        url_field: field holding a link to the record ("" for none)
        doc_type: the document type stored for each record
    """

    connector_id = TYPE
    display_name = "JSON Lines file"

    def __init__(
        self,
        path: Path,
        id_field: str = "id",
        content_field: str = "text",
        title_field: str = "",
        author_field: str = "user",
        timestamp_field: str = "ts",
        participants_field: str = "",
        thread_field: str = "",
        url_field: str = "",
        doc_type: str = "message",
    ) -> None:
        self.path = checks.existing_path(TYPE, "path", path, kind="file")
        self.fields = FieldMap.from_params(
            TYPE,
            id_field=id_field,
            content_field=content_field,
            title_field=title_field,
            author_field=author_field,
            timestamp_field=timestamp_field,
            participants_field=participants_field,
            thread_field=thread_field,
            url_field=url_field,
            doc_type=doc_type,
        )

    def describe(self) -> str:
        return f"JSON lines in {self.path}"

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        source = self.connector_id or TYPE
        offset, line_no = 0, 0
        if cursor is not None:
            since = None
            value = decode_cursor(
                cursor, connector=TYPE, example='{"offset": 1024, "line": 12}', offset=int, line=int
            )
            offset, line_no = value["offset"], value["line"]
        with self.path.open("rb") as fh:
            where = _cursor_position(fh, offset)
            if where == "lost":
                offset, line_no = 0, 0  # the file was replaced or truncated: read it again
            fh.seek(offset)
            if where == "before_newline":
                offset += len(fh.readline())  # the newline completing the last line read
            pending = 0  # lines read since the last checkpoint
            for raw in iter(fh.readline, b""):
                record = _parse(raw)
                if not raw.endswith(b"\n") and not isinstance(record, dict):
                    break  # a line still being written: leave it for the next run
                line_no += 1
                if raw.strip():
                    if not isinstance(record, dict):
                        if pending:
                            yield Checkpoint(encode_cursor(offset=offset, line=line_no - 1))
                        raise SourceError(self._bad_line(raw, record, line_no, offset))
                    if since is None or not self._older(record, since):
                        yield self.fields.document(record, source=source)
                offset += len(raw)
                pending += 1
                if pending == CHECKPOINT_EVERY:
                    yield Checkpoint(encode_cursor(offset=offset, line=line_no))
                    pending = 0
            if pending:
                yield Checkpoint(encode_cursor(offset=offset, line=line_no))

    def _older(self, record: dict[str, Any], since: datetime) -> bool:
        timestamp = self.fields.timestamp(record)
        return timestamp is not None and timestamp < since

    def _bad_line(self, raw: bytes, record: object, line_no: int, offset: int) -> str:
        problem = "is not valid JSON" if record is _INVALID else "is JSON but not an object"
        after = encode_cursor(offset=offset + len(raw), line=line_no)
        return (
            f"{TYPE}: {self.path} line {line_no} (byte {offset}) {problem}; fix the line, or "
            f"set the cursor to {after} to skip it, and sync again"
        )


def _parse(raw: bytes) -> object:
    """The JSON value of a line, or ``_INVALID`` when it is not valid JSON (or blank)."""
    try:
        return json.loads(raw)
    except ValueError:  # includes UnicodeDecodeError
        return _INVALID


def _cursor_position(fh: BinaryIO, offset: int) -> str:
    """How ``offset`` sits in the file as it is now.

    "start": at the start of a line, as a cursor should be. "before_newline": just after a
    last line that had no newline when it was read (one may have been added since).
    "lost": anywhere else, so the file is not the one the cursor was taken from.
    """
    if offset <= 0:
        return "start" if offset == 0 else "lost"
    fh.seek(offset - 1)
    around = fh.read(2)
    if around[:1] == b"\n":
        return "start"
    if len(around) == 1 or around[1:] == b"\n":
        return "before_newline"
    return "lost"
