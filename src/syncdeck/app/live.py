"""The live view of this process's runs: one :class:`LiveRun` per connector, folded from
the engine's events and the supervisor's steps (docs/architecture.md, "Runs in the front ends").

Both front ends display these views and nothing else of their own runs: counters are the
``totals`` the engine reports (never added up here), times come from an injected
monotonic clock (so a frozen clock freezes every elapsed time on screen). The fold is
thread-safe: sync threads apply to it while the display thread reads it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from syncdeck.core.counters import RunCounts
from syncdeck.core.documents import Progress
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunProgress,
    RunStarted,
    RunStatus,
    SyncEvent,
)

if TYPE_CHECKING:
    from syncdeck.app.outcome import RunOutcome

MonotonicClock = Callable[[], float]


class Phase(StrEnum):
    """Where a connector stands with the supervisor of this process."""

    QUEUED = "queued"  # waits for a free slot
    STARTING = "starting"  # its thread runs; the engine has not opened the run yet
    RUNNING = "running"
    CANCELLING = "cancelling"  # asked to stop at the next item
    ENDED = "ended"  # the supervisor is done with it: ``outcome`` says how
    SKIPPED = "skipped"  # taken off the queue before it started

    @property
    def active(self) -> bool:
        """Queued or holding a slot: the supervisor still owns it."""
        return self in _ACTIVE


_ACTIVE = frozenset({Phase.QUEUED, Phase.STARTING, Phase.RUNNING, Phase.CANCELLING})


@dataclass(frozen=True)
class LiveRun:
    """A connector's current (or last) run in this process, as the front ends show it.

    ``status`` is the engine's (None until the engine opened the run); ``phase`` is the
    supervisor's. The run's fields are kept while it is queued again, until the next run
    starts: a queued connector still shows what its last run did.
    """

    connector_id: str
    phase: Phase
    run_id: int | None = None
    status: RunStatus | None = None
    totals: RunCounts = field(default_factory=RunCounts)
    items_synced: int = 0
    cursor: str | None = None
    since: datetime | None = None
    notice: str | None = None  # why the run started over instead of resuming, if it did
    deletes_held: int = 0  # deletions the guard withheld (the run failed for it)
    error: str | None = None  # as the engine recorded it (secrets already masked)
    traceback: str | None = None
    started: float | None = None  # clock reading when the run started
    finished: float | None = None  # ... and when it finished
    outcome: RunOutcome | None = None  # how the supervisor's last attempt ended
    duration: float | None = None  # of a run read back from a record (another process's)
    number: int = 0  # the run's number among its connector's runs (0: not known)
    held: int = 0  # documents read but not yet stored (RunProgress)
    waiting: float = 0.0  # seconds since the connector last yielded, when last reported
    in_connector: bool = False  # the run's thread was inside the connector then
    progress: Progress | None = None  # the connector's newest hint
    # (done, engine seconds) at the first hint and at the newest: the hint's rate
    progress_first: tuple[float, float] | None = None
    progress_last: tuple[float, float] | None = None
    cancel_requested: float | None = None  # clock reading when a cancel was asked

    def elapsed(self, now: float) -> float | None:
        """Seconds the run took, or has taken so far at clock reading ``now``."""
        if self.started is None:
            return self.duration
        end = self.finished if self.finished is not None else now
        return max(0.0, end - self.started)

    @property
    def running(self) -> bool:
        return self.status is RunStatus.RUNNING

    @property
    def progress_rate(self) -> float | None:
        """Units of the progress hint per second over this run (None until measurable:
        half a second and some progress between the first hint and the newest)."""
        if self.progress_first is None or self.progress_last is None:
            return None
        (done0, t0), (done1, t1) = self.progress_first, self.progress_last
        if t1 - t0 < 0.5 or done1 <= done0:
            return None
        return (done1 - done0) / (t1 - t0)

    @property
    def eta(self) -> float | None:
        """Seconds left by the hint's rate, while the run runs and the total is known."""
        progress, rate = self.progress, self.progress_rate
        if not self.running or progress is None or progress.total is None or not rate:
            return None
        return max(0.0, (progress.total - progress.done) / rate)

    def cancelling_for(self, now: float) -> float | None:
        """Seconds since a cancel was asked of this (still running) run."""
        if self.cancel_requested is None or not self.running:
            return None
        return max(0.0, now - self.cancel_requested)


