"""Where the UI reads the time. Injected so that snapshot tests and screenshots can
freeze it: nothing on screen then depends on when the test ran."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo


class Clock:
    """The real clock: wall time for display, a monotonic clock for rates and elapsed."""

    #: Time zone used to display times; ``None`` means the system's local zone.
    tz: tzinfo | None = None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def local(self, value: datetime) -> datetime:
        """``value`` in the display time zone."""
        return value.astimezone(self.tz)


@dataclass
class FrozenClock(Clock):
    """A clock that never moves (unless told to): elapsed times stay 0 and rates unknown."""

    at: datetime = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    ticks: float = 0.0
    tz: tzinfo | None = UTC

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.ticks
