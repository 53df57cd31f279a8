"""Run as a script: a sync in another process on the same data folder, as
``syncdeck sync`` from a terminal would. Holds mid-run until a file appears."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from syncdeck import (
    BaseConnector,
    Checkpoint,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    SyncEngine,
)
from syncdeck.app.paths import STATE_DB_NAME, STORE_DB_NAME


class Waiting(BaseConnector):
    connector_id = "shared"

    def __init__(self, started: Path, release: Path) -> None:
        self.started = started
        self.release = release

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        for n in range(1, 41):
            if n == 21:
                self.started.touch()
                deadline = time.monotonic() + 30
                while not self.release.exists() and time.monotonic() < deadline:
                    time.sleep(0.02)
            yield Document(f"d{n}", "shared", "note", f"text {n}")
            if n % 10 == 0:
                yield Checkpoint(str(n))


def main(data: str, started: str, release: str) -> None:
    folder = Path(data)
    with KnowledgeStore(folder / STORE_DB_NAME) as store:
        engine = SyncEngine(
            IngestionPipeline(store), state_db=folder / STATE_DB_NAME, batch_size=10
        )
        with engine:
            engine.sync(Waiting(Path(started), Path(release)))


if __name__ == "__main__":
    main(*sys.argv[1:4])
