"""Scripted sources for the fault tests: a list of documents, checkpoints where asked."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from syncdeck import BaseConnector, Checkpoint, Document

BASE = datetime(2024, 1, 1, tzinfo=UTC)


def source_docs(source: str, n: int, *, size: int = 40) -> list[Document]:
    return [
        Document(
            doc_id=f"{source}-{i:05d}",
            source=source,
            doc_type="note",
            content=f"entry {i} " + "x" * size,
            timestamp=BASE + timedelta(seconds=i),
        )
        for i in range(n)
    ]


class Scripted(BaseConnector):
    """Yields ``docs`` from the index in the cursor; a checkpoint after each index in
    ``marks`` (cursor = that index). ``on_item(i)`` runs before document i is yielded and
    may raise or set a cancel event."""

    def __init__(
        self,
        connector_id: str,
        docs: list[Document],
        marks: set[int],
        on_item: Callable[[int], None] | None = None,
    ) -> None:
        self.connector_id = connector_id
        self.docs = docs
        self.marks = marks
        self.on_item = on_item

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        start = int(cursor) if cursor else 0
        for i in range(start, len(self.docs)):
            if self.on_item is not None:
                self.on_item(i)
            yield self.docs[i]
            if i + 1 in self.marks:
                yield Checkpoint(str(i + 1))


def fail_at(index: int, message: str = "injected failure") -> Callable[[int], None]:
    def hook(i: int) -> None:
        if i == index:
            raise ConnectionError(f"{message} at {i}")

    return hook


def cancel_at(index: int, event: threading.Event) -> Callable[[int], None]:
    def hook(i: int) -> None:
        if i == index:
            event.set()

    return hook
