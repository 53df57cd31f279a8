"""Small connectors the CLI tests load by file path (``/abs/cli_connectors.py:Class``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document

T0 = datetime(2024, 3, 1, tzinfo=UTC)


class Counter(BaseConnector):
    """Numbered notes with a checkpoint every five.

    Parameters:
        count: how many documents in all
        fail_at: raise before this document while the file ``fail_flag`` exists
        fail_flag: path of the file that arms ``fail_at``
        api_token: a credential that must never be printed
    """

    def __init__(
        self, count: int = 12, fail_at: int = -1, fail_flag: str = "", api_token: str = ""
    ) -> None:
        self.count, self.fail_at, self.fail_flag = count, fail_at, fail_flag
        self.api_token = api_token

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        for i in range(int(cursor or 0), self.count):
            if i == self.fail_at and self.fail_flag and Path(self.fail_flag).exists():
                raise ConnectionError(f"server hung up at {i} (token {self.api_token})")
            yield Document(
                doc_id=f"n{i}",
                source=self.connector_id,
                doc_type="note",
                title=f"Note {i}",
                content=f"note number {i} about zebras" if i % 2 else f"note number {i}",
                timestamp=T0 + timedelta(hours=i),
            )
            if i % 5 == 4 or i == self.count - 1:
                yield Checkpoint(str(i + 1))


class Endless(BaseConnector):
    """Yields documents until cancelled; writes ``marker`` once a checkpoint is out.

    Parameters:
        marker: file created after the first checkpoint
        delay: seconds between documents
    """

    def __init__(self, marker: str, delay: float = 0.005) -> None:
        self.marker, self.delay = Path(marker), delay

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        i = int(cursor or 0)
        while True:
            yield Document(
                doc_id=f"e{i}", source=self.connector_id, doc_type="note", content=f"e {i}"
            )
            i += 1
            if i % 10 == 0:
                yield Checkpoint(str(i))
                if i >= 30 and not self.marker.exists():
                    self.marker.write_text("started")
            time.sleep(self.delay)


class Sloppy(BaseConnector):
    """Some documents a sync rejects, and a duplicate id."""

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        yield Document(doc_id="ok-1", source="sloppy", doc_type="note", content="fine")
        yield Document(doc_id="", source="sloppy", doc_type="note", content="no id")
        yield Document(doc_id="ok-1", source="sloppy", doc_type="note", content="again")
        yield Document(doc_id="bad-2", source="sloppy", doc_type="note", content=b"bytes")  # type: ignore[arg-type]


class Stuck(BaseConnector):
    """One document and a checkpoint, then blocks (like a hung network call).

    Parameters:
        marker: file created once the checkpoint is out
    """

    def __init__(self, marker: str) -> None:
        self.marker = Path(marker)

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        yield Document(doc_id="s1", source=self.connector_id, doc_type="note", content="one")
        yield Checkpoint("1")
        self.marker.write_text("blocked")
        time.sleep(3600)
        yield Checkpoint("2")  # pragma: no cover - never reached
