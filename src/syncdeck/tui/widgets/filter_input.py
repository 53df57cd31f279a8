"""The list filter: typed after ``/``, applied as you type, Escape clears it."""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input


class FilterInput(Input):
    BINDINGS = [Binding("escape", "clear", "Clear filter", show=True)]

    class Cleared(Message):
        """The filter was cleared and closed: the list has the focus back."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter by id, type, status or error", id=id)

    def action_clear(self) -> None:
        self.value = ""
        self.post_message(self.Cleared())
