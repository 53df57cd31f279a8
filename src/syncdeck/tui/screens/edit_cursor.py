"""Edit a connector's saved cursor: resume from a chosen position on the next sync."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from syncdeck.tui import formatting as fmt


@dataclass(frozen=True)
class CursorEdit:
    """The answer of the dialog: the new cursor (None clears it)."""

    cursor: str | None


class EditCursorScreen(ModalScreen[CursorEdit | None]):
    """Dismisses with a :class:`CursorEdit`, or None when cancelled."""

    AUTO_FOCUS = "#cursor-input"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, connector_id: str, current: str | None) -> None:
        super().__init__(classes="dialog-screen")
        self.connector_id = connector_id
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Edit the cursor of {self.connector_id}", classes="dialog-title")
            yield Static(
                f"Current: {fmt.cursor(self.current)}\n"
                "The next sync resumes from the cursor saved here. Leave it empty to clear "
                "it. The change can be undone with u.",
                markup=False,
                classes="dialog-body",
            )
            yield Input(value=self.current or "", id="cursor-input", select_on_focus=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        value = self.query_one("#cursor-input", Input).value
        self.dismiss(CursorEdit(value if value != "" else None))

    def action_cancel(self) -> None:
        self.dismiss(None)
