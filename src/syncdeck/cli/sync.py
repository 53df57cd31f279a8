"""``syncdeck sync``: run connectors through one engine, a few at a time, with live progress.

Each connector runs in its own thread; the main thread starts them (at most
``max_concurrent`` at once), applies their events to the display, and handles Ctrl-C: the
first one sets the engine's cancel event and waits while every run stores what it holds and
commits its checkpoint; a second one quits at once, leaving the engine's exit hook to store
what the runs still inside their connectors hold and to close their run rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import sys
import threading
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from syncdeck.cli.exit_codes import ALREADY_RUNNING, INTERRUPTED, OK, SYNC_FAILED, USAGE
from syncdeck.cli.progress import ConnectorProgress, Display, LiveDisplay
from syncdeck.cli.session import open_from_args
from syncdeck.core.errors import SyncAlreadyRunning

if TYPE_CHECKING:
    from syncdeck.app.context import AppContext
    from syncdeck.core.connector import BaseConnector
    from syncdeck.core.events import SyncEvent

POLL_SECONDS = 0.1


@dataclass(frozen=True)
class _Done:
    name: str
    error: BaseException | None


class SyncRunner:
    """Runs the named connectors, at most ``max_concurrent`` at once, and reports them."""

    def __init__(
        self,
        context: AppContext,
        connectors: dict[str, BaseConnector],
        max_concurrent: int,
        display: Display,
        *,
        apply_deletes: bool = False,
    ) -> None:
        self.context = context
        self.connectors = connectors
        self.max_concurrent = max_concurrent
        self.apply_deletes = apply_deletes
        self.display = display
        self.progress = display.progress
        self.cancel = threading.Event()
        self.queue: queue.Queue[tuple[str, SyncEvent] | _Done] = queue.Queue()
        self.pending = deque(connectors)
        self.running: dict[str, threading.Thread] = {}
        self.interrupts = 0  # Ctrl-C presses: the first cancels, the second quits
        self.interrupted = False
        self.forced = False

    def _work(self, name: str, connector: BaseConnector) -> None:
        def on_event(event: SyncEvent) -> None:
            self.queue.put((name, event))

        try:
            self.context.engine.sync(
                connector,
                cancel=self.cancel,
                on_event=on_event,
                apply_deletes=self.apply_deletes,
            )
        except BaseException as exc:
            self.queue.put(_Done(name, exc))
        else:
            self.queue.put(_Done(name, None))

    def _start_more(self) -> None:
        while self.pending and len(self.running) < self.max_concurrent:
            name = self.pending.popleft()
            thread = threading.Thread(
                target=self._work,
                args=(name, self.connectors[name]),
                name=f"sync-{name}",
                daemon=True,  # a second Ctrl-C must be able to end the process
            )
            self.running[name] = thread
            thread.start()

    def _handle(self, item: tuple[str, SyncEvent] | _Done) -> None:
        if isinstance(item, _Done):
            self._finish(item)
            return
        name, event = item
        p = self.progress[name]
        p.apply(event)
        self.display.event(p, event)

    def _finish(self, done: _Done) -> None:
        self.running.pop(done.name, None)
        p = self.progress[done.name]
        exc = done.error
        if exc is None:
            if not p.finished:
                p.status = "succeeded"
            return
        if not p.started:
            # refused before the run began: the engine did not take (or close) the connector
            with contextlib.suppress(Exception):
                self.connectors[done.name].close()
        if isinstance(exc, SyncAlreadyRunning):
            p.status = "busy"
            p.error = str(exc)
            self.display.message(f"{done.name}: not started: {self.context.redact(str(exc))}")
            return
        if not p.finished:
            p.status = "failed"
            p.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            self.display.message(f"{done.name}: FAILED: {self.context.redact(p.error)}")

    def _drain(self) -> None:
        try:
            item = self.queue.get(timeout=POLL_SECONDS)
        except queue.Empty:
            return
        self._handle(item)
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return
            self._handle(item)

    def _on_sigint(self, signum: int, frame: object) -> None:
        # Only count: the main loop acts on it, so no KeyboardInterrupt can land halfway
        # through applying an event or writing the display.
        self.interrupts += 1
        self.cancel.set()

    def _begin_cancel(self) -> None:
        self.interrupted = True
        for name in self.pending:
            self.progress[name].status = "skipped"
        self.pending.clear()
        self.display.message(
            "cancelling: storing what was fetched and saving checkpoints "
            "(Ctrl-C again to quit at once)"
        )

    def run(self) -> int:
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, self._on_sigint) if in_main_thread else None
        try:
            return self._loop()
        finally:
            if in_main_thread:
                signal.signal(signal.SIGINT, previous)

    def _loop(self) -> int:
        while self.pending or self.running:
            if self.interrupts and not self.interrupted:
                self._begin_cancel()
            if self.interrupts > 1:
                self.forced = True
                self.display.close()
                print(
                    "syncdeck: quit without waiting; the next sync resumes from the last "
                    "saved checkpoint",
                    file=sys.stderr,
                )
                return INTERRUPTED
            if not self.cancel.is_set():
                self._start_more()
            self._drain()
            self.display.refresh()
        if self.interrupts and not self.interrupted:
            # Ctrl-C landed while the last run was ending: it still counts as a cancel.
            self._begin_cancel()
        self._drain_rest()
        self.display.close()
        return self._exit_code()

    def _drain_rest(self) -> None:
        while True:
            try:
                self._handle(self.queue.get_nowait())
            except queue.Empty:
                return

    def _exit_code(self) -> int:
        statuses = {p.status for p in self.progress.values()}
        failed = [p.name for p in self.progress.values() if p.status == "failed"]
        busy = [p.name for p in self.progress.values() if p.status == "busy"]
        if failed:
            print(f"syncdeck: sync failed: {', '.join(failed)}", file=sys.stderr)
        if busy:
            print(f"syncdeck: already syncing elsewhere: {', '.join(busy)}", file=sys.stderr)
        if self.interrupted:
            return INTERRUPTED
        if "failed" in statuses:
            return SYNC_FAILED
        if "busy" in statuses:
            return ALREADY_RUNNING
        return OK


def _live_output() -> bool:
    return sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb"


def run(args: argparse.Namespace) -> int:
    if args.all and args.names:
        print("syncdeck sync: error: give connector names or --all, not both", file=sys.stderr)
        return USAGE
    if not args.all and not args.names:
        print("syncdeck sync: error: name the connectors to sync, or pass --all", file=sys.stderr)
        return USAGE
    context = open_from_args(args)
    forced = False
    try:
        names = list(context.specs) if args.all else list(dict.fromkeys(args.names))
        if not names:
            print(f"syncdeck: error: no connectors in {context.config_label}", file=sys.stderr)
            return USAGE
        for name in names:
            context.spec(name)
        connectors: dict[str, BaseConnector] = {}
        try:
            for name in names:
                connectors[name] = context.build(name)
        except BaseException:
            for built in connectors.values():
                with contextlib.suppress(Exception):
                    built.close()
            raise
        progress = {name: ConnectorProgress(name) for name in names}
        display_class = LiveDisplay if _live_output() else Display
        display = display_class(progress, context.redact)
        limit = args.max_concurrent or context.max_concurrent
        runner = SyncRunner(context, connectors, limit, display, apply_deletes=args.apply_deletes)
        code = runner.run()
        forced = runner.forced
        return code
    finally:
        # After a second Ctrl-C, sync threads may still be inside their connectors: the
        # databases stay open so the engine's exit hook can store what those runs hold
        # and close their run rows as the process ends.
        if not forced:
            context.close()
