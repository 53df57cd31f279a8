"""The connector contract: a class that yields documents and markers, and the read-only
view of what the store already holds of it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from datetime import datetime

from syncdeck.core.documents import (
    Checkpoint,
    Deleted,
    Document,
    ListingComplete,
    Progress,
    Unchanged,
)

SyncItem = Document | Checkpoint | Deleted | Unchanged | ListingComplete | Progress


class StoredDocuments:
    """What the store holds of one connector: its document ids and the version each was
    stored with. The engine binds a live view to ``BaseConnector.stored`` for the length
    of a run; outside a run (a dry run, a test) the view is empty, so a connector that
    consults it simply reads everything.
    """

    def versions(self, doc_ids: Iterable[str]) -> dict[str, str | None]:
        """``doc_id -> stored version`` for those of ``doc_ids`` that are stored
        (``None`` for a document stored without a version)."""
        return {}

    def version(self, doc_id: str) -> str | None:
        """The stored version of one document (``None`` if it is not stored)."""
        return self.versions([doc_id]).get(doc_id)

    def ids(self) -> Iterator[str]:
        """Every stored document id of this connector."""
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and doc_id in self.versions([doc_id])


NOTHING_STORED = StoredDocuments()


class BaseConnector(ABC):
    """Subclass this and implement :meth:`sync`.

    ``connector_id`` names the checkpoint; a configured instance gets the id of its
    config table. Constructor keyword parameters are the connector's configuration:
    the registry checks config keys against them.
    """

    connector_id: str = ""
    display_name: str = ""
    # Values of secret parameters (set by the registry from the config): the engine masks
    # them in error messages and tracebacks before they reach the state DB or any listener.
    secret_values: tuple[str, ...] = ()
    # What the store holds of this connector, bound by the engine during a run.
    stored: StoredDocuments = NOTHING_STORED
    # The share of its stored documents one run may delete (None: the engine's limit);
    # set from the configuration's delete_limit.
    delete_limit: float | None = None

    @abstractmethod
    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        """Yield documents, with a ``Checkpoint`` after each resumable position.

        ``cursor`` is the last checkpoint the engine stored (``None`` on a first run or
        after a reset); ``since`` is the aware-UTC start of the last successful run.
        A connector that mirrors its source may also yield ``Deleted``, ``Unchanged`` and
        ``ListingComplete`` markers (docs/architecture.md, "The mirror contract"); one that
        knows how much there is may yield ``Progress(done, total)`` ("The run model").
        """

    def check_cursor(self, cursor: str) -> None:  # noqa: B027 - optional hook
        """Raise (with the reason, for the operator) if this connector could not resume
        from ``cursor``; called before a cursor typed by hand is saved. By default any
        cursor is accepted."""

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release resources; called by the engine after every run."""

    def describe(self) -> str:
        """One line for lists: what this instance reads."""
        return self.display_name or type(self).__name__
