"""What a run says about itself between batches (docs/architecture.md, "The run model"):
progress reports from the run's thread and the watchdog, the connector's Progress hint,
abandoning a run blocked in its connector, per-connector run numbers, the sweep's report
and the newest checkpoint change beside each state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from syncdeck import (
    BaseConnector,
    BatchCommitted,
    Checkpoint,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    ListingComplete,
    Progress,
    RunFinished,
    RunProgress,
    RunStarted,
    RunStatus,
    SyncEngine,
)
from syncdeck.core.events import SyncEvent

from .conftest import CountingConnector, make_doc


class Stalls(BaseConnector):
    """Yields ``before`` documents and a Progress hint, then blocks until ``release``."""

    def __init__(
        self,
        connector_id: str,
        blocked: threading.Event,
        release: threading.Event,
        *,
        before: int = 7,
        checkpoint: bool = True,
    ) -> None:
        self.connector_id = connector_id
        self.blocked = blocked
        self.release = release
        self.before = before
        self.checkpoint = checkpoint

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        for i in range(self.before):
            yield make_doc(self.connector_id, i)
        yield Progress(self.before, 100, "files")
        if self.checkpoint:
            yield Checkpoint(str(self.before))
        self.blocked.set()
        self.release.wait(20)  # a socket that does not answer
        yield make_doc(self.connector_id, 999)


@pytest.fixture
def fast_engine(tmp_path: Path, store: KnowledgeStore) -> Iterator[SyncEngine]:
    with SyncEngine(
        IngestionPipeline(store), state_db=tmp_path / "state.db", progress_interval=0.05
    ) as engine:
        yield engine


def start(
    engine: SyncEngine, connector: BaseConnector, events: list[SyncEvent]
) -> threading.Thread:
    cancel = threading.Event()
    thread = threading.Thread(
        target=lambda: engine.sync(connector, cancel=cancel, on_event=events.append), daemon=True
    )
    thread.start()
    thread.cancel = cancel  # type: ignore[attr-defined]
    return thread


def wait_for(condition: object, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_first_item_is_reported_before_any_batch_is_stored(fast_engine: SyncEngine) -> None:
    """A slow source's first documents show up as soon as they are read, with how many
    are held back for the next batch."""
    blocked, release = threading.Event(), threading.Event()
    events: list[SyncEvent] = []
    thread = start(fast_engine, Stalls("slow", blocked, release, checkpoint=False), events)
    try:
        assert blocked.wait(10)
        progress = [e for e in events if isinstance(e, RunProgress)]
        assert progress and progress[0].totals.documents == 1  # the first item, at once
        assert not any(isinstance(e, BatchCommitted) for e in events)  # nothing stored yet
        wait_for(lambda: any(isinstance(e, RunProgress) and e.held == 7 for e in events))
    finally:
        release.set()
        thread.join(10)
    assert fast_engine.get_checkpoint("slow")["items_synced"] == 8  # type: ignore[index]


def test_a_run_blocked_in_its_connector_reports_how_long_it_waits(fast_engine: SyncEngine) -> None:
    blocked, release = threading.Event(), threading.Event()
    events: list[SyncEvent] = []
    thread = start(fast_engine, Stalls("stuck", blocked, release), events)
    try:
        assert blocked.wait(10)

        def waited() -> list[RunProgress]:
            return [e for e in events if isinstance(e, RunProgress) and e.in_connector]

        wait_for(lambda: len(waited()) >= 3 and waited()[-1].waiting > 0.15)
        reports = waited()
        assert [r.waiting for r in reports] == sorted(r.waiting for r in reports)  # it grows
        last = reports[-1]
        assert last.totals.documents == 7 and last.held == 7  # read, not yet stored
        assert last.progress == Progress(7, 100, "files")
        assert last.progress.share == 0.07  # type: ignore[union-attr]
        assert last.elapsed >= last.waiting
    finally:
        release.set()
        thread.join(10)
    assert isinstance(events[-1], RunFinished) and events[-1].status is RunStatus.SUCCEEDED


def test_a_run_that_keeps_yielding_is_never_reported_as_in_its_connector(
    fast_engine: SyncEngine,
) -> None:
    events: list[SyncEvent] = []
    fast_engine.sync(CountingConnector(total=3000, every=100), on_event=events.append)
    reports = [e for e in events if isinstance(e, RunProgress)]
    assert reports and all(r.waiting < 0.5 for r in reports)


def test_abandon_stores_what_a_blocked_run_holds_and_frees_its_lease(
    fast_engine: SyncEngine,
) -> None:
    blocked, release = threading.Event(), threading.Event()
    events: list[SyncEvent] = []
    thread = start(fast_engine, Stalls("stuck", blocked, release), events)
    try:
        assert blocked.wait(10)
        thread.cancel.set()  # type: ignore[attr-defined]  # asked to stop: it cannot hear
        (run_id,) = [e.run_id for e in events if isinstance(e, RunStarted)]
        assert fast_engine.abandon(run_id)
        finished = [e for e in events if isinstance(e, RunFinished)]
        assert len(finished) == 1 and finished[0].status is RunStatus.ABANDONED
        assert "abandoned by hand" in (finished[0].error or "")
        (run,) = fast_engine.runs("stuck")
        assert run.status is RunStatus.ABANDONED
        checkpoint = fast_engine.get_checkpoint("stuck")
        assert checkpoint is not None and checkpoint["items_synced"] == 7
        assert checkpoint["cursor"] == "7"
        assert fast_engine.states()["stuck"].active is None  # the lease is free
        assert not fast_engine.abandon(run_id)  # over: nothing left to abandon
        # the queue moves on: the same connector can run again at once
        again = CountingConnector("stuck", total=20, every=5)
        fast_engine.sync(again)
        assert fast_engine.runs("stuck")[0].status is RunStatus.SUCCEEDED
    finally:
        release.set()
    thread.join(0.5)
    assert thread.is_alive()  # its connector returned, and the thread stopped there
    assert len([e for e in events if isinstance(e, RunFinished)]) == 1
    assert all(not isinstance(e, BatchCommitted) or e.totals.documents <= 7 for e in events)


def test_abandon_refuses_a_run_that_is_not_blocked_in_its_connector(
    fast_engine: SyncEngine,
) -> None:
    assert not fast_engine.abandon(12345)  # no such run
    gate, reached = threading.Event(), threading.Event()
    events: list[SyncEvent] = []
    finished = threading.Event()

    def listener(event: SyncEvent) -> None:
        events.append(event)
        if isinstance(event, BatchCommitted) and event.number == 1:
            reached.set()
            gate.wait(10)  # the run's thread is busy in syncdeck's bookkeeping
        if isinstance(event, RunFinished):
            finished.set()

    connector = CountingConnector("busy", total=30, every=10)
    thread = threading.Thread(
        target=lambda: fast_engine.sync(connector, on_event=listener), daemon=True
    )
    fast_engine.batch_size = 10
    thread.start()
    assert reached.wait(10)
    (run_id,) = [e.run_id for e in events if isinstance(e, RunStarted)]
    assert not fast_engine.abandon(run_id, wait=0.1)
    gate.set()
    assert finished.wait(10)
    thread.join(10)
    assert fast_engine.runs("busy")[0].status is RunStatus.SUCCEEDED


def test_runs_are_numbered_per_connector(engine: SyncEngine) -> None:
    events: list[SyncEvent] = []
    for name in ("a", "b", "a", "a", "b"):
        engine.sync(CountingConnector(name, total=3), on_event=events.append)
    started = [(e.connector_id, e.number) for e in events if isinstance(e, RunStarted)]
    assert started == [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2)]
    assert [r.number for r in engine.runs("a")] == [3, 2, 1]
    assert [r.run_id for r in engine.runs("a")] == [4, 3, 1]
    states = engine.states()
    assert states["b"].last_run is not None and states["b"].last_run.number == 2


def test_the_newest_checkpoint_change_is_part_of_the_state(engine: SyncEngine) -> None:
    engine.sync(CountingConnector("c", total=3))
    assert engine.states()["c"].last_change is None
    engine.reset_checkpoint("c")
    change = engine.states()["c"].last_change
    assert change is not None and change.action == "reset"
    engine.set_cursor("c", "2")
    assert engine.states()["c"].last_change.action == "set_cursor"  # type: ignore[union-attr]
    engine.undo_checkpoint("c")
    assert engine.states()["c"].last_change.action == "reset"  # type: ignore[union-attr]
    engine.undo_checkpoint("c")
    assert engine.states()["c"].last_change is None


class Listed(BaseConnector):
    lists_source = True

    def __init__(self, ids: list[int]) -> None:
        self.connector_id = "listed"
        self.ids = ids

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        for i in self.ids:
            yield Document(f"d{i}", "listed", "note", f"text {i}")
        yield Checkpoint("end")
        yield ListingComplete()


def test_the_sweep_is_reported_as_a_batch_of_deletions(engine: SyncEngine) -> None:
    engine.sync(Listed(list(range(10))))
    events: list[SyncEvent] = []
    engine.sync(Listed(list(range(7))), on_event=events.append)
    batches = [e for e in events if isinstance(e, BatchCommitted)]
    assert [b.sweep for b in batches] == [False, True]
    sweep = batches[-1]
    assert sweep.batch.deleted == 3 and sweep.batch.documents == 0
    assert sweep.totals.deleted == 3 and sweep.items_synced == 7
    assert sweep.number == 1  # the number of the last batch of documents
