"""syncdeck: connector syncs that resume where they stopped, watched live in a terminal.

The public names are loaded on first use so that ``import syncdeck`` (and the CLI) stay
fast; see ``__all__``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Document": "syncdeck.core.documents",
    "Checkpoint": "syncdeck.core.documents",
    "Deleted": "syncdeck.core.documents",
    "Unchanged": "syncdeck.core.documents",
    "ListingComplete": "syncdeck.core.documents",
    "Progress": "syncdeck.core.documents",
    "StoredDocuments": "syncdeck.core.connector",
    "RunCounts": "syncdeck.core.counters",
    "BaseConnector": "syncdeck.core.connector",
    "KnowledgeStore": "syncdeck.core.store",
    "SearchHit": "syncdeck.core.store",
    "IngestionPipeline": "syncdeck.core.pipeline",
    "IngestResult": "syncdeck.core.pipeline",
    "Rejection": "syncdeck.core.pipeline",
    "SyncEngine": "syncdeck.core.engine",
    "RunRecord": "syncdeck.core.state",
    "RejectedRecord": "syncdeck.core.state",
    "ConnectorState": "syncdeck.core.state",
    "RunStatus": "syncdeck.core.events",
    "RunStarted": "syncdeck.core.events",
    "BatchCommitted": "syncdeck.core.events",
    "DocumentRejected": "syncdeck.core.events",
    "RunFinished": "syncdeck.core.events",
    "RunProgress": "syncdeck.core.events",
    "SyncdeckError": "syncdeck.core.errors",
    "DeletionsHeld": "syncdeck.core.errors",
    "DatabaseError": "syncdeck.core.errors",
    "DatabaseCorruptError": "syncdeck.core.errors",
    "DatabaseLockedError": "syncdeck.core.errors",
    "DatabaseReadOnlyError": "syncdeck.core.errors",
    "DatabaseVersionError": "syncdeck.core.errors",
    "DatabaseUnavailableError": "syncdeck.core.errors",
    "StoreWriteError": "syncdeck.core.errors",
    "StateWriteError": "syncdeck.core.errors",
    "SyncAlreadyRunning": "syncdeck.core.errors",
    "UnknownConnectorError": "syncdeck.core.errors",
    "NothingToUndo": "syncdeck.core.errors",
    "ConfigError": "syncdeck.core.errors",
    "ConnectorLoadError": "syncdeck.core.errors",
}

__all__ = [
    "BaseConnector",
    "BatchCommitted",
    "Checkpoint",
    "ConfigError",
    "ConnectorLoadError",
    "ConnectorState",
    "DatabaseCorruptError",
    "DatabaseError",
    "DatabaseLockedError",
    "DatabaseReadOnlyError",
    "DatabaseUnavailableError",
    "DatabaseVersionError",
    "Deleted",
    "DeletionsHeld",
    "Document",
    "DocumentRejected",
    "IngestResult",
    "IngestionPipeline",
    "KnowledgeStore",
    "ListingComplete",
    "NothingToUndo",
    "Progress",
    "RejectedRecord",
    "Rejection",
    "RunCounts",
    "RunFinished",
    "RunProgress",
    "RunRecord",
    "RunStarted",
    "RunStatus",
    "SearchHit",
    "StateWriteError",
    "StoreWriteError",
    "StoredDocuments",
    "SyncAlreadyRunning",
    "SyncEngine",
    "SyncdeckError",
    "Unchanged",
    "UnknownConnectorError",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'syncdeck' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from syncdeck.core.connector import BaseConnector, StoredDocuments
    from syncdeck.core.counters import RunCounts
    from syncdeck.core.documents import (
        Checkpoint,
        Deleted,
        Document,
        ListingComplete,
        Progress,
        Unchanged,
    )
    from syncdeck.core.engine import SyncEngine
    from syncdeck.core.errors import (
        ConfigError,
        ConnectorLoadError,
        DatabaseCorruptError,
        DatabaseError,
        DatabaseLockedError,
        DatabaseReadOnlyError,
        DatabaseUnavailableError,
        DatabaseVersionError,
        DeletionsHeld,
        NothingToUndo,
        StateWriteError,
        StoreWriteError,
        SyncAlreadyRunning,
        SyncdeckError,
        UnknownConnectorError,
    )
    from syncdeck.core.events import (
        BatchCommitted,
        DocumentRejected,
        RunFinished,
        RunProgress,
        RunStarted,
        RunStatus,
    )
    from syncdeck.core.pipeline import IngestionPipeline, IngestResult, Rejection
    from syncdeck.core.state import ConnectorState, RejectedRecord, RunRecord
    from syncdeck.core.store import KnowledgeStore, SearchHit
