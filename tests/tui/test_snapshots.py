"""Pictures of the main states, compared with the accepted SVGs in __snapshots__.

The clock is frozen and every connector is deterministic (a held one for mid-sync), so a
difference is a change of the UI. Update on purpose with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.connectors import Held, Sloppy, make_doc
from textual.pilot import Pilot
from textual.widgets import Input

from syncdeck import BaseConnector, Checkpoint
from syncdeck.core.events import RunStatus
from syncdeck.tui.screens.document import DocumentScreen
from syncdeck.tui.screens.history import HistoryScreen
from syncdeck.tui.screens.quarantine import QuarantineScreen
from syncdeck.tui.screens.search import SearchScreen

from .support import RecordingApp, UIContext, open_inspect, wait_until
from .tui_connectors import Counted

SIZE = (80, 24)


def stable_traceback(text: str) -> str:
    """Tracebacks name files by absolute path and line: keep file and function only, so
    the picture is the same in any checkout."""
    text = re.sub(r'File "[^"]*?([^"/\\]+)", line \d+, in', r'File "\1", in', text)
    lines = text.splitlines()
    kept = [line for line in lines if not line.startswith("    ") or line.strip("^~ ")]
    return "\n".join(line for line in kept if not re.fullmatch(r"\s{4,}\S.*", line))


@pytest.fixture(autouse=True)
def stable_tracebacks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app shows tracebacks as the engine recorded them: here they are recorded in
    the stable form."""
    original = traceback.format_exception

    def formatted(*args: Any, **kwargs: Any) -> list[str]:
        return [stable_traceback("".join(original(*args, **kwargs)))]

    monkeypatch.setattr(traceback, "format_exception", formatted)


def make_app(context: UIContext, frozen: Any) -> RecordingApp:
    return RecordingApp(context, clock=frozen)


def logged(app: RecordingApp, connector_id: str, text: str) -> bool:
    """``text`` is in the connector's log and rendered by its log widget (the log is
    written in bursts, and the widget renders what it is given once it knows its size)."""
    panel = app.panel(connector_id)
    if text not in panel.log_text or panel.log_pending:
        return False
    return any(text in line.text for line in panel.log_widget.lines)


def polled(app: RecordingApp, connector_id: str) -> bool:
    """The state database poll has seen the connector's finished run (so "Last sync" no
    longer depends on when the picture is taken)."""
    return app.overviews[connector_id].last_sync is not None


async def held_mid_sync(app: RecordingApp, pilot: Pilot[Any]) -> None:
    """The held mail connector's moment: two batches stored, the 50 documents read after
    them reported held, all of it painted."""
    await wait_until(pilot, lambda: logged(app, "mail", "batch 2:"))
    await wait_until(pilot, lambda: getattr(app.supervisor.live.view("mail"), "held", 0) == 50)
    summary = app.panel("mail").query_one(".panel-summary")
    await wait_until(pilot, lambda: "held 50" in str(summary.render()))

    app.clear_notifications()


def three(held: threading.Event, release: threading.Event) -> dict[str, Callable[[], Any]]:
    return {
        "notes": lambda: Counted("notes", total=120),
        "mail": lambda: Held("mail", held, release),
        "flaky": lambda: Counted("flaky", total=80, fail_at=45),
    }


TYPES = {"notes": "filesystem", "mail": "mailbox", "flaky": "demo", "sloppy": "jsonl"}


def test_idle(snap_compare: Any, make_context: Any, frozen: Any, releases: list[Any]) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    app = make_app(make_context(three(held, release), types=TYPES), frozen)
    assert snap_compare(app, terminal_size=SIZE)


