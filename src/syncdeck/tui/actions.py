"""The main screen's actions, declared once: its key bindings, its command palette and
the help screen are all made from :data:`MAIN_ACTIONS` (docs/architecture.md, "Adding a
screen or an action")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.binding import Binding


@dataclass(frozen=True)
class MainAction:
    key: str  # Textual key name(s), as in a Binding; empty: the palette only
    action: str  # an action of the main screen, or "app.<name>"
    label: str = ""  # in the footer; empty keeps it out of the footer
    title: str = ""  # in the command palette; empty keeps it out of the palette
    help: str = ""  # in the help screen and the palette; empty keeps it out of both
    key_display: str | None = None  # how help shows the key, when not as the footer does
    # handled before the focused widget sees the key: what it does moves the focus, so the
    # keys typed after it in one burst go where it moved it
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.label,
            show=bool(self.label),
            key_display=self.key_display,
            priority=self.priority,
        )

    def key_shown(self, app: App[Any]) -> str:
        """The key as the help screen and the palette show it ("palette" without one)."""
        if not self.key:
            return "palette"
        return self.key_display or app.get_key_display(self.binding())


MAIN_ACTIONS: tuple[MainAction, ...] = (
    MainAction(
        "s", "sync", "Sync", "Sync selected connector",
        "sync the selected connector, or resume it from its saved cursor",
    ),
    MainAction(
        "a", "sync_all", "All", "Sync all connectors",
        "sync every connector (at most max_concurrent at once, the rest queued)",
    ),
    MainAction(
        "c", "cancel", "Cancel", "Cancel selected run",
        "cancel the selected run (its checkpoint is saved), or take it off the queue; "
        "again, once its connector has ignored the cancel for 10 s, abandon the run",
    ),
    MainAction(
        "f", "search", "Search", "Search documents",
        "search the synced documents (BM25): filter by source, type, author and time; "
        "Enter opens a document",
    ),
    MainAction(
        "h", "history", "History", "Run history", "run history of the selected connector"
    ),
    MainAction(
        "i", "inspect", "Inspect", "Inspect connector (dry run)",
        "inspect: a dry run of the first documents, writing nothing",
    ),
    MainAction(
        "x", "quarantine", "Rejected", "Rejected documents",
        "the selected connector's quarantine: each rejected document, why, and its payload",
    ),
    MainAction(
        "r", "reset", "", "Reset checkpoint",
        "reset the checkpoint: the next sync starts from the beginning",
    ),
    MainAction("e", "edit_cursor", "", "Edit cursor", "edit the saved cursor"),
    MainAction(
        "u", "undo", "", "Undo checkpoint change", "undo the last reset or cursor edit"
    ),
    MainAction(
        "D", "apply_deletes", "", "Apply held deletions",
        "apply the deletions the deletion guard held back (asks first, says how many)",
        key_display="shift+d",
    ),
    MainAction(
        "", "abandon", "", "Force-stop run",
        "abandon a run whose connector does not answer a cancel (asks first)",
    ),
    MainAction(
        "", "release", "", "Release lease",
        "free the lease of a run whose process is stuck or gone (asks first, says who holds it)",
    ),
    MainAction(
        "", "forget", "", "Forget connector",
        "delete the connector's documents, checkpoint, history and quarantine (asks first)",
    ),
    MainAction(
        "slash", "filter", "", "Filter connectors", "filter the list (Escape clears)",
        key_display="/", priority=True,
    ),
    MainAction("escape", "clear_filter"),
    # Enter in the filter applies it and gives the list the focus before the next key of
    # the same burst is delivered (the filter itself would only post a message)
    MainAction("enter", "filter_done", priority=True),
    MainAction(
        "ctrl+p", "app.command_palette", "", "", "command palette: every action by name",
        key_display="ctrl+p",
    ),
    MainAction("question_mark", "help", "Help", "Help", "this help", key_display="?"),
    MainAction(
        "q", "app.quit", "Quit", "Quit",
        "quit: running syncs are cancelled and checkpointed first",
    ),
)  # fmt: skip


def main_bindings() -> list[Binding]:
    return [action.binding() for action in MAIN_ACTIONS if action.key]
