"""What a connector yields: documents, and markers between them (a checkpoint, a deletion,
an unchanged document, the end of a full listing, how far through its source it is). See
docs/architecture.md, "The sync contract", "The mirror contract" and "The run model"."""

from __future__ import annotations

import contextlib
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
    updates the stored copy. ``version`` is the source's own change token (a file's
    mtime and size, an ETag, a row's ``updated_at``): stored beside the document, it lets
    a connector skip re-reading what did not change (see ``BaseConnector.stored``). It is
    not part of the content: a new version with the same content is "unchanged".
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
    version: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.timestamp, datetime):
            if self.timestamp.tzinfo is None:
                # kept (out of the fields) so that a dry run can still warn about it
                self._given_naive = True
            # A timestamp that cannot be converted (out of range once in UTC, a tzinfo
            # that raises) is left as given: the pipeline quarantines the document with
            # the reason, instead of the connector failing every run on it.
            with contextlib.suppress(Exception):
                self.timestamp = as_utc(self.timestamp)


def given_naive(doc: Document) -> bool:
    """Whether ``doc`` was built with a naive timestamp (it holds it as UTC since): what a
    dry run and a check report, though the normalised value no longer shows it."""
    return bool(getattr(doc, "_given_naive", False))


@dataclass(frozen=True)
class Checkpoint:
    """A marker: everything yielded before it is covered by ``cursor``.

    The engine stores the cursor once those documents are durably stored, and hands it
    back to the connector on the next run. ``None`` means "from the start".
    """

    cursor: str | None


@dataclass(frozen=True)
class Deleted:
    """A marker: document ``doc_id`` is gone from the source.

    The engine removes it from the store in the transaction of the batch it arrives in
    (deleting what is not stored is a no-op), so a deletion survives a crash like a write.
    """

    doc_id: str


@dataclass(frozen=True)
class Unchanged:
    """A marker: document ``doc_id`` is still in the source, exactly as stored.

    A connector that lists its whole source yields this instead of re-reading an item whose
    stored version (``BaseConnector.stored``) equals the source's. It costs no store write
    and counts as an unchanged document.
    """

    doc_id: str


@dataclass(frozen=True)
class ListingComplete:
    """A marker: this run has yielded every document of the source, each as a ``Document``
    or an ``Unchanged`` marker.

    When the run then succeeds, the engine deletes this connector's stored documents that
    the run did not yield (renamed, moved or deleted at the source), unless that is more
    than the deletion guard allows. A failed, cancelled or partial run deletes nothing.
    """


@dataclass(frozen=True)
class Progress:
    """A marker: how far the connector is through its source, when it can tell.

    ``done`` of ``total`` (``None`` while the total is unknown) in ``unit`` ("files",
    "messages", "bytes", "rows"...). Optional and free: the engine keeps the newest one
    and reports it with the run's progress (``RunProgress``), so front ends can show a
    bar and an estimate of the time left. It is not a checkpoint and stores nothing.
    """

    done: float
    total: float | None = None
    unit: str = "items"

    @property
    def share(self) -> float | None:
        """``done / total`` from 0 to 1, or None when the total is unknown (or 0)."""
        if self.total is None or self.total <= 0:
            return None
        return min(1.0, max(0.0, self.done / self.total))
