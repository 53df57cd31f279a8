"""Listing the messages of a mailbox each run: an id and a version per message, from its
raw bytes and without parsing it.

A full parse of a message (MIME tree, charsets, HTML) costs milliseconds; reading its bytes,
hashing them and finding its Message-ID header costs microseconds. So every run lists the
whole mailbox this way and parses only the messages whose version (the digest of their
bytes) is not the one stored.

Message ids are not unique in real mailboxes (a cross-post, a Sent copy beside the
received one, a message saved twice): messages sharing a Message-ID are kept apart, each
under ``<message-id>#<12 hex digits of the digest of its bytes>`` (``-2``, ``-3`` ... for
byte-identical copies), while a message whose Message-ID is unique in the mailbox keeps it
as its id. A message without one is known by ``sha256:`` and a hash of its bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from syncdeck.connectors.listing import digest

_HEADER = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_BRACKETED = re.compile(r"<([^<>\s]+)>")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass(slots=True)
class ListedMessage:
    """One message of the listing. ``key`` finds it again in the mailbox."""

    key: str
    own_id: str  # its Message-ID, or a hash of its bytes when it has none
    digest: str  # of its raw bytes
    version: str
    doc_id: str = ""
    size: int = 0  # bytes of the raw message


def message_key(raw: bytes) -> str:
    """The id a message is known by: the first Message-ID of its header (without the
    brackets), else ``sha256:`` and the first 32 hex digits of the SHA-256 of ``raw``."""
    end = _HEADER_END.search(raw)
    header = raw[: end.start()] if end else raw
    if not header.startswith((b"\n", b"\r\n")):
        match = _HEADER.search(header)
        if match:
            value = " ".join(match.group(1).decode("utf-8", "replace").split())
            found = _BRACKETED.findall(value)
            if found:
                return found[0]
            if value:
                return value.split()[0]
    return "sha256:" + hashlib.sha256(raw).hexdigest()[:32]


def listed_message(key: str, raw: bytes, *, salt: str = "") -> ListedMessage:
    """The listing entry of one message; ``salt`` (what else shapes its document) enters
    the version but not the id. An mbox From_ line is left out of both: tools that
    rewrite an mbox regenerate it, and it only dates a message that has no Date."""
    own = digest(raw)
    return ListedMessage(
        key, message_key(raw), own, digest(own, salt) if salt else own, size=len(raw)
    )


def assign_ids(messages: Iterable[ListedMessage]) -> None:
    """Set ``doc_id`` on every message, keeping messages that share an id apart."""
    messages = list(messages)
    shared = Counter(m.own_id for m in messages)
    copies: Counter[tuple[str, str]] = Counter()
    for message in messages:
        if shared[message.own_id] == 1:
            message.doc_id = message.own_id
            continue
        copy = (message.own_id, message.digest)
        copies[copy] += 1
        suffix = f"-{copies[copy]}" if copies[copy] > 1 else ""
        message.doc_id = f"{message.own_id}#{message.digest[:12]}{suffix}"
