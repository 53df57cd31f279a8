"""A listed source for the CLI mirror tests: the items of a JSON file, listed whole on
every run, so a test can delete, rename or empty the source between two runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from syncdeck import BaseConnector, Checkpoint, Document, ListingComplete, Unchanged


class JsonItems(BaseConnector):
    """Every item of a JSON object file ``{id: text}``.

    Parameters:
        path: the JSON file
    """

    lists_source = True

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        items: dict[str, str] = json.loads(self.path.read_text())
        known = self.stored.versions(items)
        for doc_id, text in sorted(items.items()):
            if known.get(doc_id) == text:
                yield Unchanged(doc_id)
            else:
                yield Document(
                    doc_id=doc_id,
                    source=self.connector_id,
                    doc_type="note",
                    content=text,
                    timestamp=datetime(2024, 1, 1, tzinfo=UTC),
                    version=text,
                )
        yield Checkpoint(str(len(items)))
        yield ListingComplete()


class NumberCursor(BaseConnector):
    """One document, then a checkpoint whose cursor is a number: every sync fails on it."""

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[object]:
        yield Document("one", self.connector_id, "note", "text", timestamp=datetime(2024, 1, 1))
        yield Checkpoint(42)  # type: ignore[arg-type]
