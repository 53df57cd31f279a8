"""The help screen: every key of the main screen (from its action table), and what each
status means."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from syncdeck.tui.actions import MAIN_ACTIONS
from syncdeck.tui.status import DisplayStatus

MEANINGS: dict[DisplayStatus, str] = {
    DisplayStatus.IDLE: "never synced",
    DisplayStatus.INVALID: "its configuration cannot be built: the reason is in Error",
    DisplayStatus.QUEUED: "waits for a free slot",
    DisplayStatus.RUNNING: "syncing in this app",
    DisplayStatus.WAITING: "syncing, but its connector has yielded nothing for 5 s or more",
    DisplayStatus.CANCELLING: "stops at the next item (c again after 10 s abandons the run)",
    DisplayStatus.ELSEWHERE: "syncing in another process (a terminal, cron)",
    DisplayStatus.SUCCEEDED: "last run finished",
    DisplayStatus.FAILED: "last run failed; s resumes from the saved cursor",
    DisplayStatus.DELETES_HELD: "the deletion guard held back deletions; shift+d applies them",
    DisplayStatus.CANCELLED: "last run was cancelled; its checkpoint is saved",
    DisplayStatus.ABANDONED: "its run was abandoned (process died, or force-stopped)",
    DisplayStatus.RESET: "checkpoint reset by hand: the next sync starts over (u undoes it)",
    DisplayStatus.CURSOR_SET: "cursor set by hand: the next sync resumes there (u undoes it)",
}


def help_renderable(keys_shown: Iterable[tuple[str, str]]) -> Group:
    keys = Table.grid(padding=(0, 2))
    keys.add_column(style="bold", no_wrap=True)
    keys.add_column()
    for key, what in keys_shown:
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


def key_rows(app: App[object]) -> list[tuple[str, str]]:
    """(key as shown, what it does) for every action with help, from its binding."""
    return [(action.key_shown(app), action.help) for action in MAIN_ACTIONS if action.help]


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        # The hint stays in view below the scrolled keys, however small the terminal.
        with Vertical(classes="dialog dialog-wide", id="help-dialog"):
            yield Label("syncdeck help", classes="dialog-title")
            with VerticalScroll(id="help-body"):
                yield Static(help_renderable(key_rows(self.app)), classes="dialog-body")
            yield Static("↑↓ scroll · Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#help-body", VerticalScroll).focus()

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
