"""Many hosts, one deck: leases across hosts judged by the server's clock, a race for one
lease, and runs of another host seen live (pushed by LISTEN/NOTIFY). The second host is
real: a process in its own UTS namespace with another host name."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from core.conftest import CountingConnector

from syncdeck import IngestionPipeline, KnowledgeStore, RunStatus, SyncAlreadyRunning, SyncEngine
from syncdeck.core.state import HOST, leases
from syncdeck.tui.poller import StatePoller

WORKER = Path(__file__).parents[1] / "core" / "sync_worker.py"
OTHER_HOST = "other-host"


def require_namespaces() -> None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        if os.environ.get("SYNCDECK_REQUIRE_SERVERS") == "1":
            pytest.fail("a second host needs root and unshare (SYNCDECK_REQUIRE_SERVERS=1)")
        pytest.skip("NO SECOND HOST: a UTS namespace needs root and unshare")


def on_other_host(url: str, *args: str) -> subprocess.Popen[str]:
    """The sync worker as a process of another host (its own host name)."""
    require_namespaces()
    script = f'hostname {OTHER_HOST} && exec "$0" "$@"'
    return subprocess.Popen(
        ["unshare", "--uts", "sh", "-c", script, sys.executable, str(WORKER), url, url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_another_hosts_lease_holds_until_stale_by_the_servers_clock(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready, hold = tmp_path / "ready", tmp_path / "hold"
    other = on_other_host(
        pg_url, "--total", "500", "--hold-at", "250", "--hold-file", str(hold),
        "--ready-file", str(ready),
    )  # fmt: skip
    try:
        wait_for(ready.exists)
        with (
            KnowledgeStore(pg_url) as store,
            SyncEngine(IngestionPipeline(store), state_db=pg_url, lease_timeout=3) as engine,
        ):
            active = engine.states()["numbered"].active
            assert active is not None
            assert (active.host, active.pid) == (OTHER_HOST, other.pid)
            assert active.documents >= 200  # its progress, as committed there
            with pytest.raises(SyncAlreadyRunning, match=f"pid {other.pid} on {OTHER_HOST}"):
                engine.sync(CountingConnector("numbered"))
            other.send_signal(signal.SIGKILL)
            other.wait(10)
            killed_at = time.monotonic()
            # another host's pid cannot be checked from here: its lease holds until the
            # heartbeat is older than lease_timeout, whatever this host's clock says
            real_now = leases.utcnow
            monkeypatch.setattr(leases, "utcnow", lambda: real_now() + timedelta(days=1))
            with pytest.raises(SyncAlreadyRunning):
                engine.sync(CountingConnector("numbered"))
            assert engine.states()["numbered"].active is not None
            monkeypatch.setattr(leases, "utcnow", lambda: real_now() - timedelta(days=1))
            wait_for(lambda: engine.states()["numbered"].active is None, timeout=10)
            assert time.monotonic() - killed_at >= 1.5  # not at once
            finisher = subprocess.run(
                [
                    sys.executable,
                    str(WORKER),
                    pg_url,
                    pg_url,
                    "--total",
                    "500",
                    "--lease-timeout",
                    "3",
                ],
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert finisher.returncode == 0, finisher.stderr
            runs = engine.runs("numbered")
            assert [r.status for r in runs[:2]] == [RunStatus.SUCCEEDED, RunStatus.ABANDONED]
            assert f"pid {other.pid} on {OTHER_HOST}" in (runs[1].error or "")
            assert store.count("numbered") == 500
    finally:
        hold.touch()
        if other.poll() is None:
            other.kill()
        other.wait(10)


def test_a_dead_holder_on_this_host_is_taken_over_at_once(pg_url: str, tmp_path: Path) -> None:
    ready, hold = tmp_path / "ready", tmp_path / "hold"
    holder = subprocess.Popen(
        [sys.executable, str(WORKER), pg_url, pg_url, "--total", "300", "--hold-at", "120",
         "--hold-file", str(hold), "--ready-file", str(ready)],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(ready.exists)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        with (
            KnowledgeStore(pg_url) as store,
            SyncEngine(IngestionPipeline(store), state_db=pg_url, lease_timeout=3600) as engine,
        ):
            assert engine.states()["numbered"].active is None
            engine.sync(CountingConnector("numbered", total=10))
            assert engine.runs("numbered")[1].status is RunStatus.ABANDONED
    finally:
        hold.touch()


def test_hosts_racing_for_one_lease_leave_exactly_one_holder(pg_url: str) -> None:
    """Eight sessions open the same connector at the same instant: one wins, every other
    one is refused with SyncAlreadyRunning (never a constraint error, never two)."""
    engines = []
    for _ in range(8):
        store = KnowledgeStore(pg_url)
        engines.append(SyncEngine(IngestionPipeline(store), state_db=pg_url))
    barrier = threading.Barrier(len(engines))
    release = threading.Event()
    outcomes: list[object] = []

    def run(engine: SyncEngine) -> None:
        connector = CountingConnector("raced", total=20, gate=release, gate_at=5)
        barrier.wait()
        try:
            outcomes.append(engine.sync(connector))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(outcomes) == len(engines) - 1)
    release.set()
    for thread in threads:
        thread.join(30)
    assert sorted(type(o).__name__ for o in outcomes) == ["SyncAlreadyRunning"] * 7 + ["int"]
    assert [o for o in outcomes if isinstance(o, int)] == [20]
    for engine in engines:
        engine.close()
        engine.pipeline.store.close()


def test_another_hosts_run_is_pushed_to_the_ui_within_a_second(pg_url: str, tmp_path: Path) -> None:
    """The UI's reader, with a 60 s fallback interval, still shows another host's run
    (host name, pid, progress) within a second of each commit: LISTEN/NOTIFY wakes it."""
    with (
        KnowledgeStore(pg_url) as store,
        SyncEngine(IngestionPipeline(store), state_db=pg_url) as engine,
    ):
        delivered: list[tuple[float, dict]] = []
        poller = StatePoller(
            engine.states,
            lambda states, error: delivered.append((time.monotonic(), states or {})),
            interval=60.0,
            changes=engine.changes,
        )
        poller.start()
        try:
            wait_for(lambda: len(delivered) >= 1)  # the first read
            time.sleep(0.5)  # the listener is up
            ready, hold = tmp_path / "ready", tmp_path / "hold"
            started = time.monotonic()
            other = on_other_host(
                pg_url, "--total", "400", "--hold-at", "150", "--hold-file", str(hold),
                "--ready-file", str(ready),
            )  # fmt: skip
            try:
                wait_for(ready.exists)
                seen_at = time.monotonic()

                def shows_holder() -> bool:
                    states = delivered[-1][1]
                    run = states.get("numbered") and states["numbered"].active
                    return bool(run and run.host == OTHER_HOST and run.documents >= 100)

                wait_for(shows_holder, timeout=1.0)
                run = delivered[-1][1]["numbered"].active
                assert run.pid == other.pid
                assert time.monotonic() - seen_at < 1.0
                hold.touch()
                assert other.wait(30) == 0
                finished = time.monotonic()
                wait_for(
                    lambda: delivered[-1][1]["numbered"].last_run.status is RunStatus.SUCCEEDED,
                    timeout=1.0,
                )
                assert delivered[-1][0] - finished < 1.0
                assert delivered[-1][0] - started < 60  # pushed, not the fallback interval
            finally:
                hold.touch()
                if other.poll() is None:
                    other.kill()
                other.wait(10)
        finally:
            poller.stop()


def test_the_sqlite_change_feed_wakes_on_another_process_commit(tmp_path: Path) -> None:
    with (
        KnowledgeStore(tmp_path / "k.db") as store,
        SyncEngine(IngestionPipeline(store), state_db=tmp_path / "s.db") as engine,
    ):
        feed = engine.changes()
        try:
            assert feed.wait(0.3) is False  # nothing happened
            subprocess.run(
                [sys.executable, str(WORKER), str(tmp_path / "k.db"), str(tmp_path / "s.db"),
                 "--total", "10"],
                check=True, capture_output=True, timeout=60,
            )  # fmt: skip
            assert feed.wait(1.0) is True
        finally:
            feed.close()


def test_this_host_name_is_what_runs_record(pg_url: str) -> None:
    with (
        KnowledgeStore(pg_url) as store,
        SyncEngine(IngestionPipeline(store), state_db=pg_url) as engine,
    ):
        engine.sync(CountingConnector(total=3))
        assert engine.runs("counting")[0].host == HOST


def test_another_hosts_lease_can_be_released_by_hand(pg_url: str, tmp_path: Path) -> None:
    """For a host that will not come back: `syncdeck release` frees its lease at once."""
    ready, hold = tmp_path / "ready", tmp_path / "hold"
    other = on_other_host(
        pg_url, "--total", "300", "--hold-at", "120", "--hold-file", str(hold),
        "--ready-file", str(ready),
    )  # fmt: skip
    try:
        wait_for(ready.exists)
        other.send_signal(signal.SIGKILL)
        other.wait(10)
        with (
            KnowledgeStore(pg_url) as store,
            SyncEngine(IngestionPipeline(store), state_db=pg_url, lease_timeout=3600) as engine,
        ):
            with pytest.raises(SyncAlreadyRunning):
                engine.sync(CountingConnector("numbered", total=10))
            released = engine.release_lease("numbered")
            assert released is not None and released.host == OTHER_HOST
            engine.sync(CountingConnector("numbered", total=10))
            abandoned = engine.runs("numbered")[1]
            assert abandoned.status is RunStatus.ABANDONED
            assert "released by hand" in (abandoned.error or "")
    finally:
        hold.touch()
