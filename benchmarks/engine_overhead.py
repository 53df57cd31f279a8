"""Target 2: SyncEngine against a bare loop feeding the same pipeline, and against the
original engine's algorithm (a state row replaced and committed per batch)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from common import ListConnector, Row, corpus, interleaved, median, rate, timed

from syncdeck import Checkpoint, Document, IngestionPipeline, KnowledgeStore, SyncEngine


def batches(docs: list[Document], size: int = 100):  # type: ignore[no-untyped-def]
    batch: list[Document] = []
    for item in ListConnector(docs).sync(since=None, cursor=None):
        if isinstance(item, Checkpoint):
            continue
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def engine_arm(docs: list[Document]):  # type: ignore[no-untyped-def]
    def arm(folder: Path) -> float:
        store = KnowledgeStore(folder / "k.db")
        engine = SyncEngine(IngestionPipeline(store), state_db=folder / "s.db", batch_size=100)
        seconds = timed(lambda: engine.sync(ListConnector(docs)))
        engine.close()
        store.close()
        return seconds

    return arm


def bare_arm(docs: list[Document]):  # type: ignore[no-untyped-def]
    def arm(folder: Path) -> float:
        store = KnowledgeStore(folder / "k.db")
        pipeline = IngestionPipeline(store)

        def loop() -> None:
            for batch in batches(docs):
                pipeline.ingest_batch(batch)

        seconds = timed(loop)
        store.close()
        return seconds

    return arm


def seed_arm(docs: list[Document]):  # type: ignore[no-untyped-def]
    """The original algorithm: no cursor, no run history, one replace + commit a batch."""

    def arm(folder: Path) -> float:
        store = KnowledgeStore(folder / "k.db")
        pipeline = IngestionPipeline(store)
        state = sqlite3.connect(folder / "seed_state.db")
        state.execute(
            "CREATE TABLE sync_state (connector_id TEXT PRIMARY KEY, items_synced INTEGER, "
            "cursor TEXT, last_sync TEXT, error TEXT)"
        )
        state.commit()

        def loop() -> None:
            total = 0
            for batch in batches(docs):
                total += pipeline.ingest(batch)
                state.execute(
                    "INSERT OR REPLACE INTO sync_state VALUES (?, ?, NULL, ?, NULL)",
                    ("bench", total, datetime.now(UTC).isoformat()),
                )
                state.commit()

        seconds = timed(loop)
        state.close()
        store.close()
        return seconds

    return arm


def run(scale: float, reps: int) -> list[Row]:
    n = max(2000, int(200_000 * scale))
    docs = corpus(n)
    times = interleaved(
        {"engine": engine_arm(docs), "bare": bare_arm(docs), "seed": seed_arm(docs)},
        reps,
    )
    engine, bare, seed = (median(times[k]) for k in ("engine", "bare", "seed"))
    return [
        Row(
            f"engine overhead, {n:,} docs, batch 100",
            rate(n, engine),
            f"bare loop {rate(n, bare)}",
            bare / engine,
            ">= 0.95 of bare (<= 5% slower)",
            bare / engine >= 0.95,
        ),
        Row(
            f"engine vs original algorithm, {n:,} docs",
            rate(n, engine),
            f"original {rate(n, seed)}",
            seed / engine,
            ">= 1.00 (as fast or faster)",
            seed / engine >= 1.0,
        ),
    ]
