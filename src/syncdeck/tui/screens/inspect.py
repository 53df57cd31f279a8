"""Inspect: a dry run of a connector. Shows the first documents and checkpoints it yields
and what in them would hurt a sync (inspection warnings); nothing is written."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, LoadingIndicator, Static

from syncdeck.app.wording import error_text, plural
from syncdeck.core.errors import SyncdeckError
from syncdeck.core.inspection import InspectItem, InspectReport
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock
from syncdeck.tui.threads import in_daemon_thread
from syncdeck.tui.widgets.palette import role_style

COLUMNS = ("#", "Kind", "Id / cursor", "Title", "Timestamp", "Content")

#: ``runner(from_start)`` builds the connector and returns its report (blocking).
Runner = Callable[[bool], InspectReport]


class InspectScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,i", "close", "Close"),
        Binding("f", "toggle_start", "From start / from cursor"),
    ]

    def __init__(
        self,
        connector_id: str,
        runner: Runner,
        *,
        cursor: str | None,
        clock: Clock,
        redact: Callable[[str], str] = str,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.connector_id = connector_id
        self.runner = runner
        self.cursor = cursor
        self.clock = clock
        self.redact = redact
        self.from_start = cursor is None
        self.report: InspectReport | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-large"):
            yield Label(
                f"Inspect · {self.connector_id} · a dry run, nothing is written",
                classes="dialog-title",
            )
            yield Static(id="inspect-scope", markup=False)
            yield LoadingIndicator(id="inspect-loading")
            yield DataTable(cursor_type="row", id="inspect-table")
            with VerticalScroll(id="inspect-notes"):
                yield Static(id="inspect-notes-text")
            yield Static(
                "f from the beginning / the saved cursor · Escape closes", classes="dialog-hint"
            )

    def on_mount(self) -> None:
        table = self.query_one("#inspect-table", DataTable)
        for label in COLUMNS:
            table.add_column(label)
        self._start()

    def _start(self) -> None:
        self.report = None
        scope = (
            "from the beginning (no cursor)"
            if self.from_start
            else f"from the saved cursor {fmt.cursor(self.cursor, 50)}, as the next sync would"
        )
        self.query_one("#inspect-scope", Static).update(scope)
        self.query_one("#inspect-loading").display = True
        self.query_one("#inspect-table").display = False
        self.query_one("#inspect-notes-text", Static).update("")
        self.run_worker(self._inspect(self.from_start), group="inspect", exclusive=True)

    async def _inspect(self, from_start: bool) -> None:
        try:
            report = await in_daemon_thread(
                partial(self.runner, from_start), name=f"syncdeck-inspect-{self.connector_id}"
            )
        except Exception as exc:
            self._show_failure(exc)
        else:
            self._show(report)

    def _show_failure(self, exc: Exception) -> None:
        self.query_one("#inspect-loading").display = False
        text = Text()
        text.append(self.redact(error_text(exc)), role_style(self.app, "error", bold=True))
        if not isinstance(exc, SyncdeckError):
            trace = "".join(traceback.format_exception(exc)).rstrip()
            text.append("\n" + self.redact(trace), role_style(self.app, "error"))
        self.query_one("#inspect-notes-text", Static).update(text)

    def _show(self, report: InspectReport) -> None:
        self.report = report
        self.query_one("#inspect-loading").display = False
        table = self.query_one("#inspect-table", DataTable)
        table.clear()
        table.display = True
        for item in report.items:
            table.add_row(*self._cells(item))
        self.query_one("#inspect-notes-text", Static).update(self._notes(report))
        table.focus()

    def _cells(self, item: InspectItem) -> tuple[Text, ...]:
        index = Text(str(item.index), justify="right")
        if item.kind in ("deleted", "unchanged", "listing complete"):
            muted = role_style(self.app, "foreground", dim=True)
            return (
                index,
                Text(item.kind, style=muted),
                Text(item.doc_id or "", style=muted),
                Text(""),
                Text(""),
                Text(""),
            )
        if item.kind == "checkpoint":
            accent = role_style(self.app, "accent")
            cursor = (
                item.cursor
                if isinstance(item.cursor, str) or item.cursor is None
                else repr(item.cursor)
            )
            return (
                index,
                Text("checkpoint", style=accent),
                Text(fmt.cursor(cursor, 40), style=accent),
                Text(""),
                Text(""),
                Text(""),
            )
        stamp = (
            self.clock.local(item.timestamp).strftime("%Y-%m-%d %H:%M")
            if item.timestamp is not None and item.timestamp.tzinfo is not None
            else str(item.timestamp or "")
        )
        return (
            index,
            Text("document"),
            Text(fmt.truncate(str(item.doc_id), 24)),
            Text(fmt.truncate(item.title, 30)),
            Text(stamp),
            Text(fmt.truncate(item.content, 60), style="dim"),
        )

    def _notes(self, report: InspectReport) -> Text:
        text = Text()
        ending = (
            "timed out waiting for the connector"
            if report.timed_out
            else "the connector raised an error"
            if report.error
            else "the connector ended"
            if report.exhausted
            else "stopped at the document limit"
        )
        text.append(
            f"{plural(report.documents, 'document')}, "
            f"{plural(report.checkpoints, 'checkpoint')} · {ending}\n"
        )
        if not report.items and not self.from_start and not report.error:
            text.append("nothing after the saved cursor: press f to start from the beginning\n")
        warning = role_style(self.app, "warning")
        if not report.warnings:
            text.append(
                "no warnings: this output looks safe to sync\n", role_style(self.app, "success")
            )
        for line in report.warnings:
            text.append(f"⚠ {self.redact(line)}\n", warning)
        if report.error:
            text.append(self.redact(report.error) + "\n", role_style(self.app, "error", bold=True))
            if report.traceback:
                text.append(self.redact(report.traceback).rstrip(), role_style(self.app, "error"))
        text.rstrip()
        return text

    def action_toggle_start(self) -> None:
        if self.cursor is None and self.from_start:
            self.notify("There is no saved cursor: the dry run already starts at the beginning.")
            return
        self.from_start = not self.from_start
        self._start()

    def action_close(self) -> None:
        self.dismiss(None)