class LiveRuns:
    """Thread-safe fold of one process's runs; :meth:`changed` hands the display what
    moved since it last asked, so a repaint costs what changed, not what exists."""

    def __init__(self, clock: MonotonicClock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._views: dict[str, LiveRun] = {}
        self._changed: set[str] = set()
        self._own_runs: set[int] = set()

    # -- engine events (called from sync threads) --------------------------------------

    def apply(self, event: SyncEvent) -> LiveRun:
        """Fold one engine event into its connector's view; returns the new view."""
        with self._lock:
            cid = event.connector_id
            view = self._views.get(cid) or LiveRun(cid, Phase.RUNNING)
            if isinstance(event, RunStarted):
                self._own_runs.add(event.run_id)
                view = LiveRun(
                    cid,
                    Phase.CANCELLING if view.phase is Phase.CANCELLING else Phase.RUNNING,
                    run_id=event.run_id,
                    status=RunStatus.RUNNING,
                    items_synced=event.items_synced,
                    cursor=event.cursor,
                    since=event.since,
                    notice=event.notice,
                    started=self._clock(),
                    number=event.number,
                    cancel_requested=view.cancel_requested
                    if view.phase is Phase.CANCELLING
                    else None,
                )
            elif event.run_id != view.run_id:
                return view  # an event of a run this fold did not see start
            elif isinstance(event, BatchCommitted):
                view = replace(
                    view,
                    totals=event.totals,
                    items_synced=event.items_synced,
                    cursor=event.cursor,
                    held=0,
                    waiting=0.0,
                    in_connector=False,
                )
            elif isinstance(event, RunProgress):
                if view.status is not RunStatus.RUNNING:
                    return view  # a late report of a run already over
                view = replace(
                    view,
                    totals=event.totals,
                    held=event.held,
                    waiting=event.waiting,
                    in_connector=event.in_connector,
                )
                if event.progress is not None:
                    point = (event.progress.done, event.elapsed)
                    view = replace(
                        view,
                        progress=event.progress,
                        progress_first=view.progress_first or point,
                        progress_last=point,
                    )
            elif isinstance(event, DocumentRejected):
                view = replace(view, totals=replace(view.totals, rejected=event.rejected))
            elif isinstance(event, RunFinished):
                view = replace(
                    view,
                    status=event.status,
                    totals=event.totals,
                    items_synced=event.items_synced,
                    cursor=event.cursor,
                    deletes_held=event.deletes_held,
                    error=event.error,
                    traceback=event.traceback,
                    finished=self._clock(),
                    held=0,
                    waiting=0.0,
                    in_connector=False,
                )
            return self._set(view)

    # -- the supervisor's steps ----------------------------------------------------------

    def queued(self, connector_id: str) -> None:
        self._move(connector_id, Phase.QUEUED)

    def starting(self, connector_id: str) -> None:
        self._move(connector_id, Phase.STARTING)

    def cancelling(self, connector_id: str) -> None:
        with self._lock:
            view = self._views.get(connector_id) or LiveRun(connector_id, Phase.CANCELLING)
            asked = view.cancel_requested if view.cancel_requested is not None else self._clock()
            self._set(replace(view, phase=Phase.CANCELLING, cancel_requested=asked))

    def skipped(self, connector_id: str) -> None:
        self._move(connector_id, Phase.SKIPPED)

    def ended(
        self, outcome: RunOutcome, error: str | None = None, traceback: str | None = None
    ) -> None:
        """The supervisor is done with the connector. An attempt that failed before the
        engine opened a run shows as a failed run without an id, with ``error`` and
        ``traceback`` (masked by the caller); a refused one (another run holds the
        connector) leaves the last run as it was."""
        with self._lock:
            cid = outcome.connector_id
            view = self._views.get(cid) or LiveRun(cid, Phase.ENDED)
            if outcome.error is not None and not outcome.refused:
                if outcome.run_id is None:
                    now = self._clock()
                    view = LiveRun(cid, Phase.ENDED, status=RunStatus.FAILED, started=now)
                    view = replace(view, finished=now, error=error, traceback=traceback)
                elif view.status is RunStatus.RUNNING:  # the engine could not close it
                    view = replace(
                        view,
                        status=RunStatus.FAILED,
                        error=view.error or error,
                        traceback=view.traceback or traceback,
                        finished=self._clock(),
                    )
            self._set(replace(view, phase=Phase.ENDED, outcome=outcome))

    def forget(self, connector_id: str) -> None:
        """Drop what the fold holds of a connector (its state was removed): it shows as
        never run until it runs again."""
        with self._lock:
            view = self._views.pop(connector_id, None)
            if view is not None and view.run_id is not None:
                self._own_runs.discard(view.run_id)
            self._changed.add(connector_id)

    def _move(self, connector_id: str, phase: Phase) -> None:
        with self._lock:
            view = self._views.get(connector_id) or LiveRun(connector_id, phase)
            fresh = phase is Phase.QUEUED or phase is Phase.STARTING
            if fresh:
                view = replace(view, outcome=None, cancel_requested=None)
            self._set(replace(view, phase=phase))

    def _set(self, view: LiveRun) -> LiveRun:
        self._views[view.connector_id] = view
        self._changed.add(view.connector_id)
        return view

    # -- reading (any thread) ------------------------------------------------------------

    def view(self, connector_id: str) -> LiveRun | None:
        with self._lock:
            return self._views.get(connector_id)

    def views(self) -> dict[str, LiveRun]:
        with self._lock:
            return dict(self._views)

    def changed(self) -> dict[str, LiveRun]:
        """The views that changed since the last call (each connector once)."""
        with self._lock:
            changed, self._changed = self._changed, set()
            return {cid: self._views[cid] for cid in changed if cid in self._views}

    def owns(self, run_id: int) -> bool:
        """True for a run this process started (its record in the state database is a
        copy of what this fold already holds)."""
        with self._lock:
            return run_id in self._own_runs
