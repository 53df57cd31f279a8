"""The deck's views of what was synced and its operator actions: search and the document
view, the quarantine, run history, held deletions, forget and release, the cursor dialog's
check, secrets in cursors, and the small frictions (help, plurals, the sparkline).

Everything runs on real SQLite files in tmp_path, filled by real syncs of the engine."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from support.connectors import Endless, Held
from textual.command import CommandList
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, OptionList, Select, Sparkline, Static

from syncdeck import BaseConnector, Checkpoint, Document, ListingComplete
from syncdeck.app.paths import STATE_DB_NAME
from syncdeck.core.events import DocumentRejected, RunStarted
from syncdeck.tui.clock import FrozenClock
from syncdeck.tui.run_log import REJECTIONS_SHOWN, RunLog
from syncdeck.tui.screens.confirm import ConfirmScreen
from syncdeck.tui.screens.document import DocumentScreen
from syncdeck.tui.screens.edit_cursor import EditCursorScreen
from syncdeck.tui.screens.help import HelpScreen
from syncdeck.tui.screens.history import HistoryScreen
from syncdeck.tui.screens.quarantine import QuarantineScreen
from syncdeck.tui.screens.search import SearchScreen
from syncdeck.tui.status import DisplayStatus

from .support import RecordingApp, UIContext, open_inspect, wait_until
from .tui_connectors import Counted

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
LONG_TAIL = "the very last line of the handbook: the budget rules"


def library(source: str) -> list[Document]:
    """Documents of two sources, types, authors and days: what the filters narrow."""
    if source == "mail":
        return [
            Document(
                "m1", "mail", "email", "The quarterly budget review is on Friday.",
                title="Budget review", author="Alice Martin", timestamp=T0,
                participants=["alice@example.org", "bob@example.org"], thread_id="t-7",
                url="https://mail.example.org/m1", metadata={"folder": "INBOX", "size": 812},
            ),
            Document(
                "m2", "mail", "email", "Lunch on Tuesday? No budget talk, promised.",
                title="Lunch", author="Bob Stone", timestamp=T0 + timedelta(days=3),
            ),
            Document(
                "m3", "mail", "calendar", "Budget planning meeting, room 4.",
                title="Planning", author="Alice Martin", timestamp=T0 + timedelta(days=6),
            ),
        ]  # fmt: skip
    handbook = "\n".join(f"line {n} of the handbook" for n in range(400))
    return [
        Document(
            "n1", "notes", "note", handbook + "\n" + LONG_TAIL,
            title="Handbook", author="Carol", timestamp=T0 + timedelta(days=1),
        ),
        Document(
            "n2", "notes", "note", "Groceries: apples, bread.",
            title="Groceries", author="Carol", timestamp=T0 + timedelta(days=9),
        ),
    ]  # fmt: skip


class Listed(BaseConnector):
    """Yields a fixed list of documents, then a checkpoint."""

    def __init__(self, connector_id: str, documents: list[Any], cursor: str = "end") -> None:
        self.connector_id = connector_id
        self.documents = documents
        self.cursor = cursor

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[Any]:
        yield from self.documents
        yield Checkpoint(self.cursor)


def filled(make_context: Any) -> UIContext:
    """A context whose store was filled by real syncs of two connectors."""
    context = make_context(
        {cid: (lambda cid=cid: Listed(cid, library(cid))) for cid in ("mail", "notes")}
    )
    for cid in ("mail", "notes"):
        context.engine.sync(context.build(cid))
    return context


async def open_search(pilot: Any, key: str = "f") -> SearchScreen:
    await pilot.press(key)
    return await searched(pilot)


async def searched(pilot: Any, after: int = 0) -> SearchScreen:
    """The search screen once it has shown more than ``after`` searches."""
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, SearchScreen))
    screen = pilot.app.screen
    await wait_until(pilot, lambda: screen.searches > after, what="a search to be shown")
    return screen


async def refine(pilot: Any, screen: SearchScreen, widget_id: str, value: Any) -> list[str]:
    """Set one field of the search screen; the titles it then lists."""
    before = screen.searches
    screen.query_one(f"#{widget_id}").value = value  # type: ignore[attr-defined]
    await wait_until(pilot, lambda: screen.searches > before, what=f"{widget_id} applied")
    return listed(screen)


def listed(screen: SearchScreen) -> list[str]:
    """The titles shown in the results list (each option's first line)."""
    results = screen.query_one("#search-results", OptionList)
    titles = []
    for index in range(results.option_count):
        option = results.get_option_at_index(index)
        titles.append(str(option.prompt.plain).split("  ")[0])  # type: ignore[union-attr]
    return titles


async def run_command(pilot: Any, title: str) -> None:
    """Open the palette, type the start of ``title`` and run the command listed first
    (which must be it)."""
    await pilot.press("ctrl+p", *title.split()[0].lower())
    commands = pilot.app.screen.query_one(CommandList)
    await wait_until(
        pilot,
        lambda: (
            commands.option_count > 0
            and str(commands.get_option_at_index(0).prompt).startswith(title)
        ),
        what=f"{title!r} listed first",
    )
    await pilot.press("enter")


# -- 6. search and the document view ---------------------------------------------------


async def test_search_ranks_highlights_and_every_filter_narrows(make_context: Any) -> None:
    app = RecordingApp(filled(make_context))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_search(pilot)
        title = str(screen.query_one(".dialog-title").render())
        assert "5 documents in 2 sources" in title
        # nothing typed: the newest documents first
        assert listed(screen) == ["Groceries", "Planning", "Lunch", "Handbook", "Budget review"]
        assert "the newest 5 documents" in str(screen.query_one("#search-status").render())

        assert await refine(pilot, screen, "search-query", "budget") == [
            "Budget review",
            "Planning",
            "Lunch",
            "Handbook",
        ]  # fmt: skip  (BM25: in the title first, a long text last)
        assert "4 matches, best first (BM25)" in str(screen.query_one("#search-status").render())
        first = screen.hits[0]
        assert ("Budget", True) in first.parts or ("budget", True) in first.parts
        prompt = screen.query_one("#search-results", OptionList).get_option_at_index(0).prompt
        marked = [
            prompt.plain[span.start : span.end]  # type: ignore[union-attr]
            for span in prompt.spans  # type: ignore[union-attr]
            if "underline" in str(span.style)
        ]
        assert marked and all(word.lower() == "budget" for word in marked)

        assert await refine(pilot, screen, "search-source", "notes") == ["Handbook"]
        assert await refine(pilot, screen, "search-source", Select.NULL) == [
            "Budget review", "Planning", "Lunch", "Handbook",
        ]  # fmt: skip
        assert await refine(pilot, screen, "search-type", "calendar") == ["Planning"]
        await refine(pilot, screen, "search-type", Select.NULL)
        assert await refine(pilot, screen, "search-author", "alice") == [
            "Budget review", "Planning",
        ]  # fmt: skip
        await refine(pilot, screen, "search-author", "")
        # the time range: since included, until excluded
        assert await refine(pilot, screen, "search-since", "2024-05-02") == [
            "Planning", "Lunch", "Handbook",
        ]  # fmt: skip
        assert await refine(pilot, screen, "search-until", "2024-05-05") == ["Lunch", "Handbook"]
        assert await refine(pilot, screen, "search-query", "") == ["Lunch", "Handbook"]
        assert await refine(pilot, screen, "search-query", "zebra") == []
        assert "0 matches" in str(screen.query_one("#search-status").render())


async def test_search_is_reached_by_palette_and_panel_link_for_its_connector(
    make_context: Any,
) -> None:
    app = RecordingApp(filled(make_context))
    async with app.run_test(size=(140, 40)) as pilot:
        await run_command(pilot, "Search documents")
        screen = await searched(pilot)
        assert screen.query_one("#search-source", Select).value is Select.NULL
        assert len(screen.hits) == 5
        await pilot.press("escape")
        assert app.screen is app.main_screen

        await pilot.press("down")  # notes
        await wait_until(pilot, lambda: app.selected == "notes")
        summary = app.panel("notes").query_one(".panel-summary", Static)

        def link_row() -> int | None:
            """The line of the panel's links, as painted now."""
            for y in range(summary.size.height):
                if summary.render_line(y).text.lstrip().startswith("search its documents"):
                    return y
            return None

        await wait_until(pilot, lambda: link_row() is not None, what="the panel's links")
        await pilot.click(summary, offset=(summary.content_offset.x + 3, link_row()))
        screen = await searched(pilot)
        assert screen.query_one("#search-source", Select).value == "notes"
        assert listed(screen) == ["Groceries", "Handbook"]


async def test_enter_opens_the_whole_document_scrollable_and_escape_goes_back(
    make_context: Any,
) -> None:
    app = RecordingApp(filled(make_context))
    async with app.run_test(size=(120, 32)) as pilot:
        screen = await open_search(pilot)
        await refine(pilot, screen, "search-query", "quarterly")
        assert listed(screen) == ["Budget review"]
        await pilot.press("down", "enter")  # to the results, open the first
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen))
        text = str(app.screen.query_one("#document-text", Static).render())
        for shown in (
            "Budget review", "mail", "m1", "email", "Alice Martin",
            "alice@example.org, bob@example.org", "2024-05-01 08:00:00", "t-7",
            "https://mail.example.org/m1", "stored by", "metadata", '"folder": "INBOX"',
            '"size": 812', "The quarterly budget review is on Friday.",
        ):  # fmt: skip
            assert shown in text, shown
        await pilot.press("escape")
        assert app.screen is screen

        await refine(pilot, screen, "search-query", "handbook")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen))
        document = app.screen
        assert document.record["doc_id"] == "n1"
        body = document.query_one("#document-body", VerticalScroll)
        await pilot.pause(0.1)
        assert LONG_TAIL in str(document.query_one("#document-text", Static).render())
        assert body.max_scroll_y > 100  # 400 lines of content: it scrolls
        await pilot.press("end")
        await wait_until(pilot, lambda: body.scroll_y == body.max_scroll_y)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert app.screen is app.main_screen


