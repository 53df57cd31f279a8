"""The status a connector shows: a word, a symbol (so it reads without colour) and the
theme colour it is painted with. Every status has its own symbol, so the symbol alone
tells them apart; the words are short, so the Status column has one width."""

from __future__ import annotations

from enum import Enum

from syncdeck.core.events import RunStatus


class DisplayStatus(Enum):
    # value: (label, symbol, theme colour role)
    IDLE = ("idle", "·", "foreground")
    INVALID = ("invalid", "⊗", "error")
    QUEUED = ("queued", "…", "secondary")
    RUNNING = ("running", "▶", "accent")
    WAITING = ("waiting", "▷", "warning")
    CANCELLING = ("cancelling", "◻", "warning")
    ELSEWHERE = ("elsewhere", "⇆", "secondary")
    SUCCEEDED = ("succeeded", "✓", "success")
    FAILED = ("failed", "✗", "error")
    DELETES_HELD = ("deletes held", "⊘", "warning")
    CANCELLED = ("cancelled", "◼", "warning")
    ABANDONED = ("abandoned", "!", "warning")
    RESET = ("reset", "↺", "foreground")
    CURSOR_SET = ("cursor set", "✎", "foreground")

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
        """A run holds the connector (here or in another process)."""
        return self in _ACTIVE

    @property
    def is_failure(self) -> bool:
        """Shown in red: the connector needs the operator."""
        return self in (DisplayStatus.FAILED, DisplayStatus.INVALID)

    @classmethod
    def from_run(cls, status: RunStatus | None) -> DisplayStatus:
        return _FROM_RUN.get(status, cls.IDLE) if status is not None else cls.IDLE


_ACTIVE = frozenset(
    {
        DisplayStatus.RUNNING,
        DisplayStatus.WAITING,
        DisplayStatus.CANCELLING,
        DisplayStatus.ELSEWHERE,
    }
)

_FROM_RUN = {
    RunStatus.RUNNING: DisplayStatus.RUNNING,
    RunStatus.SUCCEEDED: DisplayStatus.SUCCEEDED,
    RunStatus.FAILED: DisplayStatus.FAILED,
    RunStatus.CANCELLED: DisplayStatus.CANCELLED,
    RunStatus.ABANDONED: DisplayStatus.ABANDONED,
}

#: The widest status text: the Status column is always this wide.
STATUS_WIDTH = max(len(status.text) for status in DisplayStatus)
