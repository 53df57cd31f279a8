"""The dev app: one connector under development, checked again each time its file is saved.

The check runs in a daemon thread (a connector that blocks cannot hang the app); a save
while it runs cancels it - at the next item or run - and starts over on the new version.
Progress is left by the thread in one attribute and painted by a timer, so the thread
never waits on the screen. A file that does not load shows its traceback; the checks of the
last version that loaded stay in the table.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from syncdeck.devkit.runner import CheckCancelled
from syncdeck.devkit.session import DevResult, DevSession, failure_of
from syncdeck.devkit.watcher import FileWatcher
from syncdeck.tui.clock import Clock
from syncdeck.tui.dev import render
from syncdeck.tui.threads import in_daemon_thread
from syncdeck.tui.widgets.palette import role_style

HERE = Path(__file__).parent
CHECK_COLUMNS = 24  # the symbol and id columns, with cell padding and a scrollbar


class DevApp(App[int]):
    CSS_PATH = HERE / "dev.tcss"
    TITLE = "syncdeck dev"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rerun", "Check again"),
        Binding("c", "cancel", "Cancel"),
        Binding("e", "show_tab('evidence')", "Evidence"),
        Binding("o", "show_tab('output')", "Output"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        session: DevSession,
        *,
        label: str | None = None,
        clock: Clock | None = None,
        watch: bool = True,
        debounce_ms: int = 300,
        force_polling: bool | None = None,
    ) -> None:
        super().__init__()
        self.session = session
        self.label = label or session.type_name
        self.clock = clock or Clock()
        self.watching = watch
        self.watcher = FileWatcher(
            session.path, debounce_ms=debounce_ms, force_polling=force_polling
        )
        self.result: DevResult | None = None  # the last one shown
        self.checked: DevResult | None = None  # the last one with a report
        self.results: list[DevResult] = []  # every result shown, oldest first
        self.saves = 0
        self._cancel: threading.Event | None = None
        self._progress: tuple[str, int, int] | None = None  # written by the check's thread
        self.running = False

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="status", markup=False)
        with VerticalScroll(id="failure"):
            yield Static(id="failure-text", markup=False)
        with Vertical(id="body"):
            with Horizontal(id="top"):
                yield DataTable(id="checks", cursor_type="row", zebra_stripes=False)
                with VerticalScroll(id="changes-box"):
                    yield Static(id="changes", markup=False)
            with TabbedContent(id="details", initial="evidence"):
                with TabPane("Evidence", id="evidence"), VerticalScroll():
                    yield Static(id="evidence-text", markup=False)
                with TabPane("Output", id="output"), Vertical():
                    yield DataTable(id="items", cursor_type="row")
                    yield Static(id="inspect-notes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.label
        self.query_one("#changes-box").border_title = "Since the last save"
        self.query_one("#failure").border_title = "The connector does not load"
        self.query_one("#failure").display = False
        checks = self.query_one("#checks", DataTable)
        checks.add_columns("", "Check", "Result")
        items = self.query_one("#items", DataTable)
        items.add_columns("#", "Kind", "Id / cursor", "Title", "Timestamp")
        self.set_interval(0.2, self._paint_progress)
        if self.watching:
            self.run_worker(self._watch(), group="watch", name="watch")
        self.action_rerun()

    def style(self, role: str) -> Style:
        return role_style(self, role)

    # -- running --------------------------------------------------------------------------

    def action_rerun(self) -> None:
        """Load the file again and check it (a check still running is cancelled)."""
        if self._cancel is not None:
            self._cancel.set()
        cancel = threading.Event()
        self._cancel = cancel
        self._progress = None
        self.running = True
        self._paint_progress()
        self.run_worker(self._cycle(cancel), group="cycle", exclusive=True)

    def action_cancel(self) -> None:
        if self._cancel is not None and self.running:
            self._cancel.set()
            self.running = False
            self.query_one("#status", Static).update(self._status_text("check cancelled"))

    def action_show_tab(self, tab: str) -> None:
        self.query_one("#details", TabbedContent).active = tab

    async def _cycle(self, cancel: threading.Event) -> None:
        def work() -> DevResult:
            return self.session.cycle(cancel, self._note_progress)

        try:
            result = await in_daemon_thread(work, name="syncdeck-dev-check")
        except CheckCancelled:
            return
        except Exception as exc:  # a bug of ours, shown rather than crashing the app
            result = DevResult(self.session.loads, self.clock.now(), failure=failure_of(exc))
        if cancel.is_set():
            return  # a newer version is being checked
        self.running = False
        self.show(result)

    def _note_progress(self, what: str, done: int, planned: int) -> None:
        self._progress = (what, done, planned)  # read by the timer; one assignment

    async def _watch(self) -> None:
        async for _ in self.watcher.saves():
            self.saves += 1
            self.action_rerun()

    def on_unmount(self) -> None:
        self.watcher.stop()
        if self._cancel is not None:
            self._cancel.set()

    # -- painting -------------------------------------------------------------------------

    def _status_text(self, tail: str) -> str:
        shown = self.result
        head = f"#{shown.number}" if shown is not None else "first check"
        return f"{self.session.path.name} · {head} · {tail}"

    def _paint_progress(self) -> None:
        if not self.running:
            return
        progress = self._progress
        if progress is None:
            tail = "loading…"
        else:
            what, done, planned = progress
            tail = f"checking: {what} (run {done + 1} of {planned})"
        self.query_one("#status", Static).update(self._status_text(tail))

    def show(self, result: DevResult) -> None:
        self.result = result
        self.results.append(result)
        when = self.clock.local(result.finished_at).strftime("%H:%M:%S")
        status = self.query_one("#status", Static)
        failed = result.failure is not None
        self.query_one("#failure").display = failed
        self.query_one("#body").set_class(failed, "-stale")
        if result.failure is not None:
            kept = self.checked.number if self.checked else None
            self.query_one("#failure-text", Static).update(
                render.failure_text(result.failure, kept, self.style)
            )
            status.update(self._status_text(f"{when} · does not load"))
            return
        self.checked = result
        report = result.report
        assert report is not None
        counts = report.counts()
        status.update(
            self._status_text(
                f"{when} · {counts['passed']} passed, {counts['failed']} failed, "
                f"{counts['not_applicable']} n/a · {report.settings.get('runs')} runs"
            )
        )
        self._fill_checks(result)
        self.query_one("#changes", Static).update(render.changes_text(result, self.style))
        self._fill_items(result)

    def _fill_checks(self, result: DevResult) -> None:
        assert result.report is not None
        table = self.query_one("#checks", DataTable)
        selected = self._selected_check()
        table.clear()
        width = max(12, table.size.width - CHECK_COLUMNS)
        for check in result.report.results:
            table.add_row(*render.check_cells(check, self.style, width), key=check.id)
        ids = [r.id for r in result.report.results]
        failing = [r.id for r in result.report.results if r.failed]
        newly = [c.id for c in result.changes.started_failing] if result.changes else []
        if newly:
            target = newly[0]  # what this save broke
        elif selected in ids:
            target = selected
        else:
            target = failing[0] if failing else ids[0]
        table.move_cursor(row=ids.index(target))
        self._show_evidence(target)

    def _selected_check(self) -> str | None:
        table = self.query_one("#checks", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value) if row_key.value is not None else None

    def _show_evidence(self, check_id: str) -> None:
        if self.checked is None or self.checked.report is None:
            return
        result = self.checked.report.result(check_id)
        for shown in self.query("#evidence-text").results(Static):  # none while closing
            shown.update(render.evidence_text(result, self.style))

    def on_resize(self) -> None:
        if self.checked is not None:
            self.call_after_refresh(self._refill)

    def _refill(self) -> None:
        if self.checked is not None and self.query("#checks"):
            self._fill_checks(self.checked)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "checks" and event.row_key.value is not None:
            self._show_evidence(str(event.row_key.value))

    def _fill_items(self, result: DevResult) -> None:
        table = self.query_one("#items", DataTable)
        table.clear()
        notes = self.query_one("#inspect-notes", Static)
        if result.inspect is None:
            notes.update("")
            return
        for item in result.inspect.items:
            table.add_row(*render.item_cells(item))
        notes.update(render.inspect_notes(result.inspect, self.style))


def run_dev(session: DevSession, *, label: str | None = None) -> int:
    app = DevApp(session, label=label)
    app.run()
    return app.return_code or 0
