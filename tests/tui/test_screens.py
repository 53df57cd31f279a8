"""Filter, history, inspect, help and the command palette."""

from __future__ import annotations

import threading
from typing import Any

from support.connectors import Held, Sloppy
from textual.command import CommandList
from textual.widgets import DataTable

from syncdeck.tui.screens.help import HelpScreen
from syncdeck.tui.screens.history import HistoryScreen
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.widgets.connector_table import ConnectorTable

from .support import RecordingApp, open_inspect, wait_until
from .tui_connectors import Counted


def names(app: RecordingApp) -> list[str]:
    return app.table.shown_ids


async def test_filter_narrows_the_list_and_escape_restores_it(make_context: Any) -> None:
    context = make_context(
        {cid: (lambda cid=cid: Counted(cid)) for cid in ("alpha", "beta", "gamma")},
        types={"alpha": "filesystem", "beta": "mailbox", "gamma": "mailbox"},
    )
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        assert names(app) == ["alpha", "beta", "gamma"]
        await pilot.press("slash")
        assert app.focused is app.filter_input
        await pilot.press(*"mail")
        assert names(app) == ["beta", "gamma"]  # by type
        assert app.selected == "beta"  # the selection follows what is shown
        await pilot.press("enter")
        assert isinstance(app.focused, ConnectorTable)
        await pilot.press("down")
        assert app.selected == "gamma"
        await pilot.press("slash", "escape")
        assert names(app) == ["alpha", "beta", "gamma"]  # in configuration order again
        assert app.selected == "gamma"
        assert not app.filter_input.display
        await pilot.press("slash", *"alp", "enter")
        assert names(app) == ["alpha"]
        assert isinstance(app.focused, ConnectorTable)
        await pilot.press("escape")  # from the list, too
        assert names(app) == ["alpha", "beta", "gamma"]
        assert not app.filter_input.display
        assert isinstance(app.focused, ConnectorTable)


async def test_history_lists_runs_newest_first(make_context: Any) -> None:
    attempts = iter([15, None])
    context = make_context(
        {"notes": lambda: Counted("notes", total=30, fail_at=next(attempts, None))}
    )
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert "No runs yet" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("escape")
        for expected in (DisplayStatus.FAILED, DisplayStatus.SUCCEEDED):
            await pilot.press("s")
            await wait_until(pilot, lambda e=expected: app.overviews["notes"].status is e)
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen))
        table = app.screen.query_one("#history-table", DataTable)
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [row[0] for row in rows] == ["2", "1"]
        assert rows[0][3] == "✓ succeeded" and rows[1][3] == "✗ failed"
        assert rows[1][8].startswith("ConnectionError: source went away")
        await pilot.press("down")
        detail = str(app.screen.query_one("#history-detail-text").render())
        assert "run 1" in detail and "Traceback (most recent call last)" in detail
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_inspect_shows_items_and_warnings_and_writes_nothing(make_context: Any) -> None:
    context = make_context({"sloppy": lambda: Sloppy("sloppy")})
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        screen = await open_inspect(pilot)
        table = screen.query_one("#inspect-table", DataTable)
        assert table.row_count == 5
        notes = str(screen.query_one("#inspect-notes-text").render())
        assert "duplicate doc_id 'sloppy-00002'" in notes
        assert "naive timestamp" in notes
        assert "no Checkpoint" in notes
        await pilot.press("escape")
    assert context.store.count() == 0
    assert context.engine.runs("sloppy") == []


async def test_inspect_starts_at_the_saved_cursor_and_f_starts_over(make_context: Any) -> None:
    context = make_context({"notes": lambda: Counted("notes", total=30, every=10)})
    context.engine.set_cursor("notes", "20")
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        screen = await open_inspect(pilot)
        assert screen.report is not None and screen.report.items[0].doc_id == "notes-00021"
        await pilot.press("f")
        await wait_until(pilot, lambda: screen.report is not None and screen.from_start)
        assert screen.report.items[0].doc_id == "notes-00001"


async def test_inspect_of_a_blocked_connector_times_out(make_context: Any, releases: Any) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    context = make_context({"stuck": lambda: Held("stuck", held, release, before=2, every=1)})
    app = RecordingApp(context, inspect_timeout=0.3)
    async with app.run_test() as pilot:
        screen = await open_inspect(pilot)
        assert screen.report is not None and screen.report.timed_out
        assert "timed out waiting for the connector" in str(
            screen.query_one("#inspect-notes-text").render()
        )


async def test_help_opens_and_main_keys_are_off_under_dialogs(make_context: Any) -> None:
    context = make_context({"notes": lambda: Counted("notes")})
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("s", "a")  # not for the list behind the dialog
        await pilot.pause(0.2)
        assert app.supervisor.running == [] and context.engine.runs("notes") == []
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_command_palette_runs_actions_by_name(make_context: Any) -> None:
    context = make_context({"alpha": lambda: Counted("alpha"), "beta": lambda: Counted("beta")})
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("ctrl+p")
        await pilot.press(*"sync beta")
        commands = app.screen.query_one(CommandList)

        def first_hit() -> str:
            if not commands.option_count:
                return ""
            return str(commands.get_option_at_index(0).prompt)

        await wait_until(pilot, lambda: "Sync beta" in first_hit(), what="Sync beta listed first")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.overviews["beta"].status is DisplayStatus.SUCCEEDED)
        assert app.overviews["alpha"].status is DisplayStatus.IDLE


async def test_mouse_selects_a_connector_and_shows_its_panel(make_context: Any) -> None:
    context = make_context(
        {cid: (lambda cid=cid: Counted(cid)) for cid in ("alpha", "beta", "gamma")}
    )
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        assert app.selected == "alpha"
        await pilot.click(ConnectorTable, offset=(3, 3))  # header, alpha, beta, gamma
        assert app.selected == "gamma"
        assert app.main_screen.query_one("#panels").current == app.panel("gamma").id  # type: ignore[attr-defined]
        await pilot.press("s")
        await wait_until(pilot, lambda: app.overviews["gamma"].status is DisplayStatus.SUCCEEDED)
        assert app.overviews["alpha"].status is DisplayStatus.IDLE


async def test_no_connectors_explains_how_to_add_one(make_context: Any) -> None:
    app = RecordingApp(make_context({}))
    async with app.run_test() as pilot:
        text = str(app.main_screen.query_one("#panels").render())
        assert "No connectors are configured" in text
        assert "[connectors.NAME]" in text
        await pilot.press("s", "a", "h")
        assert app.said("No connector selected.", "warning")
