"""Engine events: plain dataclasses handed to listeners, so any front end can adapt them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from syncdeck.core.counters import CountsView, RunCounts
from syncdeck.core.documents import Progress


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ABANDONED = "abandoned"  # its process died (lease taken over), or closed by hand


@dataclass(frozen=True)
class RunStarted:
    connector_id: str
    run_id: int
    started_at: datetime
    since: datetime | None
    cursor: str | None
    items_synced: int
    notice: str | None = None  # why the run starts over instead of resuming, if it does
    number: int = 0  # 1-based number of this run among the connector's runs


@dataclass(frozen=True)
class BatchCommitted:
    """A batch is durably stored and its checkpoint committed.

    ``batch`` counts this batch alone (``documents`` is its size, ``batches`` is 1);
    ``totals`` counts the run so far, this batch included. A front end shows ``totals``
    as they are: it never adds batches up itself. The sweep at the end of a complete
    listing (the deletion of what the source no longer has) is reported the same way,
    as a batch of deletions only: ``batch.batches`` is 0 and ``batch.deleted`` counts it
    (:attr:`sweep`).
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

    @property
    def sweep(self) -> bool:
        """This is the end-of-listing sweep: deletions of documents the source lost."""
        return self.batch.batches == 0 and self.batch.deleted > 0


@dataclass(frozen=True)
class RunProgress:
    """How a run stands between its batches, at most once a second (and at its first
    item): what it has read (``totals.documents``) and holds without having stored it
    yet (``held``: those commit with the next batch), how long the connector has been
    silent, and how far through its source the connector says it is.

    Emitted by the run's thread while items flow, and by the engine's watchdog thread
    while the run's thread is blocked inside the connector (``in_connector``), so a
    stalled source shows as "waiting on the connector for N s" rather than as a dead run.
    Listeners are called from either thread.
    """

    connector_id: str
    run_id: int
    totals: RunCounts
    held: int  # documents read but not yet stored
    waiting: float  # seconds since the connector last yielded an item (or started)
    in_connector: bool  # the run's thread is inside the connector's own code
    elapsed: float  # seconds since the run started
    progress: Progress | None = None  # the connector's newest hint, if it gave one


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


SyncEvent = RunStarted | BatchCommitted | DocumentRejected | RunProgress | RunFinished
Listener = Callable[[SyncEvent], None]
