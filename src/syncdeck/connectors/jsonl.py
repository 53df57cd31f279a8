"""A JSON Lines file, one document per line: a snapshot export mirrored each run, or an
append-only log read from the last offset."""

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
from syncdeck.connectors.listing import digest, lookup_versions
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, ListingComplete, Unchanged

TYPE = "jsonl"
MODES = ("snapshot", "log")
CHECKPOINT_EVERY = 500  # lines; also checkpointed before an error and at the end
CHECK_WINDOW = 4096  # bytes at each end of a log's read prefix that identify the file
_INVALID = object()


class JsonlConnector(BaseConnector):
    """Records of a JSON Lines file: a snapshot export (mirrored) or an append-only log.

    ``mode = "snapshot"`` (the default): the file is the whole current export. Every run
    reads every line; a line's version is a digest of its bytes, so only new or edited
    lines become documents (the others are reported unchanged, at the cost of parsing
    their JSON for the id), and the run ends with a complete listing: ids missing from a
    rewritten or truncated file leave the store, subject to the deletion guard. An
    appended file therefore costs a scan and stores only the new lines.

    ``mode = "log"``: the file only grows, and each line is an event. Runs read from the
    cursor's byte offset, so only appended lines are read; nothing is ever deleted. The
    cursor records a digest of the bytes before its offset: a file that is shorter than
    the offset, or whose bytes there changed, was rotated or replaced, and is read again
    from its start (its records re-read are unchanged in the store, and the rotated-away
    records stay).

    In both modes a record whose id appears on several lines ends as its last line. A
    last line without newline is read if it is a whole JSON object; otherwise it is still
    being written and is left for the next run. A complete line that is not a JSON object
    stops the sync with an error naming its line number and offset, after a checkpoint
    covering the lines before it: nothing is deleted by that run. In log mode the message
    gives the cursor that skips the line; in snapshot mode, fix the line.

    The cursor is ``{"offset": <bytes>, "line": <n>, "check": <digest>}``: where the next
    read starts (log) or how far the current pass got (snapshot). In log mode, without a
    cursor, records older than ``since`` (by timestamp_field) are skipped.

    Parameters:
        path: the .jsonl file
        mode: "snapshot" (the file is the whole export: mirrored) or "log" (append-only:
            read from the last offset, nothing deleted)
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
        mode: str = "snapshot",
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
        self.path = checks.source_path(TYPE, "path", path, kind="file")
        self.mode = checks.choice(TYPE, "mode", mode, MODES)
        self.lists_source = self.mode == "snapshot"  # a snapshot run lists every record
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
        # What shapes a document besides the line: a new mapping makes stored versions stale.
        self._variant = digest(repr(self.fields))[:8]

    def describe(self) -> str:
        return f"JSON lines in {self.path} ({self.mode})"

    def check_cursor(self, cursor: str) -> None:
        _decode(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        start = _decode(cursor) if cursor is not None else None
        if not self.path.is_file():
            raise SourceError(
                f"{TYPE}: the file {self.path} is missing (moved, deleted or unmounted?); "
                "nothing was synced and nothing deleted. Restore it, or change 'path'"
            )
        with self.path.open("rb") as fh:
            offset, line_no = 0, 0
            if self.mode == "log":
                if start is not None:
                    since = None
                    offset, line_no = _resume(fh, start)
            else:
                since = None  # a mirror lists every record, whatever its date
            yield from self._read_lines(fh, offset, line_no, since, source)
        if self.mode == "snapshot":
            yield ListingComplete()

    def _read_lines(
        self, fh: BinaryIO, offset: int, line_no: int, since: datetime | None, source: str
    ) -> Iterator[SyncItem]:
        fh.seek(offset)
        seen: set[str] = set()  # ids listed this run: a repeated id is always read
        batch: list[tuple[bytes, dict[str, Any]]] = []
        checkpointed = line_no
        for raw in iter(fh.readline, b""):
            record = _parse(raw)
            if not raw.endswith(b"\n") and not isinstance(record, dict):
                break  # a line still being written: leave it for the next run
            if raw.strip() and not isinstance(record, dict):
                yield from self._flush(batch, seen, source)
                if line_no > checkpointed:
                    yield Checkpoint(self._cursor(fh, offset, line_no))
                raise SourceError(self._bad_line(raw, record, line_no + 1, offset))
            line_no += 1
            offset += len(raw)
            if isinstance(record, dict) and (since is None or not self._older(record, since)):
                batch.append((raw, record))
            if line_no - checkpointed >= CHECKPOINT_EVERY:
                yield from self._flush(batch, seen, source)
                yield Checkpoint(self._cursor(fh, offset, line_no))
                checkpointed = line_no
        yield from self._flush(batch, seen, source)
        if line_no > checkpointed:
            yield Checkpoint(self._cursor(fh, offset, line_no))

    def _flush(
        self, batch: list[tuple[bytes, dict[str, Any]]], seen: set[str], source: str
    ) -> Iterator[SyncItem]:
        """The batch's records: unchanged by version, the others as documents."""
        ids = [self.fields.record_id(record) for _, record in batch]
        known = lookup_versions(self.stored, [doc_id for doc_id in ids if doc_id])
        for (raw, record), doc_id in zip(batch, ids, strict=True):
            version = self._variant + ":" + digest(raw.rstrip(b"\r\n"))
            if doc_id and doc_id not in seen and known.get(doc_id) == version:
                yield Unchanged(doc_id)
            else:
                document = self.fields.document(record, source=source)
                document.version = version
                yield document
            seen.add(doc_id)
        batch.clear()

    def _cursor(self, fh: BinaryIO, offset: int, line_no: int) -> str:
        return encode_cursor(offset=offset, line=line_no, check=_prefix_check(fh, offset))

    def _older(self, record: dict[str, Any], since: datetime) -> bool:
        timestamp = self.fields.timestamp(record)
        return timestamp is not None and timestamp < since

    def _bad_line(self, raw: bytes, record: object, line_no: int, offset: int) -> str:
        problem = "is not valid JSON" if record is _INVALID else "is JSON but not an object"
        where = f"{TYPE}: {self.path} line {line_no} (byte {offset}) {problem}"
        if self.mode == "snapshot":
            return f"{where}; fix the line and sync again (nothing was deleted)"
        after = encode_cursor(offset=offset + len(raw), line=line_no)
        return f"{where}; fix the line, or set the cursor to {after} to skip it, and sync again"


