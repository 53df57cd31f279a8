"""The one-word state ``syncdeck status`` shows for a connector."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from syncdeck.cli.status import state_label
from syncdeck.core.counters import RunCounts
from syncdeck.core.events import RunStatus
from syncdeck.core.state import EMPTY, CheckpointChange, ConnectorState, RunRecord

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
RUN = RunRecord(
    run_id=1, connector_id="c", status=RunStatus.SUCCEEDED, started_at=T0,
    finished_at=T0 + timedelta(seconds=5), heartbeat=T0, pid=1, host="h", since=None,
    cursor_start=None, cursor_end="9", counts=RunCounts(9, 9, 0, 0, 0, 1), items_synced=9,
    error=None, traceback=None,
)  # fmt: skip
STATE = ConnectorState("c", 9, "9", T0, None, active=None, last_run=RUN)


def change(action: str, minutes: int) -> CheckpointChange:
    return CheckpointChange(action, T0 + timedelta(minutes=minutes), True, EMPTY)


@pytest.mark.parametrize(
    ("state", "last_change", "label"),
    [
        (None, None, "never run"),
        (STATE, None, "synced"),
        (replace(STATE, active=replace(RUN, status=RunStatus.RUNNING)), None, "running"),
        (replace(STATE, error="Boom"), None, "failed"),
        (replace(STATE, last_run=replace(RUN, status=RunStatus.CANCELLED)), None, "cancelled"),
        (replace(STATE, last_run=replace(RUN, status=RunStatus.RUNNING)), None, "abandoned"),
        (STATE, change("reset", 1), "reset"),
        (STATE, change("set_cursor", 1), "cursor set"),
        (STATE, change("reset", -10), "synced"),  # a run after the reset wins
        (replace(STATE, last_run=None), None, "never run"),
    ],
)
def test_state_label(
    state: ConnectorState | None, last_change: dict[str, object] | None, label: str
) -> None:
    assert state_label(state, last_change) == label
