"""A sync started by another process shows up live, and the app refuses to run it twice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from syncdeck.tui.status import DisplayStatus

from .support import RecordingApp, wait_until
from .tui_connectors import Counted

SCRIPT = Path(__file__).with_name("other_process.py")


async def test_a_run_of_another_process_appears_and_is_not_started_twice(
    make_context: Any, tmp_path: Path
) -> None:
    context = make_context({"shared": lambda: Counted("shared")})
    started, release = tmp_path / "started", tmp_path / "release"
    app = RecordingApp(context, poll_interval=0.1)
    async with app.run_test() as pilot:
        process = subprocess.Popen(
            [sys.executable, str(SCRIPT), str(context.data_dir), str(started), str(release)]
        )
        try:
            await wait_until(pilot, started.exists, timeout=20, what="the other process")
            await wait_until(
                pilot, lambda: app.overviews["shared"].status is DisplayStatus.ELSEWHERE
            )
            assert app.table.get_cell("shared", "status").plain == "⇆ elsewhere"
            holder = f"pid {process.pid} on "
            assert holder in (app.overviews["shared"].holder or "")
            await wait_until(
                pilot, lambda: "running in another process" in app.panel("shared").log_text
            )

            await pilot.press("s")
            assert app.said("shared is already syncing in another process", "warning")
            assert app.supervisor.running == []
            await pilot.press("c")
            assert app.said("cancel it there", "warning")
            await pilot.press("r")
            assert app.said(
                "Cannot reset shared while it is running in another process (pid", "warning"
            )

            release.touch()
            assert process.wait(20) == 0
            await wait_until(
                pilot, lambda: app.overviews["shared"].status is DisplayStatus.SUCCEEDED
            )
            await wait_until(pilot, lambda: app.overviews["shared"].items_synced == 40)
            assert f"run 1 ({holder}" in app.panel("shared").log_text
        finally:
            release.touch()
            process.wait(20)
    assert [run.pid for run in context.engine.runs("shared")] == [process.pid]
