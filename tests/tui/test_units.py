"""Pure pieces of the UI: formatting, status derivation, throughput."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncdeck.app.live import LiveRun, Phase
from syncdeck.core.counters import RunCounts
from syncdeck.core.events import RunStatus
from syncdeck.core.state import ConnectorState, RunRecord
from syncdeck.tui import formatting as fmt
from syncdeck.tui.overview import build_overview
from syncdeck.tui.status import DisplayStatus
from syncdeck.tui.throughput import ThroughputMeter

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "—"), (0.2, "<1s"), (42.9, "42s"), (184, "3m 04s"), (7500, "2h 05m")],
)
def test_duration(seconds: float | None, text: str) -> None:
    assert fmt.duration(seconds) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-5), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=4), "4 d ago"),
        (timedelta(days=400), "2024-04-27"),
    ],
)
def test_age(delta: timedelta, text: str) -> None:
    assert fmt.age(NOW - delta, NOW) == text


def test_cursor_is_shortened_in_the_middle_and_blank_ones_are_visible() -> None:
    assert fmt.cursor("2025-06-01T12:00:00Z|offset=123456", 15) == "2025-06…=123456"
    assert fmt.cursor(None) == "—"
    assert fmt.cursor("") == "''"
    assert len(fmt.middle("x" * 100, 18)) == 18


def record(run_id: int, status: RunStatus, *, pid: int = 4242, host: str = "other") -> RunRecord:
    return RunRecord(
        run_id, "c", status, NOW, None if status is RunStatus.RUNNING else NOW, NOW, pid, host,
        None, None, "50", RunCounts(50, 50, 0, 0, 0, 1), 50, None, None,
    )  # fmt: skip


def nobody(run_id: int) -> bool:
    """No run is this app's."""
    return False


def state(*, active: RunRecord | None = None, last: RunRecord | None = None) -> ConnectorState:
    return ConnectorState("c", 50, "50", None, None, active, last)


def test_a_lease_of_another_process_is_running_elsewhere() -> None:
    other = record(9, RunStatus.RUNNING)
    overview = build_overview("c", "t", state(active=other, last=other), None, nobody)
    assert overview.status is DisplayStatus.ELSEWHERE
    assert overview.holder == "pid 4242 on other"


def test_a_lease_of_our_own_finished_run_is_not_elsewhere() -> None:
    """The poll saw our run still active just before it ended."""
    ours = record(9, RunStatus.RUNNING)
    live = LiveRun(
        "c", Phase.ENDED, run_id=9, status=RunStatus.SUCCEEDED, items_synced=80, cursor="80"
    )
    overview = build_overview("c", "t", state(active=ours, last=ours), live, {9}.__contains__)
    assert overview.status is DisplayStatus.SUCCEEDED
    assert (overview.items_synced, overview.cursor) == (80, "80")


def test_a_running_record_without_lease_holder_is_abandoned() -> None:
    stale = record(3, RunStatus.RUNNING)
    overview = build_overview("c", "t", state(last=stale), None, nobody)
    assert overview.status is DisplayStatus.ABANDONED


def test_local_runs_and_queue_win_over_the_database() -> None:
    done = record(3, RunStatus.SUCCEEDED)
    running, cancelling = LiveRun("c", Phase.RUNNING), LiveRun("c", Phase.CANCELLING)
    assert (
        build_overview("c", "t", state(last=done), running, nobody).status is DisplayStatus.RUNNING
    )
    assert (
        build_overview("c", "t", state(last=done), cancelling, nobody).status
        is DisplayStatus.CANCELLING
    )
    assert (
        build_overview("c", "t", state(last=done), LiveRun("c", Phase.QUEUED), nobody).status
        is DisplayStatus.QUEUED
    )
    assert build_overview("c", "t", None, None, nobody).status is DisplayStatus.IDLE


def test_throughput_samples_whole_seconds_and_resets_per_run() -> None:
    meter = ThroughputMeter()
    meter.sample(1, 0, 0.0, running=True)
    meter.sample(1, 500, 0.5, running=True)
    assert meter.current is None
    meter.sample(1, 2000, 1.0, running=True)
    assert meter.current == 2000.0
    meter.sample(2, 0, 2.0, running=True)
    assert meter.current is None and not meter.samples
