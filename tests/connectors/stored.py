"""A stand-in for the engine's view of the store, for connector tests without an engine."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from syncdeck.core.connector import StoredDocuments
from syncdeck.core.documents import Deleted, Document


class FakeStored(StoredDocuments):
    """What a store would hold after applying ``items`` (documents and deletions)."""

    def __init__(self, items: Iterable[object] = ()) -> None:
        self.held: dict[str, str | None] = {}
        self.apply(items)

    def apply(self, items: Iterable[object]) -> None:
        for item in items:
            if isinstance(item, Document):
                self.held[item.doc_id] = item.version
            elif isinstance(item, Deleted):
                self.held.pop(item.doc_id, None)

    def versions(self, doc_ids: Iterable[str]) -> dict[str, str | None]:
        return {i: self.held[i] for i in doc_ids if i in self.held}

    def ids(self) -> Iterator[str]:
        return iter(list(self.held))

    def __len__(self) -> int:
        return len(self.held)
