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
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
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

    def elapsed(self, now: float) -> float | None:
        """Seconds the run took, or has taken so far at clock reading ``now``."""
        if self.started is None:
            return self.duration
        end = self.finished if self.finished is not None else now
        return max(0.0, end - self.started)

    @property
    def running(self) -> bool:
        return self.status is RunStatus.RUNNING


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
                )
            elif event.run_id != view.run_id:
                return view  # an event of a run this fold did not see start
            elif isinstance(event, BatchCommitted):
                view = replace(
                    view, totals=event.totals, items_synced=event.items_synced, cursor=event.cursor
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
                )
            return self._set(view)

    # -- the supervisor's steps ----------------------------------------------------------

    def queued(self, connector_id: str) -> None:
        self._move(connector_id, Phase.QUEUED)

    def starting(self, connector_id: str) -> None:
        self._move(connector_id, Phase.STARTING)

    def cancelling(self, connector_id: str) -> None:
        self._move(connector_id, Phase.CANCELLING)

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

    def _move(self, connector_id: str, phase: Phase) -> None:
        with self._lock:
            view = self._views.get(connector_id) or LiveRun(connector_id, phase)
            fresh = phase is Phase.QUEUED or phase is Phase.STARTING
            self._set(replace(view, phase=phase, outcome=None if fresh else view.outcome))

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
            return {cid: self._views[cid] for cid in changed}

    def owns(self, run_id: int) -> bool:
        """True for a run this process started (its record in the state database is a
        copy of what this fold already holds)."""
        with self._lock:
            return run_id in self._own_runs
