"""What the app shows of one connector, from three sources: the configuration, the state
database (polled) and this app's live fold. The list row and the panel are both drawn
from it.

The rules (docs/architecture.md, "Runs in the front ends"): this app's runs come from the fold
only, their records in the state database being copies of it; a run of another process
is shown as it is recorded; of the rest, the newest run by id. The checkpoint (items,
cursor, error) is the state database's, except while this app's newest run is ahead of
it: from its start until the database has recorded its end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from syncdeck.app.live import LiveRun, Phase
from syncdeck.core.events import RunStatus
from syncdeck.core.state import ConnectorState, RunRecord
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

    def matches(self, needle: str) -> bool:
        """The list filter: a case-insensitive substring of id, type, status or error."""
        needle = needle.strip().lower()
        if not needle:
            return True
        haystack = (self.connector_id, self.type, self.status.label, self.error or "")
        return any(needle in field.lower() for field in haystack)


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
) -> Overview:
    """``live`` is the fold's view of the connector (None if it never ran in this app);
    ``owns`` tells the run ids this app started."""
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

    if phase in _PHASES:
        status = _PHASES[phase]  # type: ignore[index]
    elif elsewhere is not None:
        status = DisplayStatus.ELSEWHERE
    elif run is None:
        status = DisplayStatus.IDLE
    elif run.status is RunStatus.RUNNING and not own:
        status = DisplayStatus.ABANDONED  # recorded as running, and its holder is gone
    else:
        status = DisplayStatus.from_run(run.status)

    items = state.items_synced if state is not None else 0
    cursor = state.cursor if state is not None else None
    error = state.error if state is not None else None
    if elsewhere is not None:
        items, cursor = elsewhere.items_synced, elsewhere.cursor_end
    elif own and ours is not None and _ahead_of(ours, last):
        if ours.run_id is not None:
            items, cursor = ours.items_synced, ours.cursor
        error = ours.error if ours.status is RunStatus.FAILED else None

    if last is not None and last.finished_at is not None:
        last_sync: datetime | None = last.finished_at
    else:
        last_sync = state.last_sync if state is not None else None

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
    )


def _ahead_of(ours: LiveRun, last: RunRecord | None) -> bool:
    """This app's run is newer than what the state database has recorded of it."""
    if ours.run_id is None or last is None or last.run_id < ours.run_id:
        return True
    return last.run_id == ours.run_id and last.status is RunStatus.RUNNING
