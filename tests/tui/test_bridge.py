"""The coalescing bridge: engine events from threads become one update per connector per
repaint, with bounded log lines, whatever the event rate."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from syncdeck.core.counters import RunCounts
from syncdeck.core.events import (
    BatchCommitted,
    DocumentRejected,
    RunFinished,
    RunStarted,
    RunStatus,
)
from syncdeck.tui.bridge import BURST, REJECTIONS_SHOWN, EventBridge
from syncdeck.tui.clock import FrozenClock

START = datetime(2025, 1, 1, tzinfo=UTC)


def batch(n: int, *, cid: str = "fast", run_id: int = 7, rejected: int = 0) -> BatchCommitted:
    batch = RunCounts(100, 100 - rejected, 0, 0, rejected, 1)
    totals = RunCounts(n * 100, n * (100 - rejected), 0, 0, n * rejected, n)
    return BatchCommitted(cid, run_id, batch, totals, str(n * 100), n * 100, 0.1)


def test_many_batches_from_a_thread_become_one_bounded_update() -> None:
    bridge = EventBridge(FrozenClock())
    bridge(RunStarted("fast", 7, START, None, None, 0))

    def produce() -> None:
        for n in range(1, 10_001):
            bridge(batch(n))

    thread = threading.Thread(target=produce)
    thread.start()
    thread.join()

    updates = bridge.drain()
    assert list(updates) == ["fast"]
    update = updates["fast"]
    assert update.view is not None
    assert update.view.batches == 10_000
    assert update.view.documents == 1_000_000
    assert update.view.inserted == 1_000_000
    assert update.view.cursor == "1000000"
    assert len(update.lines) == BURST  # the newest lines, not ten thousand
    assert update.skipped == 10_001 - BURST  # the run-started line and the older batches
    assert update.lines[-1].text.startswith("batch 10000:")
    assert bridge.drain() == {}  # nothing new, nothing to repaint


def test_finished_run_keeps_its_error_and_redacts_secrets() -> None:
    bridge = EventBridge(FrozenClock(), redact=lambda text: text.replace("hunter2", "***"))
    bridge(RunStarted("mail", 3, START, None, "c-1", 10))
    bridge(batch(1, cid="mail", run_id=3))
    bridge(
        RunFinished(
            "mail", 3, RunStatus.FAILED, RunCounts(120, 100, 0, 0, 0, 1), 110, "100", 0.5,
            "PermissionError: token hunter2 refused", "Traceback...\nPermissionError: hunter2",
        )
    )  # fmt: skip
    update = bridge.drain()["mail"]
    assert update.view is not None
    assert update.view.status is RunStatus.FAILED
    assert update.view.error == "PermissionError: token *** refused"
    assert update.view.traceback is not None and "hunter2" not in update.view.traceback
    failed = update.lines[-1]
    assert failed.level == "error"
    assert "resumes from cursor 100" in failed.text
    assert failed.detail is not None and failed.detail.endswith("PermissionError: ***")
    assert 3 in bridge.own_runs


def test_rejections_are_summed_up_after_the_first_few() -> None:
    bridge = EventBridge(FrozenClock())
    bridge(RunStarted("bad", 1, START, None, None, 0))
    for item in range(1, 21):
        bridge(DocumentRejected("bad", 1, item, None, "missing doc_id"))
    lines = bridge.drain()["bad"].lines
    rejected = [line for line in lines if line.text.startswith("rejected item")]
    assert len(rejected) == REJECTIONS_SHOWN
    assert lines[-1].text == f"... and {20 - REJECTIONS_SHOWN} more rejected documents"


def test_a_batch_of_an_unknown_run_is_ignored() -> None:
    bridge = EventBridge(FrozenClock())
    bridge(RunStarted("fast", 7, START, None, None, 0))
    bridge(batch(1, run_id=99))
    view = bridge.drain()["fast"].view
    assert view is not None and view.batches == 0
