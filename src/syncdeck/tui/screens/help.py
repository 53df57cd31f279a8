"""The help screen: every key, and what each status means."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from syncdeck.tui.status import DisplayStatus

KEYS: tuple[tuple[str, str], ...] = (
    ("s", "sync the selected connector, or resume it from its saved cursor"),
    ("a", "sync every connector (at most max_concurrent at once, the rest queued)"),
    ("c", "cancel the selected run (its checkpoint is saved), or take it off the queue"),
    ("r", "reset the checkpoint: the next sync starts from the beginning"),
    ("e", "edit the saved cursor"),
    ("u", "undo the last reset or cursor edit"),
    ("h", "run history of the selected connector"),
    ("i", "inspect: a dry run of the first documents, writing nothing"),
    ("/", "filter the list (Escape clears)"),
    ("ctrl+p", "command palette: every action by name"),
    ("?", "this help"),
    ("q", "quit: running syncs are cancelled and checkpointed first"),
)

MEANINGS: dict[DisplayStatus, str] = {
    DisplayStatus.IDLE: "never synced",
    DisplayStatus.QUEUED: "waits for a free slot",
    DisplayStatus.RUNNING: "syncing in this app",
    DisplayStatus.CANCELLING: "stops at the next item",
    DisplayStatus.ELSEWHERE: "syncing in another process",
    DisplayStatus.SUCCEEDED: "last run finished",
    DisplayStatus.FAILED: "last run failed; s resumes",
    DisplayStatus.CANCELLED: "last run was cancelled",
    DisplayStatus.ABANDONED: "its process died mid-run",
}


def help_renderable() -> Group:
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold", no_wrap=True)
    keys.add_column()
    for key, what in KEYS:
        keys.add_row(key, what)
    statuses = Table.grid(padding=(0, 2))
    statuses.add_column(no_wrap=True)
    statuses.add_column()
    for status, meaning in MEANINGS.items():
        statuses.add_row(status.text, meaning)
    return Group(
        Text("Keys", style="bold underline"),
        keys,
        Text(""),
        Text("Statuses", style="bold underline"),
        statuses,
    )


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog dialog-wide"):
            yield Label("syncdeck help", classes="dialog-title")
            yield Static(help_renderable(), classes="dialog-body")
            yield Static("Escape closes", classes="dialog-hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
