"""An instrumented connector: ``check`` wraps every instance it runs, to see each item
before the engine does, to interrupt the run at a chosen point, and to watch ``close()``.

The probe is a connector itself, so the engine runs it exactly as it runs any other: it
binds ``stored`` (forwarded to the wrapped instance), reads ``lists_source`` and
``secret_values`` from it, closes it. What the probe sees is what the engine was given:
positions are 1-based over everything the connector yielded in that run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from syncdeck.core.connector import BaseConnector, StoredDocuments, SyncItem
from syncdeck.core.documents import (
    Checkpoint,
    Deleted,
    Document,
    ListingComplete,
    Progress,
    Unchanged,
    given_naive,
)
from syncdeck.devkit.leaks import SecretScanner

DOCUMENT = "document"
CHECKPOINT = "checkpoint"
DELETED = "deleted"
UNCHANGED = "unchanged"
LISTING = "listing complete"
PROGRESS = "progress"  # a hint for progress bars: not an item of the source
OTHER = "other"
MAX_KEPT = 1000  # problem items kept per kind and run (the checks show ten)


class InjectedFault(RuntimeError):
    """Raised in place of a document by ``check``, to fail a run on purpose."""


class CheckAborted(Exception):
    """The check was cancelled (by its caller) while a run was going."""


@dataclass(frozen=True)
class Stop:
    """Where a probed run is interrupted: ``cancel`` sets the engine's cancel event as the
    item is handed over (the engine stops right after it); ``raise`` raises
    :class:`InjectedFault` in place of the ``document``-th document."""

    action: Literal["cancel", "raise"]
    document: int | None = None  # the n-th Document of the run (1-based)
    checkpoint: int | None = None  # the n-th Checkpoint of the run (cancel only)


@dataclass(slots=True)
class Item:
    """One item a connector yielded, as much of it as the checks need."""

    position: int
    kind: str
    doc_id: str | None = None  # as yielded when a string, else its repr
    id_ok: bool = True  # a non-empty string
    cursor: Any = None
    naive: datetime | None = None  # the naive timestamp it was given
    type_name: str = ""


@dataclass(frozen=True)
class Leak:
    """A secret found where it must not be."""

    where: str  # "the content of document 'a'", "a checkpoint cursor", ...
    position: int | None = None


@dataclass
class Recording:
    """Everything one probed run saw."""

    label: str
    keep_items: bool = False  # every item (the full read); other runs keep counts only
    watched: frozenset[str] = frozenset()  # ids to count when delivered again as documents
    since: datetime | None = None
    cursor: str | None = None  # the cursor the engine handed over
    called: bool = False
    items: list[Item] = field(default_factory=list)
    positions: int = 0  # items yielded
    documents: int = 0
    checkpoints: int = 0
    unchanged: int = 0
    deleted: int = 0
    listings: int = 0
    redelivered: set[str] = field(default_factory=set)  # ``watched`` ids yielded again
    lists_source: bool = False
    stopped_at: int | None = None  # the position at which the planned stop was applied
    exhausted: bool = False  # the connector's iterator ran to its end
    error: BaseException | None = None  # what the connector raised (not an injected fault)
    error_position: int | None = None  # the position of the item it did not yield
    iterator_close_error: BaseException | None = None
    close_calls: int = 0
    close_error: BaseException | None = None
    leaks: list[Leak] = field(default_factory=list)
    unknown_unchanged: list[Item] = field(default_factory=list)  # Unchanged, id not stored
    unknown_deleted: list[Item] = field(default_factory=list)  # Deleted, id never stored
    undeclared_listing: list[Item] = field(default_factory=list)  # no lists_source

    def kinds(self, *kinds: str) -> list[Item]:
        """The items of those kinds (kept for the full read only)."""
        return [item for item in self.items if item.kind in kinds]

    def note(self, found: list[Item], item: Item) -> None:
        """Keep a problem item, up to a bound (a run may repeat one mistake a million times)."""
        if len(found) < MAX_KEPT:
            found.append(item)

    def leak(self, leak: Leak) -> None:
        if len(self.leaks) < MAX_KEPT:
            self.leaks.append(leak)


class Probe(BaseConnector):
    """Wraps ``inner`` for one run, recording into ``recording``."""

    def __init__(
        self,
        inner: BaseConnector,
        recording: Recording,
        *,
        cancel: threading.Event,
        stop: Stop | None = None,
        abort: threading.Event | None = None,
        scanner: SecretScanner | None = None,
    ) -> None:
        self.inner = inner
        self.recording = recording
        self.cancel = cancel
        self.stop = stop
        self.abort = abort
        self.scanner = scanner or SecretScanner(())
        self._stored_was_set = False
        self._stored_before: Any = None

    # -- forwarded to the wrapped connector ---------------------------------------------

    @property  # type: ignore[override]
    def connector_id(self) -> str:
        return self.inner.connector_id

    @property  # type: ignore[override]
    def secret_values(self) -> tuple[str, ...]:
        return tuple(getattr(self.inner, "secret_values", ()))

    @property  # type: ignore[override]
    def lists_source(self) -> bool:
        return bool(getattr(self.inner, "lists_source", False))

    @property  # type: ignore[override]
    def delete_limit(self) -> float | None:
        return getattr(self.inner, "delete_limit", None)

    @property  # type: ignore[override]
    def stored(self) -> StoredDocuments:
        return self.inner.stored

    @stored.setter
    def stored(self, view: StoredDocuments) -> None:
        self._stored_was_set = "stored" in vars(self.inner)
        self._stored_before = vars(self.inner).get("stored")
        self.inner.stored = view

    @stored.deleter
    def stored(self) -> None:
        if self._stored_was_set:
            self.inner.stored = self._stored_before
        else:
            vars(self.inner).pop("stored", None)

    def describe(self) -> str:
        return self.inner.describe()

    # -- the run ------------------------------------------------------------------------

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        recording = self.recording
        recording.called = True
        recording.since, recording.cursor = since, cursor
        recording.lists_source = self.lists_source
        known = set(self.inner.stored.ids())
        try:
            iterator = iter(self.inner.sync(since=since, cursor=cursor))
        except BaseException as exc:
            recording.error, recording.error_position = exc, 1
            raise
        return self._items(iterator, known)

    def _items(self, iterator: Iterator[Any], known: set[str]) -> Iterator[Any]:
        recording = self.recording
        stop = self.stop
        position = 0
        yielded: set[str] = set()
        try:
            while True:
                if self.abort is not None and self.abort.is_set():
                    raise CheckAborted("the check was cancelled")
                try:
                    item = next(iterator)
                except StopIteration:
                    recording.exhausted = True
                    return
                except BaseException as exc:
                    recording.error, recording.error_position = exc, position + 1
                    raise
                position += 1
                kind = _kind(item)
                if (
                    stop is not None
                    and stop.action == "raise"
                    and kind == DOCUMENT
                    and recording.documents + 1 == stop.document
                    and recording.stopped_at is None
                ):
                    recording.stopped_at = position
                    raise InjectedFault(
                        f"injected by syncdeck check in place of document {stop.document} "
                        f"(item {position})"
                    )
                self._record(position, kind, item, known, yielded)
                if stop is not None and stop.action == "cancel" and recording.stopped_at is None:
                    at_document = kind == DOCUMENT and recording.documents == stop.document
                    at_checkpoint = kind == CHECKPOINT and recording.checkpoints == stop.checkpoint
                    if at_document or at_checkpoint:
                        recording.stopped_at = position
                        self.cancel.set()
                yield item
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:
                    recording.iterator_close_error = exc

    def _record(
        self, position: int, kind: str, item: Any, known: set[str], yielded: set[str]
    ) -> None:
        recording = self.recording
        scanner = self.scanner
        recording.positions = position
        keep = recording.keep_items
        if kind == DOCUMENT:
            recording.documents += 1
            doc_id = item.doc_id
            id_ok = isinstance(doc_id, str) and bool(doc_id)
            shown = doc_id if isinstance(doc_id, str) else repr(doc_id)
            stamp = item.timestamp
            naive = None
            # given naive (the document holds it as UTC since), or assigned naive later
            if isinstance(stamp, datetime) and (given_naive(item) or stamp.utcoffset() is None):
                naive = stamp.replace(tzinfo=None)
            if keep:
                recording.items.append(Item(position, kind, shown, id_ok, naive=naive))
            if id_ok:
                yielded.add(doc_id)
                if doc_id in recording.watched:
                    recording.redelivered.add(doc_id)
            if scanner:
                for name in scanner.document_fields(item):
                    recording.leak(Leak(f"the {name} of document {shown!r}", position))
        elif kind == CHECKPOINT:
            recording.checkpoints += 1
            if keep:
                recording.items.append(Item(position, kind, cursor=item.cursor))
            if scanner and scanner.found_in(item.cursor):
                recording.leak(Leak("a checkpoint cursor", position))
        elif kind in (DELETED, UNCHANGED):
            doc_id = item.doc_id
            id_ok = isinstance(doc_id, str) and bool(doc_id)
            shown = doc_id if isinstance(doc_id, str) else repr(doc_id)
            record = Item(position, kind, shown, id_ok)
            if keep:
                recording.items.append(record)
            if kind == UNCHANGED:
                recording.unchanged += 1
            else:
                recording.deleted += 1
            if id_ok and doc_id not in known and doc_id not in yielded:
                unknown = (
                    recording.unknown_unchanged if kind == UNCHANGED else recording.unknown_deleted
                )
                recording.note(unknown, record)
            if kind == UNCHANGED and id_ok:
                yielded.add(doc_id)
            if scanner and scanner.found_in(doc_id):
                recording.leak(Leak(f"the id of a {kind} marker", position))
        elif kind == LISTING:
            recording.listings += 1
            record = Item(position, kind)
            if keep:
                recording.items.append(record)
            if not recording.lists_source:
                recording.note(recording.undeclared_listing, record)
        elif kind == PROGRESS:
            pass  # free to yield anywhere, and no business of the checks
        elif keep:
            recording.items.append(Item(position, kind, type_name=type(item).__name__))

    def close(self) -> None:
        self.recording.close_calls += 1
        try:
            self.inner.close()
        except Exception as exc:  # judged by the close check; the engine need not log it
            self.recording.close_error = exc


def _kind(item: Any) -> str:
    if isinstance(item, Document):
        return DOCUMENT
    if isinstance(item, Checkpoint):
        return CHECKPOINT
    if isinstance(item, Unchanged):
        return UNCHANGED
    if isinstance(item, Deleted):
        return DELETED
    if isinstance(item, ListingComplete):
        return LISTING
    if isinstance(item, Progress):
        return PROGRESS
    return OTHER
