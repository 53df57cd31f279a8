"""Live progress of ``syncdeck sync``: one updating line per connector on a terminal, plain
lines otherwise (logs, pipes, CI).

What a connector has done is read from the supervisor's live fold
(:class:`~syncdeck.app.live.LiveRuns`); the engine's events, handed over by the sync
threads through a queue and handled by the main thread only, say when to print a line.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Iterable
from typing import TextIO

from syncdeck.app.live import LiveRun, LiveRuns, Phase
from syncdeck.app.outcome import RunOutcome
from syncdeck.app.wording import outcomes, plural, progress_text, waiting_text
from syncdeck.cli import formatting as fmt
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunProgress,
    RunStarted,
    RunStatus,
    SyncEvent,
)

PLAIN_PROGRESS_INTERVAL = 2.0  # seconds between progress lines of one connector
WAITING_LINE_INTERVAL = 30.0  # seconds between "waiting on the connector" lines
REJECTIONS_SHOWN = 3  # per connector; the rest are in ``syncdeck rejected``


def status_label(view: LiveRun) -> str:
    """waiting, running, succeeded, failed, cancelled, busy or skipped."""
    if view.outcome is not None and view.outcome.refused:
        return "busy"
    if view.phase is Phase.SKIPPED:
        return "skipped"
    if view.status is not None and view.status is not RunStatus.RUNNING:
        return str(view.status)
    if view.phase is Phase.QUEUED or view.phase is Phase.STARTING:
        return "waiting"
    return "running"


def error_of(view: LiveRun, redact: fmt.Redact) -> str | None:
    """The error to show: the run's (masked when it was recorded), else why another run
    refused this one."""
    if view.error:
        return view.error
    outcome = view.outcome
    if outcome is not None and outcome.refused and outcome.error is not None:
        return redact(str(outcome.error))
    return None


def finished_run(view: LiveRun) -> bool:
    """The engine opened a run and reported its end."""
    return view.run_id is not None and view.finished is not None


class Display:
    """Plain lines: start, a progress line every few seconds, the outcome."""

    def __init__(
        self,
        names: Iterable[str],
        live: LiveRuns,
        redact: fmt.Redact,
        out: TextIO | None = None,
    ) -> None:
        self.names = list(names)
        self.live = live
        self.redact = redact
        self.out = out or sys.stdout
        self._last_line: dict[str, float] = {}  # when each connector's last line was printed
        self._last_wait: dict[str, float] = {}  # ... and its last "waiting" line
        self._pending: list[str] = []  # messages the live block prints above itself

    def view(self, name: str) -> LiveRun:
        return self.live.view(name) or LiveRun(name, Phase.QUEUED)

    def write(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def message(self, line: str) -> None:
        self.write(line)

    def event(self, event: SyncEvent) -> None:
        line = self.describe(event)
        if line is not None:
            self.write(line)

    def ended(self, outcome: RunOutcome) -> None:
        """An attempt that ended without a run's own report says why."""
        name, view = outcome.connector_id, self.view(outcome.connector_id)
        if outcome.refused:
            self.message(f"{name}: not started: {error_of(view, self.redact)}")
        elif outcome.error is not None and not finished_run(view):
            self.message(f"{name}: FAILED: {error_of(view, self.redact)}")

    def describe(self, event: SyncEvent) -> str | None:
        redact, name = self.redact, event.connector_id
        if isinstance(event, RunStarted):
            if event.cursor is None:
                where = "from the beginning"
            else:
                where = (
                    f"resuming at cursor {fmt.cursor_text(event.cursor, redact)} "
                    f"({plural(event.items_synced, 'item')} synced)"
                )
            since = f", changes since {fmt.when(event.since)}" if event.since else ""
            notice = f"\n{name}: {event.notice}" if event.notice else ""
            return f"{name}: started {where}{since}{notice}"
        if isinstance(event, RunProgress) and event.in_connector:
            view = self.view(name)
            waiting = waiting_text(view)
            now = time.monotonic()
            if waiting is None or now - self._last_wait.get(name, -1e9) < WAITING_LINE_INTERVAL:
                return None
            self._last_wait[name] = now
            return f"{name}: {waiting}"
        if isinstance(event, BatchCommitted | RunProgress):
            now = time.monotonic()
            if now - self._last_line.get(name, 0.0) < PLAIN_PROGRESS_INTERVAL:
                return None
            self._last_line[name] = now
            self._last_wait.pop(name, None)
            view = self.view(name)
            line = (
                f"{name}: {plural(view.totals.documents, 'document')}, "
                f"{plural(view.items_synced, 'item')} synced, "
                f"cursor {fmt.cursor_text(view.cursor, redact)} ({rate(view):,.0f}/s)"
            )
            shown = progress_text(view)
            return f"{line} · {shown}" if shown else line
        if isinstance(event, DocumentRejected):
            if event.rejected <= REJECTIONS_SHOWN:
                doc = repr(redact(event.doc_id)) if event.doc_id is not None else "(no id)"
                return f"{name}: rejected item {event.item} {doc}: {redact(event.reason)}"
            if event.rejected == REJECTIONS_SHOWN + 1:
                return f"{name}: more documents rejected; see: syncdeck rejected {name}"
            return None
        if isinstance(event, RunFinished):
            return outcome_line(self.view(name), redact)
        return None

    def refresh(self) -> None:
        """Plain output has nothing to repaint."""

    def close(self) -> None:
        """Plain output printed each outcome as it came: nothing left to say."""


