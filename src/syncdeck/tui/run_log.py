"""The panels' log lines, from one producer: engine events of this app's runs (called from
the sync threads, up to thousands a second), notes of the app itself, and runs of other
processes seen in the state database.

Lines are queued per connector, at most :data:`BURST` between two drains (older ones are
counted, not kept), so what the UI writes does not grow with the rate at which a source
yields documents.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from syncdeck.app.live import LiveRun
from syncdeck.app.wording import outcomes, plural
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunStarted,
    RunStatus,
    SyncEvent,
)
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock

Level = Literal["info", "success", "warning", "error"]

#: Log lines kept per connector between two drains; older ones are counted, not shown.
BURST = 20
#: Rejected documents logged one by one per drain; the rest are summed up.
REJECTIONS_SHOWN = 3


@dataclass(frozen=True)
class LogLine:
    time: datetime
    text: str
    level: Level = "info"
    detail: str | None = None  # a traceback, shown under the line


@dataclass(frozen=True)
class LogBatch:
    """The lines of one connector since the last drain."""

    lines: list[LogLine]
    skipped: int  # lines that came too fast to show


@dataclass
class _Pending:
    lines: deque[LogLine] = field(default_factory=lambda: deque(maxlen=BURST))
    skipped: int = 0
    rejections_logged: int = 0
    rejections_unlogged: int = 0


class RunLog:
    """Thread-safe; :meth:`record` is an engine listener."""

    def __init__(self, clock: Clock, redact: Callable[[str], str] = str) -> None:
        self._clock = clock
        self._redact = redact
        self._numbers: dict[int, int] = {}  # run id -> its number among its connector's
        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._seen_records: dict[int, RunStatus] = {}
        self._holders: dict[int, str] = {}  # run id -> "pid N on host" while it was seen live

    # -- this app's runs (sync threads) ------------------------------------------------

    def record(self, event: SyncEvent) -> None:
        """The line an engine event makes, if any; never blocks on the UI."""
        cid = event.connector_id
        with self._lock:
            if isinstance(event, RunStarted):
                if event.number:
                    self._numbers[event.run_id] = event.number
                start = (
                    f"from cursor {self._cursor(event.cursor, 40)}"
                    if event.cursor is not None
                    else "from the beginning"
                )
                self._add(cid, f"{self._run(event.run_id)} started {start}")
                if event.notice:
                    self._add(cid, event.notice, "warning")
            elif isinstance(event, BatchCommitted) and event.sweep:
                self._add(
                    cid,
                    f"sweep: {plural(event.batch.deleted, 'document')} deleted, no longer in "
                    f"the source · total {event.items_synced:,}",
                    "warning",
                )
            elif isinstance(event, BatchCommitted):
                batch = event.batch
                parts = [f"{count:,} {label}" for label, count in outcomes(batch) if count]
                self._add(
                    cid,
                    f"batch {event.number}: {plural(event.size, 'doc')} "
                    f"({', '.join(parts or ['none stored'])}) · "
                    f"cursor {self._cursor(event.cursor, 24)} · total {event.items_synced:,}",
                    "warning" if batch.rejected or batch.deleted else "info",
                )
            elif isinstance(event, DocumentRejected):
                pending = self._pending.setdefault(cid, _Pending())
                if pending.rejections_logged < REJECTIONS_SHOWN:
                    pending.rejections_logged += 1
                    doc = f" ({event.doc_id!r})" if event.doc_id else ""
                    self._add(cid, f"rejected item {event.item}{doc}: {event.reason}", "warning")
                else:
                    pending.rejections_unlogged += 1
            elif isinstance(event, RunFinished):
                self._finished(cid, event)

    def _finished(self, cid: str, event: RunFinished) -> None:
        deleted = f", {event.deleted:,} deleted" if event.deleted else ""
        summary = (
            f"{plural(event.documents, 'doc')}, {event.written:,} written{deleted}, "
            f"{event.rejected:,} rejected · total {event.items_synced:,}"
        )
        run = self._run(event.run_id)
        if event.status is RunStatus.SUCCEEDED:
            self._add(cid, f"{run} succeeded: {summary}", "success")
        elif event.status is RunStatus.FAILED and event.deletes_held:
            self._add(
                cid,
                f"{run} held back {plural(event.deletes_held, 'deletion')} (the deletion "
                f"guard): {event.error} · {summary} · press D to apply them",
                "warning",
            )
        elif event.status is RunStatus.FAILED:
            self._add(
                cid,
                f"{run} failed: {event.error} · {summary} · "
                f"resumes from cursor {self._cursor(event.cursor, 24)}",
                "error",
                event.traceback,
            )
        else:
            text = f"{run} {event.status.value}: {summary}"
            if event.status is RunStatus.ABANDONED and event.error:
                text += f" · {event.error}"
            self._add(cid, text, "warning")

    def _run(self, run_id: int) -> str:
        """``run 3``: its number among its connector's runs (the id when not known)."""
        return f"run {self._numbers.get(run_id, run_id)}"

    def _cursor(self, cursor: str | None, width: int) -> str:
        return fmt.cursor(self._redact(cursor) if cursor is not None else None, width)

    # -- the app (UI thread) -----------------------------------------------------------

    def note(self, cid: str, text: str, level: Level = "info", detail: str | None = None) -> None:
        """A line from the app itself (queued, refused, cancel requested...)."""
        with self._lock:
            self._add(cid, text, level, detail)

    def follow(self, run: LiveRun, holder: str | None) -> None:
        """A run seen only in the state database (another process's, or an earlier
        session's): its start and its end, with the traceback if it failed."""
        if run.run_id is None or run.status is None:
            return
        with self._lock:
            seen = self._seen_records.get(run.run_id)
            if seen is run.status:
                return
            self._seen_records[run.run_id] = run.status
            if run.number:
                self._numbers[run.run_id] = run.number
            if holder:
                self._holders[run.run_id] = holder
            where = f" ({self._holders[run.run_id]})" if run.run_id in self._holders else ""
            cid = run.connector_id
            if run.status is RunStatus.RUNNING:
                self._add(cid, f"{self._run(run.run_id)} is running in another process{where}")
            elif seen is not None or run.status is RunStatus.FAILED:
                summary = f"{plural(run.totals.documents, 'doc')}, {run.totals.written:,} written"
                text = f"{self._run(run.run_id)}{where} {run.status.value}: {summary}"
                if run.error:
                    text += f" · {run.error}"
                self._add(cid, text, _LEVELS.get(run.status, "warning"), run.traceback)

    def _add(self, cid: str, text: str, level: Level = "info", detail: str | None = None) -> None:
        pending = self._pending.setdefault(cid, _Pending())
        if pending.lines.maxlen is not None and len(pending.lines) == pending.lines.maxlen:
            pending.skipped += 1
        pending.lines.append(LogLine(self._clock.now(), text, level, detail))

    def drain(self) -> dict[str, LogBatch]:
        """Every connector's new lines since the last call."""
        with self._lock:
            pending, self._pending = self._pending, {}
        batches: dict[str, LogBatch] = {}
        for cid, queued in pending.items():
            lines = list(queued.lines)
            if queued.rejections_unlogged:
                lines.append(
                    LogLine(
                        self._clock.now(),
                        f"... and {plural(queued.rejections_unlogged, 'more rejected document')}",
                        "warning",
                    )
                )
            if lines or queued.skipped:
                batches[cid] = LogBatch(lines, queued.skipped)
        return batches


_LEVELS: dict[RunStatus, Level] = {RunStatus.SUCCEEDED: "success", RunStatus.FAILED: "error"}
