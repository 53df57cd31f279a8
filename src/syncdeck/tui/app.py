"""The syncdeck terminal app: the connector list on one side, the selected connector's
panel on the other, syncs running in the background.

Threads and the screen meet in three places only: the app layer's
:class:`~syncdeck.app.supervisor.RunSupervisor` runs the syncs and folds what they do into
its live views, the :class:`~syncdeck.tui.run_log.RunLog` queues their log lines, and the
:class:`~syncdeck.tui.poller.StatePoller` posts what the state database says (runs of
other processes, checkpoints). A 0.1 s timer drains what changed and repaints only that,
whatever the rate at which documents arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import App
from textual.widgets import ContentSwitcher, DataTable

from syncdeck.app.live import LiveRun, Phase
from syncdeck.app.outcome import EndKind
from syncdeck.app.supervisor import Decision, RunSupervisor
from syncdeck.app.wording import ABANDON_AFTER, duration, error_text, plural
from syncdeck.core.errors import NothingToUndo, SyncdeckError
from syncdeck.core.events import RunStatus
from syncdeck.core.state import ConnectorState
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock
from syncdeck.tui.messages import StatesPolled
from syncdeck.tui.overview import Overview, build_overview
from syncdeck.tui.poller import StatePoller
from syncdeck.tui.run_log import RunLog
from syncdeck.tui.screens.confirm import ConfirmScreen
from syncdeck.tui.screens.edit_cursor import CursorEdit, EditCursorScreen
from syncdeck.tui.screens.help import HelpScreen
from syncdeck.tui.screens.history import HistoryScreen
from syncdeck.tui.screens.inspect import InspectScreen
from syncdeck.tui.screens.main import MainScreen
from syncdeck.tui.screens.quarantine import QuarantineScreen
from syncdeck.tui.screens.search import SearchScreen
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
# Every row of the list is recomputed this often (5 s), so that "Last sync" ages; between
# those, only the rows of connectors that changed.
ROWS_TICKS = 50
# Syncs and the UI share one interpreter lock: painting costs the syncs throughput. When
# the UI's thread has used more than this share of a core over the last second, repaints
# are skipped (never more than SKIP_AT_MOST in a row, so the screen stays live at 2/s).
UI_CPU_BUDGET = 0.05
SKIP_AT_MOST = 4
#: Signals that end the app as quitting does (runs cancelled and checkpointed first).
QUIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class SyncdeckApp(App[int]):
    TITLE = "syncdeck"
    # absolute, so that subclasses defined elsewhere find the stylesheets too
    CSS_PATH: ClassVar[list[str | PurePath]] = [  # type: ignore[misc]
        HERE / "app.tcss",
        HERE / "screens" / "screens.tcss",
    ]
    # Side by side only from 180 columns: below, the list and the panel each get the full
    # width, so the Error column and a traceback both read (docs/architecture.md).
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (180, "-wide")]

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
        self.run_log = RunLog(self.clock, context.redact)
        self.supervisor = RunSupervisor(
            context.engine,
            context.build,
            max_concurrent=context.max_concurrent,
            clock=self.clock.monotonic,
            on_event=self.run_log.record,
            redact=context.redact,
        )
        self.poller = StatePoller(
            context.engine.states,
            self._deliver_states,
            interval=poll_interval,
            changes=getattr(context.engine, "changes", None),
        )
        self.states: dict[str, ConnectorState] = {}
        self.overviews: dict[str, Overview] = {}
        # why a connector's configuration cannot be built (None: it can), once checked
        self.problems: dict[str, str | None] = {}
        self.configuration_checked = asyncio.Event()
        self.signalled: int | None = None  # a quit signal that ended the app
        self.filter_text = ""
        self.selected: str | None = next(iter(self.specs), None)
        self.quitting = False
        self._panel_ids = {cid: f"panel-{index}" for index, cid in enumerate(self.specs)}
        self._last_poll_error: str | None = None
        self._main_screen: MainScreen | None = None
        self._panels: dict[str, ConnectorPanel] = {}
        self._stale: set[str] = set(self.specs)  # overviews to rebuild at the next repaint
        self._rows_stale = True  # the list's rows to recompute (filter, ages)
        self._reported: dict[str, object] = {}  # the outcome last reported per connector
        self._ticks = 0
        self._quiet: set[str] = set()  # started by "sync all": only failures raise a toast
        self._cpu_mark = (time.thread_time(), time.monotonic())
        self._cpu_share = 0.0
        self._skipped = 0

    # -- layout ------------------------------------------------------------------------

    def get_default_screen(self) -> MainScreen:
        self._main_screen = MainScreen(
            self,
            self.specs,
            self._panel_ids,
            clock=self.clock,
            empty_text=self._no_connectors_text(),
            redact=self.context.redact,
        )
        return self._main_screen

    async def on_mount(self) -> None:
        """The app is ready once the main screen's widgets exist: nothing can press a key
        or ask for a connector before."""
        self._catch_quit_signals()
        await self.main_screen.composed.wait()

    def _no_connectors_text(self) -> str:
        return (
            f"No connectors are configured in {self.context.config_label}.\n"
            "Add a [connectors.NAME] table with a type and its parameters, then restart."
        )

    def main_mounted(self) -> None:
        """The main screen's widgets exist: fill them and start the timers."""
        self._panels = {
            cid: self.main_screen.query_one(f"#{pid}", ConnectorPanel)
            for cid, pid in self._panel_ids.items()
        }
        self.sub_title = self.context.config_source
        self.filter_input.display = False
        try:
            self.states = self.context.engine.states()
        except SyncdeckError as exc:
            self._say(f"Cannot read the state database: {exc}", "error", timeout=10)
        self.repaint()
        self.table.focus()
        if self.selected is not None:
            self.panel(self.selected).activate(True)
        self.poller.start()
        self.set_interval(self.repaint_interval, self.repaint, name="repaint")
        self.run_worker(self._check_configuration(), name="configuration", group="config")

    def on_unmount(self) -> None:
        self.poller.stop()
        if not self.is_headless:
            loop = asyncio.get_running_loop()
            for signum in QUIT_SIGNALS:
                with contextlib.suppress(Exception):
                    loop.remove_signal_handler(signum)

    async def _check_configuration(self) -> None:
        """Build every connector once, off the loop, to show a misconfigured one as
        invalid with its reason before anything is pressed."""
        specs = list(self.specs)

        def check() -> dict[str, str | None]:
            return {cid: self.context.problem(cid) for cid in specs}

        try:
            self.problems = await in_daemon_thread(check, name="syncdeck-config-check")
        finally:
            self.configuration_checked.set()
        self._stale.update(cid for cid, problem in self.problems.items() if problem)
        self.repaint()

    # -- signals -------------------------------------------------------------------------

    def _catch_quit_signals(self) -> None:
        """SIGTERM and SIGHUP quit as q does: runs are cancelled and checkpointed, the
        terminal is restored. A second one leaves at once."""
        if self.is_headless:
            return  # driven by a test or a benchmark in a process that is not the app's
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._quit_signal, signum)

    def _quit_signal(self, signum: int) -> None:
        first = self.signalled is None
        self.signalled = signum
        if first:
            self.run_worker(self.action_quit(), name="quit-signal", group="quit-signal")
        else:
            self._leave(128 + signum)

    # -- the main screen's widgets, found there even while a dialog is the active screen --

    @property
    def connector_ids(self) -> list[str]:
        return list(self.specs)

    @property
    def main_screen(self) -> MainScreen:
        assert self._main_screen is not None, "the app has not started"
        return self._main_screen

    @property
    def table(self) -> ConnectorTable:
        return self.main_screen.query_one(ConnectorTable)

    @property
    def filter_input(self) -> FilterInput:
        return self.main_screen.query_one("#filter", FilterInput)

    def panel(self, connector_id: str) -> ConnectorPanel:
        return self._panels[connector_id]

    def _say(self, message: str, severity: str = "information", *, timeout: float = 5) -> None:
        self.notify(message, severity=severity, timeout=timeout, markup=False)  # type: ignore[arg-type]

    def _target(self) -> str | None:
        """The connector an action applies to: the highlighted row. The table's cursor is
        read, not the selection its message will make: a key typed in the same burst as
        the arrow that moved the cursor acts on the row the cursor is on."""
        if self._main_screen is not None and self._main_screen.is_attached:
            highlighted = self.table.highlighted_id
            if highlighted is not None and highlighted != self.selected:
                self.select_connector(highlighted)
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
            old, self.states = self.states, message.states
            self._stale.update(cid for cid in self.specs if old.get(cid) != self.states.get(cid))
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
        return self.supervisor.busy

    def repaint(self) -> None:
        """The steady timer: take what changed since the last tick and paint only that
        (the shown panel every tick, as its elapsed time moves)."""
        screen = self._main_screen
        if not self.is_running or screen is None or not screen.is_attached:
            return  # shutting down
        if self._over_budget():
            return
        changed = self.supervisor.live.changed()
        for cid, view in changed.items():
            if view.outcome is not None and self._reported.get(cid) is not view.outcome:
                self._reported[cid] = view.outcome
                self._report_end(view)  # its toast and log line before its new status
        self._stale.update(changed)
        stale = {cid for cid in self._stale if cid in self.specs}
        self._stale.clear()
        for cid in stale:
            self.overviews[cid] = self._overview(cid)
        for cid, batch in self.run_log.drain().items():
            if cid in self._panels:
                self.panel(cid).write_lines(batch.lines, batch.skipped)
        self._ticks += 1
        if self._ticks % LOG_FLUSH_TICKS == 0 and self.selected is not None:
            self.panel(self.selected).flush_log()
        now, now_mono = self.clock.now(), self.clock.monotonic()
        if self._ticks % ROWS_TICKS == 0:
            self._rows_stale = True
        if stale or self._rows_stale:
            shown = [o for o in self.overviews.values() if o.matches(self.filter_text)]
            self.table.update_rows(shown, now, only=None if self._rows_stale else stale)
            self._rows_stale = False
        # the table's cursor is the truth (a key press may not have been handled yet)
        highlighted = self.table.highlighted_id
        if highlighted is not None and highlighted != self.selected:
            self.select_connector(highlighted)
        for cid, overview in self.overviews.items():
            if overview.status.is_active:
                self.panel(cid).sample(overview, now_mono)
        if self.selected is not None:
            self.panel(self.selected).show(self.overviews[self.selected], now, now_mono)

    def _overview(self, cid: str) -> Overview:
        live = self.supervisor.live
        before = self.overviews.get(cid)
        overview = build_overview(
            cid,
            self.specs[cid].type,
            self.states.get(cid),
            live.view(cid),
            live.owns,
            problem=self.problems.get(cid),
            last_sync=before.last_sync if before is not None else None,
        )
        if overview.run is not None and not overview.own:
            self.run_log.follow(overview.run, overview.holder)
        return overview

    # -- selection and filter ------------------------------------------------------------

    def select_connector(self, connector_id: str) -> None:
        """Highlight a connector and show its panel."""
        if connector_id not in self.specs:
            return
        previous, self.selected = self.selected, connector_id
        if previous != connector_id:
            switcher = self.main_screen.query_one("#panels", ContentSwitcher)
            if previous is not None:
                self.panel(previous).activate(False)
            switcher.current = self._panel_ids[connector_id]
            panel = self.panel(connector_id)
            panel.activate(True)
            if connector_id in self.overviews:
                panel.show(self.overviews[connector_id], self.clock.now(), self.clock.monotonic())
        self.table.select(connector_id)

    @on(DataTable.RowHighlighted, "#connectors")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # a highlight posted before the cursor moved again (by a command, a filter) is stale
        if event.cursor_row != event.data_table.cursor_row:
            return
        if event.row_key.value is not None:
            self.select_connector(str(event.row_key.value))

    def open_filter(self) -> None:
        """Show the filter and focus it at once, so the keys typed right after ``/`` (in
        the same burst) land in it rather than on the list."""
        field = self.filter_input
        field.display = True
        self.main_screen.set_focus(field)

    def clear_filter(self) -> None:
        """Escape from the list clears a filter left applied after Enter."""
        if self.filter_text or self.filter_input.display:
            self.filter_input.action_clear()

    def _set_filter(self, text: str) -> None:
        self.filter_text = text
        self._rows_stale = True
        self.repaint()

    @on(FilterInput.Changed, "#filter")
    def _filter_changed(self, event: FilterInput.Changed) -> None:
        self._set_filter(event.value)

    def filter_done(self) -> None:
        """Enter in the filter: keep it applied (hidden when empty), back to the list."""
        if not self.filter_input.value:
            self.filter_input.display = False
        self.main_screen.set_focus(self.table)

    @on(FilterInput.Cleared)
    def _filter_cleared(self) -> None:
        self.filter_input.display = False
        self._set_filter("")
        self.table.focus()

    # -- syncing -------------------------------------------------------------------------

    def sync_selected(self) -> None:
        cid = self._target()
        if cid is not None and not self._after_check(partial(self.sync_connector, cid)):
            self.sync_connector(cid)

    def _after_check(self, then: Callable[[], object]) -> bool:
        """True while the configuration check runs: ``then`` runs once it is done, so
        that a key pressed at start refuses a misconfigured connector as later ones do
        (rather than starting it, to fail without a run)."""
        if self.configuration_checked.is_set():
            return False

        async def wait() -> None:
            await self.configuration_checked.wait()
            then()

        self.run_worker(wait(), name="after the configuration check", group="config-wait")
        return True

    def sync_connector(
        self, connector_id: str, *, quiet: bool = False, apply_deletes: bool = False
    ) -> Decision | None:
        """Start (or queue) a sync; refuses a connector another process is syncing, and
        one whose configuration cannot be built."""
        state = self.states.get(connector_id)
        active = state.active if state is not None else None
        if (
            active is not None
            and connector_id not in self.supervisor.running
            and not self.supervisor.live.owns(active.run_id)
        ):
            message = (
                f"{connector_id} is already syncing in another process "
                f"({active.holder}); syncdeck does not start a second run of it. "
                "Wait for it to finish, or cancel it where it runs."
            )
            self.run_log.note(connector_id, message, "warning")
            self._say(message, "warning")
            return None
        problem = self.problems.get(connector_id)
        if problem is not None:
            if not quiet:
                self._say(
                    f"{connector_id} is misconfigured: {problem}\nFix the configuration "
                    "and restart syncdeck.",
                    "error",
                    timeout=10,
                )
            return None
        decision = self.supervisor.request(connector_id, apply_deletes=apply_deletes)
        if decision is Decision.STARTED and connector_id in self.overviews:
            # shown running at once: its thread may have ended before the next repaint
            overview = replace(self.overviews[connector_id], status=DisplayStatus.RUNNING)
            self.overviews[connector_id] = overview
            self.table.update_row(overview, self.clock.now())
        if quiet:
            self._quiet.add(connector_id)
        else:
            self._quiet.discard(connector_id)
        limit = self.supervisor.limit
        if decision is Decision.QUEUED:
            running = plural(len(self.supervisor.running), "sync")
            self.run_log.note(connector_id, f"queued: {running} running, at most {limit} at once")
            if not quiet:
                self._say(f"{connector_id} is queued (at most {plural(limit, 'sync')} at once).")
        elif decision is Decision.NEXT:
            self.run_log.note(connector_id, "starts again once its last run has closed")
        elif decision is not Decision.STARTED and not quiet:
            self._say(f"{connector_id} is {decision.value}.", "warning")
        self.repaint()
        return decision

    def sync_all(self) -> None:
        if not self.specs:
            self._say("No connectors are configured.", "warning")
            return
        if self._after_check(self.sync_all):
            return
        started = queued = 0
        invalid = [cid for cid in self.specs if self.problems.get(cid)]
        for cid in self.specs:
            overview = self.overviews.get(cid)
            if cid in invalid or (
                overview is not None
                and (overview.status.is_active or overview.status is DisplayStatus.QUEUED)
            ):
                continue
            decision = self.sync_connector(cid, quiet=True)
            started += decision is Decision.STARTED or decision is Decision.NEXT
            queued += decision is Decision.QUEUED
        skipped = (
            f"; {plural(len(invalid), 'misconfigured connector')} skipped ({', '.join(invalid)})"
            if invalid
            else ""
        )
        if not started and not queued:
            self._say(f"Every connector is already running or queued{skipped}.")
        else:
            limit = self.supervisor.limit
            extra = f", {queued} queued (at most {limit} at once)" if queued else ""
            self._say(f"Started {plural(started, 'sync')}{extra}{skipped}.")

    def _report_end(self, view: LiveRun) -> None:
        """A run of this app ended: say how (in the UI thread, before it is painted)."""
        cid, outcome = view.connector_id, view.outcome
        assert outcome is not None
        if outcome.refused:
            message = self.context.redact(str(outcome.error))
            self.run_log.note(cid, message, "warning")
            self._say(message, "warning")
        elif outcome.kind is EndKind.ABANDONED:
            self._say(
                f"{cid}: the run was abandoned; what it had read is stored and "
                "checkpointed, and its lease is free.",
                "warning",
            )
        elif outcome.error is not None and outcome.run_id is None:
            self.run_log.note(cid, f"sync failed to start: {view.error}", "error", view.traceback)
            self._say(f"{cid} could not start: {view.error}", "error", timeout=10)
        elif view.status is RunStatus.FAILED and view.deletes_held:
            self._say(
                f"{cid}: the deletion guard held back {plural(view.deletes_held, 'deletion')}."
                "\nPress D to apply them if the source really lost those documents.",
                "warning",
                timeout=10,
            )
        elif view.status is RunStatus.FAILED:
            self._say(
                f"{cid} failed: {view.error}\nPress s to resume from the saved cursor.",
                "error",
                timeout=10,
            )
        elif view.status is RunStatus.CANCELLED:
            if not self.quitting:
                self._say(f"{cid} cancelled; its checkpoint is saved.", "warning")
        elif outcome.written is not None and cid not in self._quiet:
            self._say(f"{cid} synced: {plural(outcome.written, 'document')} written.", timeout=3)
        self._quiet.discard(cid)
        self.poller.refresh()

    def cancel_selected(self) -> None:
        cid = self._target()
        if cid is None:
            return
        view = self.supervisor.live.view(cid)
        asked = view.cancelling_for(self.clock.monotonic()) if view is not None else None
        if asked is not None and view is not None and view.phase is Phase.CANCELLING:
            if asked >= ABANDON_AFTER:
                self.abandon_selected()
            else:
                self._say(
                    f"{cid} is stopping at its next item. If its connector does not return, "
                    f"press c again after {duration(ABANDON_AFTER)} to abandon the run.",
                )
            return
        result = self.supervisor.cancel(cid)
        if result is Phase.SKIPPED:
            self.run_log.note(cid, "taken off the queue")
            self._say(f"{cid} is no longer queued.")
        elif result is Phase.CANCELLING:
            self.run_log.note(cid, "cancel requested: stopping at the next item", "warning")
            self._say(f"Cancelling {cid}: it stops at the next item and saves its checkpoint.")
        elif self.overviews[cid].status is DisplayStatus.ELSEWHERE:
            self._say(
                f"{cid} is syncing in another process ({self.overviews[cid].holder}); "
                "cancel it there.",
                "warning",
            )
        else:
            self._say(f"{cid} is not running.", "warning")
        self.repaint()

    def abandon_selected(self) -> None:
        """Force-stop: close a run whose connector does not answer a cancel."""
        cid = self._target()
        if cid is None:
            return
        view = self.supervisor.live.view(cid)
        if view is None or not view.running or cid not in self.supervisor.running:
            self._say(f"{cid} has no run of this app to abandon.", "warning")
            return
        waited = duration(view.waiting) if view.waiting else "a moment"
        message = (
            f"Run {view.number or view.run_id} of {cid} is blocked in its connector (its last "
            f"item came {waited} ago). Abandoning it stores and checkpoints the "
            f"{plural(view.held, 'document')} it read and not yet stored, marks the run "
            "abandoned and frees its lease and its slot. Its thread is left behind: if the "
            "connector ever returns, it stops there."
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.run_worker(self._abandon(cid), name=f"abandon {cid}", group="abandon")

        self.push_screen(
            ConfirmScreen(f"Abandon the run of {cid}?", message, confirm_label="Abandon"),
            answered,
        )

    async def _abandon(self, cid: str) -> None:
        done = await in_daemon_thread(
            partial(self.supervisor.abandon, cid), name=f"syncdeck-abandon-{cid}"
        )
        if done:
            self.run_log.note(cid, "run abandoned by hand: what it had read is stored", "warning")
        else:
            self._say(
                f"{cid} is not blocked in its connector (it is storing what it read): it "
                "stops on its own.",
                "warning",
            )
        self.repaint()

    def apply_deletes_selected(self) -> None:
        """Run again with the deletions the guard held back applied, after asking."""
        cid = self._target()
        if cid is None:
            return
        overview = self.overviews[cid]
        if overview.status is not DisplayStatus.DELETES_HELD:
            self._say(f"{cid} has no deletions held back by the guard.", "warning")
            return
        held = overview.deletes_held
        message = (
            f"The last run of {cid} would have deleted {plural(held, 'stored document')} "
            f"that its source no longer lists, more than its delete_limit allows (or all "
            f"of its {plural(overview.items_synced, 'document')}), so the guard kept them. "
            "If the source really lost them (not an unmounted folder or an emptied "
            "export), sync again with the deletions applied."
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self.run_log.note(cid, f"syncing with up to {plural(held, 'deletion')} applied")
                self.sync_connector(cid, apply_deletes=True)

        self.push_screen(
            ConfirmScreen(
                f"Apply {plural(held, 'deletion')} to {cid}?", message, confirm_label="Apply"
            ),
            answered,
        )

    def release_selected(self) -> None:
        """Free a lease whose holder is stuck or gone (never one of this app's runs)."""
        cid = self._target()
        if cid is None:
            return
        if cid in self.supervisor.running:
            self._say(f"{cid} is running in this app: cancel it (c) instead.", "warning")
            return
        state = self.states.get(cid)
        holder = state.active if state is not None else None
        last = state.last_run if state is not None else None
        if holder is None and last is not None and last.status is RunStatus.RUNNING:
            holder = last  # recorded as running by a process that is gone
        if holder is None:
            self._say(f"No run holds the lease of {cid}: nothing to release.", "warning")
            return
        beat = self.clock.local(holder.heartbeat).strftime("%H:%M:%S")
        message = (
            f"Run {holder.number or holder.run_id} of {cid} holds its lease: {holder.holder}, "
            f"last heartbeat at {beat}. Releasing it marks that run abandoned (recorded in "
            "the history). If that process is in fact still writing, two runs may overlap "
            "until it notices."
        )

        def answered(confirmed: bool | None) -> None:
            if confirmed:
                self._change_checkpoint(
                    cid,
                    lambda: self.context.engine.release_lease(cid),
                    lambda released: (
                        "lease released by hand"
                        if released is not None
                        else "the run ended meanwhile: nothing to release"
                    ),
                )

        self.push_screen(
            ConfirmScreen(f"Release the lease of {cid}?", message, confirm_label="Release"),
            answered,
        )

    def forget_selected(self) -> None:
        """Remove a connector's documents and state, after saying how many."""
        cid = self._target()
        if cid is None or self._refuse_if_running(cid, "forget"):
            return

        async def ask() -> None:
            try:
                documents = await in_daemon_thread(
                    partial(self.context.store.documents_of, cid), name="syncdeck-forget-count"
                )
            except SyncdeckError as exc:
                self._say(str(exc), "error")
                return
            message = (
                f"Delete the {plural(documents, 'stored document')} of {cid}, its checkpoint, "
                "its run history and its quarantine. This cannot be undone; its next sync "
                "starts from nothing."
            )

            def answered(confirmed: bool | None) -> None:
                if confirmed:
                    self._change_checkpoint(
                        cid,
                        lambda: self._forget(cid),
                        lambda deleted: (
                            f"forgotten: {plural(deleted, 'document')} deleted, state removed"
                        ),
                    )

            self.push_screen(
                ConfirmScreen(f"Forget {cid}?", message, confirm_label="Forget"), answered
            )

        self.run_worker(ask(), name=f"forget {cid}", group="forget", exclusive=True)

    def _forget(self, cid: str) -> int:
        """In a daemon thread: forget the connector, then what this app held of it."""
        deleted = self.context.engine.forget(cid)
        self.supervisor.live.forget(cid)
        return deleted

    # -- checkpoint changes --------------------------------------------------------------

    def _refuse_if_running(self, cid: str, what: str) -> bool:
        overview = self.overviews.get(cid)
        if overview is not None and (
            overview.status.is_active or overview.status is DisplayStatus.QUEUED
        ):
            doing = _DOING.get(overview.status, "running")
            where = f" ({overview.holder})" if overview.holder else ""
            self._say(
                f"Cannot {what} {cid} while it is {doing}{where}: cancel it first or wait "
                "for it to finish.",
                "warning",
            )
            return True
        return False

    def reset_selected(self) -> None:
        cid = self._target()
        if cid is None or self._refuse_if_running(cid, "reset"):
            return
        state = self.states.get(cid)
        items = state.items_synced if state is not None else 0
        message = (
            f"The next sync of {cid} will start from the beginning: its cursor "
            f"({fmt.cursor(self._masked(state.cursor if state else None), 40)}) and its "
            f"since are cleared. Its {plural(items, 'stored document')} are kept (re-synced "
            "ones are recognised). You can undo this with u."
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

    def edit_selected_cursor(self) -> None:
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
                f"cursor set to {fmt.cursor(self._masked(edit.cursor), 40)} (u undoes it)",
            )

        self.push_screen(
            EditCursorScreen(
                cid,
                state.cursor if state else None,
                check=partial(self._check_cursor, cid),
                redact=self.context.redact,
            ),
            answered,
        )

    def _check_cursor(self, cid: str, cursor: str | None) -> str | None:
        """In a daemon thread: why the connector could not resume from ``cursor`` (its
        own words, masked), or None when it can."""
        try:
            self.context.check_cursor(cid, cursor)
        except Exception as exc:
            return self.context.redact(error_text(exc))
        return None

    def undo_selected(self) -> None:
        cid = self._target()
        if cid is None or self._refuse_if_running(cid, "undo the checkpoint change of"):
            return

        def describe(restored: dict[str, Any]) -> str:
            cursor = fmt.cursor(self._masked(restored.get("cursor")), 40)
            items = plural(restored.get("items_synced", 0), "item")
            return f"checkpoint restored: cursor {cursor}, {items}"

        self._change_checkpoint(cid, lambda: self.context.engine.undo_checkpoint(cid), describe)

    def _masked(self, cursor: str | None) -> str | None:
        return self.context.redact(cursor) if cursor is not None else None

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
            self.run_log.note(cid, text)
            self._say(f"{cid}: {text}")
            self.poller.refresh()  # one reader, so that reads arrive in order
            self.repaint()

        self.run_worker(work(), name=f"checkpoint {cid}", group="checkpoint", exit_on_error=False)

    # -- secondary screens -----------------------------------------------------------------

    def show_history(self) -> None:
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
            self.push_screen(HistoryScreen(cid, runs, clock=self.clock, redact=self.context.redact))

        self.run_worker(work(), name=f"history {cid}", group="history", exclusive=True)

    def show_inspect(self) -> None:
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
                redact=self.context.redact,
            )
        )

    def _inspect_blocking(self, cid: str, from_start: bool) -> InspectReport:
        """In a daemon thread: a dry run from the saved checkpoint (or the beginning)."""
        from syncdeck.core.inspection import inspect_connector

        cursor: str | None = None
        since: datetime | None = None
        if not from_start:
            checkpoint = self.context.engine.checkpoint(cid)
            cursor, since = checkpoint.cursor, checkpoint.last_sync
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

    def show_help(self) -> None:
        self.push_screen(HelpScreen())

    def show_search(self, source: str | None = None) -> None:
        """The search screen over every source (or one), gathered off the loop."""
        store = self.context.store

        async def work() -> None:
            try:
                sources, kinds = await in_daemon_thread(
                    lambda: (store.sources(), store.doc_types()), name="syncdeck-search-facets"
                )
            except SyncdeckError as exc:
                self._say(str(exc), "error")
                return
            self.push_screen(
                SearchScreen(
                    store,
                    sources={**dict.fromkeys(self.specs, 0), **sources},
                    doc_types=kinds,
                    source=source,
                    clock=self.clock,
                )
            )

        self.run_worker(work(), name="search", group="search", exclusive=True)

    def show_connector_search(self) -> None:
        cid = self._target()
        if cid is not None:
            self.show_search(cid)

    def show_quarantine(self) -> None:
        cid = self._target()
        if cid is None:
            return

        async def work() -> None:
            try:
                records = await in_daemon_thread(
                    partial(self.context.engine.rejected, cid, 500), name="syncdeck-rejected"
                )
            except SyncdeckError as exc:
                self._say(str(exc), "error")
                return
            self.push_screen(
                QuarantineScreen(cid, records, clock=self.clock, redact=self.context.redact)
            )

        self.run_worker(work(), name=f"rejected {cid}", group="rejected", exclusive=True)

    # -- quitting ------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Cancel running syncs, give them ``quit_grace`` seconds to checkpoint, leave.

        A second quit leaves at once. Syncs run in daemon threads, so one blocked inside
        its connector cannot keep the process alive.
        """
        if self.quitting:
            self._leave(self._exit_code)
            return
        running = self.supervisor.cancel_all()
        if not running:
            self._leave(self._exit_code)
            return
        self.quitting = True
        self._say(
            f"Cancelling {plural(len(running), 'running sync')} and saving their checkpoints…"
        )
        self.repaint()
        self.run_worker(self._exit_when_done(), name="quit", group="quit")

    async def _exit_when_done(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.quit_grace
        while loop.time() < deadline and self.supervisor.busy:
            await asyncio.sleep(0.02)
        self._leave(self._exit_code)

    def _leave(self, code: int) -> None:
        """Exit with ``code`` as the process's exit status (``App.exit``'s first argument
        is only the app's result)."""
        self.exit(code, return_code=code)

    @property
    def _exit_code(self) -> int:
        """0, or 128 + the signal that ended the app (as the shell would say)."""
        return 0 if self.signalled is None else 128 + self.signalled


#: How a refusal says what a busy connector is doing.
_DOING = {
    DisplayStatus.QUEUED: "queued",
    DisplayStatus.CANCELLING: "cancelling",
    DisplayStatus.ELSEWHERE: "running in another process",
}


def _close_quietly(connector: Any) -> None:
    with contextlib.suppress(Exception):  # best effort; the dry run's own report matters more
        connector.close()


def run_app(context: AppContext, **options: Any) -> int:
    """Open the app on ``context``; returns the process exit code."""
    app = SyncdeckApp(context, **options)
    app.run()
    return app.return_code or 0
