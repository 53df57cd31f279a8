"""Running syncs from the app: to completion, cancel, failure and resume, sync all with a
concurrency limit, and quitting while syncs run (also blocked ones)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from support.connectors import Endless, Held, Secretive

from syncdeck import Checkpoint, Document
from syncdeck.core.counters import RunCounts
from syncdeck.core.errors import ConfigError
from syncdeck.core.events import RunStatus
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.widgets.connector_table import ConnectorTable

from .support import RecordingApp, wait_for_event, wait_until
from .tui_connectors import Counted


def status(app: RecordingApp, cid: str) -> DisplayStatus:
    return app.overviews[cid].status


def cell(app: RecordingApp, cid: str, column: str) -> str:
    return app.query_one(ConnectorTable).get_cell(cid, column).plain


async def test_sync_runs_to_completion_and_streams_batches(make_context: Any) -> None:
    built: list[Counted] = []

    def factory() -> Counted:
        built.append(Counted("notes", total=250, every=25))
        return built[-1]

    context = make_context({"notes": factory, "other": lambda: Counted("other")}, batch_size=100)
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        assert cell(app, "notes", "status") == "· idle"
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app, "notes") is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: cell(app, "notes", "items") == "250")
        log = app.panel("notes").log_text
        assert "run 1 started from the beginning" in log
        assert "batch 1: 100 docs (100 new) · cursor 100 · total 100" in log
        assert "batch 3: 50 docs" in log
        assert "run 1 succeeded: 250 docs, 250 written" in log
        assert cell(app, "notes", "status") == "✓ succeeded"
        assert cell(app, "notes", "cursor") == "250"
        assert app.said("notes synced: 250 documents written.")
        assert cell(app, "other", "status") == "· idle"  # only the selected one ran
    assert context.store.count("notes") == 250
    assert context.engine.get_checkpoint("notes")["cursor"] == "250"
    assert built[0].closed


async def test_cancel_mid_run_saves_the_checkpoint(make_context: Any) -> None:
    context = make_context({"endless": lambda: Endless("endless")}, batch_size=10)
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: "batch 2:" in app.panel("endless").log_text)
        await pilot.press("c")
        await wait_until(pilot, lambda: status(app, "endless") is DisplayStatus.CANCELLED)
        assert app.said("Cancelling endless")
        assert app.said("endless cancelled; its checkpoint is saved.", "warning")
        assert "run 1 cancelled" in app.panel("endless").log_text
    (run,) = context.engine.runs("endless")
    assert run.status is RunStatus.CANCELLED
    checkpoint = context.engine.get_checkpoint("endless")
    # every document covered by the saved cursor is stored, and all stored are counted
    assert context.store.count("endless") == checkpoint["items_synced"]
    assert checkpoint["items_synced"] >= int(checkpoint["cursor"]) > 0


async def test_failure_turns_red_then_s_resumes_from_the_cursor(make_context: Any) -> None:
    attempts = iter([45, None])
    context = make_context(
        {"flaky": lambda: Counted("flaky", total=80, every=10, fail_at=next(attempts, None))}
    )
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app, "flaky") is DisplayStatus.FAILED)
        await wait_until(pilot, lambda: app.said("flaky failed", "error"))
        panel = app.panel("flaky")
        assert panel.has_class("-failed")
        assert cell(app, "flaky", "error").startswith("ConnectionError: source went away")
        log = panel.log_text
        assert "run 1 failed: ConnectionError: source went away before document 45" in log
        assert "Traceback (most recent call last):" in log
        assert "tui_connectors.py" in log  # the connector's own frame
        assert app.said("Press s to resume from the saved cursor.")
        assert context.engine.get_checkpoint("flaky")["cursor"] == "40"

        await pilot.press("s")
        await wait_until(pilot, lambda: status(app, "flaky") is DisplayStatus.SUCCEEDED)
        await wait_until(pilot, lambda: cell(app, "flaky", "error") == "")
        assert "run 2 started from cursor 40" in panel.log_text
        assert not panel.has_class("-failed") or status(app, "flaky") is DisplayStatus.FAILED
    assert context.store.count("flaky") == 80
    assert context.engine.get_checkpoint("flaky") | {"last_sync": None} == {
        "items_synced": 80,
        "cursor": "80",
        "last_sync": None,
        "error": None,
    }


async def test_a_connector_that_cannot_be_built_fails_with_its_message(
    make_context: Any,
) -> None:
    def broken() -> Counted:
        raise ConfigError("syncdeck.toml: [connectors.bad] path: folder does not exist")

    app = RecordingApp(make_context({"bad": broken}))
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app, "bad") is DisplayStatus.FAILED)
        assert app.said("bad could not start: syncdeck.toml: [connectors.bad] path", "error")
        assert "folder does not exist" in app.panel("bad").log_text
        assert "Traceback" not in app.panel("bad").log_text  # an operator error, not a bug


async def test_secrets_never_reach_the_screen(make_context: Any) -> None:
    token = "tok-very-secret-1234"
    context = make_context({"api": lambda: Secretive("api", token)})
    object.__setattr__(context.specs["api"], "params", {"api_token": token})
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: status(app, "api") is DisplayStatus.FAILED)
        await wait_until(pilot, lambda: app.said("api failed"))
        log = app.panel("api").log_text
        assert "the server refused token ***" in log
        assert token not in log
        assert not any(token in message for _, message in app.notes)
        assert token not in cell(app, "api", "error")


class Tracked(Held):
    """A held connector that counts how many of its kind run at once."""

    lock = threading.Lock()
    running = 0
    peak = 0

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        with Tracked.lock:
            Tracked.running += 1
            Tracked.peak = max(Tracked.peak, Tracked.running)
        try:
            yield from super().sync(since=since, cursor=cursor)
        finally:
            with Tracked.lock:
                Tracked.running -= 1


async def test_sync_all_runs_at_most_max_concurrent(make_context: Any, releases: list[Any]) -> None:
    Tracked.running = Tracked.peak = 0
    gates = {cid: (threading.Event(), threading.Event()) for cid in "abcd"}
    releases.extend(release for _, release in gates.values())

    def factory(cid: str) -> Any:
        held, release = gates[cid]
        return lambda: Tracked(cid, held, release, before=5, after=5, every=5)

    context = make_context({cid: factory(cid) for cid in gates}, max_concurrent=2)
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("a")
        assert app.said("Started 2 syncs, 2 queued (at most 2 at once).")
        await wait_for_event(pilot, gates["a"][0])
        await wait_for_event(pilot, gates["b"][0])
        await wait_until(pilot, lambda: cell(app, "c", "status") == "… queued")
        assert cell(app, "a", "status") == "▶ running"
        assert cell(app, "d", "status") == "… queued"
        assert "queued: 2 syncs running, at most 2 at once" in app.panel("d").log_text

        gates["a"][1].set()  # a finishes: c takes its slot
        await wait_for_event(pilot, gates["c"][0])
        assert status(app, "d") is DisplayStatus.QUEUED
        for _, release in gates.values():
            release.set()
        await wait_until(
            pilot,
            lambda: all(status(app, cid) is DisplayStatus.SUCCEEDED for cid in gates),
        )
    assert Tracked.peak == 2
    assert all(context.store.count(cid) == 10 for cid in gates)


async def test_cancel_takes_a_queued_connector_off_the_queue(
    make_context: Any, releases: list[Any]
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    context = make_context(
        {"a": lambda: Held("a", held, release, before=5, after=5, every=5), "b": Counted},
        max_concurrent=1,
    )
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("a")
        await wait_for_event(pilot, held)
        app.select_connector("b")
        await pilot.press("c")
        assert app.said("b is no longer queued.")
        await wait_until(pilot, lambda: status(app, "b") is DisplayStatus.IDLE)
        release.set()
        await wait_until(pilot, lambda: status(app, "a") is DisplayStatus.SUCCEEDED)
        assert status(app, "b") is DisplayStatus.IDLE
    assert context.engine.runs("b") == []


async def test_quit_cancels_running_syncs_and_saves_their_checkpoints(make_context: Any) -> None:
    context = make_context({"endless": lambda: Endless("endless")}, batch_size=10)
    app = RecordingApp(context)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: "batch 1:" in app.panel("endless").log_text)
        await pilot.press("q")
        await asyncio.wait_for(
            app._exited.wait() if hasattr(app, "_exited") else _until_exit(app), 10
        )
    assert app.return_code == 0
    (run,) = context.engine.runs("endless")
    assert run.status is RunStatus.CANCELLED
    checkpoint = context.engine.get_checkpoint("endless")
    assert checkpoint["items_synced"] == context.store.count("endless")
    assert checkpoint["items_synced"] >= int(checkpoint["cursor"]) > 0


async def test_quit_never_hangs_on_a_blocked_connector(
    make_context: Any, releases: list[Any]
) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)  # only set at teardown: the connector blocks past quitting
    context = make_context({"stuck": lambda: Held("stuck", held, release, before=20, every=10)})
    app = RecordingApp(context, quit_grace=0.3)
    async with app.run_test() as pilot:
        await pilot.press("s")
        await wait_for_event(pilot, held)
        await pilot.press("q")
        assert app.said("Cancelling 1 running sync and")
        await asyncio.wait_for(_until_exit(app), 10)
    assert app.return_code == 0
    assert not release.is_set()  # it left while the connector was still blocked


async def _until_exit(app: RecordingApp) -> None:
    while app.is_running:
        await asyncio.sleep(0.02)


async def test_an_event_flood_is_coalesced_into_bounded_repaints(make_context: Any) -> None:
    """20,000 batch events from a thread: the panel shows the newest lines and a note of
    how many came too fast, and the keys still answer at once."""
    from support.connectors import BASE_TIME

    from syncdeck.core.events import BatchCommitted, RunStarted

    context = make_context({"fast": lambda: Counted("fast"), "other": lambda: Counted("other")})
    app = RecordingApp(context)
    async with app.run_test() as pilot:

        def emit(event: Any) -> None:  # as a run of the app's supervisor hands them on
            app.supervisor.live.apply(event)
            app.run_log.record(event)

        def flood() -> None:
            emit(RunStarted("fast", 1, BASE_TIME, None, None, 0))
            for n in range(1, 20_001):
                batch, totals = RunCounts(1, 1, 0, 0, 0, 1), RunCounts(n, n, 0, 0, 0, n)
                emit(BatchCommitted("fast", 1, batch, totals, str(n), n, n / 20_000))

        thread = threading.Thread(target=flood)
        thread.start()
        await pilot.press("down")  # answered while the flood goes on
        assert app.selected == "other"
        await pilot.press("up")
        thread.join()
        panel = app.panel("fast")
        await wait_until(pilot, lambda: "batch 20000:" in panel.log_text and not panel.log_pending)
        lines = panel.log_text.splitlines()
        assert len(lines) < 2_000  # not twenty thousand
        skipped = sum(
            int(line.split("… ")[1].split(" lines")[0].replace(",", ""))
            for line in lines
            if "came too fast to show" in line
        )
        shown = sum(1 for line in lines if " batch " in line or " started " in line)
        assert skipped + shown == 20_001  # every line is shown or counted
        assert app.supervisor.live.view("fast").totals.documents == 20_000  # type: ignore[union-attr]


async def test_repaints_yield_to_syncs_when_the_ui_is_over_its_cpu_budget(
    make_context: Any,
) -> None:
    """Under a source fast enough to make painting expensive, the app skips repaints
    (leaving the interpreter to the syncs) but never more than four in a row."""
    from syncdeck.tui.app import SKIP_AT_MOST

    context = make_context({"endless": lambda: Endless("endless")}, batch_size=10)
    app = RecordingApp(context, repaint_interval=60)  # the test drives the repaints
    async with app.run_test() as pilot:
        app.repaint()
        idle_ticks = app._ticks
        app._cpu_share = 1.0
        app.repaint()
        assert app._ticks == idle_ticks + 1  # nothing runs: the budget does not apply
        await pilot.press("s")
        await wait_until(pilot, lambda: "endless" in app.supervisor.running)
        app._skipped = 0  # other repaints (a state poll) may have run meanwhile
        before = app._ticks
        painted = []
        for _ in range(2 * (SKIP_AT_MOST + 1)):
            app._cpu_mark = (app._cpu_mark[0], float("inf"))  # keep the measured share
            app.repaint()
            painted.append(app._ticks > before)
            before = app._ticks
        assert painted == ([False] * SKIP_AT_MOST + [True]) * 2
        app._cpu_share = 0.0
        await pilot.press("c")
        await wait_until(pilot, lambda: not app.supervisor.running)
