"""The sync engine: runs a connector through the pipeline in batches and moves its
checkpoint only past documents that are durably stored (docs/architecture.md, "The sync
contract")."""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import traceback as tb_module
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from syncdeck.core.backend import BatchHook, StateBackend, StateChanges, open_state
from syncdeck.core.connector import BaseConnector
from syncdeck.core.counters import RunCounts
from syncdeck.core.describe import describe_error
from syncdeck.core.documents import (
    Checkpoint,
    Deleted,
    Document,
    ListingComplete,
    Progress,
    Unchanged,
)
from syncdeck.core.errors import DeletionsHeld, SyncdeckError
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    Listener,
    RunFinished,
    RunProgress,
    RunStarted,
    RunStatus,
    SyncEvent,
)
from syncdeck.core.pipeline import IngestionPipeline, Rejection
from syncdeck.core.redaction import redact_text
from syncdeck.core.state import (
    CheckpointChange,
    CheckpointRow,
    ConnectorState,
    QuarantineEntry,
    RejectedRecord,
    RunRecord,
)
from syncdeck.core.store import StoredRow
from syncdeck.core.text import storable

log = logging.getLogger(__name__)


def default_state_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("syncdeck")) / "sync_state.db"


class SyncEngine:
    """Runs connectors with checkpoint/resume. One engine may run different connectors
    from several threads at once; the same connector is refused while it holds a lease,
    from this or any other process."""

    def __init__(
        self,
        pipeline: IngestionPipeline,
        *,
        state_db: str | Path = "",
        batch_size: int = 100,
        lease_timeout: float = 60.0,
        lock_timeout: float = 5.0,
        heartbeat_interval: float = 1.0,
        flush_interval: float = 2.0,
        delete_limit: float = 0.5,
        progress_interval: float = 1.0,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not 0 <= delete_limit <= 1:
            raise ValueError("delete_limit is a share of the stored documents, 0 to 1")
        self.delete_limit = delete_limit
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.lease_timeout = lease_timeout
        self.heartbeat_interval = heartbeat_interval
        self.flush_interval = flush_interval
        self.progress_interval = progress_interval
        self.state: StateBackend = open_state(
            state_db or default_state_path(), lock_timeout=lock_timeout
        )
        self.state_path = self.state.path
        # State and store in one database (PostgreSQL): a batch and its checkpoint commit
        # in one transaction (docs/architecture.md, "PostgreSQL backend").
        self.joint = self.state.joins(pipeline.store)
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()
        self._runs: dict[int, _Run] = {}
        self._runs_lock = threading.Lock()
        self._watchdog: threading.Thread | None = None
        self._closing = threading.Event()
        atexit.register(_stop_blocked_runs, weakref.ref(self))

    # -- events ------------------------------------------------------------------------

    def changes(self) -> StateChanges:
        """A subscription to changes of the state database by any process on any host
        (``wait(timeout)`` returns when something changed): front ends read
        :meth:`states` again when it fires instead of polling blindly."""
        return self.state.changes()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event of every run; returns an unsubscribe."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _emitter(self, on_event: Listener | None) -> Callable[[SyncEvent], None]:
        def emit(event: SyncEvent) -> None:
            with self._listeners_lock:
                targets = [*self._listeners]
            if on_event is not None:
                targets.append(on_event)
            for listener in targets:
                try:
                    listener(event)
                except Exception:  # a broken listener must not break the sync
                    log.exception("event listener %r failed", listener)

        return emit

    # -- running -----------------------------------------------------------------------

    def sync(
        self,
        connector: BaseConnector,
        *,
        cancel: threading.Event | None = None,
        on_event: Listener | None = None,
        delete_limit: float | None = None,
        apply_deletes: bool = False,
    ) -> int:
        """Run ``connector`` from its checkpoint; returns documents written this run.

        A connector error is recorded, then re-raised, after everything before it has
        been stored. A set ``cancel`` event stops the run between two items. A run that
        ends a complete listing deletes what the source no longer has, up to
        ``delete_limit`` (a share of the connector's stored documents; by default the
        connector's own ``delete_limit``, else the engine's) unless ``apply_deletes``
        (docs/architecture.md, "The mirror contract").
        """
        connector_id = getattr(connector, "connector_id", "")
        if not isinstance(connector_id, str) or not connector_id:
            raise SyncdeckError(f"{type(connector).__name__} has no connector_id")
        store = self.pipeline.store
        try:
            documents = store.documents_of(connector_id)
            run_id, started, state, notice = self.state.begin_run(
                connector_id,
                lease_timeout=self.lease_timeout,
                store=store.identity(connector_id),
                documents=documents,
            )
        except BaseException:
            _close_connector(connector)
            raise
        if delete_limit is None:
            delete_limit = getattr(connector, "delete_limit", None)
        limit = self.delete_limit if delete_limit is None else delete_limit
        run = _Run(self, connector, run_id, started, state.items_synced, cancel, on_event)
        run.delete_limit, run.apply_deletes = limit, apply_deletes
        try:
            run.number = self.state.run(run_id).number
        except Exception:  # a number to show, not worth failing the run over
            log.exception("reading the number of run %s failed", run_id)
        with self._runs_lock:
            self._runs[run_id] = run
            self._watch()
        bound = "stored" in vars(connector)
        previous_view = connector.stored
        connector.stored = store.view(connector_id)
        try:
            return run.execute(state.cursor, state.last_sync, notice)
        finally:
            if bound:
                connector.stored = previous_view
            else:
                with contextlib.suppress(AttributeError):
                    del connector.stored
            with self._runs_lock:
                self._runs.pop(run_id, None)
            if run.own.locked():
                run.own.release()
            _close_connector(connector)

    def release_lease(self, connector_id: str) -> RunRecord | None:
        """Release a lease by hand (its holder stuck, or on a host gone for good): the run
        is marked abandoned, saying who released it; returns the run that held it."""
        return self.state.release_lease(connector_id)

    def abandon(self, run_id: int, *, wait: float = 0.5) -> bool:
        """Close a run of this process whose thread is blocked inside its connector (a
        cancel it does not answer): what it holds is stored and checkpointed, the run is
        marked abandoned, its lease released and ``RunFinished`` reported. Its thread, if
        the connector ever returns, stops there without touching anything.

        False when the run is over or is not blocked in its connector within ``wait``
        seconds (it is in syncdeck's own bookkeeping, and answers a cancel)."""
        with self._runs_lock:
            run = self._runs.get(run_id)
        if run is None or not run.own.acquire(timeout=wait):
            return False
        if run.finished:
            run.own.release()
            return False
        with self._runs_lock:
            self._runs.pop(run_id, None)
        try:
            run.close_blocked(RunStatus.ABANDONED, _abandoned_text(run), report=True)
        except Exception:
            log.exception("abandoning run %s failed", run_id)
            raise
        return True

    def forget(self, connector_id: str) -> int:
        """Remove a connector's documents, checkpoint, history and quarantine (refused
        while it runs); returns how many documents were deleted."""
        self.state.refuse_if_running(connector_id)
        deleted = self.pipeline.store.forget(connector_id)
        self.state.forget(connector_id)
        return deleted

    # -- checkpoints -------------------------------------------------------------------

    def get_checkpoint(self, connector_id: str) -> dict[str, Any] | None:
        """``{"items_synced", "cursor", "last_sync", "error"}`` as the original engine gave,
        or None if the connector never synced."""
        row = self.state.find_checkpoint(connector_id)
        return row.as_dict() if row is not None else None

    def checkpoint(self, connector_id: str) -> CheckpointRow:
        """The checkpoint as a record (empty for a connector that never synced)."""
        return self.state.get_checkpoint(connector_id)

    def states(self) -> dict[str, ConnectorState]:
        """Every connector with its live run (judged by this engine's lease_timeout)."""
        return self.state.states(self.lease_timeout)

    def reset_checkpoint(self, connector_id: str) -> None:
        """Start over on the next run (undoable); stored documents are kept."""
        self.state.reset(connector_id)

    def set_cursor(self, connector_id: str, cursor: str | None) -> None:
        """Resume from ``cursor`` on the next run (undoable)."""
        self.state.set_cursor(connector_id, cursor)

    def undo_checkpoint(self, connector_id: str) -> dict[str, Any]:
        """Restore the checkpoint as it was before the last reset or cursor edit."""
        return self.state.undo(connector_id).as_dict()

    def checkpoint_history(self, connector_id: str, limit: int = 20) -> list[CheckpointChange]:
        """The last resets and cursor edits, newest first, with what each replaced."""
        return self.state.history(connector_id, limit)

    def runs(self, connector_id: str, limit: int = 20) -> list[RunRecord]:
        return self.state.runs(connector_id, limit)

    def rejected(self, connector_id: str, limit: int = 100) -> list[RejectedRecord]:
        return self.state.rejected(connector_id, limit)

    def stop_blocked_runs(self, wait: float = 0.5) -> None:
        """At exit: close the runs whose thread is still inside its connector."""
        with self._runs_lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.own.acquire(timeout=wait):  # never released: the thread must not resume
                if run.finished:
                    continue
                cancelled = run.cancel is not None and run.cancel.is_set()
                try:
                    run.close_blocked(
                        RunStatus.CANCELLED if cancelled else RunStatus.ABANDONED,
                        "the process exited while the connector was still blocked; "
                        "documents stored before were kept",
                    )
                except Exception:
                    log.exception("closing blocked run %s at exit failed", run.run_id)

    # -- the watchdog ------------------------------------------------------------------

    def _watch(self) -> None:
        """With ``_runs_lock`` held: make sure the watchdog thread runs."""
        if self._watchdog is None or not self._watchdog.is_alive():
            self._watchdog = threading.Thread(
                target=self._watchdog_loop, name="syncdeck-watchdog", daemon=True
            )
            self._watchdog.start()

    def _watchdog_loop(self) -> None:
        """Report the progress of runs blocked inside their connector, which cannot
        report themselves (docs/architecture.md, "The run model"); ends with the last run."""
        interval = self.progress_interval
        while not self._closing.wait(min(0.25, interval / 2)):
            with self._runs_lock:
                runs = list(self._runs.values())
                if not runs:
                    self._watchdog = None
                    return
            now = time.monotonic()
            for run in runs:
                # ``own`` is free only while the run's thread is inside the connector;
                # holding it keeps that thread from changing the run while it is read.
                if now - run.last_report >= interval and run.own.acquire(blocking=False):
                    try:
                        if not run.finished and run.run_id in self._runs:
                            run.report(now, in_connector=True)
                    finally:
                        run.own.release()

    def close(self) -> None:
        """Close the state DB; runs still blocked in their connector are closed first
        (stored, checkpointed and marked), since nothing could record them afterwards."""
        self._closing.set()
        if not self.state.closed:
            self.stop_blocked_runs()
        self.state.close()

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Run:
    """One run's bookkeeping.

    ``items_synced`` is the store's own count of the connector's documents, read after
    each batch, so it stays exact across crashes, rewrites and deletions. Ids are tracked
    for the deletion sweep only when the connector says it lists its source
    (``lists_source``), so a plain stream costs no memory per document."""

    def __init__(
        self,
        engine: SyncEngine,
        connector: BaseConnector,
        run_id: int,
        started: datetime,
        items_synced: int,
        cancel: threading.Event | None,
        on_event: Listener | None,
    ) -> None:
        self.engine = engine
        self.connector = connector
        self.connector_id = connector.connector_id
        self.run_id = run_id
        self.started = started
        self.cancel = cancel
        self.emit = engine._emitter(on_event)
        self.t0 = time.monotonic()
        self.rows: list[StoredRow] = []
        self.deletions: dict[str, None] = {}  # ordered: ids of Deleted markers held
        self.quarantine: list[QuarantineEntry] = []
        self.batch_items = 0
        # Live counters of the hot loop; what committed batches counted is in ``committed``.
        self.documents = self.rejected = self.marked_unchanged = 0
        self.batch_marked = 0  # Unchanged markers since the last flush
        self.committed = RunCounts()
        self.pending: str | object | None = _NO_CHECKPOINT
        self.items_synced = items_synced
        self.generation: int | None = None
        self.cursor: str | None = None
        self.tracking = bool(getattr(connector, "lists_source", False))
        self.seen: set[str] = set()
        self.listed = False  # a ListingComplete marker arrived
        self.delete_limit = engine.delete_limit
        self.apply_deletes = False
        self.deletes_held = 0
        self.last_flush = self.last_beat = self.t0
        self.last_item = self.t0  # when the connector last yielded (or was started)
        self.last_report = float("-inf")  # the first item is reported at once
        self.progress: Progress | None = None
        self.number = 0
        self.own = threading.Lock()  # held by the run's thread except inside the connector
        self.own.acquire()
        self.finished = False  # set (holding ``own``) once the run row is closed

    def execute(self, cursor: str | None, since: datetime | None, notice: str | None) -> int:
        self.cursor = cursor
        self.emit(
            RunStarted(
                self.connector_id,
                self.run_id,
                self.started,
                since,
                cursor,
                self.items_synced,
                notice,
                self.number,
            )
        )
        status = RunStatus.SUCCEEDED
        error: BaseException | None = None
        iterator: Iterator[Any] | None = None
        try:
            self.own.release()
            try:
                iterator = iter(self.connector.sync(since=since, cursor=cursor))
            finally:
                self.own.acquire()
            status = self._consume(iterator)
        except BaseException as exc:  # SystemExit too: the run is recorded, then it goes on
            error = exc
            status = RunStatus.CANCELLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
        trace = _format_trace(error) if status is RunStatus.FAILED else None
        if iterator is not None and status is not RunStatus.SUCCEEDED:
            self._close_iterator(iterator)
        try:
            self._flush()
            if status is RunStatus.SUCCEEDED and self.listed:
                self._sweep()
        except DeletionsHeld as exc:
            error, status, trace = exc, RunStatus.FAILED, None
        except Exception as exc:
            if error is None:
                error, status = exc, RunStatus.FAILED
                trace = _format_trace(exc)
            else:
                _log_failure(self.connector, "storing the documents held at failure also failed")
        secrets = getattr(self.connector, "secret_values", ())
        message = describe_error(error) if status is RunStatus.FAILED and error else None
        if secrets:
            message = redact_text(message, secrets) if message else message
            trace = redact_text(trace, secrets) if trace else trace
        try:
            self.engine.state.finish_run(
                self.connector_id,
                self.run_id,
                status=status,
                since=self.started,
                error=message,
                traceback=trace,
                deletes_held=self.deletes_held,
            )
        except Exception:
            self.engine.state.release(self.run_id)
            if error is None:
                raise
            _log_failure(self.connector, f"recording the end of run {self.run_id} failed")
        finally:
            self.report_end(status, message, trace)
        self.finished = True
        if error is not None:
            raise error
        return self.committed.written

    def totals(self, committed: RunCounts | None = None) -> RunCounts:
        """The run's counts so far (with ``committed`` as the committed batches' counts)."""
        committed = self.committed if committed is None else committed
        return RunCounts(
            self.documents,
            committed.inserted,
            committed.updated,
            committed.unchanged + self.marked_unchanged,
            self.rejected,
            committed.batches,
            committed.deleted,
        )

    def _consume(self, iterator: Iterator[Any]) -> RunStatus:
        """The hot loop: everything per item is kept to a few local operations."""
        engine = self.engine
        prepare = engine.pipeline.prepare
        batch_size = engine.batch_size
        flush_interval = engine.flush_interval
        heartbeat_interval = engine.heartbeat_interval
        progress_interval = engine.progress_interval
        monotonic = time.monotonic
        cancel = self.cancel
        own = self.own
        rows = self.rows
        tracking = self.tracking
        seen = self.seen
        item_no = 0
        while True:
            # ``own`` is free only while the connector has control, so an exit handler
            # can tell a run blocked in its connector from one busy in our bookkeeping.
            own.release()
            try:
                item = next(iterator)
            except StopIteration:
                break
            finally:
                own.acquire()
            item_no += 1
            kind = type(item)
            if kind is Document or (kind not in _MARKERS and not isinstance(item, _MARKER_TYPES)):
                if self.batch_items >= batch_size:
                    # Flushed when the next document arrives, so that a checkpoint yielded
                    # right after a full batch is committed with it.
                    self._flush()
                self.documents += 1
                self.batch_items += 1
                prepared = prepare(item)
                if type(prepared) is StoredRow:
                    rows.append(prepared)
                    if tracking:
                        seen.add(prepared.doc_id)
                    if self.deletions:
                        self.deletions.pop(prepared.doc_id, None)
                else:
                    if tracking and prepared.doc_id is not None:
                        seen.add(prepared.doc_id)
                    self._reject(item_no, prepared)
            elif isinstance(item, Checkpoint):
                if item.cursor is not None and type(item.cursor) is not str:
                    raise TypeError(
                        f"Checkpoint cursor must be a string or None, got "
                        f"{type(item.cursor).__name__} at item {item_no}"
                    )
                self.pending = item.cursor
            elif isinstance(item, Unchanged):
                doc_id = _marker_id(item, item_no)
                self.documents += 1
                self.marked_unchanged += 1
                self.batch_marked += 1
                if tracking:
                    seen.add(doc_id)
            elif isinstance(item, Progress):
                self.progress = item
            elif isinstance(item, Deleted):
                doc_id = _marker_id(item, item_no)
                if self.batch_items >= batch_size:
                    self._flush()
                self.batch_items += 1
                if rows and any(row.doc_id == doc_id for row in rows):
                    rows[:] = [row for row in rows if row.doc_id != doc_id]
                self.deletions[doc_id] = None
                seen.discard(doc_id)
            else:  # ListingComplete
                if not tracking:
                    raise TypeError(
                        f"{type(self.connector).__name__} yielded ListingComplete at item "
                        f"{item_no} without declaring lists_source = True: the engine tracks "
                        "the ids of a listing only for connectors that declare it"
                    )
                self.listed = True
            now = self.last_item = monotonic()
            if self.pending is not _NO_CHECKPOINT and now - self.last_flush >= flush_interval:
                self._flush()
            elif now - self.last_beat >= heartbeat_interval:
                engine.state.heartbeat(self.run_id, self.documents)
                self.last_beat = now
            if now - self.last_report >= progress_interval:
                self.report(now, in_connector=False)
            if cancel is not None and cancel.is_set():
                return RunStatus.CANCELLED
        return RunStatus.SUCCEEDED

    def report(self, now: float, *, in_connector: bool) -> None:
        """Emit the run's progress (the run's thread, or the watchdog holding ``own``)."""
        self.last_report = now
        self.emit(
            RunProgress(
                self.connector_id,
                self.run_id,
                self.totals(),
                len(self.rows),
                max(0.0, now - self.last_item),
                in_connector,
                now - self.t0,
                self.progress,
            )
        )

    def _reject(self, item_no: int, rejection: Rejection) -> None:
        self.rejected += 1
        self.quarantine.append(
            QuarantineEntry(
                item_no,
                rejection.doc_id,
                rejection.reason,
                rejection.payload,
                rejection.fingerprint,
            )
        )
        self.emit(
            DocumentRejected(
                self.connector_id,
                self.run_id,
                item_no,
                rejection.doc_id,
                rejection.reason,
                self.rejected,
            )
        )

    def _flush(self) -> None:
        """Store the held batch (durable), then commit the newest cursor it covers.

        A checkpoint covers what was yielded before it; the end of a successful run
        covers everything, but the engine never invents a cursor."""
        size = self.batch_items
        rejected_now = len(self.quarantine)
        move = self.pending is not _NO_CHECKPOINT
        new_cursor = self.pending if move else self.cursor
        marked = self.batch_marked
        self.last_flush = self.last_beat = time.monotonic()
        writes = bool(self.rows or self.deletions)
        if not (writes or size or move or marked or self.quarantine):
            return
        outcome: list[Any] = []

        def commit_state(written: RunCounts, tally: tuple[int, int] | None, within: Any) -> None:
            items_synced, generation = (
                tally
                if tally is not None
                else (
                    self.items_synced,
                    self.generation,
                )
            )
            batch = RunCounts(
                size + marked,
                written.inserted,
                written.updated,
                written.unchanged + marked,
                rejected_now,
                1 if size else 0,
                written.deleted,
            )
            committed = self.committed + RunCounts(
                inserted=written.inserted,
                updated=written.updated,
                unchanged=written.unchanged,
                batches=batch.batches,
                deleted=written.deleted,
            )
            totals = self.totals(committed)
            self.engine.state.commit_batch(
                self.connector_id,
                self.run_id,
                cursor=new_cursor,  # type: ignore[arg-type]
                move_cursor=move,
                items_synced=items_synced,
                generation=generation,
                progress=totals,
                quarantine=self.quarantine,
                within=within,
            )
            outcome[:] = [batch, committed, totals, items_synced, generation]

        if writes:
            pipeline = self.engine.pipeline
            self._durably(
                lambda then: (
                    pipeline.write(
                        self.rows,
                        connector=self.connector_id,
                        deletions=list(self.deletions),
                        then=then,
                    ).counts
                ),
                commit_state,
            )
            self.rows.clear()
            self.deletions.clear()
        else:
            commit_state(RunCounts(), None, None)
        batch, self.committed, totals, self.items_synced, self.generation = outcome
        self.cursor = new_cursor  # type: ignore[assignment]
        self.pending = _NO_CHECKPOINT
        self.quarantine = []
        self.batch_items = 0
        self.batch_marked = 0
        if size:
            self.emit(
                BatchCommitted(
                    self.connector_id,
                    self.run_id,
                    batch,
                    totals,
                    self.cursor,
                    self.items_synced,
                    time.monotonic() - self.t0,
                )
            )

    def _durably(
        self, write: Callable[[BatchHook | None], RunCounts], commit_state: BatchHook
    ) -> RunCounts:
        """A store write and the state commit that follows it: one transaction where both
        live in one database, else the store's durable commit first and the state's after
        (docs/architecture.md, "Durability order")."""
        if self.engine.joint:
            return write(commit_state)
        counts = write(None)
        changed = counts.inserted or counts.updated or counts.deleted
        store = self.engine.pipeline.store
        commit_state(counts, store.tally(self.connector_id) if changed else None, None)
        return counts

    def _sweep(self) -> None:
        """After a complete listing: delete the connector's documents the run did not see,
        unless that is more than the deletion guard allows (then nothing is deleted)."""
        store = self.engine.pipeline.store
        unseen = [key for key in store.keys(self.connector_id) if key not in self.seen]
        if not unseen:
            return
        stored = store.documents_of(self.connector_id)
        limit = self.delete_limit
        if not self.apply_deletes and (len(unseen) >= stored or len(unseen) > limit * stored):
            self.deletes_held = len(unseen)
            raise DeletionsHeld(self.connector_id, len(unseen), stored, limit)
        before = self.committed.deleted
        outcome: list[Any] = []

        def commit_state(written: RunCounts, tally: tuple[int, int] | None, within: Any) -> None:
            committed = self.committed + RunCounts(deleted=written.deleted)
            items_synced, generation = (
                tally
                if tally is not None
                else (
                    self.items_synced,
                    self.generation,
                )
            )
            self.engine.state.commit_batch(
                self.connector_id,
                self.run_id,
                cursor=self.cursor,
                move_cursor=False,
                items_synced=items_synced,
                generation=generation,
                progress=self.totals(committed),
                quarantine=[],
                within=within,
            )
            outcome[:] = [committed, items_synced, generation]

        self._durably(
            lambda then: RunCounts(deleted=store.delete(self.connector_id, unseen, then=then)),
            commit_state,
        )
        self.committed, self.items_synced, self.generation = outcome
        deleted = self.committed.deleted - before
        if deleted:
            self.emit(
                BatchCommitted(
                    self.connector_id,
                    self.run_id,
                    RunCounts(deleted=deleted),
                    self.totals(),
                    self.cursor,
                    self.items_synced,
                    time.monotonic() - self.t0,
                )
            )

    def report_end(self, status: RunStatus, message: str | None, trace: str | None = None) -> None:
        """Tell the listeners how the run ended, with its totals."""
        self.emit(
            RunFinished(
                self.connector_id,
                self.run_id,
                status,
                self.totals(),
                self.items_synced,
                self.cursor,
                time.monotonic() - self.t0,
                message,
                trace,
                self.deletes_held,
            )
        )

    def close_blocked(self, status: RunStatus, error: str, *, report: bool = False) -> None:
        """This run's thread is blocked in its connector (``own`` acquired by the caller,
        never to be released): store what it holds and close the run row, at exit or by
        hand (:meth:`SyncEngine.abandon`); ``report`` also emits ``RunFinished``."""
        self.finished = True
        try:
            self._flush()
        except Exception:
            _log_failure(self.connector, f"storing what run {self.run_id} held failed")
        try:
            self.engine.state.finish_run(
                self.connector_id,
                self.run_id,
                status=status,
                since=None,
                error=error,
                traceback=None,
            )
        finally:
            if report:
                self.report_end(status, error)

    def _close_iterator(self, iterator: Iterator[Any]) -> None:
        close = getattr(iterator, "close", None)
        if close is None:
            return
        try:
            close()
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException:
            _log_failure(self.connector, f"closing the iterator of {self.connector_id} failed")


_NO_CHECKPOINT = object()  # no Checkpoint since the last commit
_MARKER_TYPES = (Checkpoint, Unchanged, Deleted, ListingComplete, Progress)
_MARKERS = frozenset(_MARKER_TYPES)


def _marker_id(marker: Unchanged | Deleted, item_no: int) -> str:
    """The marker's id as the store keys it (core.text), checked."""
    doc_id = marker.doc_id
    if type(doc_id) is not str or not doc_id.strip():
        raise TypeError(
            f"{type(marker).__name__} needs a non-empty string doc_id, got {doc_id!r} at "
            f"item {item_no}"
        )
    return doc_id if doc_id.isascii() else storable(doc_id)


def _close_connector(connector: BaseConnector) -> None:
    try:
        connector.close()
    except (KeyboardInterrupt, GeneratorExit):
        raise
    except BaseException:
        _log_failure(connector, f"closing connector {connector.connector_id} failed")


def _log_failure(connector: BaseConnector, what: str) -> None:
    """Log the exception being handled with the connector's secrets masked: a traceback
    can quote its configuration (a URL with a token, a password in an argument)."""
    secrets = getattr(connector, "secret_values", ())
    log.error("%s\n%s", what, redact_text(tb_module.format_exc(), secrets).rstrip())


def _stop_blocked_runs(ref: weakref.ReferenceType[SyncEngine]) -> None:
    engine = ref()
    if engine is not None and not engine.state.closed:
        engine.stop_blocked_runs()


def _abandoned_text(run: _Run) -> str:
    waited = time.monotonic() - run.last_item
    return (
        f"abandoned by hand: the connector had not returned for {waited:.0f} s; what the "
        "run had read was stored and checkpointed"
    )


def _format_trace(error: BaseException | None) -> str | None:
    return "".join(tb_module.format_exception(error)) if error is not None else None
