"""Running syncs for a front end: start requests, a first-in first-out queue behind
``max_concurrent`` slots, cancel, and one daemon thread per run (docs/architecture.md,
"Runs in the front ends").

Each run's thread builds a fresh connector and hands it to the engine; its events and the
supervisor's own steps are folded into :attr:`RunSupervisor.live`, which is all a front
end displays. Threads are daemons so that a connector blocked forever cannot keep the
process alive; the engine's exit hook closes such runs.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from syncdeck.app.live import LiveRuns, MonotonicClock, Phase
from syncdeck.app.outcome import EndKind, RunOutcome
from syncdeck.app.wording import error_text
from syncdeck.core.connector import BaseConnector
from syncdeck.core.engine import SyncEngine
from syncdeck.core.errors import SyncAlreadyRunning, SyncdeckError
from syncdeck.core.events import Listener, RunStarted, RunStatus, SyncEvent

log = logging.getLogger(__name__)

THREAD_PREFIX = "syncdeck-sync-"


class Decision(Enum):
    """What became of a start request."""

    STARTED = "started"
    QUEUED = "queued"
    ALREADY_RUNNING = "already running"
    ALREADY_QUEUED = "already queued"
    # its last run has ended (the engine said so) but is still being closed: it starts
    # the moment that run's slot is free
    NEXT = "next"


@dataclass
class _Slot:
    connector_id: str
    apply_deletes: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    ending: bool = False  # the outcome is being recorded: too late to cancel
    abandoned: bool = False  # closed by hand: its thread is left behind in the connector


class RunSupervisor:
    """Thread-safe: any thread may request, cancel and read; callbacks come from the run
    threads. ``on_event`` sees every engine event after the fold did; ``on_end`` each
    outcome after the fold recorded it and before the slot is freed. ``redact`` masks
    errors the engine did not record (a connector that could not be built, a database
    that refused the run)."""

    def __init__(
        self,
        engine: SyncEngine,
        build: Callable[[str], BaseConnector],
        *,
        max_concurrent: int = 4,
        apply_deletes: bool = False,
        redact: Callable[[str], str] = str,
        clock: MonotonicClock = time.monotonic,
        on_event: Listener | None = None,
        on_end: Callable[[RunOutcome], None] | None = None,
    ) -> None:
        self.engine = engine
        self.build = build
        self.limit = max(1, max_concurrent)
        self.apply_deletes = apply_deletes  # what the deletion guard held back, for every run
        self.redact = redact
        self.live = LiveRuns(clock)
        self.on_event = on_event
        self.on_end = on_end
        self._lock = threading.Lock()
        self._running: dict[str, _Slot] = {}
        self._queue: deque[str] = deque()
        self._applying: set[str] = set()  # queued with apply_deletes

    # -- requests ------------------------------------------------------------------------

    def request(self, connector_id: str, *, apply_deletes: bool = False) -> Decision:
        """Start now if a slot is free, else queue; a connector is never in both.
        ``apply_deletes`` applies, for this run, what the deletion guard would hold back
        (as the supervisor's own ``apply_deletes`` does for every run)."""
        with self._lock:
            if connector_id in self._queue:
                return Decision.ALREADY_QUEUED
            slot = self._running.get(connector_id)
            if slot is not None:
                if not (slot.ending or self._reported_end(connector_id)):
                    return Decision.ALREADY_RUNNING
                self._queue.appendleft(connector_id)  # first to take the slot it frees
                if apply_deletes:
                    self._applying.add(connector_id)
                return Decision.NEXT
            if len(self._running) < self.limit:
                self._launch(connector_id, apply_deletes)
                return Decision.STARTED
            self._queue.append(connector_id)
            if apply_deletes:
                self._applying.add(connector_id)
            self.live.queued(connector_id)
            return Decision.QUEUED

    def _reported_end(self, connector_id: str) -> bool:
        """The engine has reported how the connector's run ended (its thread is closing
        it). A starting run still shows the previous run's status: that is not it."""
        view = self.live.view(connector_id)
        return (
            view is not None
            and view.phase in (Phase.RUNNING, Phase.CANCELLING)
            and view.status not in (None, RunStatus.RUNNING)
        )

    def cancel(self, connector_id: str) -> Phase | None:
        """Ask a run to stop (``CANCELLING``) or take it off the queue (``SKIPPED``);
        None when it is neither running nor queued."""
        with self._lock:
            slot = self._running.get(connector_id)
            if slot is not None and not slot.ending:
                slot.cancel.set()
                self.live.cancelling(connector_id)
                return Phase.CANCELLING
            if connector_id in self._queue:
                self._queue.remove(connector_id)
                self._applying.discard(connector_id)
                self.live.skipped(connector_id)
                return Phase.SKIPPED
            return None

    def abandon(self, connector_id: str) -> bool:
        """Close a run whose connector does not return (``SyncEngine.abandon``): what it
        holds is stored and checkpointed, the run is marked abandoned, its slot is freed
        and the queue moves on. False when the connector is not running in a slot, or
        its run is not blocked in its connector (then it answers a cancel)."""
        with self._lock:
            slot = self._running.get(connector_id)
            if slot is None or slot.ending:
                return False
        view = self.live.view(connector_id)
        run_id = view.run_id if view is not None and view.status is not None else None
        if run_id is None or not self.engine.abandon(run_id):
            return False
        with self._lock:
            if self._running.get(connector_id) is not slot:
                return True  # ended meanwhile on its own
            slot.abandoned = slot.ending = True
        self._finish(slot, RunOutcome(connector_id, EndKind.ABANDONED, run_id))
        return True

    def cancel_all(self) -> list[str]:
        """Empty the queue and ask every run to stop; returns the connectors still running
        (:meth:`wait` waits for them)."""
        with self._lock:
            for connector_id in self._queue:
                self.live.skipped(connector_id)
            self._queue.clear()
            self._applying.clear()
            for connector_id, slot in self._running.items():
                if not slot.ending:
                    slot.cancel.set()
                    self.live.cancelling(connector_id)
            return list(self._running)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until nothing runs or is queued; False if ``timeout`` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                slots = list(self._running.values())
                if not slots and not self._queue:
                    return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if slots:
                slots[0].done.wait(left)
            else:  # a queued run is about to take the slot just freed
                time.sleep(0.01)

    # -- reading -------------------------------------------------------------------------

    @property
    def running(self) -> list[str]:
        with self._lock:
            return list(self._running)

    @property
    def queued(self) -> list[str]:
        with self._lock:
            return list(self._queue)

    @property
    def busy(self) -> bool:
        """Something runs or waits."""
        with self._lock:
            return bool(self._running or self._queue)

    # -- the run threads -------------------------------------------------------------------

    def _launch(self, connector_id: str, apply_deletes: bool = False) -> None:
        """With the lock held: take a slot and start the run's thread."""
        slot = _Slot(connector_id, apply_deletes or self.apply_deletes)
        self._running[connector_id] = slot
        self.live.starting(connector_id)
        threading.Thread(
            target=self._work, args=(slot,), name=f"{THREAD_PREFIX}{connector_id}", daemon=True
        ).start()

    def _work(self, slot: _Slot) -> None:
        outcome = self._attempt(slot)
        with self._lock:
            if slot.abandoned:
                return  # its run was closed by hand: the outcome is recorded already
            slot.ending = True
        self._finish(slot, outcome)

    def _finish(self, slot: _Slot, outcome: RunOutcome) -> None:
        """Record how the attempt ended, then free the slot for the next queued run."""
        self.live.ended(outcome, *self._failure_text(outcome))
        if self.on_end is not None:
            try:
                self.on_end(outcome)
            except Exception:
                log.exception("the end-of-run callback for %s failed", slot.connector_id)
        with self._lock:
            if self._running.get(slot.connector_id) is slot:
                del self._running[slot.connector_id]
            while self._queue and len(self._running) < self.limit:
                name = self._queue.popleft()
                self._launch(name, name in self._applying)
                self._applying.discard(name)
        slot.done.set()

    def _failure_text(self, outcome: RunOutcome) -> tuple[str | None, str | None]:
        """What to show of an error the engine did not record (and so did not mask):
        syncdeck's own errors without a traceback, as they are an operator's to fix."""
        error = outcome.error
        if error is None or outcome.refused:
            return None, None
        trace = None if isinstance(error, SyncdeckError) else outcome.traceback
        return self.redact(error_text(error)), self.redact(trace) if trace else None

    def _attempt(self, slot: _Slot) -> RunOutcome:
        cid = slot.connector_id
        try:
            connector = self.build(cid)
        except Exception as exc:
            return RunOutcome(cid, EndKind.NOT_BUILT, error=exc, traceback=_trace(exc))
        opened: list[int] = []

        def listener(event: SyncEvent) -> None:
            if isinstance(event, RunStarted):
                opened.append(event.run_id)
            self.live.apply(event)
            if self.on_event is not None:
                self.on_event(event)

        try:
            written = self.engine.sync(
                connector, cancel=slot.cancel, on_event=listener, apply_deletes=slot.apply_deletes
            )
        except SyncAlreadyRunning as exc:
            return RunOutcome(cid, EndKind.REFUSED, error=exc)
        except BaseException as exc:  # a connector calling sys.exit() included
            run_id = opened[0] if opened else None
            return RunOutcome(cid, EndKind.FAILED, run_id, error=exc, traceback=_trace(exc))
        return RunOutcome(cid, EndKind.FINISHED, opened[0] if opened else None, written=written)


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))
