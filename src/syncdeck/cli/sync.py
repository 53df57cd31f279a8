"""``syncdeck sync``: run connectors through one engine, a few at a time, with live progress.

The app's :class:`~syncdeck.app.supervisor.RunSupervisor` runs each connector in its own
thread (at most ``max_concurrent`` at once); the main thread prints from its live fold and
handles Ctrl-C: the first one cancels every run and waits while each stores what it holds
and commits its checkpoint; a second one quits at once, leaving the engine's exit hook to
store what the runs still inside their connectors hold and to close their run rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import queue
import signal
import sys
import threading
from typing import TYPE_CHECKING

from syncdeck.app.outcome import RunOutcome
from syncdeck.app.supervisor import RunSupervisor
from syncdeck.cli.exit_codes import ALREADY_RUNNING, INTERRUPTED, OK, SYNC_FAILED, USAGE
from syncdeck.cli.progress import Display, LiveDisplay, status_label
from syncdeck.cli.session import open_from_args
from syncdeck.core.errors import SyncdeckError

if TYPE_CHECKING:
    from syncdeck.app.context import AppContext
    from syncdeck.core.connector import BaseConnector
    from syncdeck.core.events import SyncEvent

POLL_SECONDS = 0.1
# Handled like Ctrl-C: a service manager's stop (TERM) and a closed terminal (HUP) also
# cancel, store and checkpoint; the exit code is 128 + the first signal's number.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class SyncRunner:
    """Runs the named connectors through a supervisor and reports them."""

    def __init__(
        self,
        context: AppContext,
        connectors: dict[str, BaseConnector],
        max_concurrent: int,
        live_output: bool,
        *,
        apply_deletes: bool = False,
        misconfigured: dict[str, str] | None = None,
    ) -> None:
        self.names = list(connectors)
        self.misconfigured = list(misconfigured or {})
        self.connectors = connectors
        self.queue: queue.Queue[SyncEvent | RunOutcome] = queue.Queue()
        self.supervisor = RunSupervisor(
            context.engine,
            connectors.pop,  # built (and so checked) before anything started
            max_concurrent=max_concurrent,
            apply_deletes=apply_deletes,
            redact=context.redact,
            on_event=self.queue.put,
            on_end=self.queue.put,
        )
        display_class = LiveDisplay if live_output else Display
        self.display = display_class(self.names, self.supervisor.live, context.redact)
        for name, reason in (misconfigured or {}).items():
            self.display.message(f"{name}: not started: {context.redact(reason)}")
        self.interrupts = 0  # Ctrl-C presses: the first cancels, the second quits
        self.interrupted = False
        self.forced = False
        self.signal_number: int | None = None  # the first stop signal received
        self.interrupted_inside = False  # a KeyboardInterrupt raised by a connector

    def _handle(self, item: SyncEvent | RunOutcome) -> None:
        if isinstance(item, RunOutcome):
            if isinstance(item.error, KeyboardInterrupt):
                self.interrupted_inside = True
            self.display.ended(item)
        else:
            self.display.event(item)

    def _drain(self) -> None:
        try:
            item = self.queue.get(timeout=POLL_SECONDS)
        except queue.Empty:
            return
        self._handle(item)
        self._drain_rest()

    def _drain_rest(self) -> None:
        while True:
            try:
                self._handle(self.queue.get_nowait())
            except queue.Empty:
                return

    def _on_signal(self, signum: int, frame: object) -> None:
        # Only count: the main loop acts on it, so no KeyboardInterrupt can land halfway
        # through applying an event or writing the display.
        if self.signal_number is None:
            self.signal_number = signum
        self.interrupts += 1

    def _begin_cancel(self) -> None:
        self.interrupted = True
        self.supervisor.cancel_all()
        self.display.message(
            "cancelling: storing what was fetched and saving checkpoints "
            "(Ctrl-C again to quit at once)"
        )

    def run(self) -> int:
        in_main_thread = threading.current_thread() is threading.main_thread()
        previous = (
            {signum: signal.signal(signum, self._on_signal) for signum in STOP_SIGNALS}
            if in_main_thread
            else {}
        )
        try:
            for name in self.names:
                self.supervisor.request(name)
            return self._loop()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            for connector in self.connectors.values():  # never started (Ctrl-C)
                with contextlib.suppress(Exception):
                    connector.close()

    def _loop(self) -> int:
        while self.supervisor.busy:
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
                return self._interrupted_code()
            self._drain()
            self.display.refresh()
        if self.interrupts and not self.interrupted:
            # Ctrl-C landed while the last run was ending: it still counts as a cancel.
            self._begin_cancel()
        self._drain_rest()
        self.display.close()
        return self._exit_code()

    def _interrupted_code(self) -> int:
        return 128 + self.signal_number if self.signal_number is not None else INTERRUPTED

    def _exit_code(self) -> int:
        labels = {name: status_label(self.display.view(name)) for name in self.names}
        failed = [name for name, label in labels.items() if label == "failed"]
        busy = [name for name, label in labels.items() if label == "busy"]
        if failed:
            print(f"syncdeck: sync failed: {', '.join(failed)}", file=sys.stderr)
        if busy:
            print(f"syncdeck: already syncing elsewhere: {', '.join(busy)}", file=sys.stderr)
        if self.misconfigured:
            print(
                f"syncdeck: not started (misconfigured): {', '.join(self.misconfigured)}",
                file=sys.stderr,
            )
        if self.interrupted:
            return self._interrupted_code()
        if self.interrupted_inside:
            return INTERRUPTED
        if failed or self.misconfigured:
            return SYNC_FAILED
        if busy:
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
        misconfigured: dict[str, str] = {}
        try:
            for name in names:
                try:
                    connectors[name] = context.build(name)
                except SyncdeckError as exc:
                    if not args.all:
                        raise  # named on purpose: a usage error, before anything runs
                    misconfigured[name] = str(exc)  # --all: the others still run
        except BaseException:
            for built in connectors.values():
                with contextlib.suppress(Exception):
                    built.close()
            raise
        limit = args.max_concurrent or context.max_concurrent
        runner = SyncRunner(
            context,
            connectors,
            limit,
            _live_output(),
            apply_deletes=args.apply_deletes,
            misconfigured=misconfigured,
        )
        code = runner.run()
        forced = runner.forced
        return code
    finally:
        # After a second Ctrl-C, sync threads may still be inside their connectors: the
        # databases stay open so the engine's exit hook can store what those runs hold
        # and close their run rows as the process ends.
        if not forced:
            context.close()
