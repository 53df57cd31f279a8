"""A background thread that reads the state database at a fixed rate.

Runs started by another process (``syncdeck sync`` in a terminal, cron, another host)
exist only in the state database, so the UI reads it. With a ``changes`` subscription
(``SyncEngine.changes``: SQLite's change counter, PostgreSQL's LISTEN) it reads again as
soon as anything commits, and the interval is only the fallback. Reading in a thread keeps
a slow or locked database from ever freezing the screen; each result is handed over with a
thread-safe callback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from syncdeck.core.backend import StateChanges
from syncdeck.core.state import ConnectorState


class StatePoller:
    """Calls ``read()`` every ``interval`` seconds (or at once after :meth:`refresh`) and
    passes the result, or the exception it raised, to ``deliver``."""

    def __init__(
        self,
        read: Callable[[], dict[str, ConnectorState]],
        deliver: Callable[[dict[str, ConnectorState] | None, Exception | None], Any],
        *,
        interval: float = 1.0,
        changes: Callable[[], StateChanges] | None = None,
    ) -> None:
        self._read = read
        self._deliver = deliver
        self.interval = interval
        self._changes = changes
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="syncdeck-state-poll", daemon=True)
        self._watcher = threading.Thread(
            target=self._watch, name="syncdeck-state-changes", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        if self._changes is not None:
            self._watcher.start()

    def _watch(self) -> None:
        """Wake the reader whenever the state database says it changed."""
        assert self._changes is not None
        try:
            feed = self._changes()
        except Exception:  # no subscription: the interval alone paces the reads
            return
        try:
            while not self._stop.is_set():
                if feed.wait(0.25):
                    self._wake.set()
        finally:
            feed.close()

    def refresh(self) -> None:
        """Read again now rather than at the next interval."""
        self._wake.set()

    def stop(self, timeout: float = 0.5) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                states = self._read()
            except Exception as exc:  # shown by the UI; the next poll may succeed
                self._deliver(None, exc)
            else:
                self._deliver(states, None)
            self._wake.wait(self.interval)
