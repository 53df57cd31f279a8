"""A connector the PostgreSQL CLI test loads by file path: mail and notes by several
authors, an hour apart, so every search filter has something to narrow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document

T0 = datetime(2024, 3, 1, tzinfo=UTC)
AUTHORS = ("Ada Moreau", "Bilal Chen", "ada lovelace")


class Desk(BaseConnector):
    """Twelve documents about budgets, alternately mail and notes."""

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        for i in range(12):
            yield Document(
                doc_id=f"d{i:02d}",
                source=self.connector_id,
                doc_type="message" if i % 2 else "note",
                title=f"Budget {i}",
                content=f"the budget [draft] number {i}",
                author=AUTHORS[i % 3],
                timestamp=T0 + timedelta(hours=i),
            )
        yield Checkpoint("12")