def _decode(cursor: str) -> dict[str, Any]:
    return decode_cursor(
        cursor, connector=TYPE, example='{"offset": 1024, "line": 12}', offset=int, line=int
    )


def _resume(fh: BinaryIO, cursor: dict[str, Any]) -> tuple[int, int]:
    """Where a log run starts: the cursor's position, or the start of a rotated file."""
    offset, line_no = cursor["offset"], cursor["line"]
    check = cursor.get("check")
    if isinstance(check, str):
        size = fh.seek(0, 2)
        if not (0 <= offset <= size and _prefix_check(fh, offset) == check):
            return 0, 0
        fh.seek(max(0, offset - 1))
        around = fh.read(2)
        if offset and around[:1] != b"\n" and around[1:] == b"\n":
            offset += 1  # the newline since added after a last line read without one
        return offset, line_no
    # A cursor from before the check existed: trust it if it sits at a line start.
    where = _cursor_position(fh, offset)
    if where == "lost":
        return 0, 0
    if where == "before_newline":
        fh.seek(offset)
        offset += len(fh.readline())  # the newline completing the last line read
    return offset, line_no


def _prefix_check(fh: BinaryIO, offset: int) -> str:
    """A digest of the bytes that identify the file up to ``offset``: its first and its
    last ``CHECK_WINDOW`` bytes before it (all of them when the prefix is that short)."""
    here = fh.tell()
    try:
        fh.seek(0)
        head = fh.read(min(offset, CHECK_WINDOW))
        tail_start = max(CHECK_WINDOW, offset - CHECK_WINDOW)
        fh.seek(tail_start)
        tail = fh.read(max(0, offset - tail_start))
    finally:
        fh.seek(here)
    return digest(head, tail)


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