# -- 7. the quarantine and the history -------------------------------------------------


def rejects() -> list[Any]:
    good = Document("ok-1", "feed", "note", "fine", title="Fine")
    far = datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))
    late = Document("late", "feed", "note", "from the far future", timestamp=far)
    people = Document("bad-people", "feed", "note", "x", participants=["ann", 3])  # type: ignore[list-item]
    return [good, late, people, "not a document at all"]


async def test_quarantine_lists_each_rejected_document_with_reason_and_payload(
    make_context: Any,
) -> None:
    context = make_context({"feed": lambda: Listed("feed", rejects())})
    app = RecordingApp(context)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, QuarantineScreen))
        assert "Nothing was rejected" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("escape")
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overviews["feed"].status is DisplayStatus.SUCCEEDED)
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, QuarantineScreen))
        screen = app.screen
        assert "3 entries" in str(screen.query_one(".dialog-title").render())
        table = screen.query_one("#quarantine-table", DataTable)
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [(row[1], row[2]) for row in rows] == [
            ("4", "(no id)"),
            ("3", "bad-people"),
            ("2", "late"),
        ]  # fmt: skip  (newest first)
        assert "expected a Document, got str" in rows[0][4]
        assert "participants must be a list of strings" in rows[1][4]
        assert "timestamp cannot be represented in UTC" in rows[2][4]

        def detail() -> str:
            return str(screen.query_one("#quarantine-detail-text", Static).render())

        assert "expected a Document, got str" in detail()
        assert "'not a document at all'" in detail()  # the payload as received
        assert "item 4 of run 1" in detail()
        await pilot.press("down", "down")
        await wait_until(pilot, lambda: "item 2 of run 1" in detail())
        assert "timestamp cannot be represented in UTC (9999-12-31T23:00:00-05:00" in detail()
        assert "content='from the far future'" in detail()
        await pilot.press("escape")
        assert app.screen is app.main_screen
    assert context.store.count("feed") == 1


