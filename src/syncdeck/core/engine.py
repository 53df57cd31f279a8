"""The sync engine: runs a connector through the pipeline in batches and moves its
checkpoint only past documents that are durably stored (see DESIGN.md, "Sync semantics")."""

from __future__ import annotations

import atexit
import logging
import threading
import time
import traceback as tb_module
import weakref
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from syncdeck.core.connector import BaseConnector
from syncdeck.core.counters import RunCounts
from syncdeck.core.documents import Checkpoint
from syncdeck.core.errors import SyncdeckError
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    Listener,
    RunFinished,
    RunStarted,
    RunStatus,
    SyncEvent,
)
from syncdeck.core.pipeline import IngestionPipeline, Rejection
from syncdeck.core.redaction import redact_text
from syncdeck.core.state import (
    ConnectorState,
    QuarantineEntry,
    RejectedRecord,
    RunRecord,
    StateStore,
)
from syncdeck.core.store import StoredRow

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
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.lease_timeout = lease_timeout
        self.heartbeat_interval = heartbeat_interval
        self.flush_interval = flush_interval
        self.state = StateStore(state_db or default_state_path(), lock_timeout=lock_timeout)
        self.state_path = self.state.path
        self._listeners: list[Listener] = []
        self._listeners_lock = threading.Lock()
        self._runs: dict[int, _Run] = {}
        self._runs_lock = threading.Lock()
        atexit.register(_stop_blocked_runs, weakref.ref(self))

    # -- events ------------------------------------------------------------------------

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
    ) -> int:
        """Run ``connector`` from its checkpoint; returns documents written this run.

        A connector error is recorded, then re-raised, after everything before it has
        been stored. A set ``cancel`` event stops the run between two items.
        """
        connector_id = getattr(connector, "connector_id", "")
        if not isinstance(connector_id, str) or not connector_id:
            raise SyncdeckError(f"{type(connector).__name__} has no connector_id")
        try:
            run_id, started, state = self.state.begin_run(
                connector_id, lease_timeout=self.lease_timeout, cancel=cancel
            )
        except BaseException:
            _close_connector(connector)
            raise
        run = _Run(self, connector, run_id, started, state.items_synced, cancel, on_event)
        with self._runs_lock:
            self._runs[run_id] = run
        try:
            return run.execute(state.cursor, state.last_sync)
        finally:
            with self._runs_lock:
                self._runs.pop(run_id, None)
            if run.own.locked():
                run.own.release()
            _close_connector(connector)

    # -- checkpoints -------------------------------------------------------------------

    def get_checkpoint(self, connector_id: str) -> dict[str, Any]:
        """``{"items_synced", "cursor", "last_sync", "error"}`` as the original engine gave."""
        return self.state.get_checkpoint(connector_id).as_dict()

    def states(self) -> dict[str, ConnectorState]:
        return self.state.states()

    def reset_checkpoint(self, connector_id: str) -> None:
        """Start over on the next run (undoable); stored documents are kept."""
        self.state.reset(connector_id)

    def set_cursor(self, connector_id: str, cursor: str | None) -> None:
        """Resume from ``cursor`` on the next run (undoable)."""
        self.state.set_cursor(connector_id, cursor)

    def undo_checkpoint(self, connector_id: str) -> dict[str, Any]:
        """Restore the checkpoint as it was before the last reset or cursor edit."""
        return self.state.undo(connector_id).as_dict()

    def checkpoint_history(self, connector_id: str, limit: int = 20) -> list[dict[str, Any]]:
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
                try:
                    run.stop_at_exit()
                except Exception:
                    log.exception("closing blocked run %s at exit failed", run.run_id)

    def close(self) -> None:
        """Close the state DB; runs still blocked in their connector are closed first
        (stored, checkpointed and marked), since nothing could record them afterwards."""
        if not self.state.closed:
            self.stop_blocked_runs()
        self.state.close()

    def __enter__(self) -> SyncEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Run:
    """One run's bookkeeping. Counting rule: ``items_synced`` grows by the valid
    documents a committed cursor covers, so it stays exact across crashes (a document
    re-delivered after a lost state commit was never counted)."""

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
        self.quarantine: list[QuarantineEntry] = []
        self.batch_items = 0
        # Live counters of the hot loop; what committed batches counted is in ``committed``.
        self.documents = self.rejected = 0
        self.committed = RunCounts()
        self.valid_seen = 0
        self.valid_committed = 0
        self.pending: tuple[str | None, int] | None = None
        self.items_synced = items_synced
        self.cursor: str | None = None
        self.last_flush = self.last_beat = self.t0
        self.own = threading.Lock()  # held by the run's thread except inside the connector
        self.own.acquire()
        self.finished = False  # set (holding ``own``) once the run row is closed

    def execute(self, cursor: str | None, last_sync: str | None) -> int:
        self.cursor = cursor
        since = datetime.fromisoformat(last_sync) if last_sync else None
        self.emit(
            RunStarted(
                self.connector_id, self.run_id, self.started, since, cursor, self.items_synced
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
        except (Exception, KeyboardInterrupt) as exc:
            error = exc
            status = RunStatus.CANCELLED if isinstance(exc, KeyboardInterrupt) else RunStatus.FAILED
        trace = _format_trace(error) if status is RunStatus.FAILED else None
        if iterator is not None and status is not RunStatus.SUCCEEDED:
            self._close_iterator(iterator)
        try:
            self._flush(end=status is RunStatus.SUCCEEDED)
        except Exception as exc:
            if error is None:
                error, status = exc, RunStatus.FAILED
                trace = _format_trace(exc)
            else:
                log.exception("storing the documents held at failure also failed")
        secrets = getattr(self.connector, "secret_values", ())
        message = _describe(error) if status is RunStatus.FAILED else None
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
            )
        except Exception:
            self.engine.state.release(self.run_id)
            if error is None:
                raise
            log.exception("recording the end of run %s failed", self.run_id)
        finally:
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
                )
            )
        self.finished = True
        if error is not None:
            raise error
        return self.committed.written

    def totals(self) -> RunCounts:
        """The run's counts so far."""
        committed = self.committed
        return RunCounts(
            self.documents,
            committed.inserted,
            committed.updated,
            committed.unchanged,
            self.rejected,
            committed.batches,
        )

    def _consume(self, iterator: Iterator[Any]) -> RunStatus:
        """The hot loop: everything per item is kept to a few local operations."""
        engine = self.engine
        prepare = engine.pipeline.prepare
        batch_size = engine.batch_size
        flush_interval = engine.flush_interval
        heartbeat_interval = engine.heartbeat_interval
        monotonic = time.monotonic
        cancel = self.cancel
        own = self.own
        rows = self.rows
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
            if type(item) is Checkpoint or isinstance(item, Checkpoint):
                if item.cursor is not None and type(item.cursor) is not str:
                    raise TypeError(
                        f"Checkpoint cursor must be a string or None, got "
                        f"{type(item.cursor).__name__} at item {item_no}"
                    )
                self.pending = (item.cursor, self.valid_seen)
            else:
                if self.batch_items >= batch_size:
                    # Flushed when the next document arrives, so that a checkpoint yielded
                    # right after a full batch is committed with it.
                    self._flush(end=False)
                self.documents += 1
                self.batch_items += 1
                prepared = prepare(item)
                if type(prepared) is tuple:
                    rows.append(prepared)
                    self.valid_seen += 1
                else:
                    self._reject(item_no, prepared)
            now = monotonic()
            if self.pending is not None and now - self.last_flush >= flush_interval:
                self._flush(end=False)
            elif now - self.last_beat >= heartbeat_interval:
                engine.state.heartbeat(self.run_id, self.documents)
                self.last_beat = now
            if cancel is not None and cancel.is_set():
                return RunStatus.CANCELLED
        return RunStatus.SUCCEEDED

    def _reject(self, item_no: int, rejection: Rejection) -> None:
        self.rejected += 1
        self.quarantine.append(
            QuarantineEntry(item_no, rejection.doc_id, rejection.reason, rejection.payload)
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

    def _flush(self, *, end: bool) -> None:
        """Store the held batch (durable), then commit the newest cursor it covers."""
        size = self.batch_items
        written = RunCounts()
        if self.rows:
            written = self.engine.pipeline.write(self.rows).counts
            self.rows.clear()
        rejected_now = len(self.quarantine)
        if end:
            move = self.pending is not None
            new_cursor = self.pending[0] if self.pending is not None else self.cursor
            covered = self.valid_seen - self.valid_committed
        elif self.pending is not None:
            move = True
            new_cursor, upto = self.pending
            covered = upto - self.valid_committed
        else:
            move, new_cursor, covered = False, self.cursor, 0
        self.last_flush = self.last_beat = time.monotonic()
        if not (size or move or covered or self.quarantine):
            return
        batch = RunCounts(
            size,
            written.inserted,
            written.updated,
            written.unchanged,
            rejected_now,
            1 if size else 0,
        )
        self.committed = self.committed + batch
        totals = self.totals()
        self.items_synced = self.engine.state.commit_batch(
            self.connector_id,
            self.run_id,
            cursor=new_cursor,
            move_cursor=move,
            covered=covered,
            items_synced=self.items_synced,
            progress=totals,
            quarantine=self.quarantine,
        )
        self.valid_committed += covered
        self.cursor = new_cursor
        self.pending = None
        self.quarantine = []
        self.batch_items = 0
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

    def stop_at_exit(self) -> None:
        """The process is exiting while this run's thread is blocked in its connector
        (``own`` acquired by the caller): store what it holds and close the run row."""
        self.finished = True
        cancelled = self.cancel is not None and self.cancel.is_set()
        try:
            self._flush(end=False)
        except Exception:
            log.exception("storing the documents held by run %s at exit failed", self.run_id)
        self.engine.state.finish_run(
            self.connector_id,
            self.run_id,
            status=RunStatus.CANCELLED if cancelled else RunStatus.ABANDONED,
            since=None,
            error="the process exited while the connector was still blocked; "
            "documents stored before were kept",
            traceback=None,
        )

    def _close_iterator(self, iterator: Iterator[Any]) -> None:
        close = getattr(iterator, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:
            log.exception("closing the iterator of %s failed", self.connector_id)


def _close_connector(connector: BaseConnector) -> None:
    try:
        connector.close()
    except Exception:
        log.exception("closing connector %s failed", connector.connector_id)


def _stop_blocked_runs(ref: weakref.ReferenceType[SyncEngine]) -> None:
    engine = ref()
    if engine is not None and not engine.state.closed:
        engine.stop_blocked_runs()


def _format_trace(error: BaseException | None) -> str | None:
    return "".join(tb_module.format_exception(error)) if error is not None else None


def _describe(error: BaseException | None) -> str | None:
    if error is None:
        return None
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
