"""Changes of a SQLite state database, seen by polling its change counter: ``PRAGMA
data_version`` moves whenever another connection commits, so a front end reads the state
again only when something happened (PostgreSQL pushes instead: core.postgres.notifications)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from pathlib import Path

from syncdeck.core.database import MEMORY


class PolledChanges:
    """``wait(timeout)`` returns True as soon as another connection committed to the
    state file (checked every ``interval`` seconds)."""

    def __init__(self, path: str, *, interval: float = 0.1) -> None:
        self.interval = interval
        self._closed = threading.Event()
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        if path != MEMORY:
            with contextlib.suppress(sqlite3.Error):
                self._conn = sqlite3.connect(
                    f"{Path(path).as_uri()}?mode=ro", uri=True, timeout=1.0, check_same_thread=False
                )
                self._version = self._read()

    def _read(self) -> int | None:
        if self._conn is None:
            return None
        try:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            return None

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self._closed.is_set():
            version = self._read()
            if version is not None and version != self._version:
                self._version = version
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._closed.wait(min(self.interval, left))
        return False

    def close(self) -> None:
        self._closed.set()
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
