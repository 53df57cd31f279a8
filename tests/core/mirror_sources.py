"""A source that lists itself fully on every run, for the mirror tests: its items can be
deleted, renamed and rewritten between runs, and it reads only what changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from syncdeck import BaseConnector, Checkpoint, Document, ListingComplete, Unchanged

BASE = datetime(2024, 1, 1, tzinfo=UTC)


class ListedSource(BaseConnector):
    """``items`` maps a doc id to ``(content, version)``. Each run yields every item in id
    order: ``Unchanged`` where the stored version matches, else the document; a checkpoint
    every ``every`` items; ``ListingComplete`` at the end. ``on_item(i)`` runs before item
    i and may raise or set a cancel event. ``reads`` counts the documents yielded."""

    lists_source = True

    def __init__(
        self,
        connector_id: str,
        items: dict[str, tuple[str, str]],
        *,
        every: int = 10,
        on_item: Callable[[int], None] | None = None,
    ) -> None:
        self.connector_id = connector_id
        self.items = items
        self.every = every
        self.on_item = on_item
        self.reads = 0

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        ids = sorted(self.items)
        known = self.stored.versions(ids)
        for n, doc_id in enumerate(ids, 1):
            if self.on_item is not None:
                self.on_item(n - 1)
            content, version = self.items[doc_id]
            if doc_id in known and known[doc_id] == version:
                yield Unchanged(doc_id)
            else:
                self.reads += 1
                yield document(self.connector_id, doc_id, content, version)
            if n % self.every == 0:
                yield Checkpoint(str(n))
        yield ListingComplete()


def document(source: str, doc_id: str, content: str, version: str | None = None) -> Document:
    return Document(
        doc_id=doc_id,
        source=source,
        doc_type="note",
        content=content,
        title=doc_id,
        timestamp=BASE,
        version=version,
    )


def items(n: int, *, prefix: str = "item") -> dict[str, tuple[str, str]]:
    """``n`` items ``prefix-00000``... with distinct contents, all at version "v1"."""
    return {f"{prefix}-{i:05d}": (f"content of {prefix} {i}", "v1") for i in range(n)}
