"""From engine events (worker threads, up to thousands a second) to what the UI paints
(ten times a second).

The engine calls :meth:`EventBridge.__call__` from the sync's thread; it only updates a
per-connector aggregate under a lock and queues log lines. The UI drains the bridge on a
steady timer and repaints what changed, so the cost of the UI does not grow with the rate
at which a source yields documents.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunStarted,
    RunStatus,
    SyncEvent,
)
from syncdeck.core.state import RunRecord
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock

Level = Literal["info", "success", "warning", "error"]

#: Log lines kept per connector between two repaints; older ones are counted, not shown.
BURST = 20
#: Rejected documents logged one by one per repaint; the rest are summed up.
REJECTIONS_SHOWN = 3


@dataclass(frozen=True)
class LogLine:
    time: datetime
    text: str
    level: Level = "info"
    detail: str | None = None  # a traceback, shown under the line


@dataclass(frozen=True)
class RunView:
    """One run as the UI shows it: live from this app's own events, or read back from the
    state database for runs of another process (``holder`` says which)."""

    run_id: int | None
    status: RunStatus
    documents: int = 0
    batches: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    items_synced: int = 0
    cursor: str | None = None
    since: datetime | None = None
    error: str | None = None
    traceback: str | None = None
    started_mono: float | None = None  # Clock.monotonic() at start (own runs)
    finished_mono: float | None = None
    duration: float | None = None  # from the state database (runs of other processes)
    holder: str | None = None  # "pid N on host" when the run is not this app's

    def elapsed(self, now_mono: float) -> float | None:
        if self.started_mono is not None:
            end = self.finished_mono if self.finished_mono is not None else now_mono
            return max(0.0, end - self.started_mono)
        return self.duration

    @property
    def finished(self) -> bool:
        return self.status is not RunStatus.RUNNING

    @classmethod
    def from_record(cls, record: RunRecord, *, holder: str | None = None) -> RunView:
        return cls(
            run_id=record.run_id,
            status=record.status,
            documents=record.documents,
            batches=record.batches,
            inserted=record.inserted,
            updated=record.updated,
            unchanged=record.unchanged,
            rejected=record.rejected,
            items_synced=record.items_synced,
            cursor=record.cursor_end,
            since=record.since,
            error=record.error,
            traceback=record.traceback,
            duration=record.duration,
            holder=holder,
        )


@dataclass(frozen=True)
class BridgeUpdate:
    """What changed for one connector since the last drain."""

    view: RunView | None
    lines: list[LogLine]
    skipped: int  # log lines that came too fast to show


@dataclass
class _Pending:
    lines: deque[LogLine] = field(default_factory=lambda: deque(maxlen=BURST))
    skipped: int = 0
    rejections_logged: int = 0
    rejections_unlogged: int = 0


class EventBridge:
    """Thread-safe aggregate of engine events per connector; drained by the UI timer."""

    def __init__(self, clock: Clock, redact: Callable[[str], str] | None = None) -> None:
        self._clock = clock
        self._redact = redact or (lambda text: text)
        self._lock = threading.Lock()
        self._views: dict[str, RunView] = {}
        self._pending: dict[str, _Pending] = {}
        self._dirty: set[str] = set()
        self.own_runs: set[int] = set()  # every run id this app's syncs opened

    # -- called from sync threads ------------------------------------------------------

    def __call__(self, event: SyncEvent) -> None:
        """The engine listener: never blocks on the UI, never raises."""
        cid = event.connector_id
        with self._lock:
            if isinstance(event, RunStarted):
                self.own_runs.add(event.run_id)
                self._views[cid] = RunView(
                    run_id=event.run_id,
                    status=RunStatus.RUNNING,
                    items_synced=event.items_synced,
                    cursor=event.cursor,
                    since=event.since,
                    started_mono=self._clock.monotonic(),
                )
                start = (
                    f"from cursor {fmt.cursor(event.cursor, 40)}"
                    if event.cursor is not None
                    else "from the beginning"
                )
                self._log(cid, f"run {event.run_id} started {start}")
            elif isinstance(event, BatchCommitted):
                self._on_batch(cid, event)
            elif isinstance(event, DocumentRejected):
                self._on_rejected(cid, event)
            elif isinstance(event, RunFinished):
                self._on_finished(cid, event)
            self._dirty.add(cid)

    def _on_batch(self, cid: str, event: BatchCommitted) -> None:
        view = self._views.get(cid)
        if view is None or view.run_id != event.run_id:
            return
        totals, batch = event.totals, event.batch
        self._views[cid] = replace(
            view,
            documents=totals.documents,
            batches=totals.batches,
            inserted=totals.inserted,
            updated=totals.updated,
            unchanged=totals.unchanged,
            rejected=totals.rejected,
            items_synced=event.items_synced,
            cursor=event.cursor,
        )
        counts = (
            (batch.inserted, "new"),
            (batch.updated, "updated"),
            (batch.unchanged, "unchanged"),
            (batch.rejected, "rejected"),
        )
        parts = [f"{count:,} {label}" for count, label in counts if count] or ["none stored"]
        self._log(
            cid,
            f"batch {event.number}: {event.size:,} docs ({', '.join(parts)}) · "
            f"cursor {fmt.cursor(event.cursor, 24)} · total {event.items_synced:,}",
            "warning" if batch.rejected else "info",
        )

    def _on_rejected(self, cid: str, event: DocumentRejected) -> None:
        pending = self._pending.setdefault(cid, _Pending())
        if pending.rejections_logged < REJECTIONS_SHOWN:
            pending.rejections_logged += 1
            doc = f" ({event.doc_id!r})" if event.doc_id else ""
            self._log(cid, f"rejected item {event.item}{doc}: {event.reason}", "warning")
        else:
            pending.rejections_unlogged += 1

    def _on_finished(self, cid: str, event: RunFinished) -> None:
        view = self._views.get(cid) or RunView(run_id=event.run_id, status=event.status)
        error = self._redact(event.error) if event.error else None
        trace = self._redact(event.traceback) if event.traceback else None
        self._views[cid] = replace(
            view,
            status=event.status,
            documents=event.documents,
            batches=event.batches,
            inserted=event.inserted,
            updated=event.updated,
            unchanged=event.unchanged,
            rejected=event.rejected,
            items_synced=event.items_synced,
            cursor=event.cursor,
            error=error,
            traceback=trace,
            finished_mono=self._clock.monotonic(),
        )
        summary = (
            f"{event.documents:,} docs, {event.written:,} written, "
            f"{event.rejected:,} rejected · total {event.items_synced:,}"
        )
        if event.status is RunStatus.SUCCEEDED:
            self._log(cid, f"run {event.run_id} succeeded: {summary}", "success")
        elif event.status is RunStatus.FAILED:
            self._log(
                cid,
                f"run {event.run_id} failed: {error} · {summary} · "
                f"resumes from cursor {fmt.cursor(event.cursor, 24)}",
                "error",
                detail=trace,
            )
        else:
            self._log(cid, f"run {event.run_id} {event.status.value}: {summary}", "warning")

    def _log(self, cid: str, text: str, level: Level = "info", detail: str | None = None) -> None:
        pending = self._pending.setdefault(cid, _Pending())
        if pending.lines.maxlen is not None and len(pending.lines) == pending.lines.maxlen:
            pending.skipped += 1
        pending.lines.append(LogLine(self._clock.now(), text, level, detail))

    # -- called from the UI ------------------------------------------------------------

    def note(self, cid: str, text: str, level: Level = "info", detail: str | None = None) -> None:
        """A line from the app itself (queued, refused, cancel requested...)."""
        with self._lock:
            self._log(cid, text, level, detail)
            self._dirty.add(cid)

    def fail_outside_run(self, cid: str, error: str, traceback: str | None) -> None:
        """A sync that failed before the engine opened a run (the connector could not be
        built, the state database refused): shown like a failed run."""
        error = self._redact(error)
        trace = self._redact(traceback) if traceback else None
        with self._lock:
            now = self._clock.monotonic()
            self._views[cid] = RunView(
                run_id=None,
                status=RunStatus.FAILED,
                error=error,
                traceback=trace,
                started_mono=now,
                finished_mono=now,
            )
            self._log(cid, f"sync failed to start: {error}", "error", detail=trace)
            self._dirty.add(cid)

    def view(self, cid: str) -> RunView | None:
        with self._lock:
            return self._views.get(cid)

    def drain(self) -> dict[str, BridgeUpdate]:
        """Everything that changed since the last call, one entry per connector."""
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            updates: dict[str, BridgeUpdate] = {}
            for cid in dirty:
                pending = self._pending.pop(cid, None) or _Pending()
                lines = list(pending.lines)
                if pending.rejections_unlogged:
                    lines.append(
                        LogLine(
                            self._clock.now(),
                            f"... and {pending.rejections_unlogged:,} more rejected documents",
                            "warning",
                        )
                    )
                updates[cid] = BridgeUpdate(self._views.get(cid), lines, pending.skipped)
            return updates
