"""Regenerate the SVG screenshots of the terminal UI shown in the README.

    python scripts/screenshots.py            # writes screenshots/*.svg
    python scripts/screenshots.py --out DIR

Each picture is taken from the real app on the embedded demo configuration, in a fresh
temporary data folder, driven by the same keys (and clicks) a person would use, and shown
as it is: real times, real tracebacks, counts of the running syncs whatever they reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from syncdeck.app.context import open_context
from syncdeck.tui.app import SyncdeckApp
from syncdeck.tui.status import DisplayStatus

ROOT = Path(__file__).resolve().parent.parent
Step = Callable[[SyncdeckApp, Pilot[Any]], Awaitable[None]]


async def dismiss_toasts(pilot: Pilot[Any]) -> None:
    """Click each notification away, as a person does to see what is under it."""
    for toast in list(pilot.app.screen.query("Toast")):
        with contextlib.suppress(Exception):
            await pilot.click(toast)
    await pilot.pause(0.2)


async def until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not reach the state to picture")
        await pilot.pause(0.05)


def status(app: SyncdeckApp, cid: str) -> DisplayStatus:
    return app.overviews[cid].status


async def settle(app: SyncdeckApp, pilot: Pilot[Any], cid: str, *, clear: bool = True) -> None:
    """Wait for the poll and the log of ``cid`` to be on screen."""
    await until(pilot, lambda: app.overviews[cid].last_sync is not None)
    panel = app.panel(cid)
    await until(pilot, lambda: not panel.log_pending)
    if clear:
        await dismiss_toasts(pilot)
    await pilot.pause(0.2)


async def idle(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    await pilot.pause(0.3)


async def running(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    await pilot.press("a")
    await until(pilot, lambda: status(app, "flaky") is DisplayStatus.FAILED)
    app.select_connector("firehose")
    await pilot.pause(3.5)  # a few seconds of throughput for the sparkline
    await dismiss_toasts(pilot)
    await pilot.pause(0.4)


async def failed(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    app.select_connector("flaky")
    await pilot.press("s")
    await until(pilot, lambda: status(app, "flaky") is DisplayStatus.FAILED)
    await settle(app, pilot, "flaky")  # the toast clicked away: the traceback under it


async def history(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    app.select_connector("flaky")
    await pilot.press("s")
    await until(pilot, lambda: status(app, "flaky") is DisplayStatus.FAILED)
    await pilot.press("s")
    await until(pilot, lambda: status(app, "flaky") is DisplayStatus.SUCCEEDED)
    await settle(app, pilot, "flaky")
    await pilot.press("h")
    await pilot.pause(0.5)
    await pilot.press("down")
    await pilot.pause(0.3)


async def inspect(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    app.select_connector("mail")
    await pilot.press("i")
    await until(pilot, lambda: getattr(app.screen, "report", None) is not None)
    await pilot.pause(0.3)


async def search(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    await pilot.press("a")
    await until(pilot, lambda: status(app, "chat") is DisplayStatus.SUCCEEDED)
    await until(pilot, lambda: status(app, "notes") is DisplayStatus.SUCCEEDED)
    await dismiss_toasts(pilot)
    await pilot.press("f")
    await pilot.pause(0.5)
    await pilot.press(*"sync cursor")
    await pilot.pause(1.0)


async def document(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    await search(app, pilot)
    await pilot.press("down", "enter")
    await pilot.pause(0.8)


async def help_screen(app: SyncdeckApp, pilot: Pilot[Any]) -> None:
    await pilot.press("question_mark")
    await pilot.pause(0.3)


SHOTS: dict[str, tuple[tuple[int, int], Step]] = {
    "idle": ((120, 32), idle),
    "running": ((200, 50), running),
    "running-120x32": ((120, 32), running),
    "running-80x24": ((80, 24), running),
    "failed": ((120, 32), failed),
    "history": ((120, 32), history),
    "inspect": ((120, 32), inspect),
    "search": ((120, 32), search),
    "document": ((120, 32), document),
    "help": ((120, 32), help_screen),
}


async def shoot(name: str, size: tuple[int, int], step: Step, out: Path) -> None:
    with tempfile.TemporaryDirectory() as data:
        context = open_context(data_dir=data, environ={})
        try:
            app = SyncdeckApp(context, quit_grace=0.5)
            async with app.run_test(size=size, notifications=True) as pilot:
                await pilot.pause(0.3)
                await step(app, pilot)
                (out / f"{name}.svg").write_text(app.export_screenshot(title="syncdeck"))
                await pilot.press("q")
        finally:
            context.close()
    print(f"wrote {out / f'{name}.svg'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("names", nargs="*", help=f"only these pictures: {', '.join(SHOTS)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in SHOTS]
    if unknown:
        parser.error(f"unknown picture {unknown[0]!r}; choose from {', '.join(SHOTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.names or SHOTS:
        size, step = SHOTS[name]
        asyncio.run(shoot(name, size, step, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
