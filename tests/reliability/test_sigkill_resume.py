"""SIGKILL of a syncing process at 20 seeded random moments, each followed by a resume."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import Backend

from syncdeck import IngestionPipeline, KnowledgeStore, RunStatus, SyncEngine
from syncdeck.core.backend import is_database_url

WORKER = Path(__file__).parents[1] / "core" / "sync_worker.py"
TOTAL = 20_000


def _query(location: str, sql: str) -> list[tuple[object, ...]]:
    """Read a database behind the engine's back (a SQLite file, or PostgreSQL)."""
    if is_database_url(location):
        import psycopg

        try:
            with psycopg.connect(location) as conn:
                return conn.execute(sql).fetchall()
        except psycopg.errors.UndefinedTable:
            return []
    if not Path(location).exists():
        return []
    conn = sqlite3.connect(f"file:{location}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def checkpoint(state: str) -> tuple[int, str | None]:
    rows = _query(
        state, "SELECT items_synced, cursor FROM sync_state WHERE connector_id='numbered'"
    )
    return (int(rows[0][0]), rows[0][1]) if rows else (0, None)  # type: ignore[call-overload]


def stored_ids(store: str) -> list[str]:
    return [str(r[0]) for r in _query(store, "SELECT doc_id FROM documents ORDER BY doc_id")]


def test_twenty_kills_then_resume_is_exact(backend: Backend) -> None:
    store, state = backend.fresh()
    rng = random.Random(0x5EED)
    moments = sorted(rng.sample(range(200, TOTAL - 200), 20))
    kills = 0
    for moment in moments:
        proc = subprocess.Popen(
            [sys.executable, str(WORKER), str(store), str(state), "--total", str(TOTAL)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while checkpoint(state)[0] < moment and proc.poll() is None:
            assert time.monotonic() < deadline, "the sync made no progress"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.02))  # land anywhere in the next batches
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(30)
        # After every kill: the cursor covers only stored documents, and items_synced is
        # the store's count at the last state commit (the store may be ahead of it).
        items, cursor = checkpoint(state)
        ids = stored_ids(store)
        assert int(cursor or 0) <= items <= len(ids)
        assert len(ids) == len(set(ids))
        assert set(ids) >= {f"n{i:07d}" for i in range(items)}
    assert kills >= 15  # most moments landed mid-sync
    if backend.is_postgres:  # one transaction per batch: the state is never behind
        assert checkpoint(state)[0] == len(stored_ids(store))
    final = subprocess.run(
        [sys.executable, str(WORKER), str(store), str(state), "--total", str(TOTAL)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert final.returncode == 0, final.stderr
    ids = stored_ids(store)
    assert ids == [f"n{i:07d}" for i in range(TOTAL)]
    with (
        KnowledgeStore(store) as ks,
        SyncEngine(IngestionPipeline(ks), state_db=state) as engine,
    ):
        ks.check_index()
        assert engine.get_checkpoint("numbered") == {
            **engine.get_checkpoint("numbered"),
            "items_synced": TOTAL,
            "cursor": str(TOTAL),
            "error": None,
        }
        runs = engine.runs("numbered", limit=100)
        assert runs[0].status is RunStatus.SUCCEEDED
        # a kill during start-up, before the run row exists, leaves no run to abandon
        assert 0 < sum(r.status is RunStatus.ABANDONED for r in runs) <= kills
        assert all(r.status is not RunStatus.RUNNING for r in runs)


def test_kills_during_a_deleting_run_then_resume_mirror_the_source(backend: Backend) -> None:
    """The same, over a listed source that deletes, renames and rewrites from one
    generation to the next: a kill at any moment (listing, writes, the sweep) loses
    nothing the source still has, and the run that completes leaves the store equal to the
    source (no ghost of a deleted or renamed item)."""
    sys.path.insert(0, str(WORKER.parent))
    try:
        from sync_worker import generation_items
    finally:
        sys.path.pop(0)
    total = 8_000
    store, state = backend.fresh()
    worker = [sys.executable, str(WORKER), str(store), str(state), "--total", str(total)]
    first = subprocess.run([*worker, "--generation", "0"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    rng = random.Random(0xDE1E7E)
    kills = 0
    for round_ in range(12):
        target = 1 + round_ % 3  # generations 1, 2, 3 in turn: every run has work to do
        wanted = set(generation_items(total, target))
        before = set(stored_ids(store))
        proc = subprocess.Popen(
            [*worker, "--generation", str(target)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(rng.uniform(0.12, 0.55))  # start-up, listing, writes or the sweep
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(30)
        ids = stored_ids(store)
        assert len(ids) == len(set(ids))
        assert set(ids) <= before | wanted  # nothing that never existed
        assert set(ids) >= before & wanted  # nothing the source still has is lost
    assert kills >= 6
    final = subprocess.run([*worker, "--generation", "2"], capture_output=True, text=True)
    assert final.returncode == 0, final.stderr
    new = generation_items(total, 2)
    assert stored_ids(store) == sorted(new)
    with (
        KnowledgeStore(store) as ks,
        SyncEngine(IngestionPipeline(ks), state_db=state) as engine,
    ):
        ks.check_index()
        assert {d: ks.get("numbered", d)["content"] for d in ks.ids("numbered")} == {
            d: content for d, (content, _) in new.items()
        }
        assert engine.get_checkpoint("numbered")["items_synced"] == len(new)
        assert all(r.status is not RunStatus.RUNNING for r in engine.runs("numbered", 100))
