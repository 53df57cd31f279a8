"""One raw RFC 5322 message as a Document: the parsing the mailbox and imap connectors share.

The email package raises a wide range of exception types on malformed input (bad charsets,
broken encodings, odd headers); one bad message must never stop a sync, so the helpers
below catch Exception and fall back to what can still be read.
"""

from __future__ import annotations

import codecs
import contextlib
import email
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.header import Header, decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

from syncdeck.connectors.html_text import html_to_text
from syncdeck.core.documents import Document, as_utc

_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


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

    The message is parsed with the ``compat32`` policy, whose headers are plain strings:
    the few headers a document needs are decoded here. The ``default`` policy builds a
    parsed header object on every access, which cost ten times the rest of the work.
    """
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    own_ids = _ids(_raw_header(msg, "Message-ID"))
    doc_id = own_ids[0] if own_ids else "sha256:" + hashlib.sha256(raw).hexdigest()[:32]
    references = _ids(_raw_header(msg, "References"))
    in_reply_to = _ids(_raw_header(msg, "In-Reply-To"))
    root = references[0] if references else in_reply_to[0] if in_reply_to else doc_id
    metadata: dict[str, Any] = dict(location or {})
    if in_reply_to:
        metadata["in_reply_to"] = in_reply_to[0]
    parts = [part for part in msg.walk() if not part.is_multipart()]
    attachments = _attachments(parts)
    if attachments:
        metadata["attachments"] = attachments
    defects = sorted({type(d).__name__ for part in msg.walk() for d in part.defects})
    content = _body(msg, parts)
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
    """A header's text unfolded; bytes that were not ASCII are read as UTF-8."""
    values = msg.get_all(name)
    if not values:
        return ""
    return " ".join(_text(values[0]).split())


def _text(value: Any) -> str:
    """A compat32 header value as text: a str (with undecodable bytes escaped by the
    parser) or a Header object holding raw 8-bit bytes."""
    if isinstance(value, Header):
        chunks = []
        for chunk, charset in decode_header(value):
            if isinstance(chunk, bytes):
                chunk = chunk.decode(_codec(charset) or "utf-8", errors="replace")
            chunks.append(chunk)
        return "".join(chunks)
    text = str(value)
    if not text.isascii():
        with contextlib.suppress(UnicodeError):
            text = text.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    return text


def _codec(charset: str | None) -> str | None:
    if not charset or charset == "unknown-8bit":
        return None
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def _header(msg: Message, name: str) -> str:
    """A header decoded (RFC 2047 words included), or its raw text if it will not parse."""
    raw = _raw_header(msg, name)
    if "=?" not in raw:
        return raw
    try:
        return " ".join(str(make_header(decode_header(raw))).split())
    except Exception:
        return raw


def _ids(text: str) -> list[str]:
    """Message ids in a Message-ID / References / In-Reply-To value, without the brackets."""
    found = _MESSAGE_ID.findall(text)
    if found or not text.strip():
        return found
    return text.split()


def _addresses(msg: Message, name: str) -> list[str]:
    values = [_text(value) for value in msg.get_all(name) or []]
    try:
        found = [addr for _, addr in getaddresses(values)]
    except Exception:
        return []
    return [addr for addr in found if addr and addr != "<>"]


def _date(msg: Message) -> datetime | None:
    raw = _raw_header(msg, "Date")
    if not raw:
        return None
    try:
        return as_utc(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = _codec(part.get_content_charset()) or "utf-8"
    return payload.decode(charset, errors="replace")


def _is_attachment(part: Message) -> bool:
    try:
        return part.get_content_disposition() == "attachment"
    except Exception:
        return False


def _body(msg: Message, parts: list[Message]) -> str:
    """The text/plain body, else the HTML body reduced to text: the first inline part of
    that type, as ``EmailMessage.get_body`` picks it for a plain or an alternative mail."""
    for subtype in ("plain", "html"):
        for part in parts:
            if part.get_content_type() == f"text/{subtype}" and not _is_attachment(part):
                text = _part_text(part)
                return html_to_text(text).text if subtype == "html" else text.strip()
    if not msg.is_multipart() and msg.get_content_maintype() == "text":
        return _part_text(msg).strip()
    return ""


def _attachments(parts: list[Message]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for part in parts:
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
                "filename": _text(filename) if filename else "",
                "content_type": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
            }
        )
    return found
