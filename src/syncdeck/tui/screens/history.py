"""Run history of one connector: a table of its runs (numbered among the connector's own,
started at a local time and so long ago) and the details of the selected one (error with
traceback, cursors, the process that ran it). Errors and tracebacks are shown as recorded:
the engine masked the connector's secrets before writing them; cursors are masked here."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from syncdeck.app.wording import plural
from syncdeck.core.events import RunStatus
from syncdeck.core.state import RunRecord
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.widgets.palette import role_style

COLUMNS = (
    "Run",
    "Started",
    "Duration",
    "Status",
    "Documents",
    "Written",
    "Deleted",
    "Rejected",
    "Error",
)


class HistoryScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,h", "close", "Close")]

    def __init__(
        self,
        connector_id: str,
        runs: list[RunRecord],
        *,
        clock: Clock,
        redact: Callable[[str], str] = str,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.connector_id = connector_id
        self.runs = {str(run.run_id): run for run in runs}
        self.clock = clock
        self.redact = redact

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-large"):
            yield Label(f"Run history · {self.connector_id}", classes="dialog-title")
            if self.runs:
                yield DataTable(cursor_type="row", id="history-table")
                with VerticalScroll(id="history-detail"):
                    yield Static(id="history-detail-text")
            else:
                yield Static(
                    "No runs yet: press s on the main screen to sync.", classes="dialog-body"
                )
            yield Static("↑↓ select a run · Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        if not self.runs:
            return
        table = self.query_one("#history-table", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        now = self.clock.now()
        for key, run in self.runs.items():
            status = DisplayStatus.from_run(run.status)
            failed = run.status is RunStatus.FAILED
            if run.status is RunStatus.FAILED and run.deletes_held:
                status = DisplayStatus.DELETES_HELD
            started = self.clock.local(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
            table.add_row(
                Text(str(run.number or run.run_id), justify="right"),
                Text.assemble(started, (f" {fmt.age(run.started_at, now)}", "dim")),
                Text(fmt.duration(run.duration)),
                Text(status.text, style=role_style(self.app, status.role, bold=True)),
                Text(fmt.count(run.documents), justify="right"),
                Text(fmt.count(run.written), justify="right"),
                Text(fmt.count(run.deleted), justify="right"),
                Text(fmt.count(run.rejected), justify="right"),
                Text(
                    fmt.truncate(fmt.first_line(run.error), 40),
                    style=role_style(self.app, "error") if failed else "",
                ),
                key=key,
            )
        table.focus()
        self._show_detail(next(iter(self.runs)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._show_detail(str(event.row_key.value))

    def _show_detail(self, key: str) -> None:
        run = self.runs[key]
        muted = role_style(self.app, "foreground", dim=True)
        text = Text()
        text.append(f"run {run.number or run.run_id} of {run.connector_id}", style="bold")
        text.append(f"  (id {run.run_id})  {_holder(run)}", muted)
        local = self.clock.local
        text.append("\nstarted ", muted)
        text.append(local(run.started_at).strftime("%Y-%m-%d %H:%M:%S"))
        text.append("  finished ", muted)
        text.append(
            local(run.finished_at).strftime("%Y-%m-%d %H:%M:%S") if run.finished_at else "—"
        )
        text.append("  since ", muted)
        text.append(local(run.since).strftime("%Y-%m-%d %H:%M:%S") if run.since else "never")
        text.append("\ncursor ", muted)
        text.append(
            f"{fmt.cursor(self._masked(run.cursor_start), 30)} → "
            f"{fmt.cursor(self._masked(run.cursor_end), 30)}"
        )
        text.append("  items synced ", muted)
        text.append(fmt.count(run.items_synced))
        text.append("  batches ", muted)
        text.append(fmt.count(run.batches))
        if run.deletes_held:
            text.append("\n")
            text.append(
                f"{DisplayStatus.DELETES_HELD.symbol} {plural(run.deletes_held, 'deletion')} "
                "held back by the deletion guard",
                role_style(self.app, "warning", bold=True),
            )
        if run.notice:
            text.append("\n" + run.notice, role_style(self.app, "warning"))
        if run.error:
            error_style = role_style(self.app, "error")
            text.append("\n")
            text.append(run.error, role_style(self.app, "error", bold=True))
            if run.traceback:
                text.append("\n" + run.traceback.rstrip(), error_style)
        self.query_one("#history-detail-text", Static).update(text)

    def _masked(self, cursor: str | None) -> str | None:
        return self.redact(cursor) if cursor is not None else None

    def action_close(self) -> None:
        self.dismiss(None)


def _holder(run: RunRecord) -> str:
    """Which process ran it: this one, or another (a terminal, cron) by pid and host."""
    if run.pid == os.getpid() and run.host == socket.gethostname():
        return "run by this app"
    return f"run by {run.holder}"
