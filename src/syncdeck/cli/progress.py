"""Live progress of ``syncdeck sync``: one updating line per connector on a terminal, plain
lines otherwise (logs, pipes, CI).

Engine events arrive from the sync threads through a queue and are applied here by the
main thread only, so the display needs no locks and repaints at a steady rate however
fast documents arrive.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from typing import TextIO

from syncdeck.cli import formatting as fmt
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunStarted,
    SyncEvent,
)

PLAIN_PROGRESS_INTERVAL = 2.0  # seconds between progress lines of one connector
REJECTIONS_SHOWN = 3  # per connector; the rest are in ``syncdeck rejected``


@dataclass
class ConnectorProgress:
    name: str
    status: str = "waiting"  # waiting, running, succeeded, failed, cancelled, busy, skipped
    documents: int = 0
    items_synced: int = 0
    batches: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    deleted: int = 0
    deletes_held: int = 0
    notice: str | None = None
    cursor: str | None = None
    elapsed: float = 0.0
    error: str | None = None
    started: bool = False
    finished: bool = False
    last_line: float = 0.0
    clock: float = 0.0  # monotonic time the run started, for a live elapsed time

    def tick(self) -> None:
        """Advance the elapsed time of a running sync between its batches."""
        if self.status == "running" and self.clock:
            self.elapsed = max(self.elapsed, time.monotonic() - self.clock)

    @property
    def rate(self) -> float:
        return self.documents / self.elapsed if self.elapsed > 0 else 0.0

    def apply(self, event: SyncEvent) -> None:
        if isinstance(event, RunStarted):
            self.status, self.started = "running", True
            self.clock = time.monotonic()
            self.items_synced, self.cursor = event.items_synced, event.cursor
            self.notice = event.notice
        elif isinstance(event, BatchCommitted):
            totals = event.totals
            self.documents, self.items_synced = totals.documents, event.items_synced
            self.batches, self.cursor, self.elapsed = totals.batches, event.cursor, event.elapsed
            self.inserted, self.updated = totals.inserted, totals.updated
            self.unchanged, self.rejected = totals.unchanged, totals.rejected
            self.deleted = totals.deleted
        elif isinstance(event, DocumentRejected):
            self.rejected = event.rejected
        elif isinstance(event, RunFinished):
            self.status, self.finished = str(event.status), True
            self.documents, self.items_synced = event.documents, event.items_synced
            self.inserted, self.updated = event.inserted, event.updated
            self.unchanged, self.rejected = event.unchanged, event.rejected
            self.batches, self.cursor, self.elapsed = event.batches, event.cursor, event.elapsed
            self.deleted, self.deletes_held = event.deleted, event.deletes_held
            self.error = event.error


class Display:
    """Plain lines: start, a progress line every few seconds, the outcome."""

    def __init__(
        self, progress: dict[str, ConnectorProgress], redact: fmt.Redact, out: TextIO | None = None
    ) -> None:
        self.progress = progress
        self.redact = redact
        self.out = out or sys.stdout

    def write(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def message(self, line: str) -> None:
        self.write(line)

    def event(self, p: ConnectorProgress, event: SyncEvent) -> None:
        line = self.describe(p, event)
        if line is not None:
            self.write(line)

    def describe(self, p: ConnectorProgress, event: SyncEvent) -> str | None:
        redact = self.redact
        if isinstance(event, RunStarted):
            if event.cursor is None:
                where = "from the beginning"
            else:
                where = (
                    f"resuming at cursor {fmt.cursor_text(event.cursor, redact)} "
                    f"({event.items_synced:,} items synced)"
                )
            since = f", changes since {fmt.when(event.since)}" if event.since else ""
            notice = f"\n{p.name}: {event.notice}" if event.notice else ""
            return f"{p.name}: started {where}{since}{notice}"
        if isinstance(event, BatchCommitted):
            now = time.monotonic()
            if now - p.last_line < PLAIN_PROGRESS_INTERVAL:
                return None
            p.last_line = now
            return (
                f"{p.name}: {p.documents:,} documents, {p.items_synced:,} items synced, "
                f"cursor {fmt.cursor_text(p.cursor, redact)} ({p.rate:,.0f}/s)"
            )
        if isinstance(event, DocumentRejected):
            if p.rejected <= REJECTIONS_SHOWN:
                doc = repr(redact(event.doc_id)) if event.doc_id is not None else "(no id)"
                return f"{p.name}: rejected item {event.item} {doc}: {redact(event.reason)}"
            if p.rejected == REJECTIONS_SHOWN + 1:
                return f"{p.name}: more documents rejected; see: syncdeck rejected {p.name}"
            return None
        if isinstance(event, RunFinished):
            return outcome_line(p, redact)
        return None

    def refresh(self) -> None:
        """Plain output has nothing to repaint."""

    def close(self) -> None:
        """Plain output printed each outcome as it came: nothing left to say."""


def outcome_line(p: ConnectorProgress, redact: fmt.Redact) -> str:
    deleted = f"{p.deleted:,} deleted, " if p.deleted else ""
    counts = (
        f"{p.documents:,} documents ({p.inserted:,} new, {p.updated:,} updated, "
        f"{p.unchanged:,} unchanged, {deleted}{p.rejected:,} rejected)"
    )
    checkpoint = f"{p.items_synced:,} items synced, cursor {fmt.cursor_text(p.cursor, redact)}"
    took = fmt.duration(p.elapsed)
    if p.status == "succeeded":
        return f"{p.name}: done: {counts} in {took}; {checkpoint}"
    if p.status == "failed":
        error = redact(fmt.first_line(p.error)) or "error"
        return (
            f"{p.name}: FAILED after {counts}: {error}; checkpoint kept at {checkpoint}. "
            f"Details: syncdeck history {p.name}; resume: syncdeck sync {p.name}"
        )
    if p.status == "cancelled":
        return f"{p.name}: cancelled after {counts} in {took}; checkpoint saved: {checkpoint}"
    return f"{p.name}: {p.status}: {counts}; {checkpoint}"


class LiveDisplay(Display):
    """A block of one line per connector, rewritten in place (ANSI) a few times a second.

    Messages (rejections, cancelling...) are printed above the block, which is redrawn
    under them.
    """

    def __init__(
        self, progress: dict[str, ConnectorProgress], redact: fmt.Redact, out: TextIO | None = None
    ) -> None:
        super().__init__(progress, redact, out)
        self._drawn = 0
        self._pending: list[str] = []
        self._dirty = True
        self._frame = 0

    def message(self, line: str) -> None:
        self._pending.append(line)
        self._dirty = True

    def event(self, p: ConnectorProgress, event: SyncEvent) -> None:
        self._dirty = True
        if isinstance(event, DocumentRejected):
            line = self.describe(p, event)
            if line is not None:
                self._pending.append(line)

    def _line(self, p: ConnectorProgress, width: int) -> str:
        spinner = "|/-\\"[self._frame % 4] if p.status == "running" else " "
        name_width = max(len(name) for name in self.progress)
        line = (
            f"{spinner} {p.name:<{name_width}}  {p.status:<9} {p.documents:>10,} docs "
            f"{p.items_synced:>10,} synced {p.rate:>8,.0f}/s {fmt.duration(p.elapsed):>7}  "
            f"cursor {fmt.cursor_text(p.cursor, self.redact, 30)}"
        )
        if p.error:
            line += f"  {self.redact(fmt.first_line(p.error))}"
        return fmt.shorten(line, width)

    def refresh(self) -> None:
        running = any(p.status == "running" for p in self.progress.values())
        if not (self._dirty or running):
            return
        self._frame += 1
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        parts = []
        if self._drawn:
            parts.append(f"\x1b[{self._drawn}F\x1b[J")  # to the block's first line, clear below
        parts.extend(f"{line}\n" for line in self._pending)
        self._pending.clear()
        for p in self.progress.values():
            p.tick()
        lines = [self._line(p, width) for p in self.progress.values()]
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
        for p in self.progress.values():
            if p.finished and p.status != "succeeded":
                self.write(outcome_line(p, self.redact))
