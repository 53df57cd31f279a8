"""The run log and the live fold fed by the same events (as the supervisor's run threads
feed them): events from threads become one view and a bounded set of log lines per
connector per repaint, whatever the event rate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from syncdeck.app.live import LiveRuns
from syncdeck.core.counters import RunCounts
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunStarted,
    RunStatus,
    SyncEvent,
)
from syncdeck.tui.clock import FrozenClock
from syncdeck.tui.run_log import BURST, REJECTIONS_SHOWN, RunLog

START = datetime(2025, 1, 1, tzinfo=UTC)


def batch(n: int, *, cid: str = "fast", run_id: int = 7, rejected: int = 0) -> BatchCommitted:
    batch = RunCounts(100, 100 - rejected, 0, 0, rejected, 1)
    totals = RunCounts(n * 100, n * (100 - rejected), 0, 0, n * rejected, n)
    return BatchCommitted(cid, run_id, batch, totals, str(n * 100), n * 100, 0.1)


class Fed:
    """A fold and a log fed each event, as a run of the supervisor feeds them."""

    def __init__(self) -> None:
        clock = FrozenClock()
        self.live = LiveRuns(clock.monotonic)
        self.log = RunLog(clock)

    def __call__(self, event: SyncEvent) -> None:
        self.live.apply(event)
        self.log.record(event)


def test_many_batches_from_a_thread_become_one_bounded_update() -> None:
    fed = Fed()
    fed(RunStarted("fast", 7, START, None, None, 0))

    def produce() -> None:
        for n in range(1, 10_001):
            fed(batch(n))

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join()

    views = fed.live.changed()
    updates = fed.log.drain()
    assert list(updates) == ["fast"]
    view = views["fast"]
    update = updates["fast"]
    assert view is not None
    assert view.totals.batches == 10_000
    assert view.totals.documents == 1_000_000
    assert view.totals.inserted == 1_000_000
    assert view.cursor == "1000000"
    assert len(update.lines) == BURST  # the newest lines, not ten thousand
    assert update.skipped == 10_001 - BURST  # the run-started line and the older batches
    assert update.lines[-1].text.startswith("batch 10000:")
    assert fed.log.drain() == {}  # nothing new, nothing to repaint
    assert fed.live.changed() == {}


def test_finished_run_keeps_its_error_already_masked_by_the_engine() -> None:
    fed = Fed()
    fed(RunStarted("mail", 3, START, None, "c-1", 10))
    fed(batch(1, cid="mail", run_id=3))
    fed(
        RunFinished(
            "mail", 3, RunStatus.FAILED, RunCounts(120, 100, 0, 0, 0, 1), 110, "100", 0.5,
            "PermissionError: token *** refused", "Traceback...\nPermissionError: ***",
        )
    )  # fmt: skip
    view = fed.live.changed()["mail"]
    update = fed.log.drain()["mail"]
    assert view is not None
    assert view.status is RunStatus.FAILED
    assert view.error == "PermissionError: token *** refused"
    assert view.traceback is not None and "hunter2" not in view.traceback
    failed = update.lines[-1]
    assert failed.level == "error"
    assert "resumes from cursor 100" in failed.text
    assert failed.detail is not None and failed.detail.endswith("PermissionError: ***")
    assert fed.live.owns(3)


def test_rejections_are_summed_up_after_the_first_few() -> None:
    fed = Fed()
    fed(RunStarted("bad", 1, START, None, None, 0))
    for item in range(1, 21):
        fed(DocumentRejected("bad", 1, item, None, "missing doc_id", item))
    lines = fed.log.drain()["bad"].lines
    rejected = [line for line in lines if line.text.startswith("rejected item")]
    assert len(rejected) == REJECTIONS_SHOWN
    assert lines[-1].text == f"... and {20 - REJECTIONS_SHOWN} more rejected documents"
    assert fed.live.view("bad").totals.rejected == 20  # type: ignore[union-attr]


def test_a_batch_of_an_unknown_run_is_ignored() -> None:
    fed = Fed()
    fed(RunStarted("fast", 7, START, None, None, 0))
    fed(batch(1, run_id=99))
    view = fed.live.changed()["fast"]
    assert view is not None and view.totals.batches == 0
