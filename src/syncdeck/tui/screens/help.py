"""The help screen: every key of the main screen (from its action table), and what each
status means."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from syncdeck.tui.actions import MAIN_ACTIONS
from syncdeck.tui.status import DisplayStatus

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
        with VerticalScroll(classes="dialog dialog-wide"):
            yield Label("syncdeck help", classes="dialog-title")
            yield Static(help_renderable(key_rows(self.app)), classes="dialog-body")
            yield Static("Escape closes", classes="dialog-hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