async def test_history_shows_absolute_and_relative_times_and_per_connector_numbers(
    make_context: Any, frozen: Any
) -> None:
    context = make_context({cid: (lambda cid=cid: Counted(cid, total=5)) for cid in "ab"})
    # a, b, a: the second run of a is run 3 of the database, run 2 of a
    for cid in "aba":
        context.engine.sync(context.build(cid))
    runs = context.engine.runs("a")
    assert [run.run_id for run in runs] == [3, 1]
    frozen.at = runs[0].started_at + timedelta(minutes=3)
    app = RecordingApp(context, clock=frozen)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("#history-table", DataTable)
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[0] for row in rows] == ["2", "1"]
        stamp = runs[0].started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        assert rows[0][1] == f"{stamp} 3 min ago"
        detail = str(app.screen.query_one("#history-detail-text").render())
        assert detail.startswith("run 2 of a") and "(id 3)" in detail
        assert f"started {stamp}" in detail
        await pilot.press("escape")
        summary = str(app.panel("a").query_one(".panel-summary", Static).render())
        assert "✓ succeeded  run 2" in summary


# -- issue 11, item 8: held deletions, forget, release ----------------------------------


class Shrinking(BaseConnector):
    """A whole listing of its source each run: the ids of one run after another."""

    lists_source = True

    def __init__(self, connector_id: str, ids: list[int]) -> None:
        self.connector_id = connector_id
        self.ids = ids

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        for i in self.ids:
            yield Document(f"d{i}", self.connector_id, "note", f"text {i}", title=f"Doc {i}")
        yield Checkpoint("end")
        yield ListingComplete()


