"""Mail from an mbox file or a Maildir folder, one document per message."""

from __future__ import annotations

import email
import hashlib
import mailbox
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from typing import Any, cast

from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.html_text import html_to_text
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document, as_utc
from syncdeck.core.errors import ConfigError

TYPE = "mailbox"
FORMATS = ("auto", "mbox", "maildir")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")

# The email package raises a wide range of exception types on malformed input (bad
# charsets, broken encodings, odd headers); one bad message must never stop a sync, so
# the parsing helpers below catch Exception and fall back to what can still be read.


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


def message_document(
    raw: bytes,
    *,
    source: str,
    fallback_time: Callable[[], datetime],
    location: dict[str, Any] | None = None,
) -> Document:
    """The Document for one raw RFC 5322 message, however malformed.

    ``fallback_time`` gives the delivery time, used when the Date header is missing or
    unreadable; ``location`` goes into metadata (a Maildir key; not an mbox index, which
    shifts when the file is compacted and would make every later message look edited).
    """
    msg = cast(EmailMessage, email.message_from_bytes(raw, policy=policy.default))
    own_ids = _ids(_raw_header(msg, "Message-ID"))
    doc_id = own_ids[0] if own_ids else "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
    references = _ids(_raw_header(msg, "References"))
    in_reply_to = _ids(_raw_header(msg, "In-Reply-To"))
    root = references[0] if references else in_reply_to[0] if in_reply_to else doc_id
    metadata: dict[str, Any] = dict(location or {})
    if in_reply_to:
        metadata["in_reply_to"] = in_reply_to[0]
    attachments = _attachments(msg)
    if attachments:
        metadata["attachments"] = attachments
    defects = sorted({type(d).__name__ for part in msg.walk() for d in part.defects})
    content = _body(msg)
    date = _date(msg)
    if date is None:
        defects.append("UnparsableDate")
    if defects:
        metadata["defects"] = defects
    return Document(
        doc_id=doc_id,
        source=source,
        doc_type="email",
        content=content,
        title=_header(msg, "Subject"),
        author=_header(msg, "From"),
        participants=list(dict.fromkeys(_addresses(msg, "To") + _addresses(msg, "Cc"))),
        timestamp=date or fallback_time(),
        thread_id=root,
        metadata=metadata,
    )


def _raw_header(msg: Message, name: str) -> str:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return " ".join(str(value).split())
    return ""


def _header(msg: Message, name: str) -> str:
    """A header decoded (RFC 2047 words included), or its raw text if it will not parse."""
    try:
        value = msg.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:
        raw = _raw_header(msg, name)
        try:
            return str(make_header(decode_header(raw)))
        except Exception:
            return raw


def _ids(text: str) -> list[str]:
    """Message ids in a Message-ID / References / In-Reply-To value, without the brackets."""
    found = _MESSAGE_ID.findall(text)
    if found or not text.strip():
        return found
    return text.split()


def _addresses(msg: Message, name: str) -> list[str]:
    found: list[str] = []
    try:
        for header in msg.get_all(name) or []:
            found.extend(address.addr_spec for address in header.addresses)
    except Exception:
        found = [addr for _, addr in getaddresses([_raw_header(msg, name)])]
    return [addr for addr in found if addr and addr != "<>"]


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "Date")
    if not raw:
        return None
    try:
        return as_utc(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _from_line_time(from_line: bytes) -> datetime | None:
    """The delivery time an mbox ``From sender Mon Jan  1 00:00:00 2024`` line records."""
    fields = from_line.decode("ascii", errors="replace").split()
    try:
        stamp = datetime.strptime(" ".join(fields[-5:]), "%a %b %d %H:%M:%S %Y")
    except ValueError:
        return None
    return stamp.replace(tzinfo=UTC)


def _part_text(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except Exception:
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _body(msg: EmailMessage) -> str:
    """The text/plain body, else the HTML body reduced to text."""
    for preference in ("plain", "html"):
        try:
            part = msg.get_body(preferencelist=(preference,))
        except Exception:
            part = None
        if part is not None:
            text = _part_text(part)
            return html_to_text(text).text if preference == "html" else text.strip()
    if not msg.is_multipart() and msg.get_content_maintype() == "text":
        return _part_text(msg).strip()
    return ""


def _attachments(msg: Message) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename()
            disposition = part.get_content_disposition()
        except Exception:
            continue
        if disposition != "attachment" and not filename:
            continue
        payload = part.get_payload(decode=True)
        found.append(
            {
                "filename": filename or "",
                "content_type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found
