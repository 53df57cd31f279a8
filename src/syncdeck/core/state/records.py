"""What the state database holds, as read back: checkpoints, their change history, runs,
quarantined documents, and the per-connector view the front ends show. Times are aware
datetimes here; only the seed-compatible checkpoint dict carries them as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from syncdeck.core.counters import CountsView, RunCounts
from syncdeck.core.events import RunStatus
from syncdeck.core.text import restored_or_none


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_time(value: str | datetime | None) -> datetime | None:
    """A stored time: ISO text (SQLite) or already a datetime (PostgreSQL)."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class CheckpointRow:
    """A connector's checkpoint: where its next run resumes."""

    items_synced: int
    cursor: str | None
    last_sync: datetime | None  # the start of the last successful run: the next ``since``
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        """The original engine's ``get_checkpoint`` shape (``last_sync`` as ISO text)."""
        return {
            "items_synced": self.items_synced,
            "cursor": self.cursor,
            "last_sync": iso(self.last_sync),
            "error": self.error,
        }


EMPTY = CheckpointRow(0, None, None, None)


@dataclass(frozen=True)
class CheckpointChange:
    """A reset or cursor edit, with the checkpoint as it was before (what undo restores)."""

    action: str  # "reset" or "set_cursor"
    changed_at: datetime
    existed: bool
    before: CheckpointRow


@dataclass(frozen=True)
class RunRecord(CountsView):
    run_id: int
    connector_id: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    heartbeat: datetime
    pid: int
    host: str
    since: datetime | None
    cursor_start: str | None
    cursor_end: str | None
    counts: RunCounts
    items_synced: int
    error: str | None
    traceback: str | None
    deletes_held: int = 0  # deletions the guard withheld (the run failed for it)
    notice: str | None = None  # what the run said about itself (e.g. why it started over)
    process_start: str | None = None  # the holder's start (boot id and clock ticks)
    number: int = 0  # 1-based number of the run among its connector's runs

    @property
    def duration(self) -> float:
        end = self.finished_at or self.heartbeat
        return max(0.0, (end - self.started_at).total_seconds())

    @property
    def holder(self) -> str:
        return f"pid {self.pid} on {self.host}"


RUN_COLUMNS = (
    "run_id, connector_id, status, started_at, finished_at, heartbeat, pid, host, since, "
    "cursor_start, cursor_end, documents, inserted, updated, unchanged, rejected, batches, "
    "items_synced, error, traceback, deleted, deletes_held, notice, process_start, "
    # the run's number among its connector's runs (an index lookup: sync_runs_by_connector)
    "(SELECT count(*) FROM sync_runs AS earlier WHERE earlier.connector_id = "
    "sync_runs.connector_id AND earlier.run_id <= sync_runs.run_id)"
)


def run_from_row(row: tuple[Any, ...]) -> RunRecord:
    """A RunRecord from a row of ``SELECT {RUN_COLUMNS}``."""
    return RunRecord(
        run_id=row[0],
        connector_id=row[1],
        status=RunStatus(row[2]),
        started_at=parse_time(row[3]),  # type: ignore[arg-type]
        finished_at=parse_time(row[4]),
        heartbeat=parse_time(row[5]),  # type: ignore[arg-type]
        pid=row[6],
        host=row[7],
        since=parse_time(row[8]),
        cursor_start=restored_or_none(row[9]),
        cursor_end=restored_or_none(row[10]),
        counts=RunCounts(*row[11:17], deleted=row[20]),
        items_synced=row[17],
        error=row[18],
        traceback=row[19],
        deletes_held=row[21],
        notice=row[22],
        process_start=row[23],
        number=row[24],
    )


@dataclass(frozen=True)
class RejectedRecord:
    connector_id: str
    run_id: int
    item: int
    doc_id: str | None
    reason: str
    payload: str
    rejected_at: datetime


@dataclass(frozen=True)
class QuarantineEntry:
    """A rejected document as a run hands it to the state database."""

    item: int
    doc_id: str | None
    reason: str
    payload: str
    fingerprint: str = ""


@dataclass(frozen=True)
class ConnectorState:
    """What the UI and ``status`` show for one connector."""

    connector_id: str
    items_synced: int
    cursor: str | None
    last_sync: datetime | None
    error: str | None
    active: RunRecord | None  # the live lease holder, in this process or another
    last_run: RunRecord | None
    last_change: CheckpointChange | None = None  # the newest reset or cursor edit