def confirm_text(app: RecordingApp) -> str:
    screen = app.screen
    assert isinstance(screen, ConfirmScreen)
    title = str(screen.query_one(".dialog-title").render())
    return title + "\n" + str(screen.query_one(".dialog-body").render())


async def test_held_deletions_show_their_state_and_d_applies_them_after_asking(
    make_context: Any,
) -> None:
    listings = iter([list(range(10)), [1, 2], [1, 2]])
    context = make_context({"share": lambda: Shrinking("share", next(listings))})
    app = RecordingApp(context)
    async with app.run_test(size=(120, 32)) as pilot:
        for expected in (DisplayStatus.SUCCEEDED, DisplayStatus.DELETES_HELD):
            await pilot.press("s")
            await wait_until(pilot, lambda e=expected: app.overviews["share"].status is e)
            await wait_until(pilot, lambda: not app.supervisor.busy)  # its slot is free
        await wait_until(
            pilot, lambda: app.table.get_cell("share", "status").plain == "⊘ deletes held"
        )
        summary = str(app.panel("share").query_one(".panel-summary", Static).render())
        assert "⊘ deletes held" in summary
        assert "the deletion guard held back 8 deletions: press D to apply them" in summary
        assert app.said("the deletion guard held back 8 deletions", "warning")
        assert context.store.count("share") == 10  # the guard kept them

        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = confirm_text(app)
        assert "Apply 8 deletions to share?" in asked
        assert "would have deleted 8 stored documents" in asked
        await pilot.press("escape")  # no: nothing runs, nothing is deleted
        await pilot.pause(0.2)
        assert len(context.engine.runs("share")) == 2
        assert context.store.count("share") == 10

        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: app.overviews["share"].status is DisplayStatus.SUCCEEDED)
        await wait_until(
            pilot, lambda: app.table.get_cell("share", "status").plain == "✓ succeeded"
        )
        assert "syncing with up to 8 deletions applied" in app.panel("share").log_text
    assert context.store.count("share") == 2
    assert sorted(context.store.ids("share")) == ["d1", "d2"]
    latest = context.engine.runs("share")[0]
    assert latest.deleted == 8 and latest.deletes_held == 0


async def test_d_without_held_deletions_only_says_so(make_context: Any) -> None:
    context = make_context({"notes": lambda: Counted("notes", total=5)})
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("D")
        assert app.said("notes has no deletions held back by the guard.", "warning")
        assert app.screen is app.main_screen


