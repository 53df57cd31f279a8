"""Several processes on one state DB: leases, SIGKILL mid-sync, and resume."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syncdeck import IngestionPipeline, KnowledgeStore, RunStatus, SyncAlreadyRunning, SyncEngine
from syncdeck.core.state import HOST

from .conftest import CountingConnector

WORKER = Path(__file__).with_name("sync_worker.py")


def start_worker(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(tmp_path / "k.db"), str(tmp_path / "s.db"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.005)


def items_synced(state: Path, connector_id: str = "numbered") -> int:
    if not state.exists():
        return 0
    conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute(
            "SELECT items_synced FROM sync_state WHERE connector_id=?", (connector_id,)
        ).fetchone()
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()
    return row[0] if row else 0


def test_second_process_is_refused_then_dead_holder_is_taken_over(tmp_path: Path) -> None:
    ready, hold = tmp_path / "ready", tmp_path / "hold"
    holder = start_worker(
        tmp_path,
        "--total", "500",
        "--hold-at", "250",
        "--hold-file", str(hold),
        "--ready-file", str(ready),
    )  # fmt: skip
    try:
        wait_for(ready.exists)
        second = start_worker(tmp_path, "--total", "500")
        _, err = second.communicate(timeout=30)
        assert second.returncode == 3
        assert f"pid {holder.pid} on {HOST}" in err
        with (
            KnowledgeStore(tmp_path / "k.db") as store,
            SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db") as engine,
        ):
            with pytest.raises(SyncAlreadyRunning) as info:
                engine.sync(CountingConnector("numbered"))
            assert info.value.pid == holder.pid
            active = engine.states()["numbered"].active
            assert active is not None and active.pid == holder.pid
            # the holder dies without a chance to clean up: its lease is taken over at once
            holder.send_signal(signal.SIGKILL)
            holder.wait(10)
            assert engine.states()["numbered"].active is None
            finisher = start_worker(tmp_path, "--total", "500")
            assert finisher.wait(30) == 0, finisher.stderr.read() if finisher.stderr else ""
            runs = engine.runs("numbered")
            assert [r.status for r in runs[:2]] == [RunStatus.SUCCEEDED, RunStatus.ABANDONED]
            assert "lease taken over" in (runs[1].error or "")
            assert engine.get_checkpoint("numbered")["items_synced"] == 500
            assert store.count("numbered") == 500
    finally:
        hold.touch()
        if holder.poll() is None:
            holder.kill()
        holder.wait(10)


def test_lease_from_another_host_is_taken_over_once_stale(tmp_path: Path) -> None:
    with (
        KnowledgeStore(tmp_path / "k.db") as store,
        SyncEngine(
            IngestionPipeline(store), state_db=tmp_path / "s.db", lease_timeout=30
        ) as engine,
    ):
        conn = sqlite3.connect(tmp_path / "s.db")
        fresh = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        conn.execute(
            "INSERT INTO sync_runs (connector_id, status, started_at, heartbeat, pid, host) "
            "VALUES ('counting', 'running', ?, ?, 4242, 'elsewhere')",
            (fresh, fresh),
        )
        conn.commit()
        with pytest.raises(SyncAlreadyRunning, match="pid 4242 on elsewhere"):
            engine.sync(CountingConnector(total=5))
        conn.execute("UPDATE sync_runs SET heartbeat='2020-01-01T00:00:00+00:00'")
        conn.commit()
        conn.close()
        assert engine.sync(CountingConnector(total=5)) == 5
        assert engine.runs("counting")[1].status is RunStatus.ABANDONED


@pytest.mark.slow
def test_sigkill_at_several_points_then_resume_is_exact(tmp_path: Path) -> None:
    """Kill a 20,000-document sync at several moments; every document ends up stored
    exactly once and items_synced equals the total."""
    total = 20_000
    state = tmp_path / "s.db"
    rng = random.Random(20_000)
    kills = 0
    for threshold in (1_000, 5_000, 9_000, 13_000, 17_000):
        proc = start_worker(tmp_path, "--total", str(total))
        # let it pass the threshold, then kill at a random moment of the next batches
        wait_for(lambda t=threshold, p=proc: items_synced(state) >= t or p.poll() is not None)
        time.sleep(rng.uniform(0, 0.03))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(30)
        assert items_synced(state) <= total
    assert kills >= 3
    final = start_worker(tmp_path, "--total", str(total))
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    conn = sqlite3.connect(tmp_path / "k.db")
    count, distinct = conn.execute(
        "SELECT count(*), count(DISTINCT doc_id) FROM documents"
    ).fetchone()
    fts = conn.execute("SELECT count(*) FROM documents_fts").fetchone()[0]
    conn.close()
    assert count == distinct == fts == total
    with (
        KnowledgeStore(tmp_path / "k.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=state) as engine,
    ):
        store.check_index()
        cp = engine.get_checkpoint("numbered")
        assert cp["items_synced"] == total
        assert cp["cursor"] == str(total)
        assert cp["error"] is None
        statuses = [r.status for r in engine.runs("numbered", limit=50)]
        assert statuses[0] is RunStatus.SUCCEEDED
        assert statuses.count(RunStatus.ABANDONED) == kills


def test_a_dead_holder_whose_pid_was_reused_is_seen_as_dead(tmp_path: Path) -> None:
    """The pid of a lease's dead holder now belongs to an unrelated live process (here,
    a sleeper started after it): the lease is stale all the same, by process start time."""
    holder = start_worker(tmp_path, "--total", "5")
    assert holder.wait(30) == 0
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        conn = sqlite3.connect(tmp_path / "s.db")
        start = conn.execute("SELECT process_start FROM sync_runs").fetchone()[0]
        assert start  # the holder's start time was recorded beside its pid
        # as if the dead holder had had the sleeper's pid: same pid, another start time
        conn.execute(
            "UPDATE sync_runs SET status='running', finished_at=NULL, pid=?", (sleeper.pid,)
        )
        conn.commit()
        conn.close()
        with (
            KnowledgeStore(tmp_path / "k.db") as store,
            SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db") as engine,
        ):
            assert engine.states()["numbered"].active is None
            engine.sync(CountingConnector("numbered", total=5))
            assert engine.runs("numbered")[1].status is RunStatus.ABANDONED
    finally:
        sleeper.kill()
        sleeper.wait(10)


def test_a_lease_can_be_released_by_hand_and_says_so(tmp_path: Path) -> None:
    with (
        KnowledgeStore(tmp_path / "k.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db") as engine,
    ):
        conn = sqlite3.connect(tmp_path / "s.db")
        fresh = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        conn.execute(
            "INSERT INTO sync_runs (connector_id, status, started_at, heartbeat, pid, host) "
            "VALUES ('counting', 'running', ?, ?, 4242, 'elsewhere')",
            (fresh, fresh),
        )
        conn.commit()
        conn.close()
        with pytest.raises(SyncAlreadyRunning):
            engine.sync(CountingConnector(total=5))
        released = engine.release_lease("counting")
        assert released is not None and (released.pid, released.host) == (4242, "elsewhere")
        run = engine.runs("counting")[0]
        assert run.status is RunStatus.ABANDONED
        assert f"lease released by hand (pid {os.getpid()} on {HOST})" in (run.error or "")
        assert engine.release_lease("counting") is None  # nothing left to release
        assert engine.sync(CountingConnector(total=5)) == 5
