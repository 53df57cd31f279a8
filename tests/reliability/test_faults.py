"""Faults in the connector, the store and the state DB: a clear error, nothing committed
lost, and the next run completes."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

from syncdeck import (
    DatabaseLockedError,
    IngestionPipeline,
    KnowledgeStore,
    RunStatus,
    StoreWriteError,
    SyncEngine,
)

from .conftest import Scripted, fail_at, source_docs


def test_connector_raising_at_random_points(locations: tuple[str, str]) -> None:
    rng = random.Random(7)
    docs = source_docs("rnd", 2_000)
    marks = set(rng.sample(range(1, 2_000), 120))
    with (
        KnowledgeStore(locations[0]) as store,
        SyncEngine(IngestionPipeline(store), state_db=locations[1], batch_size=64) as engine,
    ):
        failures = sorted(rng.sample(range(2_000), 8))
        for point in failures:
            before = store.count()
            with pytest.raises(ConnectionError, match=f"at {point}"):
                engine.sync(Scripted("rnd", docs, marks, fail_at(point)))
            assert store.count() >= before  # nothing committed is ever lost
            assert store.count() == max(point, before)  # everything yielded before is stored
            cp = engine.get_checkpoint("rnd")
            assert cp["error"] == f"ConnectionError: injected failure at {point}"
            assert cp["items_synced"] == store.count()  # the connector's stored documents
        engine.sync(Scripted("rnd", docs, marks))
        cp = engine.get_checkpoint("rnd")
        assert (cp["items_synced"], cp["error"]) == (2_000, None)
        assert store.count() == 2_000


def test_store_full_mid_batch(tmp_path: Path) -> None:
    """A size limit on the store makes SQLite fail a batch for real ("database or disk is
    full"): the batch rolls back, the cursor stays with what was committed."""
    docs = source_docs("big", 3_000, size=400)
    marks = set(range(10, 3_001, 10))
    state = tmp_path / "s.db"
    with KnowledgeStore(tmp_path / "k.db", max_bytes=400_000) as small:
        engine = SyncEngine(IngestionPipeline(small), state_db=state, batch_size=50)
        with pytest.raises(StoreWriteError) as info:
            engine.sync(Scripted("big", docs, marks))
        assert "disk is full or its size limit is reached" in str(info.value)
        assert str(tmp_path / "k.db") in str(info.value)
        stored = small.count()
        cp = engine.get_checkpoint("big")
        assert 0 < cp["items_synced"] <= stored < 3_000
        assert cp["items_synced"] == int(cp["cursor"])
        assert "size limit" in cp["error"]
        assert engine.runs("big")[0].status is RunStatus.FAILED
        engine.close()
    with KnowledgeStore(tmp_path / "k.db") as roomy:
        assert roomy.count() == stored
        with SyncEngine(IngestionPipeline(roomy), state_db=state, batch_size=50) as engine:
            engine.sync(Scripted("big", docs, marks))
            assert engine.get_checkpoint("big")["items_synced"] == 3_000
        assert roomy.count() == 3_000
        roomy.check_index()


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def test_state_db_failing_on_commit(tmp_path: Path) -> None:
    """Another process takes the state DB's write lock mid-run: the commit fails with a
    clear error, the stored documents stay, and the next run completes exactly."""
    docs = source_docs("st", 1_000)
    marks = set(range(25, 1_001, 25))
    state = tmp_path / "s.db"
    locker: list[subprocess.Popen[str]] = []

    def take_lock(i: int) -> None:
        if i == 430 and not locker:
            proc = subprocess.Popen(
                [sys.executable, "-c", LOCKER, str(state)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
            locker.append(proc)

    with (
        KnowledgeStore(tmp_path / "k.db") as store,
        SyncEngine(
            IngestionPipeline(store), state_db=state, batch_size=100, lock_timeout=0.3
        ) as engine,
    ):
        try:
            with pytest.raises(DatabaseLockedError) as info:
                engine.sync(Scripted("st", docs, marks, take_lock))
            assert str(state) in str(info.value)
        finally:
            for proc in locker:
                proc.communicate("\n", timeout=10)
        cp = engine.get_checkpoint("st")
        assert cp["items_synced"] == int(cp["cursor"]) == 400
        assert store.count() >= 400
        engine.sync(Scripted("st", docs, marks))
        cp = engine.get_checkpoint("st")
        assert (cp["items_synced"], cp["cursor"]) == (1_000, "1000")
        assert store.count() == 1_000
        statuses = [r.status for r in engine.runs("st")]
        assert statuses[0] is RunStatus.SUCCEEDED
        assert RunStatus.RUNNING not in statuses
