"""The command palette (ctrl+p): every action of the main screen by name, and "Sync X" /
"Show X" for each connector, so nothing needs a key to be remembered."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from syncdeck.tui.app import SyncdeckApp

# (title, help, action name) for the actions on the selected connector and the app.
ACTIONS: tuple[tuple[str, str, str], ...] = (
    ("Sync selected connector", "s · sync, or resume from the saved cursor", "sync"),
    ("Sync all connectors", "a · at most max_concurrent at once, the rest queued", "sync_all"),
    ("Cancel selected run", "c · stop at the next item; the checkpoint is saved", "cancel"),
    ("Reset checkpoint", "r · the next sync starts from the beginning (asks first)", "reset"),
    ("Edit cursor", "e · resume the next sync from a chosen cursor", "edit_cursor"),
    ("Undo checkpoint change", "u · revert the last reset or cursor edit", "undo"),
    ("Run history", "h · the runs of the selected connector", "history"),
    ("Inspect connector (dry run)", "i · the first documents it yields; writes nothing", "inspect"),
    ("Filter connectors", "/ · by id, type, status or error", "filter"),
    ("Help", "? · keys and statuses", "help"),
    ("Quit", "q · running syncs are cancelled and checkpointed first", "quit"),
)


class SyncdeckCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = cast("SyncdeckApp", self.app)
        if not app.is_main_screen(self.screen):
            return []
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (title, help_text, partial(app.run_action, action))
            for title, help_text, action in ACTIONS
        ]
        for connector_id in app.connector_ids:
            commands.append(
                (
                    f"Sync {connector_id}",
                    "start or resume this connector",
                    partial(app.sync_connector, connector_id),
                )
            )
            commands.append(
                (
                    f"Show {connector_id}",
                    "select it in the list and show its panel",
                    partial(app.select_connector, connector_id),
                )
            )
        return commands

    async def discover(self) -> Hits:
        for title, help_text, command in self._commands():
            yield DiscoveryHit(title, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, command in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), command, help=help_text)
