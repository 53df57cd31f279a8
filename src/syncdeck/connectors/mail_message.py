"""One raw RFC 5322 message as a Document: the parsing the mailbox and imap connectors share.

The email package raises a wide range of exception types on malformed input (bad charsets,
broken encodings, odd headers); one bad message must never stop a sync, so the helpers
below catch Exception and fall back to what can still be read.
"""

from __future__ import annotations

import email
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any, cast

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
