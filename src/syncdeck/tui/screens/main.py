"""The main screen: the connector list, one panel per connector, and the keys that act on
them. Its bindings, its command palette and the help screen are all made from the action
table (:mod:`syncdeck.tui.actions`); what an action does is the app's, which holds the
runs and the data (docs/architecture.md, "Adding a screen or an action")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, Header, Input, Static

from syncdeck.app.config import ConnectorSpec
from syncdeck.tui.actions import main_bindings
from syncdeck.tui.clock import Clock
from syncdeck.tui.commands import MainCommands
from syncdeck.tui.widgets.connector_panel import ConnectorPanel
from syncdeck.tui.widgets.connector_table import ConnectorTable
from syncdeck.tui.widgets.filter_input import FilterInput


class MainHost(Protocol):
    """What the main screen's actions ask of the app."""

    def main_mounted(self) -> None: ...
    def sync_selected(self) -> None: ...
    def sync_all(self) -> None: ...
    def cancel_selected(self) -> None: ...
    def reset_selected(self) -> None: ...
    def edit_selected_cursor(self) -> None: ...
    def undo_selected(self) -> None: ...
    def show_history(self) -> None: ...
    def show_inspect(self) -> None: ...
    def show_search(self) -> None: ...
    def show_connector_search(self) -> None: ...
    def show_quarantine(self) -> None: ...
    def apply_deletes_selected(self) -> None: ...
    def abandon_selected(self) -> None: ...
    def release_selected(self) -> None: ...
    def forget_selected(self) -> None: ...
    def show_help(self) -> None: ...
    def open_filter(self) -> None: ...
    def filter_done(self) -> None: ...
    def clear_filter(self) -> None: ...
    def sync_connector(self, connector_id: str) -> Any: ...
    def select_connector(self, connector_id: str) -> None: ...


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = main_bindings()  # type: ignore[assignment]
    COMMANDS = {MainCommands}

    def __init__(
        self,
        host: MainHost,
        specs: Mapping[str, ConnectorSpec],
        panel_ids: Mapping[str, str],
        *,
        clock: Clock,
        empty_text: str,
        redact: Callable[[str], str] = str,
    ) -> None:
        super().__init__()
        self.host = host
        self.specs = specs
        self.panel_ids = panel_ids
        self.clock = clock
        self.empty_text = empty_text
        self.redact = redact
        self.composed = asyncio.Event()  # set once its widgets are mounted and filled

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="main"):
            with Vertical(id="sidebar"):
                yield FilterInput(id="filter")
                yield ConnectorTable(
                    self.specs,
                    types={cid: spec.type for cid, spec in self.specs.items()},
                    redact=self.redact,
                    id="connectors",
                )
            if self.specs:
                first = self.panel_ids[next(iter(self.specs))]
                with ContentSwitcher(id="panels", initial=first):
                    for cid, spec in self.specs.items():
                        yield ConnectorPanel(
                            cid,
                            spec.type,
                            clock=self.clock,
                            redact=self.redact,
                            id=self.panel_ids[cid],
                        )
            else:
                yield Static(self.empty_text, id="panels", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        try:
            self.host.main_mounted()
        finally:
            self.composed.set()  # the app waits on it: never leave it waiting on an error

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Covered by a dialog, the screen's keys are off, and its footer (still seen
        under the dialog) shows only the app's. ``/`` typed into the filter is text."""
        if action == "filter" and isinstance(self.focused, Input):
            return False
        if action == "filter_done":
            return self.is_active and isinstance(self.focused, FilterInput)
        return self.is_active

    # -- for the command palette ----------------------------------------------------------

    @property
    def connector_ids(self) -> Iterable[str]:
        return list(self.specs)

    def sync_connector(self, connector_id: str) -> Any:
        return self.host.sync_connector(connector_id)

    def select_connector(self, connector_id: str) -> None:
        self.host.select_connector(connector_id)

    # -- the actions of the table, each the app's -----------------------------------------

    def action_sync(self) -> None:
        self.host.sync_selected()

    def action_sync_all(self) -> None:
        self.host.sync_all()

    def action_cancel(self) -> None:
        self.host.cancel_selected()

    def action_reset(self) -> None:
        self.host.reset_selected()

    def action_edit_cursor(self) -> None:
        self.host.edit_selected_cursor()

    def action_undo(self) -> None:
        self.host.undo_selected()

    def action_history(self) -> None:
        self.host.show_history()

    def action_inspect(self) -> None:
        self.host.show_inspect()

    def action_filter(self) -> None:
        self.host.open_filter()

    def action_clear_filter(self) -> None:
        self.host.clear_filter()

    def action_filter_done(self) -> None:
        self.host.filter_done()

    def action_help(self) -> None:
        self.host.show_help()

    def action_search(self) -> None:
        self.host.show_search()

    def action_search_connector(self) -> None:
        """The panel's link: search the selected connector's documents."""
        self.host.show_connector_search()

    def action_quarantine(self) -> None:
        self.host.show_quarantine()

    def action_apply_deletes(self) -> None:
        self.host.apply_deletes_selected()

    def action_abandon(self) -> None:
        self.host.abandon_selected()

    def action_release(self) -> None:
        self.host.release_selected()

    def action_forget(self) -> None:
        self.host.forget_selected()
