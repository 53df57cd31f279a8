"""Edit a connector's saved cursor: resume from a chosen position on the next sync.

The cursor is shown masked (a secret a connector put in it never reaches the screen), and
a new one is checked by the connector itself before it is saved: one it cannot read is
refused here with the connector's reason, rather than failing the next sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from syncdeck.tui import formatting as fmt
from syncdeck.tui.threads import in_daemon_thread

#: ``check(cursor)`` (blocking): why the connector could not resume from it, or None.
CursorCheck = Callable[[str | None], str | None]


@dataclass(frozen=True)
class CursorEdit:
    """The answer of the dialog: the new cursor (None clears it)."""

    cursor: str | None


class EditCursorScreen(ModalScreen[CursorEdit | None]):
    """Dismisses with a :class:`CursorEdit`, or None when cancelled (or left unchanged)."""

    AUTO_FOCUS = "#cursor-input"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        connector_id: str,
        current: str | None,
        *,
        check: CursorCheck | None = None,
        redact: Callable[[str], str] = str,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.connector_id = connector_id
        self.current = current
        self.check = check
        self.shown = redact(current) if current is not None else None
        self.masked = self.shown != current  # the cursor holds a secret
        self.checking = False

    def compose(self) -> ComposeResult:
        masked = (
            " It holds a secret, shown masked: saving it unchanged keeps it as it is."
            if self.masked
            else ""
        )
        with Vertical(classes="dialog"):
            yield Label(f"Edit the cursor of {self.connector_id}", classes="dialog-title")
            yield Static(
                f"Current: {fmt.cursor(self.shown)}\n"
                "The next sync resumes from the cursor saved here. Leave it empty to clear "
                f"it. The change can be undone with u.{masked}",
                markup=False,
                classes="dialog-body",
            )
            yield Input(value=self.shown or "", id="cursor-input", select_on_focus=False)
            yield Static(id="cursor-problem", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._save()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#cursor-problem", Static).update("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self._save()
        else:
            self.dismiss(None)

    def _save(self) -> None:
        if self.checking:
            return
        value = self.query_one("#cursor-input", Input).value
        if self.masked and value == self.shown:
            self.dismiss(None)  # unchanged: the real cursor stays (it was never shown)
            return
        cursor = value if value != "" else None
        if self.check is None or cursor is None:
            self.dismiss(CursorEdit(cursor))
            return
        self.checking = True
        self.query_one("#cursor-problem", Static).update("checking with the connector…")
        self.run_worker(self._checked(cursor), group="check", exclusive=True)

    async def _checked(self, cursor: str) -> None:
        assert self.check is not None
        try:
            problem = await in_daemon_thread(
                partial(self.check, cursor), name="syncdeck-check-cursor"
            )
        finally:
            self.checking = False
        if problem is None:
            self.dismiss(CursorEdit(cursor))
            return
        notice = self.query_one("#cursor-problem", Static)
        notice.update(f"Not saved: {problem}")
        notice.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
