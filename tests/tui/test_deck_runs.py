"""The deck's account of runs (issue 13): the true state after checkpoint changes, invalid
configurations from the start, stalls, force-stop, progress and ETA, key bursts, and
quitting on a signal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import sys
import termios
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from support.connectors import Endless, Held, make_doc
from textual import events
from textual.widgets import Input, Static

from syncdeck import BaseConnector, Checkpoint, Document, Progress
from syncdeck.app.context import open_context
from syncdeck.app.supervisor import THREAD_PREFIX
from syncdeck.cli.status import state_label
from syncdeck.core.events import RunStatus
from syncdeck.tui import formatting as fmt
from syncdeck.tui.screens.confirm import ConfirmScreen
from syncdeck.tui.screens.edit_cursor import EditCursorScreen
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.widgets.connector_table import ConnectorTable

from .support import RecordingApp, wait_for_event, wait_until
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
        app.filter_input.value = "gam"
        await pilot.pause()
        await burst(pilot, "enter", "s")  # Enter in the filter, then s: on the list
        await wait_until(pilot, lambda: len(context.engine.runs("gamma")) == 2)
        assert app.filter_input.value == "gam" and app.table.shown_ids == ["gamma"]
        assert app.focused is app.table


# -- 3. stalls -----------------------------------------------------------------------------


@pytest.fixture
def quick_waiting(monkeypatch: pytest.MonkeyPatch) -> float:
    """A connector silent for 0.5 s (not 5 s) is shown as waiting on it."""
    from syncdeck.app import wording
    from syncdeck.tui import overview

    monkeypatch.setattr(wording, "WAITING_AFTER", 0.5)
    monkeypatch.setattr(overview, "WAITING_AFTER", 0.5)
    return 0.5


async def test_a_stalled_connector_shows_waiting_and_what_it_holds(
    make_context: Any, releases: list[threading.Event], quick_waiting: float
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    context = make_context(
        {"slow": lambda: Held("slow", held, release, before=3, after=2, every=100)},
        batch_size=100,
    )
    context.engine.progress_interval = 0.1
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_for_event(pilot, held)
        # the first documents show as soon as they are read, long before a batch is full
        await wait_until(pilot, lambda: "documents 3" in summary(app, "slow"), timeout=1)
        assert "held 3" in summary(app, "slow")
        assert context.store.count("slow") == 0  # nothing committed yet
        assert cell(app, "slow", "status") == "▶ running"

        waiting = re.compile(
            r"▷ waiting on the connector for (\d+)s \(3 documents read, not yet stored\)"
        )
        await wait_until(pilot, lambda: waiting.search(summary(app, "slow")) is not None)
        assert cell(app, "slow", "status") == "▷ waiting"
        match = waiting.search(summary(app, "slow"))
        assert match is not None and int(match.group(1)) >= 1
        await wait_until(  # the count goes on
            pilot,
            lambda: int(waiting.search(summary(app, "slow")).group(1)) >= 2,  # type: ignore[union-attr]
        )

        release.set()
        await wait_until(pilot, lambda: status(app, "slow") is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: "documents 5" in summary(app, "slow"))
        assert "waiting on the connector" not in summary(app, "slow")
        assert "held" not in summary(app, "slow")
    assert context.store.count("slow") == 5


# -- 4. force-stop ---------------------------------------------------------------------------


def stuck_context(
    make_context: Any, releases: list[threading.Event], lingering: set[str]
) -> tuple[Any, Any]:
    """``stuck`` reads 12 documents then blocks in its own code for good; ``next`` waits
    for its slot (one sync at a time)."""
    lingering.add(f"{THREAD_PREFIX}stuck")  # abandoned: its thread never resumes
    held, never = threading.Event(), threading.Event()
    releases.append(never)  # set at teardown only
    context = make_context(
        {
            "stuck": lambda: Held("stuck", held, never, before=12, after=5, every=4),
            "next": lambda: Counted("next", total=5, every=5),
        },
        max_concurrent=1,
    )
    context.engine.progress_interval = 0.1
    return context, held


async def cancel_past_the_grace(pilot: Any, app: RecordingApp, frozen: Any) -> None:
    from syncdeck.app.wording import ABANDON_AFTER

    await pilot.press("c")
    await wait_until(pilot, lambda: cell(app, "stuck", "status") == "◻ cancelling")
    assert DisplayStatus.CANCELLING.symbol != DisplayStatus.CANCELLED.symbol
    await pilot.press("c")  # too soon: it says when it may be forced
    assert app.said("press c again after 10s to abandon the run")
    assert not isinstance(app.screen, ConfirmScreen)
    frozen.ticks += ABANDON_AFTER + 1
    await wait_until(
        pilot,
        lambda: (
            "cancel asked 11s ago and the connector has not returned: press c again "
            "to abandon the run" in summary(app, "stuck")
        ),
    )


async def test_force_stop_stores_what_it_held_and_frees_the_queue(
    make_context: Any, releases: list[threading.Event], lingering: set[str], frozen: Any
) -> None:
    context, held = stuck_context(make_context, releases, lingering)
    app = RecordingApp(context, clock=frozen)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_for_event(pilot, held)
        await wait_until(pilot, lambda: "held 12" in summary(app, "stuck"))
        app.select_connector("next")
        await pilot.press("s")
        await wait_until(pilot, lambda: cell(app, "next", "status") == "… queued")
        app.select_connector("stuck")

        await cancel_past_the_grace(pilot, app, frozen)
        assert cell(app, "next", "status") == "… queued"  # the cancel alone frees nothing
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = str(app.screen.query_one(".dialog-body", Static).content)
        assert "Abandon the run of stuck?" in str(app.screen.query_one(".dialog-title").content)
        assert "stores and checkpoints the 12 documents it read" in body
        await pilot.click("#confirm")

        await wait_until(pilot, lambda: status(app, "stuck") is DisplayStatus.ABANDONED)
        assert cell(app, "stuck", "status") == "! abandoned"
        assert app.said("stuck: the run was abandoned; what it had read is stored", "warning")
        await wait_until(pilot, lambda: status(app, "next") is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: cell(app, "stuck", "items") == "12")
        assert "run abandoned by hand" in app.panel("stuck").log_text

    (run,) = context.engine.runs("stuck")
    assert run.status is RunStatus.ABANDONED
    assert context.store.count("stuck") == 12
    checkpoint = context.engine.get_checkpoint("stuck")
    assert checkpoint is not None and checkpoint["cursor"] == "12"
    assert checkpoint["items_synced"] == 12
    assert context.engine.states()["stuck"].active is None  # the lease is free
    assert context.store.count("next") == 5


async def test_force_stop_from_the_palette_asks_first(
    make_context: Any, releases: list[threading.Event], lingering: set[str], frozen: Any
) -> None:
    from textual.command import CommandList

    context, held = stuck_context(make_context, releases, lingering)
    app = RecordingApp(context, clock=frozen)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_for_event(pilot, held)
        await cancel_past_the_grace(pilot, app, frozen)

        async def palette_force_stop() -> None:
            await pilot.press("ctrl+p", *"force")
            commands = app.screen.query_one(CommandList)
            await wait_until(
                pilot,
                lambda: (
                    commands.option_count > 0
                    and "Force-stop run" in str(commands.get_option_at_index(0).prompt)
                ),
                what="Force-stop run listed first",
            )
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))

        await palette_force_stop()
        await pilot.press("escape")  # declined: it keeps cancelling
        await pilot.pause(0.3)
        assert cell(app, "stuck", "status") == "◻ cancelling"
        assert context.engine.states()["stuck"].active is not None

        await palette_force_stop()
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: status(app, "stuck") is DisplayStatus.ABANDONED)
    (run,) = context.engine.runs("stuck")
    assert run.status is RunStatus.ABANDONED and context.store.count("stuck") == 12
    assert context.engine.states()["stuck"].active is None


# -- 5. progress and ETA ---------------------------------------------------------------------


class Measured(BaseConnector):
    """``total`` files with a Progress hint after each; the first ``hold`` at ``delay``
    seconds each, then it waits for ``release``."""

    def __init__(
        self, held: threading.Event, release: threading.Event, *, total: int = 100
    ) -> None:
        self.connector_id = "files"
        self.held, self.release = held, release
        self.total = total

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint | Progress]:
        for n in range(1, self.total + 1):
            if n == self.total // 2 + 1:
                self.held.set()
                self.release.wait(30)
            elif n <= self.total // 2:
                time.sleep(0.015)  # 0.75 s for the first half: a rate to measure
            yield make_doc(self.connector_id, n)
            yield Progress(n, self.total, "files")
        yield Checkpoint(str(self.total))


async def test_progress_hints_show_a_bar_and_an_estimate(
    make_context: Any, releases: list[threading.Event]
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    context = make_context({"files": lambda: Measured(held, release)})
    context.engine.progress_interval = 0.05
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_for_event(pilot, held)
        shown = re.compile(r"█{10}░{10} 50% · 50 of 100 files · (<1s|\d+s) left")
        await wait_until(pilot, lambda: shown.search(summary(app, "files")) is not None)
        release.set()
        await wait_until(pilot, lambda: status(app, "files") is DisplayStatus.SUCCEEDED)
        assert "files ·" not in summary(app, "files") and "█" not in summary(app, "files")
    assert context.store.count("files") == 100


# -- 12. a quit signal in a real terminal ------------------------------------------------------

LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"


class Terminal:
    """``syncdeck`` in a pseudo-terminal of 120x32; everything it writes is kept."""

    def __init__(self, argv: list[str]) -> None:
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "32"}
        env.pop("TEXTUAL", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: size its terminal, become syncdeck
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 32, 120, 0, 0))
                os.execve(sys.executable, [sys.executable, *argv], env)
            finally:
                os._exit(127)
        self.code: int | None = None
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the child closed the terminal
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    def written(self) -> bytes:
        with self._lock:
            return bytes(self.output)

    def type(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait(self, timeout: float) -> int | None:
        """The exit code, or None if still running after ``timeout``."""
        deadline = time.monotonic() + timeout
        while self.code is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.code = os.waitstatus_to_exitcode(status)
                self._reader.join(2)
                os.close(self.fd)
            elif time.monotonic() >= deadline:
                break
            else:
                time.sleep(0.05)
        return self.code

    def kill(self) -> None:
        if self.wait(0) is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait(5)


def until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_quit_signal_cancels_checkpoints_and_restores_the_terminal(
    tmp_path: Path, signum: int
) -> None:
    config = tmp_path / "syncdeck.toml"
    config.write_text(
        '[connectors.slow]\ntype = "demo"\ncount = 100000\ndelay = 0.002\ncheckpoint_every = 10\n'
    )
    data = tmp_path / "data"
    term = Terminal(["-m", "syncdeck.cli.main", "--config", str(config), "--data-dir", str(data)])
    try:
        until(lambda: b"idle" in term.written(), 20, "the app to paint its list")
        term.type(b"s")
        with open_context(config, data) as context:

            def syncing() -> bool:
                state = context.engine.states().get("slow")
                return state is not None and state.active is not None and state.items_synced > 0

            until(syncing, 20, "a checkpoint of the running sync")
            painted = len(term.written())
            os.kill(term.pid, signum)
            code = term.wait(15)
            assert code == 128 + signum, term.written()[-2000:]
            assert LEAVE_ALTERNATE_SCREEN in term.written()[painted:]

            (run,) = context.engine.runs("slow")
            assert run.status is RunStatus.CANCELLED
            assert context.engine.states()["slow"].active is None
            checkpoint = context.engine.get_checkpoint("slow")
            assert checkpoint is not None and checkpoint["cursor"] is not None
            # what the run read is stored, all of it counted in the checkpoint
            assert checkpoint["items_synced"] == context.store.count("slow") == run.items_synced
            assert checkpoint["items_synced"] >= int(checkpoint["cursor"]) > 0
    finally:
        term.kill()
