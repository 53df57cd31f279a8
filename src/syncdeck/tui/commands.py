"""The command palette (ctrl+p) of the main screen: every action of its action table by
name, and "Sync X" / "Show X" for each connector, so nothing needs a key to be remembered.

It is a provider of the main screen only (``Screen.COMMANDS``): opened over a dialog, the
palette does not offer it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from syncdeck.tui.actions import MAIN_ACTIONS


class CommandTarget(Protocol):
    """What the palette needs of the screen it was opened from."""

    @property
    def connector_ids(self) -> Iterable[str]: ...

    def sync_connector(self, connector_id: str) -> Any: ...

    def select_connector(self, connector_id: str) -> Any: ...

    async def run_action(self, action: str) -> Any: ...


class MainCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = cast(CommandTarget, self.screen)
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (
                action.title,
                f"{action.key_shown(self.app)} · {action.help}",
                partial(screen.run_action, action.action),
            )
            for action in MAIN_ACTIONS
            if action.title
        ]
        for connector_id in screen.connector_ids:
            commands.append(
                (
                    f"Sync {connector_id}",
                    "start or resume this connector",
                    partial(screen.sync_connector, connector_id),
                )
            )
            commands.append(
                (
                    f"Show {connector_id}",
                    "select it in the list and show its panel",
                    partial(screen.select_connector, connector_id),
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
