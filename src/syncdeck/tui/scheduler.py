"""Which of this app's syncs run now and which wait their turn.

Pure bookkeeping (no threads, no Textual): at most ``limit`` runs at once, the rest in a
first-in first-out queue, so "sync all" over many connectors stays gentle on the sources
and the machine.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class Decision(Enum):
    STARTED = "started"
    QUEUED = "queued"
    ALREADY_RUNNING = "already running"
    ALREADY_QUEUED = "already queued"


@dataclass
class LocalRun:
    """A sync this app started: its cancel event and whether it has ended."""

    connector_id: str
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def cancelling(self) -> bool:
        return self.cancel.is_set() and not self.done.is_set()


class SyncScheduler:
    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self.running: dict[str, LocalRun] = {}
        self.queue: deque[str] = deque()

    def request(self, connector_id: str) -> Decision:
        """Start now if a slot is free, else queue; a connector is never in both."""
        if connector_id in self.running:
            return Decision.ALREADY_RUNNING
        if connector_id in self.queue:
            return Decision.ALREADY_QUEUED
        if len(self.running) < self.limit:
            self.running[connector_id] = LocalRun(connector_id)
            return Decision.STARTED
        self.queue.append(connector_id)
        return Decision.QUEUED

    def finished(self, connector_id: str) -> list[str]:
        """Forget a run that ended; returns the queued connectors that now start."""
        run = self.running.pop(connector_id, None)
        if run is not None:
            run.done.set()
        started: list[str] = []
        while self.queue and len(self.running) < self.limit:
            next_id = self.queue.popleft()
            self.running[next_id] = LocalRun(next_id)
            started.append(next_id)
        return started

    def cancel(self, connector_id: str) -> bool:
        """Ask a run to stop, or take a connector off the queue; False if neither."""
        run = self.running.get(connector_id)
        if run is not None:
            run.cancel.set()
            return True
        if connector_id in self.queue:
            self.queue.remove(connector_id)
            return True
        return False

    def cancel_all(self) -> list[LocalRun]:
        """Empty the queue and ask every run to stop; returns the runs to wait for."""
        self.queue.clear()
        for run in self.running.values():
            run.cancel.set()
        return list(self.running.values())

    def is_queued(self, connector_id: str) -> bool:
        return connector_id in self.queue

    def run(self, connector_id: str) -> LocalRun | None:
        return self.running.get(connector_id)
