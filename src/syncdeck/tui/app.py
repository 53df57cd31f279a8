"""The syncdeck terminal app: the connector list on one side, the selected connector's
panel on the other, syncs running in the background.

Threads and the screen meet in three places only: the engine's listener feeds the
:class:`~syncdeck.tui.bridge.EventBridge` (drained on a 0.1 s timer), the
:class:`~syncdeck.tui.poller.StatePoller` posts what the state database says, and each
sync's daemon thread hands its outcome back to an async worker. The screen is repainted
from those on the timer, whatever the rate at which documents arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.screen import Screen
from textual.widgets import ContentSwitcher, DataTable, Footer, Header, Static

from syncdeck.core.errors import NothingToUndo, SyncAlreadyRunning, SyncdeckError
from syncdeck.core.events import RunStatus
from syncdeck.core.state import ConnectorState
from syncdeck.tui import formatting as fmt
from syncdeck.tui.bridge import EventBridge
from syncdeck.tui.clock import Clock
from syncdeck.tui.commands import SyncdeckCommands
from syncdeck.tui.messages import StatesPolled
from syncdeck.tui.overview import Overview, build_overview
from syncdeck.tui.poller import StatePoller
from syncdeck.tui.scheduler import Decision, LocalRun, SyncScheduler
from syncdeck.tui.screens.confirm import ConfirmScreen
from syncdeck.tui.screens.edit_cursor import CursorEdit, EditCursorScreen
from syncdeck.tui.screens.help import HelpScreen
from syncdeck.tui.screens.history import HistoryScreen
from syncdeck.tui.screens.inspect import InspectScreen
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.threads import in_daemon_thread
from syncdeck.tui.widgets.connector_panel import ConnectorPanel
from syncdeck.tui.widgets.connector_table import ConnectorTable
from syncdeck.tui.widgets.filter_input import FilterInput

if TYPE_CHECKING:
    from syncdeck.app.context import AppContext
    from syncdeck.core.inspection import InspectReport

HERE = Path(__file__).parent
# The log of the shown panel is written every this many repaints (0.5 s): each write to a
# growing log costs a layout pass, which a fast source would otherwise pay ten times a second.
LOG_FLUSH_TICKS = 5
# Syncs and the UI share one interpreter lock: painting costs the syncs throughput. When
# the UI's thread has used more than this share of a core over the last second, repaints
# are skipped (never more than SKIP_AT_MOST in a row, so the screen stays live at 2/s).
UI_CPU_BUDGET = 0.05
SKIP_AT_MOST = 4

# Actions that act on the main screen; disabled (and hidden from the footer) under dialogs.
MAIN_ACTIONS = frozenset(
    {"sync", "sync_all", "cancel", "reset", "edit_cursor", "undo", "history", "inspect",
     "filter", "help"}
)  # fmt: skip


@dataclass(frozen=True)
class SyncOutcome:
    """How a sync's thread ended: documents written, or the exception it raised."""

    written: int | None = None
    error: Exception | None = None
    traceback: str | None = None


