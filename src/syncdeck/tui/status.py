"""The status a connector shows: a word, a symbol (so it reads without colour) and the
theme colour it is painted with."""

from __future__ import annotations

from enum import Enum

from syncdeck.core.events import RunStatus


class DisplayStatus(Enum):
    # value: (label, symbol, theme colour role)
    IDLE = ("idle", "·", "foreground")
    QUEUED = ("queued", "…", "secondary")
    RUNNING = ("running", "▶", "accent")
    CANCELLING = ("cancelling", "◼", "warning")
    ELSEWHERE = ("running elsewhere", "⇆", "secondary")
    SUCCEEDED = ("succeeded", "✓", "success")
    FAILED = ("failed", "✗", "error")
    CANCELLED = ("cancelled", "◼", "warning")
    ABANDONED = ("abandoned", "!", "warning")

    @property
    def label(self) -> str:
        return self.value[0]

    @property
    def symbol(self) -> str:
        return self.value[1]

    @property
    def role(self) -> str:
        return self.value[2]

    @property
    def text(self) -> str:
        return f"{self.symbol} {self.label}"

    @property
    def is_active(self) -> bool:
        return self in (DisplayStatus.RUNNING, DisplayStatus.CANCELLING, DisplayStatus.ELSEWHERE)

    @classmethod
    def from_run(cls, status: RunStatus | None) -> DisplayStatus:
        return _FROM_RUN.get(status, cls.IDLE) if status is not None else cls.IDLE


_FROM_RUN = {
    RunStatus.RUNNING: DisplayStatus.RUNNING,
    RunStatus.SUCCEEDED: DisplayStatus.SUCCEEDED,
    RunStatus.FAILED: DisplayStatus.FAILED,
    RunStatus.CANCELLED: DisplayStatus.CANCELLED,
    RunStatus.ABANDONED: DisplayStatus.ABANDONED,
}