async def test_forget_from_the_palette_says_how_many_and_removes_everything(
    make_context: Any,
) -> None:
    context = make_context(
        {"notes": lambda: Counted("notes", total=12), "other": lambda: Counted("other", total=3)}
    )
    for cid in ("notes", "other"):
        context.engine.sync(context.build(cid))
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await run_command(pilot, "Forget connector")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = confirm_text(app)
        assert "Forget notes?" in asked and "Delete the 12 stored documents of notes" in asked
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert context.store.count("notes") == 12

        await run_command(pilot, "Forget connector")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: app.said("notes: forgotten: 12 documents deleted"))
        await wait_until(pilot, lambda: app.overviews["notes"].status is DisplayStatus.IDLE)
        assert app.overviews["notes"].items_synced == 0
        assert app.table.get_cell("notes", "status").plain == "· idle"
    assert context.store.count("notes") == 0
    assert context.engine.get_checkpoint("notes") is None
    assert context.engine.runs("notes") == []
    assert context.store.count("other") == 3  # only that connector
    assert context.engine.get_checkpoint("other") is not None


SCRIPT = Path(__file__).with_name("other_process.py")


async def test_release_of_a_lease_held_by_a_dead_process_on_this_host(
    make_context: Any, tmp_path: Path
) -> None:
    context = make_context({"shared": lambda: Counted("shared")})
    started, release = tmp_path / "started", tmp_path / "never"
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(context.data_dir), str(started), str(release)]
    )
    try:
        deadline = time.monotonic() + 20
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert started.exists(), "the other process did not start its sync"
    finally:
        process.kill()  # dies holding the lease: its run row stays "running"
        process.wait(20)
    holder = f"pid {process.pid} on {socket.gethostname()}"
    app = RecordingApp(context)
    async with app.run_test(size=(120, 32)) as pilot:
        await wait_until(pilot, lambda: app.overviews["shared"].status is DisplayStatus.ABANDONED)
        await run_command(pilot, "Release lease")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = confirm_text(app)
        assert "Release the lease of shared?" in asked
        assert f"Run 1 of shared holds its lease: {holder}" in asked
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: app.said("shared: lease released by hand"))
        assert "lease released by hand" in app.panel("shared").log_text

        await run_command(pilot, "Release lease")  # nothing holds it now
        await wait_until(pilot, lambda: app.said("No run holds the lease of shared"))
    (run,) = context.engine.runs("shared")
    assert run.status.value == "abandoned"
    assert f"lease released by hand (pid {os.getpid()}" in (run.error or "")
    assert f"it was held by {holder}" in (run.error or "")
    with sqlite3.connect(context.data_dir / STATE_DB_NAME) as conn:
        assert conn.execute("SELECT count(*) FROM sync_runs WHERE status='running'").fetchone() == (
            0,
        )


# -- issue 12: the cursor dialog's check, secrets in cursors ----------------------------


class Paged(Counted):
    """Counted, whose cursor must be a page number: its own check says so."""

    def check_cursor(self, cursor: str) -> None:
        if not cursor.isdigit():
            raise ValueError(f"cursor must be a document number, not {cursor!r}")


async def test_the_cursor_dialog_refuses_what_the_connector_rejects(make_context: Any) -> None:
    context = make_context({"notes": lambda: Paged("notes", total=20)})
    context.engine.sync(context.build("notes"))
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCursorScreen))
        dialog = app.screen
        field = dialog.query_one("#cursor-input", Input)
        field.value = ""
        await pilot.press(*"page-7", "enter")
        problem = dialog.query_one("#cursor-problem", Static)
        await wait_until(pilot, lambda: "Not saved" in str(problem.render()))
        assert "cursor must be a document number, not 'page-7'" in str(problem.render())
        assert problem.has_class("-error")
        assert app.screen is dialog  # still open, to be corrected
        assert context.engine.get_checkpoint("notes")["cursor"] == "20"
        assert app.overviews["notes"].status is DisplayStatus.SUCCEEDED  # not "cursor set"
        await pilot.press("escape")
        await pilot.press("u")  # nothing was changed, so nothing can be undone
        await wait_until(pilot, lambda: app.said("no reset or cursor edit to undo", "warning"))

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCursorScreen))
        field = app.screen.query_one("#cursor-input", Input)
        field.value = ""
        await pilot.press(*"7", "enter")  # one the connector can read is saved
        await wait_until(pilot, lambda: app.said("notes: cursor set to 7"))
    assert context.engine.get_checkpoint("notes")["cursor"] == "7"


