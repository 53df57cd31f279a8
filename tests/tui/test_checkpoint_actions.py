"""Reset (confirmed and declined), cursor edit, undo: the dialogs and what they change in
the real state database."""

from __future__ import annotations

import threading
from typing import Any

from support.connectors import Held
from textual.widgets import Input

from syncdeck.tui.screens.confirm import ConfirmScreen
from syncdeck.tui.screens.edit_cursor import EditCursorScreen
from syncdeck.tui.status import DisplayStatus

from .support import RecordingApp, wait_until
from .tui_connectors import Counted


async def synced_app(make_context: Any) -> tuple[RecordingApp, Any]:
    context = make_context({"notes": lambda: Counted("notes", total=30)})
    return RecordingApp(context), context


async def sync_once(pilot: Any, app: RecordingApp) -> None:
    await pilot.press("s")
    await wait_until(pilot, lambda: app.overviews["notes"].status is DisplayStatus.SUCCEEDED)
    await wait_until(
        pilot, lambda: app.states.get("notes") is not None and app.states["notes"].cursor == "30"
    )


async def test_reset_declined_changes_nothing(make_context: Any) -> None:
    app, context = await synced_app(make_context)
    async with app.run_test() as pilot:
        await sync_once(pilot, app)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # the focus starts on Cancel
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await pilot.pause()
    assert context.engine.get_checkpoint("notes")["cursor"] == "30"
    assert context.engine.get_checkpoint("notes")["items_synced"] == 30


async def test_reset_confirmed_starts_over_and_undo_restores(make_context: Any) -> None:
    app, context = await synced_app(make_context)
    async with app.run_test() as pilot:
        await sync_once(pilot, app)
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: app.said("notes: checkpoint reset"))
        await wait_until(pilot, lambda: app.overviews["notes"].cursor is None)
        # the stored documents are kept, and still counted
        assert app.overviews["notes"].items_synced == 30
        assert context.engine.get_checkpoint("notes") == {
            "items_synced": 30,
            "cursor": None,
            "last_sync": None,
            "error": None,
        }
        assert "checkpoint reset" in app.panel("notes").log_text

        await pilot.press("u")
        await wait_until(pilot, lambda: app.said("checkpoint restored: cursor 30, 30 items"))
        await wait_until(pilot, lambda: app.overviews["notes"].cursor == "30")
        assert context.engine.get_checkpoint("notes")["items_synced"] == 30

        await pilot.press("u")  # nothing left to undo
        await wait_until(pilot, lambda: app.said("no reset or cursor edit to undo", "warning"))


async def test_edit_cursor_shows_the_current_value_and_saves(make_context: Any) -> None:
    app, context = await synced_app(make_context)
    async with app.run_test() as pilot:
        await sync_once(pilot, app)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCursorScreen))
        field = app.screen.query_one("#cursor-input", Input)
        assert field.value == "30"
        field.value = ""
        await pilot.press(*"12", "enter")
        await wait_until(pilot, lambda: app.said("notes: cursor set to 12"))
        assert context.engine.get_checkpoint("notes")["cursor"] == "12"
        await wait_until(pilot, lambda: app.overviews["notes"].cursor == "12")

        await pilot.press("e")  # cancelled: nothing changes
        await wait_until(pilot, lambda: isinstance(app.screen, EditCursorScreen))
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("s")  # the next sync resumes after document 12
        await wait_until(
            pilot, lambda: "run 2 started from cursor 12" in app.panel("notes").log_text
        )
        await wait_until(pilot, lambda: app.overviews["notes"].status is DisplayStatus.SUCCEEDED)
    (latest, _first) = context.engine.runs("notes")
    assert latest.documents == 18
    assert context.store.count("notes") == 30


async def test_checkpoint_changes_are_refused_while_running(
    make_context: Any, releases: Any
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    context = make_context({"notes": lambda: Held("notes", held, release, before=10, every=5)})
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, held.is_set)
        for key in "reu":
            await pilot.press(key)
        assert app.said("Cannot reset notes while it is running", "warning")
        assert app.said("Cannot edit the cursor of notes while it is running", "warning")
        assert app.said("Cannot undo the checkpoint change of notes while it is running")
        assert app.screen is app.main_screen  # no dialog was opened
        release.set()
        await wait_until(pilot, lambda: app.overviews["notes"].status is DisplayStatus.SUCCEEDED)
