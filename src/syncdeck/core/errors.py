"""Every error syncdeck raises on purpose derives from SyncdeckError, so callers can
tell a problem syncdeck diagnosed (with a message fit for an operator) from a bug."""

from __future__ import annotations


class SyncdeckError(Exception):
    """Base class: the message is written for the person running syncdeck."""


class DatabaseError(SyncdeckError):
    """A database syncdeck needs cannot be used; the message names it (a SQLite file, or a
    PostgreSQL server as ``host:port/db``) and the remedy."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class DatabaseCorruptError(DatabaseError):
    """The file exists but is not a usable SQLite database; syncdeck never overwrites it."""


class DatabaseLockedError(DatabaseError):
    """Another process held a lock on the file for longer than the timeout."""


class DatabaseReadOnlyError(DatabaseError):
    """The file or its folder cannot be written."""


class DatabaseUnavailableError(DatabaseError):
    """The database server cannot be reached (down, restarting, refusing); names the server
    as ``host:port/db``, never the password."""


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


class DeletionsHeld(SyncdeckError):
    """The deletion guard stopped a sweep: the run would have deleted more of a connector's
    documents than its ``delete_limit`` allows, or all of them. Nothing was deleted."""

    def __init__(self, connector_id: str, would_delete: int, stored: int, limit: float) -> None:
        share = would_delete / stored if stored else 1.0
        if would_delete >= stored:
            why = (
                f"the source listed none of the {stored:,} stored documents of "
                f"{connector_id!r}, so this run would delete them all"
            )
        else:
            why = (
                f"this run would delete {would_delete:,} of the {stored:,} documents of "
                f"{connector_id!r} ({share:.0%}, over its delete_limit of {limit:.0%})"
            )
        super().__init__(
            f"deletion guard: {why}; nothing was deleted. If the source really lost them, "
            f"apply the deletions with `syncdeck sync {connector_id} --apply-deletes`; if it "
            "is empty by mistake (an unmounted share, a wrong path), fix it and sync again"
        )
        self.connector_id = connector_id
        self.would_delete = would_delete
        self.stored = stored
        self.limit = limit
