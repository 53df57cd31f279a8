"""Pictures of the main states, compared with the accepted SVGs in __snapshots__.

The clock is frozen and every connector is deterministic (a held one for mid-sync), so a
difference is a change of the UI. Update on purpose with ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Callable
from typing import Any

import pytest
from support.connectors import Held, Sloppy
from textual.pilot import Pilot

from syncdeck.core.events import RunStatus
from syncdeck.tui.screens.history import HistoryScreen

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
    """``text`` is in the connector's log and on screen (the log is written in bursts)."""
    panel = app.panel(connector_id)
    return text in panel.log_text and not panel.log_pending


def polled(app: RecordingApp, connector_id: str) -> bool:
    """The state database poll has seen the connector's finished run (so "Last sync" no
    longer depends on when the picture is taken)."""
    return app.overviews[connector_id].last_sync is not None


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


def test_mid_sync(snap_compare: Any, make_context: Any, frozen: Any, releases: list[Any]) -> None:
    held, release = threading.Event(), threading.Event()
    releases.append(release)
    app = make_app(make_context(three(held, release), types=TYPES), frozen)

    async def run_before(pilot: Pilot[Any]) -> None:
        app.select_connector("mail")
        await pilot.press("s")
        await wait_until(pilot, held.is_set)
        await wait_until(pilot, lambda: logged(app, "mail", "batch 2:"))
        app.clear_notifications()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


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
        await wait_until(pilot, lambda: logged(app, "mail", "batch 2:"))
        app.clear_notifications()

    assert snap_compare(app, terminal_size=(160, 40), run_before=run_before)
