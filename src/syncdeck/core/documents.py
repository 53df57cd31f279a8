"""The two things a connector yields: documents, and checkpoint markers between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A naive datetime is taken as UTC; an aware one is converted to UTC."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass
class Document:
    """One item of a source: a message, a note, a record.

    ``(source, doc_id)`` identifies it in the store; re-yielding it with other content
    updates the stored copy.
    """

    doc_id: str
    source: str
    doc_type: str
    content: str
    title: str = ""
    author: str = ""
    participants: list[str] = field(default_factory=list)
    timestamp: datetime = field(default_factory=utcnow)
    thread_id: str | None = None
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.timestamp, datetime):
            self.timestamp = as_utc(self.timestamp)


@dataclass(frozen=True)
class Checkpoint:
    """A marker: everything yielded before it is covered by ``cursor``.

    The engine stores the cursor once those documents are durably stored, and hands it
    back to the connector on the next run. ``None`` means "from the start".
    """

    cursor: str | None
