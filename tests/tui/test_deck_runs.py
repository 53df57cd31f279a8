"""The deck's account of runs (issue 13): the true state after checkpoint changes, invalid
configurations from the start, stalls, force-stop, progress and ETA, key bursts, and
quitting on a signal."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from support.connectors import Endless
from textual import events
from textual.widgets import Input, Static

from syncdeck.app.context import open_context
from syncdeck.cli.status import state_label
from syncdeck.core.events import RunStatus
from syncdeck.tui import formatting as fmt
from syncdeck.tui.screens.confirm import ConfirmScreen
from syncdeck.tui.screens.edit_cursor import EditCursorScreen
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.widgets.connector_table import ConnectorTable

from .support import RecordingApp, wait_until
from .tui_connectors import Counted


def cell(app: RecordingApp, cid: str, column: str) -> str:
    return app.query_one(ConnectorTable).get_cell(cid, column).plain


def summary(app: RecordingApp, cid: str) -> str:
    """The panel's summary as shown (only the selected connector's panel is painted)."""
    content = app.panel(cid).query_one(".panel-summary", Static).content
    return str(content)


def status(app: RecordingApp, cid: str) -> DisplayStatus:
    return app.overviews[cid].status


# -- 1. true state after reset, cursor edit and undo ----------------------------------------


#: The row's status for each of ``syncdeck status``'s words.
CLI_WORDS = {
    "reset": DisplayStatus.RESET,
    "cursor set": DisplayStatus.CURSOR_SET,
    "synced": DisplayStatus.SUCCEEDED,
}


def agrees_with_engine(app: RecordingApp, cid: str) -> bool:
    """Row and panel say what ``engine.states()`` says (as ``syncdeck status`` words it)."""
    state = app.context.engine.states()[cid]
    word = state_label(state, state.last_change)
    now = app.clock.now()
    last = state.last_run.finished_at if state.last_run is not None else None
    text = summary(app, cid)
    return (
        cell(app, cid, "status") == CLI_WORDS[word].text
        and cell(app, cid, "cursor") == fmt.cursor(state.cursor, 16)
        and cell(app, cid, "items") == f"{state.items_synced:,}"
        and cell(app, cid, "last") == fmt.age(last, now)
        and text.startswith(CLI_WORDS[word].text)
        and f"cursor {fmt.cursor(state.cursor, 40)}" in text
        and f"since {fmt.age(state.last_sync, now)}" in text
    )


async def confirm(pilot: Any, app: RecordingApp) -> None:
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="a dialog")
    await pilot.click("#confirm")


async def test_reset_edit_and_undo_show_in_the_row_and_panel_at_once(make_context: Any) -> None:
    context = make_context({"notes": lambda: Counted("notes", total=30)})
    # no periodic poll: only what a change itself triggers can bring the new state
    app = RecordingApp(context, poll_interval=3600)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app, "notes") is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: agrees_with_engine(app, "notes"), what="synced")
        assert cell(app, "notes", "last") == "just now"

        await pilot.press("r")
        await confirm(pilot, app)
        await wait_until(pilot, lambda: app.said("notes: checkpoint reset"))
        await wait_until(pilot, lambda: agrees_with_engine(app, "notes"), timeout=2, what="reset")
        assert cell(app, "notes", "status") == "↺ reset"
        assert cell(app, "notes", "cursor") == "—"
        text = summary(app, "notes")
        assert "since never" in text and "checkpoint reset at" in text
        assert "✓ succeeded" not in text

        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditCursorScreen))
        app.screen.query_one("#cursor-input", Input).value = "12"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.said("notes: cursor set to 12"))
        await wait_until(pilot, lambda: agrees_with_engine(app, "notes"), timeout=2, what="edit")
        assert cell(app, "notes", "status") == "✎ cursor set"
        assert "cursor set by hand at" in summary(app, "notes")

        await pilot.press("u")  # back to the reset
        await wait_until(pilot, lambda: app.said("checkpoint restored: cursor —"))
        await wait_until(pilot, lambda: agrees_with_engine(app, "notes"), timeout=2, what="undo")
        assert cell(app, "notes", "cursor") == "—"
        await pilot.press("u")  # back to what the run left
        await wait_until(pilot, lambda: app.said("checkpoint restored: cursor 30"))
        await wait_until(pilot, lambda: agrees_with_engine(app, "notes"), timeout=2, what="undo")
        assert cell(app, "notes", "status") == "✓ succeeded"
        assert cell(app, "notes", "cursor") == "30"


async def test_last_sync_survives_a_cancelled_run_starting_again(make_context: Any) -> None:
    context = make_context({"endless": lambda: Endless("endless")}, batch_size=10)
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: "batch 2:" in app.panel("endless").log_text)
        await pilot.press("c")
        await wait_until(pilot, lambda: status(app, "endless") is DisplayStatus.CANCELLED)
        await wait_until(pilot, lambda: cell(app, "endless", "last") == "just now")

        await pilot.press("s")
        seen: set[str] = set()
        while (
            "run 2" not in app.panel("endless").log_text
            or "batch 4:" not in (app.panel("endless").log_text.split("run 2", 1)[1])
        ):
            seen.add(cell(app, "endless", "last"))
            await pilot.pause(0.01)
        seen.add(cell(app, "endless", "last"))
        assert seen == {"just now"}
        await pilot.press("c")
        await wait_until(pilot, lambda: status(app, "endless") is DisplayStatus.CANCELLED)

    # a new app on the same data, whose connector's last run was cancelled
    again = RecordingApp(context)
    async with again.run_test() as pilot:
        assert cell(again, "endless", "last") == "just now"
        await pilot.press("s")
        for _ in range(30):
            assert cell(again, "endless", "last") == "just now"
            await pilot.pause(0.02)
        await pilot.press("c")
        await wait_until(pilot, lambda: status(again, "endless") is DisplayStatus.CANCELLED)
    assert [run.status for run in context.engine.runs("endless")] == [RunStatus.CANCELLED] * 3


# -- 2. a misconfigured connector is invalid from the start ---------------------------------


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(3):
        (notes / f"note{n}.md").write_text(f"# Note {n}\n\nbody {n}\n")
    config = tmp_path / "syncdeck.toml"
    config.write_text(
        '[connectors.notes]\ntype = "filesystem"\npath = "notes"\n\n'
        '[connectors.nopath]\ntype = "filesystem"\n\n'
        '[connectors.typo]\ntype = "filesytem"\npath = "notes"\n'
    )
    return config


async def test_a_misconfigured_connector_is_invalid_from_the_start(
    broken_config: Path, tmp_path: Path
) -> None:
    with open_context(broken_config, tmp_path / "data") as context:
        app = RecordingApp(context)
        async with app.run_test() as pilot:
            await wait_until(
                pilot, lambda: cell(app, "typo", "status") == "⊗ invalid", what="invalid rows"
            )
            assert cell(app, "nopath", "status") == "⊗ invalid"
            assert cell(app, "notes", "status") == "· idle"
            assert "path: missing required parameter" in cell(app, "nopath", "error")
            assert "did you mean 'filesystem'" in cell(app, "typo", "error")
            app.select_connector("nopath")
            await wait_until(pilot, lambda: summary(app, "nopath").startswith("⊗ invalid"))
            assert (
                "invalid configuration: "
                f"{broken_config}: [connectors.nopath] path: missing required parameter"
            ) in summary(app, "nopath")

            await pilot.press("s")
            assert app.said("nopath is misconfigured: ", "error")
            assert app.said("[connectors.nopath] path: missing required parameter")
            await pilot.pause(0.2)
            assert app.supervisor.running == []
            assert cell(app, "nopath", "status") == "⊗ invalid"

            await pilot.press("a")
            assert app.said("Started 1 sync; 2 misconfigured connectors skipped (nopath, typo)."), (
                app.notes
            )
            await wait_until(pilot, lambda: status(app, "notes") is DisplayStatus.SUCCEEDED)
            assert cell(app, "typo", "status") == "⊗ invalid"
        assert context.engine.runs("nopath") == [] and context.engine.runs("typo") == []
        assert context.store.count("notes") == 3


async def test_keys_pressed_before_the_configuration_check_still_skip_the_invalid(
    broken_config: Path, tmp_path: Path
) -> None:
    """``a`` and ``s`` as the very first keys, while the configuration check (which builds
    every connector, slow for some) has not finished: they wait for it."""
    with open_context(broken_config, tmp_path / "data") as context:
        check = context.problem

        def slow_check(cid: str) -> str | None:
            time.sleep(0.3)
            return check(cid)

        context.problem = slow_check  # type: ignore[method-assign]
        app = RecordingApp(context)
        async with app.run_test() as pilot:
            await pilot.press("a")
            await wait_until(pilot, lambda: status(app, "notes") is DisplayStatus.SUCCEEDED)
            assert app.said("Started 1 sync; 2 misconfigured connectors skipped (nopath, typo).")
            assert not app.said("could not start")
            assert cell(app, "typo", "status") == "⊗ invalid"
            assert cell(app, "nopath", "status") == "⊗ invalid"
        assert context.engine.runs("nopath") == [] and context.engine.runs("typo") == []

        app = RecordingApp(context)
        context._problems.clear()  # checked again by the new app, slowly
        async with app.run_test() as pilot:
            await pilot.press("down", "s")  # nopath
            await wait_until(pilot, lambda: app.said("nopath is misconfigured: "))
            assert not app.said("could not start")
            assert cell(app, "nopath", "status") == "⊗ invalid"
        assert context.engine.runs("nopath") == []


# -- 10. keys typed in one burst ---------------------------------------------------------


CHARACTERS = {"slash": "/", "space": " "}


async def burst(pilot: Any, *keys: str) -> None:
    """Keys as a terminal delivers a burst: every event queued before any is handled
    (``pilot.press`` waits for the app to go idle after each key)."""
    app = pilot.app
    for key in keys:
        char = CHARACTERS.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()


async def test_keys_in_one_burst_act_on_the_row_they_follow(make_context: Any) -> None:
    context = make_context(
        {cid: (lambda cid=cid: Counted(cid)) for cid in ("alpha", "beta", "gamma")}
    )
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("down", "s")
        await wait_until(pilot, lambda: status(app, "beta") is DisplayStatus.SUCCEEDED)
        await burst(pilot, "down", "s", "up", "up", "s")
        await wait_until(pilot, lambda: status(app, "gamma") is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: status(app, "alpha") is DisplayStatus.SUCCEEDED)
        assert app.selected == "alpha"
        assert [len(context.engine.runs(cid)) for cid in ("alpha", "beta", "gamma")] == [1, 1, 1]
        await burst(pilot, "slash", *"gam")
        assert app.filter_input.value == "gam"
        assert app.table.shown_ids == ["gamma"]
        notes = len(app.notes)
        await burst(pilot, "slash", "a")  # in the filter, / is text, as any key
        assert app.filter_input.value == "gam/a"
        assert app.supervisor.running == [] and len(app.notes) == notes  # no sync all
