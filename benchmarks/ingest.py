"""Target 1: the pipeline against raw executemany into the same schema (the limit)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from common import Row, corpus, interleaved, median, rate, timed

from syncdeck import Document, IngestionPipeline, KnowledgeStore
from syncdeck.core.database import split_script
from syncdeck.core.store import INSERT_ROW, SCHEMA


def raw_rows(docs: list[Document]) -> list[tuple[object, ...]]:
    """The minimal work to turn documents into the store's rows, hashes included."""
    rows = []
    for d in docs:
        ts = d.timestamp.isoformat()
        participants = json.dumps(d.participants)
        metadata = json.dumps(d.metadata)
        payload = "\x1f".join(
            (d.source, d.doc_id, d.doc_type, d.title, d.content, d.author, participants, ts,
             d.thread_id or "", d.url or "", metadata)
        )  # fmt: skip
        digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
        rows.append(
            (d.source, d.doc_id, d.doc_type, d.title, d.content, d.author, participants, ts,
             d.thread_id, d.url, metadata, digest, d.version, d.source)
        )  # fmt: skip
    return rows


def raw_arm(docs: list[Document], batch: int | None = None):  # type: ignore[no-untyped-def]
    """One transaction (the limit), or a durable commit every ``batch`` rows: what the
    pipeline's per-batch durability costs in SQLite alone."""
    size = batch or len(docs)

    def arm(folder: Path) -> float:
        conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        for statement in split_script(SCHEMA):
            conn.execute(statement)

        def load() -> None:
            for start in range(0, len(docs), size):
                conn.execute("BEGIN")
                conn.executemany(INSERT_ROW, raw_rows(docs[start : start + size]))
                conn.execute("COMMIT")

        seconds = timed(load)
        conn.close()
        return seconds

    return arm


def pipeline_arm(docs: list[Document], batch: int):  # type: ignore[no-untyped-def]
    def arm(folder: Path) -> float:
        store = KnowledgeStore(folder / "k.db")
        pipeline = IngestionPipeline(store)

        def load() -> None:
            for start in range(0, len(docs), batch):
                pipeline.ingest_batch(docs[start : start + batch])

        seconds = timed(load)
        store.close()
        return seconds

    return arm


def run(scale: float, reps: int) -> list[Row]:
    n = max(1000, int(100_000 * scale))
    docs = corpus(n)
    times = interleaved(
        {
            "raw": raw_arm(docs),
            "raw-100": raw_arm(docs, 100),
            "pipeline-100": pipeline_arm(docs, 100),
            "pipeline-1000": pipeline_arm(docs, 1000),
        },
        max(reps, 7),
    )
    raw = median(times["raw"])
    rows = []
    for batch, target in ((100, 0.85), (1000, 0.95)):
        seconds = median(times[f"pipeline-{batch}"])
        ratio = raw / seconds
        rows.append(
            Row(
                f"ingest {n:,} x 1 KB, batch {batch}",
                rate(n, seconds),
                f"raw executemany {rate(n, raw)}",
                ratio,
                f">= {target:.2f} of raw",
                ratio >= target,
            )
        )
    raw_100 = median(times["raw-100"])
    pipeline_100 = median(times["pipeline-100"])
    rows.append(
        Row(
            f"ingest {n:,} x 1 KB, batch 100, vs raw at the same batch size",
            rate(n, pipeline_100),
            f"raw, a commit per 100: {rate(n, raw_100)}",
            raw_100 / pipeline_100,
            "(explains the gap: no target)",
            None,
        )
    )
    return rows
