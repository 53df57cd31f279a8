"""Every error syncdeck raises on purpose derives from SyncdeckError, so callers can
tell a problem syncdeck diagnosed (with a message fit for an operator) from a bug."""

from __future__ import annotations


class SyncdeckError(Exception):
    """Base class: the message is written for the person running syncdeck."""


class DatabaseError(SyncdeckError):
    """A SQLite file syncdeck needs cannot be used; the message names it and the remedy."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class DatabaseCorruptError(DatabaseError):
    """The file exists but is not a usable SQLite database; syncdeck never overwrites it."""


class DatabaseLockedError(DatabaseError):
    """Another process held a lock on the file for longer than the timeout."""


class DatabaseReadOnlyError(DatabaseError):
    """The file or its folder cannot be written."""


class DatabaseVersionError(DatabaseError):
    """The file was written by a newer syncdeck; it is left as it is, never downgraded."""


class StoreWriteError(DatabaseError):
    """The knowledge store failed while writing a batch (disk full, I/O error...)."""


class StateWriteError(DatabaseError):
    """The state database failed while committing a checkpoint."""


class SyncAlreadyRunning(SyncdeckError):
    """A run of this connector holds the lease; names the holder so it can be found."""

    def __init__(self, connector_id: str, run_id: int, pid: int, host: str) -> None:
        super().__init__(
            f"connector {connector_id!r} is already syncing (run {run_id}, pid {pid} on {host}); "
            "wait for it to finish or cancel it"
        )
        self.connector_id = connector_id
        self.run_id = run_id
        self.pid = pid
        self.host = host


class UnknownConnectorError(SyncdeckError):
    """No checkpoint or connector by that id."""


class NothingToUndo(SyncdeckError):
    """undo_checkpoint() found no reset or cursor edit to revert."""


class ConfigError(SyncdeckError):
    """The configuration cannot be used; the message names file, table, key and expectation."""


class ConnectorLoadError(SyncdeckError):
    """A connector type could not be imported or is not a BaseConnector."""
