"""Telling when a connector file is saved, with ``watchfiles`` (inotify, FSEvents or
ReadDirectoryChangesW under one API, with debouncing).

The file's folder is watched rather than the file: many editors save by writing a new file
and renaming it over the old one, which a watch on the old file would never see again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

from watchfiles import Change, awatch


class FileWatcher:
    """Yields once per save of ``path`` (a burst of writes within ``debounce_ms`` is one
    save), until :meth:`stop`."""

    def __init__(
        self, path: Path, *, debounce_ms: int = 300, force_polling: bool | None = None
    ) -> None:
        self.path = Path(os.path.abspath(path))
        self.debounce_ms = debounce_ms
        self.force_polling = force_polling
        self._stop: asyncio.Event | None = None

    def _is_the_file(self, change: Change, where: str) -> bool:
        return Path(os.path.abspath(where)) == self.path and change is not Change.deleted

    async def saves(self) -> AsyncIterator[None]:
        self._stop = asyncio.Event()
        async for _ in awatch(
            self.path.parent,
            watch_filter=self._is_the_file,
            debounce=self.debounce_ms,
            step=50,
            stop_event=self._stop,
            recursive=False,
            force_polling=self.force_polling,
            poll_delay_ms=100,
        ):
            yield

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
