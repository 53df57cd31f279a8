"""Engine events: plain dataclasses handed to listeners, so any front end can adapt them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from syncdeck.core.counters import CountsView, RunCounts


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
    notice: str | None = None  # why the run starts over instead of resuming, if it does


@dataclass(frozen=True)
class BatchCommitted:
    """A batch is durably stored and its checkpoint committed.

    ``batch`` counts this batch alone (``documents`` is its size, ``batches`` is 1);
    ``totals`` counts the run so far, this batch included. A front end shows ``totals``
    as they are: it never adds batches up itself.
    """

    connector_id: str
    run_id: int
    batch: RunCounts
    totals: RunCounts
    cursor: str | None  # the committed cursor after this batch
    items_synced: int  # the checkpoint's total after this batch
    elapsed: float  # seconds since the run started

    @property
    def number(self) -> int:
        """1-based number of this batch in the run."""
        return self.totals.batches

    @property
    def size(self) -> int:
        """Documents handed to the pipeline in this batch."""
        return self.batch.documents


@dataclass(frozen=True)
class DocumentRejected:
    connector_id: str
    run_id: int
    item: int  # 1-based position in the connector's output
    doc_id: str | None
    reason: str
    rejected: int = 0  # the run's rejections so far, this one included


@dataclass(frozen=True)
class RunFinished(CountsView):
    """The run row is closed; ``totals`` are the run's final counts."""

    connector_id: str
    run_id: int
    status: RunStatus
    totals: RunCounts
    items_synced: int
    cursor: str | None
    elapsed: float
    error: str | None = None
    traceback: str | None = None
    deletes_held: int = 0  # deletions the guard withheld (the run failed for it)

    @property
    def counts(self) -> RunCounts:
        return self.totals


SyncEvent = RunStarted | BatchCommitted | DocumentRejected | RunFinished
Listener = Callable[[SyncEvent], None]
