"""What the engine needs of a knowledge store and of a state store, whichever database
holds them: SQLite files (the embedded default) or one PostgreSQL database shared by many
hosts (docs/architecture.md, "PostgreSQL backend"). Both backends implement these
protocols; the engine, the pipeline and the front ends use nothing else.

A location is a path (SQLite) or a ``postgresql://`` URL; :func:`is_database_url` tells
them apart without importing any driver.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from syncdeck.core.connector import StoredDocuments
    from syncdeck.core.counters import RunCounts
    from syncdeck.core.events import RunStatus
    from syncdeck.core.state.records import (
        CheckpointChange,
        CheckpointRow,
        ConnectorState,
        QuarantineEntry,
        RejectedRecord,
        RunRecord,
    )
    from syncdeck.core.store import SearchHit, StoredRow, StoreIdentity

URL_SCHEMES = ("postgresql://", "postgres://")

# Called by a store with a batch's counts, the connector's ``(documents, generation)``
# after it (None when the batch changed nothing), and the open transaction when state and
# store share one database (else None).
BatchHook = Callable[["RunCounts", "tuple[int, int] | None", Any], None]


def is_database_url(location: object) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file."""
    if isinstance(location, os.PathLike):
        return False
    return isinstance(location, str) and location.lower().startswith(URL_SCHEMES)


@runtime_checkable
class DocumentStore(Protocol):
    """The knowledge store: documents by ``(source, doc_id)``, owned by connectors, with
    per-connector counts and generations and a full-text search."""

    store_id: str
    path: str  # a file path, or the server as ``host:port/db`` (never the password)

    def write(
        self,
        rows: Sequence[StoredRow],
        *,
        connector: str | None = None,
        deletions: Sequence[str] = (),
        then: BatchHook | None = None,
    ) -> RunCounts:
        """Upsert ``rows`` and delete ``deletions`` in one durable transaction. ``then``
        runs inside that transaction where the store can share it with the state store
        (PostgreSQL), else right after the durable commit (SQLite's two files)."""
        ...

    def delete(
        self, connector: str, doc_ids: Iterable[str], *, then: BatchHook | None = None
    ) -> int: ...
    def forget(self, connector: str) -> int: ...
    def delete_source(self, source: str) -> int: ...
    def documents_of(self, connector: str) -> int: ...
    def tally(self, connector: str) -> tuple[int, int]: ...
    def identity(self, connector: str) -> StoreIdentity: ...
    def versions(self, connector: str, doc_ids: Iterable[str]) -> dict[str, str | None]: ...
    def ids(self, connector: str) -> list[str]: ...
    def keys(self, connector: str) -> list[str]: ...
    def digests(self, connector: str) -> dict[tuple[str, str], str]: ...
    def view(self, connector: str) -> StoredDocuments: ...
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        source: str | None = None,
        doc_type: str | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SearchHit]:
        """Ranked hits narrowed by source, document type, a case-insensitive part of the
        author and a time range (``since`` included, ``until`` excluded, any time zone);
        snippets mark matches in ``SearchHit.parts``."""
        ...

    def recent(
        self,
        *,
        limit: int = 10,
        source: str | None = None,
        doc_type: str | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[SearchHit]:
        """The newest documents by timestamp within the filters of :meth:`search`."""
        ...

    def doc_types(self, source: str | None = None) -> dict[str, int]:
        """Document types and how many of each, most first."""
        ...

    def get(self, source: str, doc_id: str) -> dict[str, Any] | None:
        """One document as a dict of its fields plus ``connector`` and ``ingested_at``."""
        ...

    def export(self, connector: str, *, page: int = 500) -> Iterator[dict[str, Any]]:
        """Every document of ``connector`` as :meth:`get` gives it, oldest stored first,
        read a page at a time."""
        ...

    def count(self, source: str | None = None) -> int: ...
    def sources(self) -> dict[str, int]: ...
    def check_index(self) -> None: ...
    def close(self) -> None: ...


class StateChanges(Protocol):
    """A subscription to "the state database changed": SQLite polls its change counter,
    PostgreSQL listens on the channel every state commit notifies."""

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; True if the state (may have) changed."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class StateBackend(Protocol):
    """The state database: checkpoints, runs with their leases, history and quarantine."""

    path: str

    @property
    def closed(self) -> bool: ...
    def close(self) -> None: ...
    def joins(self, store: object) -> bool:
        """Whether this state lives in ``store``'s database, so a batch and its checkpoint
        can commit in one transaction."""
        ...

    def changes(self) -> StateChanges: ...
    def get_checkpoint(self, connector_id: str) -> CheckpointRow: ...
    def find_checkpoint(self, connector_id: str) -> CheckpointRow | None: ...
    def release_lease(self, connector_id: str) -> RunRecord | None: ...
    def reset(self, connector_id: str) -> None: ...
    def set_cursor(self, connector_id: str, cursor: str | None) -> None: ...
    def undo(self, connector_id: str) -> CheckpointRow: ...
    def history(self, connector_id: str, limit: int = 20) -> list[CheckpointChange]: ...
    def forget(self, connector_id: str) -> None: ...
    def refuse_if_running(self, connector_id: str) -> None: ...
    def begin_run(
        self,
        connector_id: str,
        *,
        lease_timeout: float,
        store: StoreIdentity | None = None,
        documents: int = 0,
    ) -> tuple[int, datetime, CheckpointRow, str | None]: ...
    def commit_batch(
        self,
        connector_id: str,
        run_id: int,
        *,
        cursor: str | None,
        move_cursor: bool,
        items_synced: int,
        generation: int | None,
        progress: RunCounts,
        quarantine: list[QuarantineEntry],
        within: Any = None,
    ) -> None: ...
    def heartbeat(self, run_id: int, documents: int) -> None: ...
    def finish_run(
        self,
        connector_id: str,
        run_id: int,
        *,
        status: RunStatus,
        since: datetime | None,
        error: str | None,
        traceback: str | None,
        deletes_held: int = 0,
    ) -> None: ...
    def release(self, run_id: int) -> None: ...
    def runs(self, connector_id: str, limit: int = 20) -> list[RunRecord]: ...
    def run(self, run_id: int) -> RunRecord: ...
    def rejected(self, connector_id: str, limit: int = 100) -> list[RejectedRecord]: ...
    def states(self, lease_timeout: float | None = None) -> dict[str, ConnectorState]: ...


def open_state(location: str | os.PathLike[str], *, lock_timeout: float = 5.0) -> StateBackend:
    """The state store at ``location``: a SQLite file, or a PostgreSQL URL."""
    if is_database_url(location):
        from syncdeck.core.postgres.state import PostgresStateStore

        return PostgresStateStore(str(location), lock_timeout=lock_timeout)
    from syncdeck.core.state import StateStore

    return StateStore(location, lock_timeout=lock_timeout)
