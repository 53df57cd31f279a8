"""The state database: checkpoints, runs with their leases, checkpoint-change history and
quarantined documents. One module per concept: ``schema`` (tables and migrations),
``records`` (what is read back), ``leases``, ``checkpoints`` (and undo), ``runs`` (and
history); ``store`` holds the connection that ties them together."""

from __future__ import annotations

from syncdeck.core.state.leases import HOST, pid_alive
from syncdeck.core.state.records import (
    EMPTY,
    CheckpointChange,
    CheckpointRow,
    ConnectorState,
    QuarantineEntry,
    RejectedRecord,
    RunRecord,
)
from syncdeck.core.state.store import StateStore

__all__ = [
    "EMPTY",
    "HOST",
    "CheckpointChange",
    "CheckpointRow",
    "ConnectorState",
    "QuarantineEntry",
    "RejectedRecord",
    "RunRecord",
    "StateStore",
    "pid_alive",
]
