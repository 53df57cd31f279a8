"""Force-stopping a run whose connector does not answer a cancel, and applying held
deletions for one run, through the supervisor on a real engine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from support.connectors import Held

from syncdeck import (
    BaseConnector,
    Checkpoint,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    ListingComplete,
    SyncEngine,
)
from syncdeck.app.live import Phase
from syncdeck.app.outcome import EndKind
from syncdeck.app.supervisor import Decision, RunSupervisor
from syncdeck.core.events import RunStatus

WAIT = 10.0


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[SyncEngine]:
    with (
        KnowledgeStore(tmp_path / "knowledge.db") as store,
        SyncEngine(
            IngestionPipeline(store), state_db=tmp_path / "state.db", progress_interval=0.05
        ) as engine,
    ):
        yield engine


def test_abandon_frees_the_slot_and_the_queue_moves_on(engine: SyncEngine) -> None:
    held, never = threading.Event(), threading.Event()
    others: dict[str, threading.Event] = {"next": threading.Event()}

    def build(cid: str) -> BaseConnector:
        if cid == "stuck":
            return Held("stuck", held, never, before=12, every=4)
        return Held(cid, threading.Event(), others["next"], before=2, after=0, every=1)

    supervisor = RunSupervisor(engine, build, max_concurrent=1, clock=lambda: 100.0)
    try:
        assert supervisor.request("stuck") is Decision.STARTED
        assert supervisor.request("next") is Decision.QUEUED
        assert held.wait(WAIT)
        assert supervisor.cancel("stuck") is Phase.CANCELLING  # it cannot hear it
        assert supervisor.abandon("stuck")
        view = supervisor.live.view("stuck")
        assert view is not None and view.status is RunStatus.ABANDONED
        assert view.outcome is not None and view.outcome.kind is EndKind.ABANDONED
        assert view.phase is Phase.ENDED and view.totals.documents == 12
        assert "stuck" not in supervisor.running
        others["next"].set()
        assert supervisor.wait(WAIT)  # "next" took the slot and finished
        assert supervisor.live.view("next").status is RunStatus.SUCCEEDED  # type: ignore[union-attr]
        checkpoint = engine.get_checkpoint("stuck")
        assert checkpoint is not None and checkpoint["items_synced"] == 12
        assert checkpoint["cursor"] == "12"
        assert not supervisor.abandon("stuck")  # nothing left to abandon
    finally:
        never.set()


class Shrinking(BaseConnector):
    """A listing that lost most of its documents after the first run."""

    lists_source = True

    def __init__(self, ids: list[int]) -> None:
        self.connector_id = "shrinking"
        self.ids = ids

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        for i in self.ids:
            yield Document(f"d{i}", "shrinking", "note", f"text {i}")
        yield Checkpoint("end")
        yield ListingComplete()


def test_held_deletions_are_applied_for_one_run_on_request(engine: SyncEngine) -> None:
    sources = iter([list(range(10)), [1, 2], [1, 2], [1]])
    supervisor = RunSupervisor(engine, lambda cid: Shrinking(next(sources)))
    for expected in (RunStatus.SUCCEEDED, RunStatus.FAILED):
        supervisor.request("shrinking")
        assert supervisor.wait(WAIT)
        assert supervisor.live.view("shrinking").status is expected  # type: ignore[union-attr]
    assert supervisor.live.view("shrinking").deletes_held == 8  # type: ignore[union-attr]
    supervisor.request("shrinking", apply_deletes=True)
    assert supervisor.wait(WAIT)
    view = supervisor.live.view("shrinking")
    assert view is not None and view.status is RunStatus.SUCCEEDED and view.totals.deleted == 8
    assert engine.pipeline.store.count("shrinking") == 2
    supervisor.request("shrinking")  # the next run is guarded again (1 of 2 is 50%: applied)
    assert supervisor.wait(WAIT)
    assert supervisor.live.view("shrinking").totals.deleted == 1  # type: ignore[union-attr]