def elapsed(view: LiveRun) -> float:
    return view.elapsed(time.monotonic()) or 0.0


def rate(view: LiveRun) -> float:
    seconds = elapsed(view)
    return view.totals.documents / seconds if seconds > 0 else 0.0


def outcome_line(view: LiveRun, redact: fmt.Redact) -> str:
    name, status, totals = view.connector_id, status_label(view), view.totals
    counts = ", ".join(f"{value:,} {label}" for label, value in outcomes(totals))
    counts = f"{plural(totals.documents, 'document')} ({counts})"
    cursor = fmt.cursor_text(view.cursor, redact)
    checkpoint = f"{plural(view.items_synced, 'item')} synced, cursor {cursor}"
    took = fmt.duration(elapsed(view))
    if status == "succeeded":
        return f"{name}: done: {counts} in {took}; {checkpoint}"
    if status == "failed":
        error = fmt.first_line(error_of(view, redact)) or "error"
        return (
            f"{name}: FAILED after {counts}: {error}; checkpoint kept at {checkpoint}. "
            f"Details: syncdeck history {name}; resume: syncdeck sync {name}"
        )
    if status == "cancelled":
        return f"{name}: cancelled after {counts} in {took}; checkpoint saved: {checkpoint}"
    return f"{name}: {status}: {counts}; {checkpoint}"


class LiveDisplay(Display):
    """A block of one line per connector, rewritten in place (ANSI) a few times a second.

    Messages (rejections, cancelling...) are printed above the block, which is redrawn
    under them.
    """

    _drawn = 0  # lines of the block on screen
    _dirty = True
    _frame = 0

    def message(self, line: str) -> None:
        self._pending.append(line)
        self._dirty = True

    def event(self, event: SyncEvent) -> None:
        self._dirty = True
        if isinstance(event, DocumentRejected):
            line = self.describe(event)
            if line is not None:
                self._pending.append(line)

    def _line(self, view: LiveRun, width: int) -> str:
        status = status_label(view)
        spinner = "|/-\\"[self._frame % 4] if status == "running" else " "
        name_width = max(len(name) for name in self.names)
        line = (
            f"{spinner} {view.connector_id:<{name_width}}  {status:<9} "
            f"{view.totals.documents:>10,} docs {view.items_synced:>10,} synced "
            f"{rate(view):>8,.0f}/s {fmt.duration(elapsed(view)):>7}"
        )
        note = waiting_text(view) or progress_text(view)
        if note:
            line += f"  {note}"
        line += f"  cursor {fmt.cursor_text(view.cursor, self.redact, 30)}"
        error = error_of(view, self.redact)
        if error:
            line += f"  {fmt.first_line(error)}"
        return fmt.truncate(line, width)

    def refresh(self) -> None:
        views = [self.view(name) for name in self.names]
        running = any(status_label(view) == "running" for view in views)
        if not (self._dirty or running):
            return
        self._frame += 1
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        parts = []
        if self._drawn:
            parts.append(f"\x1b[{self._drawn}F\x1b[J")  # to the block's first line, clear below
        parts.extend(f"{line}\n" for line in self._pending)
        self._pending.clear()
        lines = [self._line(view, width) for view in views]
        parts.extend(f"{line}\n" for line in lines)
        self.out.write("".join(parts))
        self.out.flush()
        self._drawn = len(lines)
        self._dirty = False

    def close(self) -> None:
        """Draw the final state, then the full outcome of every run that did not succeed
        (the block line is too short for an error and the hint to resume)."""
        self._dirty = True
        self.refresh()
        for name in self.names:
            view = self.view(name)
            if finished_run(view) and status_label(view) != "succeeded":
                self.write(outcome_line(view, self.redact))
