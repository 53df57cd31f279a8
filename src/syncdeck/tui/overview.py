"""What the app shows of one connector, from three sources: the configuration, the state
database (polled) and this app's live fold. The list row and the panel are both drawn
from it.

The rules (docs/architecture.md, "Runs in the front ends"): this app's runs come from the fold
only, their records in the state database being copies of it; a run of another process
is shown as it is recorded; of the rest, the newest run by id. The checkpoint (items,
cursor, since, error) is the state database's, except while this app's newest run is ahead
of it: from its start until the database has recorded its end. A reset or cursor edit
newer than the last run is the connector's state until the next run; a connector whose
configuration cannot be built is invalid whatever its history says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from syncdeck.app.live import LiveRun, Phase
from syncdeck.app.wording import WAITING_AFTER
from syncdeck.core.events import RunStatus
from syncdeck.core.state import CheckpointChange, ConnectorState, RunRecord
from syncdeck.tui.status import DisplayStatus


@dataclass(frozen=True)
class Overview:
    connector_id: str
    type: str
    status: DisplayStatus
    items_synced: int
    cursor: str | None
    last_sync: datetime | None  # when the last run ended (or the checkpoint's last sync)
    error: str | None
    run: LiveRun | None  # the run the panel shows: the current one, else the last one
    holder: str | None = None  # "pid N on host" of a run of another process
    own: bool = False  # ``run`` is this app's (from the fold), not read back from a record
    since: datetime | None = None  # what the next run resumes with (the checkpoint's)
    problem: str | None = None  # why the configuration cannot be built (invalid)
    change: CheckpointChange | None = None  # a reset or cursor edit newer than the run

    def matches(self, needle: str) -> bool:
        """The list filter: a case-insensitive substring of id, type, status or error."""
        needle = needle.strip().lower()
        if not needle:
            return True
        haystack = (self.connector_id, self.type, self.status.label, self.shown_error or "")
        return any(needle in field.lower() for field in haystack)

    @property
    def shown_error(self) -> str | None:
        """What the Error column says: the invalid configuration's reason, else the
        checkpoint's error."""
        return self.problem or self.error

    @property
    def deletes_held(self) -> int:
        """Deletions the guard held back in the last run (0 if none)."""
        return self.run.deletes_held if self.run is not None else 0


def recorded(record: RunRecord) -> LiveRun:
    """A run read back from the state database, shaped like this app's own."""
    return LiveRun(
        record.connector_id,
        Phase.RUNNING if record.status is RunStatus.RUNNING else Phase.ENDED,
        run_id=record.run_id,
        status=record.status,
        totals=record.counts,
        items_synced=record.items_synced,
        cursor=record.cursor_end,
        since=record.since,
        error=record.error,
        traceback=record.traceback,
        duration=record.duration,
        number=record.number,
        deletes_held=record.deletes_held,
        notice=record.notice,
    )


_PHASES = {
    Phase.QUEUED: DisplayStatus.QUEUED,
    Phase.STARTING: DisplayStatus.RUNNING,
    Phase.RUNNING: DisplayStatus.RUNNING,
    Phase.CANCELLING: DisplayStatus.CANCELLING,
}


def build_overview(
    connector_id: str,
    type_name: str,
    state: ConnectorState | None,
    live: LiveRun | None,
    owns: Callable[[int], bool],
    *,
    problem: str | None = None,
    last_sync: datetime | None = None,
) -> Overview:
    """``live`` is the fold's view of the connector (None if it never ran in this app);
    ``owns`` tells the run ids this app started; ``problem`` why its configuration cannot
    be built; ``last_sync`` the end of its last run as known before (kept while a new run
    is under way, whose end is not known yet)."""
    phase = live.phase if live is not None else None
    ours = live if live is not None and live.status is not None else None
    active = state.active if state is not None else None
    holding = phase in (Phase.STARTING, Phase.RUNNING, Phase.CANCELLING)
    elsewhere = active if active is not None and not holding and not owns(active.run_id) else None
    last = state.last_run if state is not None else None
    theirs = last if last is not None and not owns(last.run_id) else None

    run: LiveRun | None = None
    if elsewhere is not None:
        run = recorded(elsewhere)
    elif ours is not None and (
        theirs is None or ours.run_id is None or ours.run_id > theirs.run_id
    ):
        run = ours
    elif theirs is not None:
        run = recorded(theirs)
    own = run is not None and run is ours

    ended = _ended_at(last)
    change = state.last_change if state is not None else None
    if change is not None and ended is not None and change.changed_at < ended:
        change = None  # the run came after the change: its outcome is the state
    if change is not None and own and ours is not None and _ahead_of(ours, last):
        change = None  # this app's run started since (the database has not caught up)

    if phase in _PHASES:
        status = _PHASES[phase]  # type: ignore[index]
        stalled = run is not None and run.running and run.waiting >= WAITING_AFTER
        if status is DisplayStatus.RUNNING and stalled:
            status = DisplayStatus.WAITING
    elif elsewhere is not None:
        status = DisplayStatus.ELSEWHERE
    elif problem is not None:
        status = DisplayStatus.INVALID
    elif change is not None:
        status = DisplayStatus.RESET if change.action == "reset" else DisplayStatus.CURSOR_SET
    elif run is None:
        status = DisplayStatus.IDLE
    elif run.status is RunStatus.RUNNING and not own:
        status = DisplayStatus.ABANDONED  # recorded as running, and its holder is gone
    elif run.status is RunStatus.FAILED and run.deletes_held:
        status = DisplayStatus.DELETES_HELD
    else:
        status = DisplayStatus.from_run(run.status)

    items = state.items_synced if state is not None else 0
    cursor = state.cursor if state is not None else None
    error = state.error if state is not None else None
    since = state.last_sync if state is not None else None
    if elsewhere is not None:
        items, cursor = elsewhere.items_synced, elsewhere.cursor_end
    elif own and ours is not None and _ahead_of(ours, last):
        if ours.run_id is not None:
            items, cursor = ours.items_synced, ours.cursor
            since = ours.since  # until it ends: what it resumed with
        error = ours.error if ours.status is RunStatus.FAILED else None

    # When the connector last ran: the end of its newest finished run. A run under way
    # has no end yet: what was known before is kept (never "never" while it starts).
    if ended is not None:
        last_sync = ended
    elif last_sync is None and state is not None:
        last_sync = state.last_sync

    return Overview(
        connector_id=connector_id,
        type=type_name,
        status=status,
        items_synced=items,
        cursor=cursor,
        last_sync=last_sync,
        error=error,
        run=run,
        holder=elsewhere.holder if elsewhere is not None else None,
        own=own,
        since=since,
        problem=problem,
        change=change,
    )


def _ended_at(last: RunRecord | None) -> datetime | None:
    return last.finished_at if last is not None else None


def _ahead_of(ours: LiveRun, last: RunRecord | None) -> bool:
    """This app's run is newer than what the state database has recorded of it."""
    if ours.run_id is None or last is None or last.run_id < ours.run_id:
        return True
    return last.run_id == ours.run_id and last.status is RunStatus.RUNNING
