"""Connectors for ``check`` to judge: ``Numbered`` (a stream resuming from its cursor) and
``Listed`` (a mirror listing its whole source) keep the contract; every other one is
``Numbered`` with a single defect. One self-contained file, so that the registry can load
it as ``path/to/broken_connectors.py:Class`` as it loads a connector under development."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from syncdeck import BaseConnector, Checkpoint, Deleted, Document, ListingComplete, Unchanged
from syncdeck.core.connector import SyncItem

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


class Numbered(BaseConnector):
    """Documents doc-0001 ... doc-NNNN; the cursor is the number of documents done, a
    checkpoint every ``every`` documents and one at the end.

    Parameters:
        count: how many documents
        every: documents between checkpoints
        token: a credential (for the secrets check); never yielded
    """

    connector_id = "numbered"

    def __init__(self, count: int = 12, every: int = 3, token: str = "") -> None:
        self.count = count
        self.every = every
        self.token = token
        self.closed = 0

    def start(self, cursor: str | None) -> int:
        """The first document number to yield for ``cursor``."""
        return int(cursor) + 1 if cursor else 1

    def doc_id(self, number: int) -> str:
        return f"doc-{number:04d}"

    def document(self, number: int) -> Document:
        return Document(
            doc_id=self.doc_id(number),
            source=self.connector_id,
            doc_type="note",
            content=f"the text of note {number}",
            title=f"Note {number}",
            timestamp=T0 + timedelta(minutes=number),
            version="v1",
        )

    def checkpoint(self, number: int) -> Checkpoint:
        return Checkpoint(str(number))

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        for number in range(self.start(cursor), self.count + 1):
            yield self.document(number)
            if number % self.every == 0 or number == self.count:
                yield self.checkpoint(number)

    def close(self) -> None:
        self.closed += 1


class Listed(Numbered):
    """The same documents, mirrored: every run lists them all, Unchanged where the stored
    version matches, and ends with a complete listing."""

    connector_id = "listed"
    lists_source = True

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        ids = [self.doc_id(n) for n in range(1, self.count + 1)]
        known = self.stored.versions(ids)
        for number, doc_id in enumerate(ids, start=1):
            if known.get(doc_id) == "v1":
                yield Unchanged(doc_id)
            else:
                yield self.document(number)
            if number % self.every == 0:
                yield Checkpoint(str(number))
        yield Checkpoint(str(self.count))
        yield ListingComplete()


# -- broken, one defect each ------------------------------------------------------------


class SkipsAfterCheckpoint(Numbered):
    """On resume it starts one document too far: the document right after each
    checkpoint is never delivered."""

    def start(self, cursor: str | None) -> int:
        return int(cursor) + 2 if cursor else 1


class ChangingIds(Numbered):
    """Ids carry a random value drawn per instance, so every run names the documents anew."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.run_tag = uuid.uuid4().hex[:8]

    def doc_id(self, number: int) -> str:
        return f"doc-{self.run_tag}-{number}"


class IgnoresCursor(Numbered):
    """Checkpoints with a cursor, but always starts from the beginning."""

    def start(self, cursor: str | None) -> int:
        return 1


class NaiveTimestamps(Numbered):
    """Timestamps without a timezone."""

    def document(self, number: int) -> Document:
        doc = super().document(number)
        return Document(
            doc_id=doc.doc_id,
            source=doc.source,
            doc_type=doc.doc_type,
            content=doc.content,
            timestamp=datetime(2024, 3, 1, 9, 0) + timedelta(minutes=number),
        )


class NeverCheckpoints(Numbered):
    """Yields its documents without a single Checkpoint."""

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        for item in super().sync(since=since, cursor=cursor):
            if not isinstance(item, Checkpoint):
                yield item


class CloseRaises(Numbered):
    """close() fails."""

    def close(self) -> None:
        raise OSError("the session was already closed")


class LeaksToken(Numbered):
    """Puts its token in the cursor, and in an error at the end of a resumed run."""

    def checkpoint(self, number: int) -> Checkpoint:
        return Checkpoint(f"{number}?token={self.token}")

    def start(self, cursor: str | None) -> int:
        return int(cursor.partition("?")[0]) + 1 if cursor else 1


class TimestampOfNow(Numbered):
    """Every read dates its documents 'now': two reads never agree."""

    def document(self, number: int) -> Document:
        doc = super().document(number)
        doc.timestamp = datetime.now(tz=T0.tzinfo)
        return doc


class UnchangedStranger(Numbered):
    """Says a document it never delivered is unchanged."""

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        yield Unchanged("ghost")
        yield from super().sync(since=since, cursor=cursor)


class UndeclaredListing(Numbered):
    """Ends with ListingComplete without declaring lists_source."""

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        yield from super().sync(since=since, cursor=cursor)
        yield ListingComplete()


class DeletesStrangers(Numbered):
    """Reports deletions of documents it never delivered (suspicious, not wrong)."""

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        yield Deleted("never-seen")
        yield from super().sync(since=since, cursor=cursor)


class IntegerCursor(Numbered):
    """Checkpoints carry an int."""

    def checkpoint(self, number: int) -> Checkpoint:
        return Checkpoint(number)  # type: ignore[arg-type]


class Growing(Numbered):
    """A live source: every instance sees one more document than the one before (from the
    ``grow_after``-th instance on), as an API would while new items arrive."""

    instances: ClassVar[list[int]] = [0]

    def __init__(self, grow_after: int = 0, **kw: Any) -> None:
        super().__init__(**kw)
        Growing.instances[0] += 1
        self.count += max(0, Growing.instances[0] - grow_after)


class FailsWithToken(Numbered):
    """Fails with its token in the message, as a request URL would carry it."""

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        yield self.document(1)
        raise RuntimeError(f"GET https://api.example/items?token={self.token} returned 500")


class RefusesItsCursors(Numbered):
    """Yields plain numbers as cursors, but its check_cursor wants JSON (a check written
    for another cursor form): an operator who types a cursor back is turned away."""

    def check_cursor(self, cursor: str) -> None:
        if not cursor.startswith("{"):
            raise ValueError(f'cursor {cursor!r} is not valid: expected JSON like {{"n": 3}}')
