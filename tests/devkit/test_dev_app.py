"""``syncdeck dev``: the app reloads the connector when its file is saved (a real edit seen
by watchfiles), shows what changed since the last save, survives a file that does not
load, and looks as recorded (a snapshot with a frozen clock, at a fixed size)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from syncdeck.devkit.report import Status
from syncdeck.devkit.runner import CheckOptions
from syncdeck.devkit.session import DevSession
from syncdeck.tui.clock import FrozenClock
from syncdeck.tui.dev.app import DevApp

SOURCE = '''"""A connector under development."""

from datetime import datetime, timedelta, timezone

from syncdeck import BaseConnector, Checkpoint, Document

COUNT = {count}
NAIVE = {naive}


class Notes(BaseConnector):
    connector_id = "notes"

    def sync(self, *, since, cursor):
        start = int(cursor) if cursor else 0
        for n in range(start + 1, COUNT + 1):
            zone = None if NAIVE else timezone.utc
            yield Document(
                doc_id=f"doc-{{n:04d}}",
                source="notes",
                doc_type="note",
                content=f"note {{n}}",
                timestamp=datetime(2024, 1, 1, tzinfo=zone) + timedelta(hours=n),
            )
            if n % 2 == 0 or n == COUNT:
                yield Checkpoint(str(n))
'''


def write(path: Path, *, count: int = 5, naive: bool = False, broken: bool = False) -> None:
    text = SOURCE.format(count=count, naive=naive)
    if broken:
        text = text.replace("def sync(self,", "def sync(self")
    path.write_text(text)


def session(path: Path) -> DevSession:
    frozen = FrozenClock()
    return DevSession(
        f"{path}:Notes",
        options=CheckOptions(max_resumes=3),
        now=frozen.now,
        monotonic=frozen.monotonic,
    )


async def wait_for(pilot: Pilot[Any], ready: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, "the app did not get there in time"
        await pilot.pause(0.05)


def screen_text(app: DevApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


async def test_a_save_reloads_the_connector_and_shows_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "notes_connector.py"
    write(path)
    app = DevApp(session(path), clock=FrozenClock(), debounce_ms=50)
    async with app.run_test(size=(120, 32)) as pilot:
        await wait_for(pilot, lambda: len(app.results) == 1)
        first = app.results[0]
        assert first.report is not None and first.report.ok, first.report.render()
        assert "first check: save the file" in screen_text(app, "#changes")

        await pilot.pause(0.3)  # the watcher is up
        write(path, count=6, naive=True)  # a real edit, seen by watchfiles
        await wait_for(pilot, lambda: len(app.results) == 2)
        second = app.results[1]
        assert app.saves >= 1
        assert second.changes is not None and second.compared_with == 1
        assert [c.id for c in second.changes.started_failing] == ["timestamps"]
        assert second.changes.added == ("doc-0006",) and second.changes.gone == ()
        changes = screen_text(app, "#changes")
        assert "✗ timestamps started failing" in changes
        assert "+ 1 document(s) added: doc-0006" in changes
        # the check this save broke is selected, its evidence shown
        table = app.query_one("#checks", DataTable)
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        assert row_key.value == "timestamps"
        assert "'doc-0001': timestamp 2024-01-01T01:00:00 has no timezone" in screen_text(
            app, "#evidence-text"
        )

        write(path, count=6, naive=True, broken=True)  # a syntax error: the app stays up
        await wait_for(pilot, lambda: len(app.results) == 3)
        assert app.results[2].failure is not None
        assert app.query_one("#failure").display
        failure = screen_text(app, "#failure-text")
        assert "SyntaxError" in failure and 'notes_connector.py", line 14' in failure
        assert "the checks of #2, the last version that loaded, are kept" in failure
        assert app.query_one("#body").has_class("-stale")

        write(path, count=6)  # fixed: compared with the last version that loaded
        await wait_for(pilot, lambda: len(app.results) == 4)
        fourth = app.results[3]
        assert fourth.report is not None and fourth.report.ok
        assert fourth.compared_with == 2 and not app.query_one("#failure").display
        assert [c.id for c in fourth.changes.stopped_failing] == ["timestamps"]  # type: ignore[union-attr]
        assert "✓ timestamps passes now" in screen_text(app, "#changes")


async def test_r_checks_again_and_q_quits(tmp_path: Path) -> None:
    path = tmp_path / "notes_connector.py"
    write(path, count=3)
    app = DevApp(session(path), clock=FrozenClock(), watch=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(app.results) == 1)
        await pilot.press("r")
        await wait_for(pilot, lambda: len(app.results) == 2)
        assert app.results[1].changes is not None and app.results[1].changes.empty
        assert "nothing changed since #1" in screen_text(app, "#changes")
        await pilot.press("o")
        items = app.query_one("#items", DataTable)
        assert items.row_count == 5  # 3 documents, 2 checkpoints
        assert "3 documents, 2 checkpoints · the connector ended" in screen_text(
            app, "#inspect-notes"
        )
        await pilot.press("q")
    assert app.return_code in (0, None)


def test_the_dev_app_with_a_failing_check(snap_compare: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes_connector.py"
    write(path)
    app = DevApp(session(path), label="notes_connector.py:Notes", clock=FrozenClock(), watch=False)

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: len(app.results) == 1)
        write(path, count=6, naive=True)
        app.action_rerun()
        await wait_for(pilot, lambda: len(app.results) == 2)
        await pilot.pause()
        statuses = {r.id: r.status for r in app.results[1].report.results}  # type: ignore[union-attr]
        assert statuses["timestamps"] is Status.FAILED

    assert snap_compare(app, terminal_size=(120, 32), run_before=run_before)


@pytest.mark.parametrize("target", ["demo", "syncdeck.connectors.demo:DemoConnector"])
def test_dev_needs_a_connector_file(target: str, capsys: pytest.CaptureFixture[str]) -> None:
    from syncdeck.cli.main import main

    assert main(["dev", target]) == 2
    assert "dev reloads a connector file on each save" in capsys.readouterr().err


def test_dev_without_a_terminal_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from syncdeck.cli.main import main

    path = tmp_path / "notes_connector.py"
    write(path)
    assert main(["dev", f"{path}:Notes"]) == 2  # pytest's stdin and stdout are no terminal
    assert "needs a terminal; without one, run `syncdeck check" in capsys.readouterr().err