@pytest.mark.parametrize("size", [SIZE, (200, 50)], ids=["80x24", "200x50"])
def test_mid_sync(
    snap_compare: Any, make_context: Any, frozen: Any, releases: list[Any], size: tuple[int, int]
) -> None:
    """Below 180 columns the panel sits under the list; at 200x50 beside it."""
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    app = make_app(make_context(three(held, release), types=TYPES), frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        app.select_connector("mail")
        await pilot.press("s")
        await wait_until(pilot, held.is_set)
        await held_mid_sync(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_failed_with_traceback(
    snap_compare: Any, make_context: Any, frozen: Any, releases: list[Any]
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    app = make_app(make_context(three(held, release), types=TYPES), frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        app.select_connector("flaky")
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overviews["flaky"].status.label == "failed")
        await wait_until(pilot, lambda: app.said("flaky failed"))
        await wait_until(pilot, lambda: polled(app, "flaky"))
        await wait_until(pilot, lambda: logged(app, "flaky", "ConnectionError"))

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_history(snap_compare: Any, make_context: Any, frozen: Any, releases: list[Any]) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    attempts = iter([45, None])
    factories = three(held, release)
    factories["flaky"] = lambda: Counted("flaky", total=80, fail_at=next(attempts, None))
    context = make_context(factories, types=TYPES)
    app = make_app(context, frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        app.select_connector("flaky")
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overviews["flaky"].status.label == "failed")
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overviews["flaky"].status.label == "succeeded")
        assert [run.status for run in context.engine.runs("flaky")] == [
            RunStatus.SUCCEEDED,
            RunStatus.FAILED,
        ]
        # the state records when each run started and ended: fix it for the picture
        fix_times(
            context.engine.state_path,
            "UPDATE sync_runs SET started_at = '2025-01-01T11:50:00+00:00', "
            "finished_at = '2025-01-01T11:50:00.400000+00:00'",
        )
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.press("down")  # the failed run, with its traceback
        app.clear_notifications()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_inspect(snap_compare: Any, make_context: Any, frozen: Any) -> None:
    context = make_context({"sloppy": lambda: Sloppy("sloppy")}, types=TYPES)
    app = make_app(context, frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_inspect(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Any, make_context: Any, frozen: Any) -> None:
    app = make_app(make_context({"notes": lambda: Counted("notes")}, types=TYPES), frozen)
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"])


def test_wide_mid_sync(
    snap_compare: Any, make_context: Any, frozen: Any, releases: list[Any]
) -> None:
    """Side by side from 120 columns: the list on the left, the panel on the right."""
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    app = make_app(make_context(three(held, release), types=TYPES), frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overviews["notes"].status.label == "succeeded")
        await wait_until(pilot, lambda: polled(app, "notes"))
        app.select_connector("mail")
        await pilot.press("s")
        await wait_until(pilot, held.is_set)
        await held_mid_sync(app, pilot)

    assert snap_compare(app, terminal_size=(160, 40), run_before=run_before)


class Rejecting(BaseConnector):
    """Good documents with bad ones among them: each bad one goes to the quarantine."""

    display_name = "Rejecting"

    def __init__(self, connector_id: str) -> None:
        self.connector_id = connector_id

    def sync(self, *, since: Any, cursor: str | None) -> Iterator[Any]:
        yield make_doc(self.connector_id, 1)
        yield {"doc_id": "row-7", "source": self.connector_id, "doc_type": "row"}
        bad_time = make_doc(self.connector_id, 2)
        object.__setattr__(bad_time, "timestamp", "last tuesday")
        yield bad_time
        bad_meta = make_doc(self.connector_id, 3)
        object.__setattr__(bad_meta, "metadata", ["not", "a", "mapping"])
        yield bad_meta
        yield make_doc(self.connector_id, 4)
        yield Checkpoint("4")


def fix_times(database: Any, update: str) -> None:
    """Set the times a database recorded (when it wrote, rejected, ran) to fixed ones, so
    the picture is the same on every run."""
    with sqlite3.connect(database) as conn:
        conn.execute(update)
    conn.close()


def stored_at_noon(context: UIContext) -> None:
    fix_times(context.store.path, "UPDATE documents SET ingested_at = '2025-01-01T11:59:00+00:00'")


def searchable(make_context: Any) -> UIContext:
    return make_context(
        {
            "notes": lambda: Counted("notes", total=30),
            "mail": lambda: Counted("mail", total=12),
        },
        types=TYPES,
    )


async def search_for(app: RecordingApp, pilot: Pilot[Any], query: str) -> SearchScreen:
    for cid in ("notes", "mail"):  # one after the other: equal ranks list in stored order
        app.select_connector(cid)
        await pilot.press("s")
        await wait_until(pilot, lambda cid=cid: polled(app, cid))
        await wait_until(pilot, lambda cid=cid: logged(app, cid, "run 1 succeeded"))
    app.clear_notifications()
    stored_at_noon(app.context)  # type: ignore[arg-type]
    await pilot.press("f")
    await wait_until(pilot, lambda: isinstance(app.screen, SearchScreen))
    screen = app.screen
    assert isinstance(screen, SearchScreen)
    for field in screen.query(Input):
        field.cursor_blink = False  # a steady cursor: the picture never catches a blink
    seen = screen.searches
    await pilot.press(*query)
    await wait_until(pilot, lambda: screen.searches > seen and bool(screen.hits))
    preview = screen.query_one("#search-preview-text")
    await wait_until(pilot, lambda: screen.hits[0].title in str(preview.render()))
    return screen


def test_search(snap_compare: Any, make_context: Any, frozen: Any) -> None:
    """Ranked hits with highlighted snippets beside the highlighted one's preview."""
    app = make_app(searchable(make_context), frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        await search_for(app, pilot, "document 7")

    assert snap_compare(app, terminal_size=(120, 32), run_before=run_before)


def test_document(snap_compare: Any, make_context: Any, frozen: Any) -> None:
    """A hit opened: every field, the metadata and the whole content."""
    app = make_app(searchable(make_context), frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        await search_for(app, pilot, "document 12")
        await pilot.press("down", "enter")  # to the results, then open the highlighted hit
        await wait_until(pilot, lambda: isinstance(app.screen, DocumentScreen))
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=(120, 32), run_before=run_before)


def test_quarantine(snap_compare: Any, make_context: Any, frozen: Any) -> None:
    """The rejected documents of a run, each with its reason and its payload."""
    context = make_context({"rows": lambda: Rejecting("rows")}, types={"rows": "sqlite"})
    app = make_app(context, frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("s")
        await wait_until(pilot, lambda: polled(app, "rows"))
        app.clear_notifications()
        # the state records when it rejected each document: fix it for the picture
        fix_times(
            context.engine.state_path,
            "UPDATE rejected_documents SET rejected_at = '2025-01-01T11:58:00+00:00'",
        )
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, QuarantineScreen))
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
