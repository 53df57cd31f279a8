"""Documents per second, sampled once a second on the UI's own timer.

Sampling the run's document count (rather than timing events) makes the rate the same
whether the engine reports every batch or the UI coalesced a hundred of them.
"""

from __future__ import annotations

from collections import deque

WINDOW = 60  # seconds of history in the sparkline


class ThroughputMeter:
    def __init__(self, window: int = WINDOW) -> None:
        self.samples: deque[float] = deque(maxlen=window)
        self._run_id: int | None = None
        self._since: float | None = None
        self._documents = 0

    def sample(self, run_id: int | None, documents: int, now: float, *, running: bool) -> None:
        """Record the run's document count at monotonic time ``now``."""
        if run_id != self._run_id:
            self.samples.clear()
            self._run_id, self._since, self._documents = run_id, now, documents
            return
        if not running or self._since is None:
            return
        elapsed = now - self._since
        if elapsed >= 1.0:
            self.samples.append(max(0.0, (documents - self._documents) / elapsed))
            self._since, self._documents = now, documents

    @property
    def current(self) -> float | None:
        """The rate over the last whole second, or None before the first second."""
        return self.samples[-1] if self.samples else None
