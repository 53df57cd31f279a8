"""Connectors and fixtures for the core tests: small, deterministic, real databases. The
``store`` and ``engine`` fixtures run each contract test on both backends (SQLite files and
a PostgreSQL database, see tests/conftest.py); ``sqlite_store`` is for SQLite's own tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syncdeck import (
    BaseConnector,
    Checkpoint,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    SyncEngine,
)

BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def make_doc(source: str, i: int, *, text: str | None = None) -> Document:
    return Document(
        doc_id=f"doc-{i:06d}",
        source=source,
        doc_type="note",
        content=text if text is not None else f"body of document {i} word{i}",
        title=f"Document {i}",
        timestamp=BASE_TIME + timedelta(minutes=i),
    )


class CountingConnector(BaseConnector):
    """Yields documents 0..total-1 resuming from ``cursor`` (the next index), with a
    checkpoint every ``every`` documents; can fail at one index, or wait on events."""

    display_name = "Counting"

    def __init__(
        self,
        connector_id: str = "counting",
        *,
        total: int = 250,
        every: int = 10,
        fail_at: int | None = None,
        texts: dict[int, str] | None = None,
        gate: threading.Event | None = None,
        gate_at: int | None = None,
        reached: threading.Event | None = None,
    ) -> None:
        self.connector_id = connector_id
        self.total = total
        self.every = every
        self.fail_at = fail_at
        self.texts = texts or {}
        self.gate = gate
        self.gate_at = gate_at
        self.reached = reached
        self.calls: list[tuple[datetime | None, str | None]] = []

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        self.calls.append((since, cursor))
        start = int(cursor) if cursor else 0
        for i in range(start, self.total):
            if i == self.fail_at:
                raise RuntimeError(f"source broke at {i}")
            if i == self.gate_at and self.gate is not None:
                if self.reached is not None:
                    self.reached.set()
                self.gate.wait(10)
            yield make_doc(self.connector_id, i, text=self.texts.get(i))
            if (i + 1) % self.every == 0:
                yield Checkpoint(str(i + 1))
        yield Checkpoint(str(self.total))


@pytest.fixture
def store(locations: tuple[str, str]) -> Iterator[KnowledgeStore]:
    with KnowledgeStore(locations[0]) as s:
        yield s


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[KnowledgeStore]:
    with KnowledgeStore(tmp_path / "knowledge.db") as s:
        yield s


@pytest.fixture
def engine(locations: tuple[str, str], store: KnowledgeStore) -> Iterator[SyncEngine]:
    with SyncEngine(IngestionPipeline(store), state_db=locations[1]) as e:
        yield e
