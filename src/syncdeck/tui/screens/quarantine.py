"""The quarantine of one connector: every document its syncs rejected, why, when, and the
payload as it was received - masked with the configuration's secrets, as ``syncdeck
rejected`` masks them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from syncdeck.app.wording import plural
from syncdeck.core.state import RejectedRecord
from syncdeck.tui import formatting as fmt
from syncdeck.tui.clock import Clock
from syncdeck.tui.widgets.palette import role_style

COLUMNS = ("Run", "Item", "Document id", "Rejected", "Reason")


class QuarantineScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[Any]] = [Binding("escape,q,x", "close", "Close")]

    def __init__(
        self,
        connector_id: str,
        records: list[RejectedRecord],
        *,
        clock: Clock,
        redact: Callable[[str], str] = str,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.connector_id = connector_id
        self.records = records
        self.clock = clock
        self.redact = redact

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-large"):
            yield Label(
                f"Rejected documents · {self.connector_id} · "
                f"{plural(len(self.records), 'entry', 'entries')}",
                classes="dialog-title",
            )
            if self.records:
                yield DataTable(cursor_type="row", id="quarantine-table")
                with VerticalScroll(id="quarantine-detail"):
                    yield Static(id="quarantine-detail-text")
            else:
                yield Static(
                    "Nothing was rejected: every document its syncs yielded was stored.",
                    classes="dialog-body",
                )
            yield Static("↑↓ select · Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        if not self.records:
            return
        table = self.query_one("#quarantine-table", DataTable)
        for label in COLUMNS:
            table.add_column(label, key=label.lower())
        warning = role_style(self.app, "warning")
        for index, record in enumerate(self.records):
            doc_id = self.redact(record.doc_id) if record.doc_id is not None else "(no id)"
            table.add_row(
                Text(str(record.run_id), justify="right"),
                Text(str(record.item), justify="right"),
                Text(fmt.truncate(doc_id, 30)),
                Text(self.clock.local(record.rejected_at).strftime("%Y-%m-%d %H:%M")),
                Text(fmt.truncate(fmt.first_line(self.redact(record.reason)), 80), style=warning),
                key=str(index),
            )
        table.focus()
        self._show(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self._show(int(event.row_key.value))

    def _show(self, index: int) -> None:
        record = self.records[index]
        muted = role_style(self.app, "foreground", dim=True)
        text = Text(no_wrap=False, overflow="fold")
        doc_id = repr(self.redact(record.doc_id)) if record.doc_id is not None else "(no id)"
        text.append(f"item {record.item} of run {record.run_id}", style="bold")
        text.append(f"  {doc_id}  ", muted)
        text.append(self.clock.local(record.rejected_at).strftime("%Y-%m-%d %H:%M:%S"), muted)
        text.append("\n")
        text.append(self.redact(record.reason), role_style(self.app, "warning", bold=True))
        text.append("\npayload\n", muted)
        text.append(self.redact(record.payload))
        self.query_one("#quarantine-detail-text", Static).update(text)

    def action_close(self) -> None:
        self.dismiss(None)
