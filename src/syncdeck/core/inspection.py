"""A dry run of a connector: what it yields, and what in it would hurt a real sync.

Nothing is written - no store, no state. The connector is iterated up to a number of
documents and each item is recorded with the problems a sync would hit: duplicate ids,
naive timestamps, empty content, documents the pipeline would reject, checkpoints that
are missing or carry a non-string cursor, and an exception with the item it followed.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from syncdeck.core.connector import BaseConnector
from syncdeck.core.describe import describe_error
from syncdeck.core.documents import (
    Checkpoint,
    Deleted,
    Document,
    ListingComplete,
    Progress,
    Unchanged,
    given_naive,
)

PREVIEW_CHARS = 160
MAX_WARNINGS = 50


@dataclass(frozen=True)
class InspectItem:
    """One thing the connector yielded."""

    index: int  # 1-based position in the connector's output
    kind: Literal["document", "checkpoint", "deleted", "unchanged", "listing complete"]
    doc_id: str | None = None
    title: str = ""
    timestamp: datetime | None = None
    content: str = ""  # a one-line preview
    cursor: Any = None  # a checkpoint's cursor, as yielded


@dataclass
class InspectReport:
    connector_id: str
    items: list[InspectItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)  # warnings that guarantee a failed sync
    error: str | None = None  # "ExcType: message" when the connector raised
    traceback: str | None = None
    documents: int = 0
    checkpoints: int = 0
    exhausted: bool = False  # the connector finished before the limit
    timed_out: bool = False
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out and not self.fatal

    @property
    def ending(self) -> str:
        """How the dry run ended, in words, for front ends."""
        if self.timed_out:
            return "timed out waiting for the connector"
        if self.error:
            return "the connector raised an error"
        return "the connector ended" if self.exhausted else "stopped at the document limit"


def _preview(text: Any) -> str:
    if not isinstance(text, str):
        return f"<{type(text).__name__}>"
    flat = " ".join(text.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


class _Recorder:
    """Turns a stream of yielded items into an InspectReport; shared with the worker."""

    def __init__(self, connector_id: str, limit: int, *, lists_source: bool = False) -> None:
        self.report = InspectReport(connector_id)
        self.lists_source = lists_source
        self.limit = limit
        self.lock = threading.Lock()
        self.stopped = False
        self._seen: dict[tuple[Any, Any], int] = {}
        self._index = 0
        self._suppressed = 0

    def fatal(self, message: str) -> None:
        """What guarantees a sync fails: a warning, and the dry run fails too."""
        self.report.fatal.append(message)
        self.warn(message)

    def warn(self, message: str) -> None:
        if len(self.report.warnings) < MAX_WARNINGS:
            self.report.warnings.append(message)
        else:
            self._suppressed += 1

    def feed(self, item: Any) -> bool:
        """Record one item; False once the limit of documents is reached."""
        self._index += 1
        index = self._index
        if isinstance(item, Checkpoint):
            self.report.checkpoints += 1
            self.report.items.append(InspectItem(index, "checkpoint", cursor=item.cursor))
            if item.cursor is not None and not isinstance(item.cursor, str):
                self.fatal(
                    f"item {index}: checkpoint cursor is {type(item.cursor).__name__} "
                    f"{item.cursor!r}, not a string; the engine stores cursors as text"
                )
            return True
        if isinstance(item, Deleted | Unchanged):
            kind: Literal["deleted", "unchanged"] = (
                "deleted" if isinstance(item, Deleted) else "unchanged"
            )
            self.report.items.append(InspectItem(index, kind, doc_id=item.doc_id))
            if not isinstance(item.doc_id, str) or not item.doc_id:
                self.fatal(
                    f"item {index}: {type(item).__name__} marker with doc_id {item.doc_id!r}; "
                    "a sync would fail on it"
                )
            return True
        if isinstance(item, Progress):
            self._index -= 1  # a hint for progress bars, not an item of the source
            return True
        if isinstance(item, ListingComplete):
            self.report.items.append(InspectItem(index, "listing complete"))
            if not self.lists_source:
                self.fatal(
                    f"item {index}: ListingComplete from a connector that does not declare "
                    "lists_source = True; a sync would fail on it"
                )
            return True
        if not isinstance(item, Document):
            self.warn(
                f"item {index}: yielded {type(item).__name__}, expected a Document or a "
                "Checkpoint (or a Deleted, Unchanged or ListingComplete marker); a sync "
                "would reject it"
            )
            return True
        self.report.documents += 1
        self._check_document(index, item)
        timestamp = item.timestamp if isinstance(item.timestamp, datetime) else None
        self.report.items.append(
            InspectItem(
                index,
                "document",
                doc_id=item.doc_id if isinstance(item.doc_id, str) else repr(item.doc_id),
                title=item.title if isinstance(item.title, str) else repr(item.title),
                timestamp=timestamp,
                content=_preview(item.content),
            )
        )
        return self.report.documents < self.limit

    def _check_document(self, index: int, doc: Document) -> None:
        key = (doc.source, doc.doc_id)
        try:
            first = self._seen.get(key)
        except TypeError:  # an unhashable id: the pipeline check below reports it
            first = None
        else:
            if first is not None:
                self.warn(
                    f"item {index}: duplicate doc_id {doc.doc_id!r} (first at item {first}); "
                    "the store keeps only the last one"
                )
            else:
                self._seen[key] = index
        if isinstance(doc.timestamp, datetime) and (
            given_naive(doc) or doc.timestamp.utcoffset() is None
        ):
            shown = doc.timestamp.replace(tzinfo=None).isoformat()
            self.warn(
                f"item {index}: naive timestamp {shown} for {doc.doc_id!r}; it will be taken as UTC"
            )
        if isinstance(doc.content, str) and not doc.content.strip():
            self.warn(f"item {index}: empty content for {doc.doc_id!r}")
        reason = _rejection_reason(doc)
        if reason is not None:
            self.warn(f"item {index}: a sync would reject {doc.doc_id!r}: {reason}")

    def fail(self, exc: BaseException) -> None:
        self.report.error = describe_error(exc)
        self.report.traceback = "".join(traceback.format_exception(exc))
        after = f"after item {self._index}" if self._index else "before its first item"
        self.warn(f"item {self._index + 1}: the connector raised {self.report.error} ({after})")

    def finish(self) -> InspectReport:
        if self.report.documents and not self.report.checkpoints:
            scope = (
                "in its output"
                if self.report.exhausted
                else (f"in the first {self.report.documents} documents")
            )
            self.warn(
                f"no Checkpoint {scope}: an interrupted sync would start over from the beginning"
            )
        if self._suppressed:
            self.report.warnings.append(f"... and {self._suppressed} more warnings")
        return self.report


def _rejection_reason(doc: Document) -> str | None:
    from syncdeck.core.pipeline import InvalidDocument, prepare

    try:
        prepare(doc)
    except InvalidDocument as exc:
        return str(exc)
    return None


def _iterate(connector: BaseConnector, recorder: _Recorder, since: Any, cursor: Any) -> None:
    try:
        iterator = iter(connector.sync(since=since, cursor=cursor))
    except Exception as exc:
        with recorder.lock:
            recorder.fail(exc)
        return
    try:
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                with recorder.lock:
                    recorder.report.exhausted = True
                return
            except Exception as exc:
                with recorder.lock:
                    if not recorder.stopped:
                        recorder.fail(exc)
                return
            with recorder.lock:
                if recorder.stopped or not recorder.feed(item):
                    return
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            # a generator failing in its cleanup is not the dry run's error
            with contextlib.suppress(Exception):
                close()


def inspect_connector(
    connector: BaseConnector,
    *,
    limit: int = 20,
    cursor: str | None = None,
    since: datetime | None = None,
    timeout: float | None = None,
) -> InspectReport:
    """Iterate ``connector`` up to ``limit`` documents, writing nothing.

    With a ``timeout`` the connector runs in a daemon thread and the report comes back
    after at most that many seconds, with a warning, even when the connector blocks. The
    caller owns the connector (and closes it).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    recorder = _Recorder(
        connector.connector_id or type(connector).__name__,
        limit,
        lists_source=bool(getattr(connector, "lists_source", False)),
    )
    started = time.monotonic()
    if timeout is None:
        _iterate(connector, recorder, since, cursor)
    else:
        worker = threading.Thread(
            target=_iterate,
            args=(connector, recorder, since, cursor),
            name=f"inspect-{recorder.report.connector_id}",
            daemon=True,
        )
        worker.start()
        worker.join(timeout)
        if worker.is_alive():
            with recorder.lock:
                recorder.stopped = True
                recorder.report.timed_out = True
                recorder.warn(
                    f"stopped after {timeout:g}s waiting for item {recorder._index + 1}: the "
                    "connector is slow or blocked"
                )
    with recorder.lock:
        recorder.report.elapsed = time.monotonic() - started
        report = recorder.finish()
        # a snapshot: a timed-out worker may still hold the recorder
        return InspectReport(
            connector_id=report.connector_id,
            items=list(report.items),
            warnings=list(report.warnings),
            fatal=list(report.fatal),
            error=report.error,
            traceback=report.traceback,
            documents=report.documents,
            checkpoints=report.checkpoints,
            exhausted=report.exhausted,
            timed_out=report.timed_out,
            elapsed=report.elapsed,
        )