TOKEN = "s3cr3t-tok-991"


class Tokened(BaseConnector):
    """Puts its API token in its cursor, as a careless connector does."""

    def __init__(self, connector_id: str, api_token: str) -> None:
        self.connector_id = connector_id
        self.api_token = api_token

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[Any]:
        for n in range(1, 4):
            yield Document(f"t{n}", self.connector_id, "note", f"text {n}")
        yield Checkpoint(f"p3:{self.api_token}")


async def test_a_secret_in_a_cursor_never_reaches_the_screen(make_context: Any) -> None:
    context = make_context({"api": lambda: Tokened("api", TOKEN)})
    object.__setattr__(context.specs["api"], "params", {"api_token": TOKEN})
    app = RecordingApp(context)
    async with app.run_test(size=(160, 40)) as pilot:
        for _ in range(2):  # the second run starts from the saved cursor, and logs it
            await pilot.press("s")
            await wait_until(pilot, lambda: app.overviews["api"].status is DisplayStatus.SUCCEEDED)
            await wait_until(pilot, lambda: app.overviews["api"].cursor == f"p3:{TOKEN}")
            await wait_until(pilot, lambda: not app.supervisor.busy)  # its slot is free
        await wait_until(pilot, lambda: "run 2 started from cursor" in app.panel("api").log_text)
        shown = [
            app.table.get_cell("api", "cursor").plain,
            str(app.panel("api").query_one(".panel-summary", Static).render()),
            app.panel("api").log_text,
        ]
        assert "p3:***" in shown[0] and "cursor p3:***" in shown[1]
        assert "from cursor p3:***" in shown[2]

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCursorScreen))
        dialog = app.screen
        assert dialog.query_one("#cursor-input", Input).value == "p3:***"
        shown.append(str(dialog.query_one(".dialog-body").render()))
        assert "holds a secret, shown masked" in shown[-1]
        await pilot.press("enter")  # unchanged: the real cursor is kept, never shown
        await wait_until(pilot, lambda: app.screen is app.main_screen)

        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        shown.append(confirm_text(app))
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: app.said("checkpoint reset"))
        await pilot.press("u")
        await wait_until(pilot, lambda: app.said("checkpoint restored: cursor p3:***"))

        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        shown.append(str(app.screen.query_one("#history-detail-text").render()))
        assert "p3:*** → p3:***" in shown[-1]
        await pilot.press("escape")
        await pilot.pause(0.2)
        shown.append(app.panel("api").log_text)
        shown.extend(message for _, message in app.notes)
    for text in shown:
        assert TOKEN not in text
    assert context.engine.get_checkpoint("api")["cursor"] == f"p3:{TOKEN}"  # kept as it is


# -- 12: frictions ---------------------------------------------------------------------