class SyncdeckApp(App[int]):
    TITLE = "syncdeck"
    # absolute, so that subclasses defined elsewhere find the stylesheets too
    CSS_PATH: ClassVar[list[str | PurePath]] = [  # type: ignore[misc]
        HERE / "app.tcss",
        HERE / "screens" / "screens.tcss",
    ]
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (120, "-wide")]
    COMMANDS = App.COMMANDS | {SyncdeckCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "sync", "Sync"),
        Binding("a", "sync_all", "All"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "reset", "Reset"),
        Binding("e", "edit_cursor", "Cursor"),
        Binding("u", "undo", "Undo"),
        Binding("h", "history", "History"),
        Binding("i", "inspect", "Inspect"),
        Binding("slash", "filter", "Filter", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        context: AppContext,
        *,
        clock: Clock | None = None,
        poll_interval: float = 1.0,
        repaint_interval: float = 0.1,
        quit_grace: float = 1.5,
        inspect_timeout: float = 10.0,
        inspect_limit: int = 20,
    ) -> None:
        super().__init__()
        self.context = context
        self.clock = clock or Clock()
        self.repaint_interval = repaint_interval
        self.quit_grace = quit_grace
        self.inspect_timeout = inspect_timeout
        self.inspect_limit = inspect_limit
        self.specs = dict(context.specs)
        self.bridge = EventBridge(self.clock, redact=getattr(context, "redact", None))
        self.scheduler = SyncScheduler(getattr(context, "max_concurrent", 4))
        self.poller = StatePoller(
            context.engine.states,
            self._deliver_states,
            interval=poll_interval,
            changes=getattr(context.engine, "changes", None),
        )
        self.states: dict[str, ConnectorState] = {}
        self.overviews: dict[str, Overview] = {}
        self.filter_text = ""
        self.selected: str | None = next(iter(self.specs), None)
        self.quitting = False
        self._panel_ids = {cid: f"panel-{index}" for index, cid in enumerate(self.specs)}
        self._last_poll_error: str | None = None
        self._main_screen: Screen[Any] | None = None
        self._panels: dict[str, ConnectorPanel] = {}
        self._ticks = 0
        self._quiet: set[str] = set()  # started by "sync all": only failures raise a toast
        self._cpu_mark = (time.thread_time(), time.monotonic())
        self._cpu_share = 0.0
        self._skipped = 0

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="main"):
            with Vertical(id="sidebar"):
                yield FilterInput(id="filter")
                yield ConnectorTable(self.specs, id="connectors")
            if self.specs:
                with ContentSwitcher(id="panels", initial=self._panel_ids[next(iter(self.specs))]):
                    for cid, spec in self.specs.items():
                        yield ConnectorPanel(
                            cid, spec.type, clock=self.clock, id=self._panel_ids[cid]
                        )
            else:
                yield Static(self._no_connectors_text(), id="panels", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def _no_connectors_text(self) -> str:
        where = getattr(self.context, "config_label", None) or str(
            getattr(self.context, "config_path", "the configuration")
        )
        return (
            f"No connectors are configured in {where}.\n"
            "Add a [connectors.NAME] table with a type and its parameters, then restart."
        )

    def on_mount(self) -> None:
        self._main_screen = self.screen
        self._panels = {
            cid: self.query_one(f"#{pid}", ConnectorPanel) for cid, pid in self._panel_ids.items()
        }
        self.sub_title = getattr(self.context, "config_label", "") or ""
        self.filter_input.display = False
        try:
            self.states = self.context.engine.states()
        except SyncdeckError as exc:
            self._say(f"Cannot read the state database: {exc}", "error", timeout=10)
        self.repaint()
        self.table.focus()
        if self.selected is not None:
            self._panel(self.selected).activate(True)
        self.poller.start()
        self.set_interval(self.repaint_interval, self.repaint, name="repaint")

    def on_unmount(self) -> None:
        self.poller.stop()

    # -- the main screen and its actions ------------------------------------------------

    def is_main_screen(self, screen: Screen[Any]) -> bool:
        return screen is self._main_screen

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The main screen's keys do nothing (and leave the footer) under a dialog."""
        return action not in MAIN_ACTIONS or self.is_main_screen(self.screen)

    @property
    def connector_ids(self) -> list[str]:
        return list(self.specs)

    # Widgets of the main screen, found there even while a dialog is the active screen.

    @property
    def main_screen(self) -> Screen[Any]:
        return self._main_screen or self.screen

    @property
    def table(self) -> ConnectorTable:
        return self.main_screen.query_one(ConnectorTable)

    @property
    def filter_input(self) -> FilterInput:
        return self.main_screen.query_one("#filter", FilterInput)

    def _panel(self, connector_id: str) -> ConnectorPanel:
        return self._panels[connector_id]

    def _say(self, message: str, severity: str = "information", *, timeout: float = 5) -> None:
        self.notify(message, severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def _target(self) -> str | None:
        """The connector an action applies to: the highlighted row."""
        if self.selected is None or self.selected not in self.overviews:
            self._say("No connector selected.", "warning")
            return None
        return self.selected

    # -- repaint -----------------------------------------------------------------------

    def _deliver_states(
        self, states: dict[str, ConnectorState] | None, error: Exception | None
    ) -> None:
        """Called in the poller thread: hand the result to the UI's message queue."""
        with contextlib.suppress(RuntimeError):  # the loop is gone: the app has exited
            self.post_message(StatesPolled(states, error))

    def on_states_polled(self, message: StatesPolled) -> None:
        if message.states is not None:
            self.states = message.states
            self._last_poll_error = None
        elif message.error is not None:
            text = str(message.error)
            if text != self._last_poll_error:
                self._last_poll_error = text
                self._say(f"Cannot read the state database: {text}", "error", timeout=10)

    def _over_budget(self) -> bool:
        """True when this tick should be skipped to leave the interpreter to the syncs."""
        cpu, wall = time.thread_time(), time.monotonic()
        cpu0, wall0 = self._cpu_mark
        if wall - wall0 >= 1.0:
            self._cpu_share = (cpu - cpu0) / (wall - wall0)
            self._cpu_mark = (cpu, wall)
        if self._cpu_share > UI_CPU_BUDGET and self._skipped < SKIP_AT_MOST and self._busy():
            self._skipped += 1
            return True
        self._skipped = 0
        return False

    def _busy(self) -> bool:
        return bool(self.scheduler.running)

    def repaint(self) -> None:
        """The steady timer: drain the bridge, merge, update only what changed."""
        if not self.is_running or self._main_screen is None or not self._main_screen.is_attached:
            return  # shutting down
        if self._over_budget():
            return
        for cid, update in self.bridge.drain().items():
            if cid in self._panel_ids and (update.lines or update.skipped):
                self._panel(cid).write_lines(update.lines, update.skipped)
        self._ticks += 1
        if self._ticks % LOG_FLUSH_TICKS == 0 and self.selected is not None:
            self._panel(self.selected).flush_log()
        self.overviews = {cid: self._overview(cid) for cid in self.specs}
        now = self.clock.now()
        now_mono = self.clock.monotonic()
        shown = [o for o in self.overviews.values() if o.matches(self.filter_text)]
        table = self.table
        table.update_rows(shown, now)
        # the table's cursor is the truth (a key press may not have been handled yet)
        highlighted = table.highlighted_id
        if highlighted is not None and highlighted != self.selected:
            self.select_connector(highlighted)
        for cid, overview in self.overviews.items():
            self._panel(cid).show(overview, now, now_mono)

    def _overview(self, cid: str) -> Overview:
        return build_overview(
            cid,
            self.specs[cid].type,
            self.states.get(cid),
            local=self.scheduler.run(cid),
            queued=self.scheduler.is_queued(cid),
            live=self.bridge.view(cid),
            own_runs=self.bridge.own_runs,
        )

    # -- selection and filter ------------------------------------------------------------

    def select_connector(self, connector_id: str) -> None:
        """Highlight a connector and show its panel."""
        if connector_id not in self.specs:
            return
        previous, self.selected = self.selected, connector_id
        if previous != connector_id:
            switcher = self.main_screen.query_one("#panels", ContentSwitcher)
            if previous is not None:
                self._panel(previous).activate(False)
            switcher.current = self._panel_ids[connector_id]
            self._panel(connector_id).activate(True)
        self.table.select(connector_id)

    @on(DataTable.RowHighlighted, "#connectors")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # a highlight posted before the cursor moved again (by a command, a filter) is stale
        if event.cursor_row != event.data_table.cursor_row:
            return
        if event.row_key.value is not None:
            self.select_connector(str(event.row_key.value))

    def action_filter(self) -> None:
        field = self.filter_input
        field.display = True
        field.focus()

    def action_clear_filter(self) -> None:
        """Escape from the list clears a filter left applied after Enter."""
        if self.filter_text or self.filter_input.display:
            self.filter_input.action_clear()

    @on(FilterInput.Changed, "#filter")
    def _filter_changed(self, event: FilterInput.Changed) -> None:
        self.filter_text = event.value
        self.repaint()

    @on(FilterInput.Submitted, "#filter")
    def _filter_submitted(self, event: FilterInput.Submitted) -> None:
        if not event.value:
            self.filter_input.display = False
        self.table.focus()

    @on(FilterInput.Cleared)
    def _filter_cleared(self) -> None:
        self.filter_input.display = False
        self.filter_text = ""
        self.repaint()
        self.table.focus()

    # -- syncing -------------------------------------------------------------------------

    def action_sync(self) -> None:
        cid = self._target()
        if cid is not None:
            self.sync_connector(cid)

    def sync_connector(self, connector_id: str, *, quiet: bool = False) -> Decision | None:
        """Start (or queue) a sync; refuses a connector another process is syncing."""
        state = self.states.get(connector_id)
        if state is not None and state.active is not None and not self.scheduler.run(connector_id):
            message = (
                f"{connector_id} is already syncing in another process "
                f"({state.active.holder}); syncdeck does not start a second run of it. "
                "Wait for it to finish, or cancel it where it runs."
            )
            self.bridge.note(connector_id, message, "warning")
            self._say(message, "warning")
            return None
        decision = self.scheduler.request(connector_id)
        if quiet:
            self._quiet.add(connector_id)
        else:
            self._quiet.discard(connector_id)
        if decision is Decision.STARTED:
            self._launch(connector_id)
        elif decision is Decision.QUEUED:
            self.bridge.note(
                connector_id,
                f"queued: {len(self.scheduler.running)} syncs running, at most "
                f"{self.scheduler.limit} at once",
            )
            if not quiet:
                self._say(
                    f"{connector_id} is queued (at most {self.scheduler.limit} syncs at once)."
                )
        elif not quiet:
            self._say(f"{connector_id} is {decision.value}.", "warning")
        self.repaint()
        return decision

    def action_sync_all(self) -> None:
        if not self.specs:
            self._say("No connectors are configured.", "warning")
            return
        started = queued = 0
        for cid in self.specs:
            overview = self.overviews.get(cid)
            if overview is not None and (
                overview.status.is_active or overview.status is DisplayStatus.QUEUED
            ):
                continue
            decision = self.sync_connector(cid, quiet=True)
            started += decision is Decision.STARTED
            queued += decision is Decision.QUEUED
        if not started and not queued:
            self._say("Every connector is already running or queued.")
        else:
            extra = f", {queued} queued (at most {self.scheduler.limit} at once)" if queued else ""
            self._say(f"Started {started} syncs{extra}.")

    def _launch(self, connector_id: str) -> None:
        run = self.scheduler.run(connector_id)
        assert run is not None
        live = self.bridge.view(connector_id)
        previous_run = live.run_id if live is not None else None
        self.run_worker(
            self._sync(run, previous_run),
            name=f"sync {connector_id}",
            group="sync",
            exit_on_error=False,
        )

    async def _sync(self, run: LocalRun, previous_run: int | None) -> None:
        """The worker of one sync: waits for its daemon thread, then reports."""
        outcome = await in_daemon_thread(
            partial(self._sync_blocking, run), name=f"syncdeck-sync-{run.connector_id}"
        )
        self._run_ended(run, outcome, previous_run)

    def _sync_blocking(self, run: LocalRun) -> SyncOutcome:
        """In the sync's thread: build a fresh connector and run it through the engine."""
        try:
            try:
                connector = self.context.build(run.connector_id)
            except Exception as exc:
                return SyncOutcome(error=exc, traceback=_trace(exc))
            try:
                written = self.context.engine.sync(
                    connector, cancel=run.cancel, on_event=self.bridge
                )
            except SyncAlreadyRunning as exc:
                _close_quietly(connector)  # refused before the engine took it over
                return SyncOutcome(error=exc)
            except Exception as exc:
                return SyncOutcome(error=exc, traceback=_trace(exc))
            return SyncOutcome(written=written)
        finally:
            run.done.set()

    def _run_ended(self, run: LocalRun, outcome: SyncOutcome, previous_run: int | None) -> None:
        cid = run.connector_id
        for next_id in self.scheduler.finished(cid):
            self._launch(next_id)
        view = self.bridge.view(cid)
        engine_ran = view is not None and view.run_id is not None and view.run_id != previous_run
        if isinstance(outcome.error, SyncAlreadyRunning):
            self.bridge.note(cid, str(outcome.error), "warning")
            self._say(str(outcome.error), "warning")
        elif outcome.error is not None and not engine_ran:
            message = _describe(outcome.error)
            trace = None if isinstance(outcome.error, SyncdeckError) else outcome.traceback
            self.bridge.fail_outside_run(cid, message, trace)
            self._say(f"{cid} could not start: {self.bridge_redact(message)}", "error", timeout=10)
        elif view is not None and view.status is RunStatus.FAILED:
            self._say(
                f"{cid} failed: {view.error}\nPress s to resume from the saved cursor.",
                "error",
                timeout=10,
            )
        elif view is not None and view.status is RunStatus.CANCELLED:
            if not self.quitting:
                self._say(f"{cid} cancelled; its checkpoint is saved.", "warning")
        elif outcome.written is not None and cid not in self._quiet:
            self._say(f"{cid} synced: {outcome.written:,} documents written.", timeout=3)
        self._quiet.discard(cid)
        self.poller.refresh()
        self.repaint()

    def bridge_redact(self, text: str) -> str:
        redact: Callable[[str], str] | None = getattr(self.context, "redact", None)
        return redact(text) if redact is not None else text

    def action_cancel(self) -> None:
        cid = self._target()
        if cid is None:
            return
        run = self.scheduler.run(cid)
        queued = self.scheduler.is_queued(cid)
        if self.scheduler.cancel(cid):
            if queued:
                self.bridge.note(cid, "taken off the queue")
                self._say(f"{cid} is no longer queued.")
            elif run is not None and not run.done.is_set():
                self.bridge.note(cid, "cancel requested: stopping at the next item", "warning")
                self._say(f"Cancelling {cid}: it stops at the next item and saves its checkpoint.")
            self.repaint()
            return
        overview = self.overviews.get(cid)
        if overview is not None and overview.status is DisplayStatus.ELSEWHERE:
            self._say(
                f"{cid} is syncing in another process ({overview.holder}); cancel it there.",
                "warning",
            )
        else:
            self._say(f"{cid} is not running.", "warning")

    # -- checkpoint changes --------------------------------------------------------------

    def _refuse_if_running(self, cid: str, what: str) -> bool:
        overview = self.overviews.get(cid)
        if overview is not None and (
            overview.status.is_active or overview.status is DisplayStatus.QUEUED
        ):
            where = f" in another process ({overview.holder})" if overview.holder else ""
            self._say(
                f"Cannot {what} {cid} while it is {overview.status.label}{where}: cancel it "
                "first or wait for it to finish.",
                "warning",
            )
            return True
        return False

    def action_reset(self) -> None:
        cid = self._target()
        if cid is None or self._refuse_if_running(cid, "reset"):
            return
        state = self.states.get(cid)
        items = state.items_synced if state is not None else 0
        message = (
            f"The next sync of {cid} will start from the beginning: its cursor "
            f"({fmt.cursor(state.cursor if state else None, 40)}) and its since are cleared. "
            f"Its {items:,} stored documents are kept (re-synced ones are recognised). "
            "You can undo this with u."
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._change_checkpoint(
                    cid,
                    lambda: self.context.engine.reset_checkpoint(cid),
                    "checkpoint reset: the next sync starts from the beginning (u undoes it)",
                )

        self.push_screen(
            ConfirmScreen(f"Reset the checkpoint of {cid}?", message, confirm_label="Reset"),
            answered,
        )

    def action_edit_cursor(self) -> None:
        cid = self._target()
        if cid is None or self._refuse_if_running(cid, "edit the cursor of"):
            return
        state = self.states.get(cid)

        def answered(edit: CursorEdit | None) -> None:
            if edit is None:
                return
            self._change_checkpoint(
                cid,
                lambda: self.context.engine.set_cursor(cid, edit.cursor),
                f"cursor set to {fmt.cursor(edit.cursor, 40)} (u undoes it)",
            )

        self.push_screen(EditCursorScreen(cid, state.cursor if state else None), answered)

    def action_undo(self) -> None:
        cid = self._target()
        if cid is None or self._refuse_if_running(cid, "undo the checkpoint change of"):
            return

        def describe(restored: dict[str, Any]) -> str:
            return (
                f"checkpoint restored: cursor {fmt.cursor(restored.get('cursor'), 40)}, "
                f"{restored.get('items_synced', 0):,} items"
            )

        self._change_checkpoint(cid, lambda: self.context.engine.undo_checkpoint(cid), describe)

    def _change_checkpoint(
        self,
        cid: str,
        change: Callable[[], Any],
        done: str | Callable[[Any], str],
    ) -> None:
        async def work() -> None:
            try:
                result = await in_daemon_thread(change, name=f"syncdeck-checkpoint-{cid}")
            except NothingToUndo as exc:
                self._say(str(exc), "warning")
                return
            except SyncdeckError as exc:
                self._say(str(exc), "error", timeout=8)
                return
            text = done(result) if callable(done) else done
            self.bridge.note(cid, text)
            self._say(f"{cid}: {text}")
            try:
                self.states = await in_daemon_thread(
                    self.context.engine.states, name="syncdeck-states"
                )
            except SyncdeckError:
                self.poller.refresh()
            self.repaint()

        self.run_worker(work(), name=f"checkpoint {cid}", group="checkpoint", exit_on_error=False)

    # -- secondary screens -----------------------------------------------------------------

    def action_history(self) -> None:
        cid = self._target()
        if cid is None:
            return

        async def work() -> None:
            try:
                runs = await in_daemon_thread(
                    partial(self.context.engine.runs, cid, 50), name="syncdeck-history"
                )
            except SyncdeckError as exc:
                self._say(str(exc), "error")
                return
            self.push_screen(HistoryScreen(cid, runs, clock=self.clock, redact=self.bridge_redact))

        self.run_worker(work(), name=f"history {cid}", group="history", exclusive=True)

    def action_inspect(self) -> None:
        cid = self._target()
        if cid is None:
            return
        state = self.states.get(cid)
        self.push_screen(
            InspectScreen(
                cid,
                partial(self._inspect_blocking, cid),
                cursor=state.cursor if state else None,
                clock=self.clock,
                redact=self.bridge_redact,
            )
        )

    def _inspect_blocking(self, cid: str, from_start: bool) -> InspectReport:
        """In a daemon thread: a dry run from the saved checkpoint (or the beginning)."""
        from syncdeck.core.inspection import inspect_connector

        cursor: str | None = None
        since: datetime | None = None
        if not from_start:
            checkpoint = self.context.engine.get_checkpoint(cid)
            cursor = checkpoint["cursor"]
            since = (
                datetime.fromisoformat(checkpoint["last_sync"]) if checkpoint["last_sync"] else None
            )
        connector = self.context.build(cid)
        report = inspect_connector(
            connector,
            limit=self.inspect_limit,
            cursor=cursor,
            since=since,
            timeout=self.inspect_timeout,
        )
        if not report.timed_out:  # a timed-out connector is still in use by its thread
            _close_quietly(connector)
        return report

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # -- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Cancel running syncs, give them ``quit_grace`` seconds to checkpoint, leave.

        A second quit leaves at once. Syncs run in daemon threads, so one blocked inside
        its connector cannot keep the process alive.
        """
        if self.quitting:
            self.exit(0)
            return
        runs = self.scheduler.cancel_all()
        if not runs:
            self.exit(0)
            return
        self.quitting = True
        self._say(f"Cancelling {len(runs)} running syncs and saving their checkpoints…")
        self.repaint()
        self.run_worker(self._exit_when_done(runs), name="quit", group="quit")

    async def _exit_when_done(self, runs: list[LocalRun]) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.quit_grace
        while loop.time() < deadline and not all(run.done.is_set() for run in runs):
            await asyncio.sleep(0.02)
        self.exit(0)


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SyncdeckError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _close_quietly(connector: Any) -> None:
    with contextlib.suppress(Exception):  # best effort; the sync's own error matters more
        connector.close()


def run_app(context: AppContext, **options: Any) -> int:
    """Open the app on ``context``; returns the process exit code."""
    app = SyncdeckApp(context, **options)
    app.run()
    return app.return_code or 0
