"""What the app knows of one connector, merged from four sources: the configuration, the
state database (polled), this app's own runs (queued, running, cancelling) and the live
events of those runs. The list row and the panel are both drawn from it."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime

from syncdeck.core.events import RunStatus
from syncdeck.core.state import ConnectorState
from syncdeck.tui.bridge import RunView
from syncdeck.tui.scheduler import LocalRun
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
    run: RunView | None  # the run the panel shows: the current one, else the last one
    holder: str | None = None  # "pid N on host" of a run of another process

    def matches(self, needle: str) -> bool:
        """The list filter: a case-insensitive substring of id, type, status or error."""
        needle = needle.strip().lower()
        if not needle:
            return True
        haystack = (self.connector_id, self.type, self.status.label, self.error or "")
        return any(needle in field.lower() for field in haystack)


def build_overview(
    connector_id: str,
    type_name: str,
    state: ConnectorState | None,
    *,
    local: LocalRun | None,
    queued: bool,
    live: RunView | None,
    own_runs: Container[int] = (),
) -> Overview:
    """``own_runs`` are the run ids this app started: a lease held by one of them is never
    "elsewhere", even when the poll saw it just before the run ended."""
    active = state.active if state is not None else None
    elsewhere = (
        active if active is not None and local is None and active.run_id not in own_runs else None
    )
    record = active or (state.last_run if state is not None else None)

    # live events are newer than the state database until a poll has seen the same run
    live_is_newer = live is not None and (
        local is not None
        or record is None
        or live.run_id is None
        or (live.run_id > record.run_id)
        or (live.run_id == record.run_id and record.status is RunStatus.RUNNING)
    )
    run: RunView | None
    if elsewhere is not None:
        run = RunView.from_record(elsewhere, holder=elsewhere.holder)
    elif live is not None and (
        live_is_newer or (record is not None and live.run_id == record.run_id)
    ):
        run = live
    elif record is not None:
        run = RunView.from_record(record)
    else:
        run = live

    if local is not None:
        status = DisplayStatus.CANCELLING if local.cancelling else DisplayStatus.RUNNING
    elif queued:
        status = DisplayStatus.QUEUED
    elif elsewhere is not None:
        status = DisplayStatus.ELSEWHERE
    elif run is None:
        status = DisplayStatus.IDLE
    elif run.status is RunStatus.RUNNING:
        # the state database says running but the lease holder is gone (or our own run
        # has just ended and its last event is not drained yet)
        status = DisplayStatus.RUNNING if run is live else DisplayStatus.ABANDONED
    else:
        status = DisplayStatus.from_run(run.status)

    items = state.items_synced if state is not None else 0
    cursor = state.cursor if state is not None else None
    error = state.error if state is not None else None
    if elsewhere is not None:
        items, cursor = elsewhere.items_synced, elsewhere.cursor_end
    elif live is not None and live_is_newer:
        items, cursor = live.items_synced, live.cursor
        if live.status is RunStatus.FAILED:
            error = live.error
        elif live.status is RunStatus.SUCCEEDED:
            error = None

    last = state.last_run if state is not None else None
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
    )
