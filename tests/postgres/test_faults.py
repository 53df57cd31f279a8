"""Connection faults against the real server: a terminated backend, a restart, a server
that stays down, a statement timeout and a full disk. Each run fails cleanly or retries,
nothing committed is lost, the next run is exact, and no message shows the password."""

from __future__ import annotations

import os
import random
import shutil
import string
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pg_cluster import PASSWORD, Cluster
from reliability.conftest import Scripted, source_docs

from syncdeck import (
    DatabaseUnavailableError,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    RunStatus,
    StoreWriteError,
    SyncEngine,
)

MARKS = set(range(25, 5_001, 25))


def open_deck(url: str, *, retry_for: float = 10.0, batch_size: int = 100) -> SyncEngine:
    store = KnowledgeStore(url, retry_for=retry_for)
    engine = SyncEngine(IngestionPipeline(store), state_db=url, batch_size=batch_size)
    engine.state.session.retry_for = retry_for  # type: ignore[attr-defined]
    return engine


def close_deck(engine: SyncEngine) -> None:
    engine.close()
    engine.pipeline.store.close()


def assert_consistent(engine: SyncEngine, connector: str, *, recorded: bool = True) -> None:
    """What a fault may leave: the cursor covers only stored documents, and (one
    transaction per batch) items_synced is exactly what the store holds; the run's end
    is recorded unless the server was gone when it ended."""
    cp = engine.get_checkpoint(connector)
    store = engine.pipeline.store
    assert cp["items_synced"] == store.count(connector)
    assert int(cp["cursor"] or 0) <= store.count(connector)
    if recorded:
        assert all(r.status is not RunStatus.RUNNING for r in engine.runs(connector))


def assert_exact_after_rerun(engine: SyncEngine, connector: str, docs: list) -> None:  # type: ignore[type-arg]
    engine.sync(Scripted(connector, docs, MARKS))
    cp = engine.get_checkpoint(connector)
    assert (cp["items_synced"], cp["error"]) == (len(docs), None)
    assert sorted(engine.pipeline.store.ids(connector)) == [d.doc_id for d in docs]
    engine.pipeline.store.check_index()
    assert all(r.status is not RunStatus.RUNNING for r in engine.runs(connector))


def test_a_terminated_connection_is_remade_and_the_run_completes(pg_cluster: Cluster) -> None:
    db = pg_cluster.new_database()
    engine = open_deck(pg_cluster.url(db))
    docs = source_docs("term", 2_000)
    killed: list[int] = []

    def terminate(i: int) -> None:
        if i in (430, 1_270):
            killed.append(pg_cluster.terminate(db))

    try:
        engine.sync(Scripted("term", docs, MARKS, terminate))
        assert killed and all(n >= 1 for n in killed)  # the engine's own sessions were cut
        assert engine.runs("term")[0].status is RunStatus.SUCCEEDED
        assert_consistent(engine, "term")
        assert engine.pipeline.store.count() == 2_000
    finally:
        close_deck(engine)


def test_a_server_restart_mid_run_is_ridden_out(pg_cluster: Cluster) -> None:
    url = pg_cluster.url(pg_cluster.new_database())
    engine = open_deck(url, retry_for=30.0, batch_size=50)
    docs = source_docs("restart", 1_500)
    restarter: list[threading.Thread] = []

    def restart_at(i: int) -> None:
        if i == 400:
            thread = threading.Thread(target=pg_cluster.restart)
            thread.start()
            restarter.append(thread)
        if restarter and restarter[0].is_alive():
            time.sleep(0.002)  # keep committing while the server is away

    try:
        engine.sync(Scripted("restart", docs, MARKS, restart_at))
        restarter[0].join(60)
        assert engine.runs("restart")[0].status is RunStatus.SUCCEEDED
        assert_consistent(engine, "restart")
        assert engine.pipeline.store.count() == 1_500
    finally:
        for thread in restarter:
            thread.join(60)
        close_deck(engine)


