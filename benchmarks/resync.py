"""Target 3: a second full sync of unchanged documents costs a hash comparison each."""

from __future__ import annotations

import tempfile
from pathlib import Path

from common import ListConnector, Row, corpus, median, rate, timed

from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine


def run(scale: float, reps: int) -> list[Row]:
    n = max(1000, int(100_000 * scale))
    docs = corpus(n)
    first: list[float] = []
    second: list[float] = []
    for _ in range(reps):
        with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
            folder = Path(tmp)
            store = KnowledgeStore(folder / "k.db")
            engine = SyncEngine(IngestionPipeline(store), state_db=folder / "s.db")
            sync = engine.sync
            first.append(timed(lambda sync=sync: sync(ListConnector(docs))))
            engine.reset_checkpoint("bench")
            second.append(timed(lambda sync=sync: sync(ListConnector(docs))))
            assert engine.runs("bench")[0].unchanged == n
            engine.close()
            store.close()
    a, b = median(first), median(second)
    return [
        Row(
            f"re-sync {n:,} unchanged docs",
            rate(n, b),
            f"first sync {rate(n, a)}",
            a / b,
            ">= 10x faster than the first",
            a / b >= 10,
        )
    ]
