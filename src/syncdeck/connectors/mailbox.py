"""Mail from an mbox file or a Maildir folder, one document per message."""

from __future__ import annotations

import hashlib
import mailbox
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.mail_message import message_document
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document
from syncdeck.core.errors import ConfigError

TYPE = "mailbox"
FORMATS = ("auto", "mbox", "maildir")


class MailboxConnector(BaseConnector):
    """Messages of an mbox file or a Maildir folder.

    doc_id is the Message-ID (or a hash of the raw message when it has none), thread_id the
    root of References / In-Reply-To. A malformed message still yields what can be read;
    its parser defects are listed in metadata["defects"].

    Cursor: for mbox, the number of messages done plus a digest of the last one, so a
    rewritten file (messages deleted or compacted) is detected and read again from the
    start (re-delivered messages are no-ops in the store). For Maildir, the last message
    key done in sorted order: Maildir names start with the delivery time, so new mail sorts
    after it. ``since`` (the Date header) only filters a run that starts without a cursor.

    Parameters:
        path: an mbox file or a Maildir folder (with cur/ and new/)
        format: "mbox", "maildir" or "auto" (a folder is a Maildir, a file an mbox)
    """

    connector_id = TYPE
    display_name = "Mailbox"

    def __init__(self, path: Path, format: str = "auto") -> None:
        self.path = checks.existing_path(TYPE, "path", path, kind="any")
        checks.choice(TYPE, "format", format, FORMATS)
        if format == "auto":
            format = "maildir" if self.path.is_dir() else "mbox"
        if format == "maildir" and not (self.path / "cur").is_dir():
            raise ConfigError(
                f"{TYPE}: parameter 'path': {self.path} is not a Maildir (no cur/ folder)"
            )
        if format == "mbox" and not self.path.is_file():
            raise ConfigError(f"{TYPE}: parameter 'path': {self.path} is not an mbox file")
        self.format = format

    def describe(self) -> str:
        return f"{self.format} {self.path}"

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        source = self.connector_id or TYPE
        since = since if cursor is None else None
        if self.format == "mbox":
            yield from self._sync_mbox(source, since, cursor)
        else:
            yield from self._sync_maildir(source, since, cursor)

    def _sync_mbox(
        self, source: str, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        self._check_mbox_header()
        box = mailbox.mbox(self.path, create=False)
        try:
            keys = box.keys()
            start = 0 if cursor is None else _resume_index(box, keys, cursor)
            file_time = datetime.fromtimestamp(self.path.stat().st_mtime, UTC)
            for index in range(start, len(keys)):
                raw = box.get_bytes(keys[index], from_=True)
                from_line, _, message = raw.partition(b"\n")
                document = message_document(
                    message,
                    source=source,
                    fallback_time=lambda line=from_line: _from_line_time(line) or file_time,
                )
                if since is None or document.timestamp >= since:
                    yield document
                yield Checkpoint(encode_cursor(count=index + 1, check=_digest(raw)))
        finally:
            box.close()

    def _check_mbox_header(self) -> None:
        with self.path.open("rb") as fh:
            head = fh.read(4096).lstrip(b"\r\n")
        if head and not head.startswith(b"From "):
            raise SourceError(
                f"{TYPE}: {self.path} does not start with a 'From ' line, so it is not an "
                "mbox file; check the path or set format"
            )

    def _sync_maildir(
        self, source: str, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        last = None
        if cursor is not None:
            last = decode_cursor(
                cursor, connector=TYPE, example='{"key": "1714550400.M1P2.host"}', key=str
            )["key"]
        box = mailbox.Maildir(self.path, factory=None, create=False)
        try:
            for key in sorted(box.keys()):
                if last is not None and key <= last:
                    continue
                try:
                    raw = box.get_bytes(key)
                except (KeyError, FileNotFoundError):
                    continue  # moved or deleted since the listing
                document = message_document(
                    raw,
                    source=source,
                    fallback_time=lambda key=key: _delivery_time(box, key),
                    location={"key": key},
                )
                if since is None or document.timestamp >= since:
                    yield document
                yield Checkpoint(encode_cursor(key=key))
        finally:
            box.close()


def _delivery_time(box: mailbox.Maildir, key: str) -> datetime:
    """When a Maildir message arrived: its file's modification time."""
    try:
        return datetime.fromtimestamp(box.get_message(key).get_date(), UTC)
    except (KeyError, FileNotFoundError):
        return datetime.now(UTC)


def _resume_index(box: mailbox.mbox, keys: list[str], cursor: str) -> int:
    """Messages the cursor covers, or 0 when the file no longer matches it (rewritten)."""
    done = decode_cursor(
        cursor, connector=TYPE, example='{"count": 12, "check": "9f2c..."}', count=int, check=str
    )
    count = done["count"]
    if 0 < count <= len(keys):
        last = box.get_bytes(keys[count - 1], from_=True)
        if _digest(last) == done["check"]:
            return count
    return 0


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:20]


def _from_line_time(from_line: bytes) -> datetime | None:
    """The delivery time an mbox ``From sender Mon Jan  1 00:00:00 2024`` line records."""
    fields = from_line.decode("ascii", errors="replace").split()
    try:
        stamp = datetime.strptime(" ".join(fields[-5:]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC)
