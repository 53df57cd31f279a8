"""State changes pushed by the server: every state commit NOTIFYs one channel (in its own
transaction, so a listener hears of it exactly when it is visible), and a listener's
``wait`` returns as soon as a notification arrives - from any process on any host."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from syncdeck.core.postgres.connection import Server

CHANNEL = "syncdeck_state"
NOTIFY = "SELECT pg_notify('syncdeck_state', %s)"


class ListenChanges:
    """A dedicated connection LISTENing on :data:`CHANNEL`. A lost connection is re-made on
    the next wait, which then reports a change (something may have happened meanwhile)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._conn: Any = None
        self._closed = threading.Event()
        self._connect()

    def _connect(self) -> bool:
        try:
            conn = self.server.connect()
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception:
            return False
        self._conn = conn
        return True

    def wait(self, timeout: float) -> bool:
        if self._closed.is_set():
            return False
        if self._conn is None or self._conn.closed:
            if self._connect():
                return True
            self._closed.wait(min(timeout, 0.5))
            return False
        try:
            deadline = time.monotonic() + timeout
            # short slices, so close() from another thread is seen promptly
            while not self._closed.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                for _ in self._conn.notifies(timeout=min(left, 0.25), stop_after=1):
                    return True
            return False
        except Exception:
            self._drop()
            return True

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def close(self) -> None:
        self._closed.set()
        self._drop()
