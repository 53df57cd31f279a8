"""Messages between the app's parts; posted from background threads where noted."""

from __future__ import annotations

from textual.message import Message

from syncdeck.core.state import ConnectorState


class StatesPolled(Message):
    """The state database was read (posted from the poller thread)."""

    def __init__(self, states: dict[str, ConnectorState] | None, error: Exception | None) -> None:
        super().__init__()
        self.states = states
        self.error = error
