"""Engine events: plain dataclasses handed to listeners, so any front end can adapt them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"  # its process died; the lease was taken over


@dataclass(frozen=True)
class RunStarted:
    connector_id: str
    run_id: int
    started_at: datetime
    since: datetime | None
    cursor: str | None
    items_synced: int


@dataclass(frozen=True)
class BatchCommitted:
    connector_id: str
    run_id: int
    batch: int  # 1-based number of this batch in the run
    size: int  # documents handed to the pipeline in this batch
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    cursor: str | None  # the committed cursor after this batch
    items_synced: int  # the checkpoint's total after this batch
    documents: int  # documents seen so far in this run
    elapsed: float  # seconds since the run started


@dataclass(frozen=True)
class DocumentRejected:
    connector_id: str
    run_id: int
    item: int  # 1-based position in the connector's output
    doc_id: str | None
    reason: str


@dataclass(frozen=True)
class RunFinished:
    connector_id: str
    run_id: int
    status: RunStatus
    documents: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    batches: int
    items_synced: int
    cursor: str | None
    elapsed: float
    error: str | None = None
    traceback: str | None = None

    @property
    def written(self) -> int:
        return self.inserted + self.updated


SyncEvent = RunStarted | BatchCommitted | DocumentRejected | RunFinished
Listener = Callable[[SyncEvent], None]
