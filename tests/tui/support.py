"""Test support: the real app on a real AppContext, and waiting for the UI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from syncdeck.app.config import Config, ConnectorSpec, Defaults
from syncdeck.app.context import AppContext
from syncdeck.core.connector import BaseConnector
from syncdeck.tui.app import SyncdeckApp
from syncdeck.tui.screens.inspect import InspectScreen

Factory = Callable[[], BaseConnector]


class UIContext(AppContext):
    """The real context (engine, store, state DB on disk); only ``build`` is replaced so
    tests can hand the app connectors that share events with the test."""

    def __init__(
        self,
        data_dir: Path,
        factories: dict[str, Factory],
        *,
        max_concurrent: int = 4,
        batch_size: int = 100,
        types: dict[str, str] | None = None,
    ) -> None:
        types = types or {}
        specs = {cid: ConnectorSpec(cid, types.get(cid, "test"), {}) for cid in factories}
        config = Config(None, Defaults(batch_size=batch_size, max_concurrent=max_concurrent), specs)
        super().__init__(config, data_dir)
        self.factories = factories

    def problem(self, connector_id: str) -> str | None:
        """The factories stand for runs (some count their calls): a test connector is
        never misconfigured. Tests of invalid configurations use a real configuration."""
        return None

    def build(self, connector_id: str) -> BaseConnector:
        connector = self.factories[connector_id]()
        # as the registry does: the engine masks these in what it records and reports
        connector.secret_values = tuple(self.spec(connector_id).secret_values())
        return connector


class RecordingApp(SyncdeckApp):
    """The app, remembering its notifications so tests can read them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("poll_interval", 0.2)
        super().__init__(*args, **kwargs)
        self.notes: list[tuple[str, str]] = []

    def notify(self, message: str, *, severity: str = "information", **kwargs: Any) -> None:  # type: ignore[override]
        self.notes.append((severity, message))
        super().notify(message, severity=severity, **kwargs)  # type: ignore[arg-type]

    def said(self, fragment: str, severity: str | None = None) -> bool:
        return any(
            fragment in message and (severity is None or severity == level)
            for level, message in self.notes
        )


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Let the app run until ``condition()`` holds; fail (not hang) after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


async def wait_for_event(pilot: Pilot[Any], event: Any, *, timeout: float = 10.0) -> None:
    """Wait for a threading.Event without blocking the app's loop."""
    await wait_until(pilot, event.is_set, timeout=timeout, what="a connector to reach its hold")
    await asyncio.sleep(0)


async def open_inspect(pilot: Pilot[Any]) -> InspectScreen:
    """Press ``i`` and wait for the dry run's report (or its timeout) to be shown."""
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, InspectScreen))
    screen = pilot.app.screen
    assert isinstance(screen, InspectScreen)
    await wait_until(pilot, lambda: screen.report is not None)
    return screen