def test_a_server_that_stays_down_fails_the_run_cleanly(pg_cluster: Cluster) -> None:
    url = pg_cluster.url(pg_cluster.new_database())
    engine = open_deck(url, retry_for=1.0)
    docs = source_docs("down", 1_000)

    def stop_at(i: int) -> None:
        if i == 333:
            pg_cluster.pg_ctl("stop", "-m", "fast")

    try:
        with pytest.raises(DatabaseUnavailableError) as info:
            engine.sync(Scripted("down", docs, MARKS, stop_at))
        message = str(info.value)
        assert message.startswith(f"127.0.0.1:{pg_cluster.port}/")
        assert "cannot reach" in message and PASSWORD not in message
        pg_cluster.pg_ctl("start")
        assert_consistent(engine, "down", recorded=False)
        assert engine.pipeline.store.count() >= 300  # the batches before the stop are kept
        assert_exact_after_rerun(engine, "down", docs)
        statuses = [r.status for r in engine.runs("down")]
        assert statuses[0] is RunStatus.SUCCEEDED
        assert statuses[1] in (RunStatus.ABANDONED, RunStatus.FAILED)  # not recordable while down
    finally:
        if subprocess.run(
            [str(pg_cluster.bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(pg_cluster.port)],
            capture_output=True,
        ).returncode:
            pg_cluster.pg_ctl("start")
        close_deck(engine)


def test_a_statement_timeout_fails_the_run_cleanly(pg_cluster: Cluster) -> None:
    db = pg_cluster.new_database()
    url = pg_cluster.url(db, query="options=-c%20statement_timeout%3D300")
    engine = open_deck(url)
    docs = source_docs("slow", 1_000)
    locker: list[psycopg.Connection] = []

    def lock_documents(i: int) -> None:
        if i == 450 and not locker:
            conn = psycopg.connect(host=str(pg_cluster.base), port=pg_cluster.port,
                                   user="postgres", dbname=db)  # fmt: skip
            conn.execute("LOCK TABLE documents IN ACCESS EXCLUSIVE MODE")
            locker.append(conn)

    try:
        with pytest.raises(StoreWriteError) as info:
            engine.sync(Scripted("slow", docs, MARKS, lock_documents))
        message = str(info.value)
        assert message.startswith(f"127.0.0.1:{pg_cluster.port}/{db}:")
        assert "cancelled by the server" in message and PASSWORD not in message
        run = engine.runs("slow")[0]
        assert run.status is RunStatus.FAILED and PASSWORD not in (run.traceback or "")
        locker.pop().close()
        assert_consistent(engine, "slow")
        assert engine.pipeline.store.count() == 400  # the batches committed before the lock
        assert_exact_after_rerun(engine, "slow", docs)
    finally:
        for conn in locker:
            conn.close()
        close_deck(engine)


@pytest.fixture
def small_tablespace(pg_cluster: Cluster) -> Iterator[tuple[str, Path]]:
    """A tablespace on a 6 MB tmpfs: the server's disk fills up for real."""
    if os.geteuid() != 0:
        if os.environ.get("SYNCDECK_REQUIRE_SERVERS") == "1":
            pytest.fail("a full disk is simulated with a tmpfs mount, which needs root")
        pytest.skip("NO FULL-DISK TEST: mounting a small tmpfs needs root")
    mount = pg_cluster.base / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], check=True)
    shutil.chown(mount, "postgres", "postgres")
    pg_cluster.admin(f"CREATE TABLESPACE small OWNER deck LOCATION '{mount}'")
    db = pg_cluster.new_database(tablespace="small")
    try:
        yield db, mount
    finally:
        pg_cluster.admin(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)", "DROP TABLESPACE small")
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_on_the_server_fails_the_run_cleanly(
    pg_cluster: Cluster, small_tablespace: tuple[str, Path]
) -> None:
    db, mount = small_tablespace
    engine = open_deck(pg_cluster.url(db))
    rng = random.Random(5)
    docs = [  # text that does not compress, so the disk really fills
        Document(f"full-{i:05d}", "full", "note",
                 " ".join("".join(rng.choices(string.ascii_lowercase, k=8)) for _ in range(300)))
        for i in range(2_500)
    ]  # fmt: skip
    try:
        with pytest.raises(StoreWriteError) as info:
            engine.sync(Scripted("full", docs, MARKS))
        message = str(info.value)
        assert "disk is full" in message and message.startswith(f"127.0.0.1:{pg_cluster.port}/")
        assert PASSWORD not in message
        stored = engine.pipeline.store.count()
        assert 0 < stored < 2_500
        assert_consistent(engine, "full")
        assert engine.get_checkpoint("full")["error"].startswith("StoreWriteError")
        subprocess.run(["mount", "-o", "remount,size=256m", str(mount)], check=True)
        assert_exact_after_rerun(engine, "full", docs)
    finally:
        close_deck(engine)
