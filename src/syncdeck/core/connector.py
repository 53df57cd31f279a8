"""The connector contract: a class that yields documents and checkpoint markers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime

from syncdeck.core.documents import Checkpoint, Document


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

    @abstractmethod
    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        """Yield documents, with a ``Checkpoint`` after each resumable position.

        ``cursor`` is the last checkpoint the engine stored (``None`` on a first run or
        after a reset); ``since`` is the aware-UTC start of the last successful run.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, default does nothing
        """Release resources; called by the engine after every run."""

    def describe(self) -> str:
        """One line for lists: what this instance reads."""
        return self.display_name or type(self).__name__