async def test_help_says_escape_closes_it_and_it_does(make_context: Any) -> None:
    app = RecordingApp(make_context({"notes": lambda: Counted("notes")}))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        hint = str(app.screen.query_one(".dialog-hint").render())
        assert "Escape closes" in hint
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_one_of_a_thing_is_said_in_the_singular(make_context: Any) -> None:
    listings = iter([[1], []])
    context = make_context(
        {"one": lambda: Counted("one", total=1), "gone": lambda: Shrinking("gone", next(listings))},
        max_concurrent=1,
    )
    app = RecordingApp(context)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.said("one synced: 1 document written."))
        await wait_until(pilot, lambda: not app.supervisor.busy)  # its slot is free
        log = app.panel("one").log_text
        assert "batch 1: 1 doc (1 new)" in log
        assert "run 1 succeeded: 1 doc, 1 written, 0 rejected" in log
        screen = await open_inspect(pilot)
        notes = str(screen.query_one("#inspect-notes-text").render())
        assert "0 documents, 1 checkpoint · the connector ended" in notes  # after its cursor
        await pilot.press("escape")
        await pilot.press("down", "s")
        await wait_until(pilot, lambda: app.overviews["gone"].status is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: not app.supervisor.busy)  # its slot is free again
        await pilot.press("a")
        await wait_until(pilot, lambda: app.said("Started 1 sync, 1 queued"))
        await wait_until(pilot, lambda: app.overviews["gone"].status is DisplayStatus.DELETES_HELD)
        assert app.said("the deletion guard held back 1 deletion.", "warning")
        summary = str(app.panel("gone").query_one(".panel-summary", Static).render())
        assert "held back 1 deletion: press D" in summary
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        asked = confirm_text(app)
        assert "Apply 1 deletion to gone?" in asked
        assert "would have deleted 1 stored document that" in asked
        assert "all of its 1 document)" in asked
        await pilot.press("escape")
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        detail = str(app.screen.query_one("#history-detail-text").render())
        assert "⊘ 1 deletion held back by the deletion guard" in detail
        await pilot.press("escape")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
        title = str(app.screen.query_one(".dialog-title").render())
        assert "2 documents in 2 sources" in title
        await pilot.press("escape")
    assert not any(" 1 documents" in m or " 1 syncs" in m for _, m in app.notes)


async def test_the_sparkline_shows_nothing_at_zero_documents_a_second(
    make_context: Any, frozen: Any, releases: list[threading.Event]
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    context = make_context(
        {
            "stalled": lambda: Held("stalled", held, release, before=0, after=5, every=5),
            "flowing": lambda: Endless("flowing", delay=0.005),
        }
    )
    app = RecordingApp(context, clock=frozen)
    app._over_budget = lambda: False  # type: ignore[method-assign]  # every tick repaints
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.press("s", "down", "s")
        await wait_until(pilot, held.is_set)
        await wait_until(pilot, lambda: app.overviews["flowing"].status is DisplayStatus.RUNNING)
        for _ in range(4):  # four seconds of the app's clock
            await pilot.pause(0.15)
            frozen.ticks += 1.0
            app.repaint()
        stalled, flowing = app.panel("stalled"), app.panel("flowing")
        assert any(flowing.meter.samples)
        assert flowing.query_one(Sparkline).visible
        await pilot.press("up")  # the stalled one's panel, painted from its samples
        await wait_until(pilot, lambda: app.selected == "stalled")
        app.repaint()
        await pilot.pause(0.05)
        assert stalled.meter.samples and not any(stalled.meter.samples)
        assert stalled.query_one(Sparkline).data == list(stalled.meter.samples)
        assert not stalled.query_one(Sparkline).visible  # a line of zeros is not drawn
        app.supervisor.cancel("flowing")
        release.set()
        await wait_until(pilot, lambda: not app.supervisor.busy)


async def test_search_at_80_columns_forgives_syntax_and_says_what_is_wrong(
    make_context: Any,
) -> None:
    app = RecordingApp(filled(make_context))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_search(pilot)
        # not FTS5 syntax: searched as plain words, not an error
        assert await refine(pilot, screen, "search-query", 'budget "review') == ["Budget review"]
        status = screen.query_one("#search-status", Static)
        screen.query_one("#search-since", Input).value = "the day before"
        await wait_until(pilot, lambda: "since:" in str(status.render()))
        assert listed(screen) == ["Budget review"]  # the last results stay
        assert await refine(pilot, screen, "search-since", "") == ["Budget review"]
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen))
        assert "The quarterly budget review" in str(app.screen.query_one("#document-text").render())
        await pilot.press("escape", "escape")
        assert app.screen is app.main_screen


def test_the_log_says_one_more_rejected_document_in_the_singular() -> None:
    log = RunLog(FrozenClock())
    log.record(RunStarted("bad", 1, T0, None, None, 0))
    for item in range(1, REJECTIONS_SHOWN + 2):
        log.record(DocumentRejected("bad", 1, item, None, "doc_id must not be empty", item))
    assert log.drain()["bad"].lines[-1].text == "... and 1 more rejected document"
