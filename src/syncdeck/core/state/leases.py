"""One run per connector: the lease a run holds in the state database, and how a lease
left behind by a process that died is told from a live one."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import threading
from datetime import datetime
from pathlib import Path

from syncdeck.core.documents import utcnow
from syncdeck.core.errors import SyncAlreadyRunning
from syncdeck.core.events import RunStatus
from syncdeck.core.state.records import RUN_COLUMNS, RunRecord, iso, run_from_row

HOST = socket.gethostname()
DEFAULT_LEASE_TIMEOUT = 60.0


def process_start(pid: int) -> str | None:
    """When process ``pid`` started, as "boot id:clock ticks since boot" (Linux), or None
    where it cannot be told. Recorded with a lease, it tells the holder from an unrelated
    process that got the same pid after the holder died."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = stat.rsplit(")", 1)[1].split()[19]  # field 22: starttime
    except (OSError, IndexError):
        return None
    return f"{boot}:{ticks}"


OWN_START = process_start(os.getpid())


def pid_alive(pid: int) -> bool:
    """True if a process with this pid exists on this host and is not a zombie."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    return True


class LiveRuns:
    """The run ids held by live runs of *this* process, across every StateStore in it: a
    lease with our pid that is not in here was left behind by a run that could not finish
    its bookkeeping, and may be taken over."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    def add(self, run_id: int) -> None:
        with self._lock:
            self._ids.add(run_id)

    def discard(self, run_id: int) -> None:
        with self._lock:
            self._ids.discard(run_id)

    def __contains__(self, run_id: object) -> bool:
        with self._lock:
            return run_id in self._ids


LIVE = LiveRuns()


def is_stale(run: RunRecord, lease_timeout: float | None, *, age: float | None = None) -> bool:
    """Whether a running lease's holder is gone: a dead pid (or a finished run of ours)
    on this host at once, another host's once its heartbeat is older than the timeout.

    ``age`` is the heartbeat's age by the database server's clock where there is one
    (PostgreSQL: hosts' clocks disagree); else this host's clock judges it."""
    if run.host == HOST:
        if run.pid == os.getpid() and run.process_start in (None, OWN_START):
            return run.run_id not in LIVE
        if not pid_alive(run.pid):
            return True
        # alive: the holder itself, unless that pid now belongs to a later process
        return run.process_start is not None and process_start(run.pid) != run.process_start
    timeout = DEFAULT_LEASE_TIMEOUT if lease_timeout is None else lease_timeout
    if age is None:
        age = (utcnow() - run.heartbeat).total_seconds()
    return age > timeout


def released_note(holder: RunRecord) -> str:
    """What a run row whose lease was released by hand says about it."""
    return f"lease released by hand (pid {os.getpid()} on {HOST}); it was held by {holder.holder}"


def abandoned_note(holder: RunRecord) -> str:
    """What a run row whose lease was taken over says about it."""
    return f"its process ({holder.holder}) stopped without finishing; lease taken over"


def running(conn: sqlite3.Connection, connector_id: str) -> list[RunRecord]:
    rows = conn.execute(
        f"SELECT {RUN_COLUMNS} FROM sync_runs WHERE connector_id=? AND status='running'",
        (connector_id,),
    ).fetchall()
    return [run_from_row(row) for row in rows]


def refuse_if_running(conn: sqlite3.Connection, connector_id: str) -> None:
    """Raise SyncAlreadyRunning if a live run holds the connector's lease."""
    for run in running(conn, connector_id):
        if not is_stale(run, None):
            raise SyncAlreadyRunning(connector_id, run.run_id, run.pid, run.host)


def release(conn: sqlite3.Connection, connector_id: str, now: datetime) -> RunRecord | None:
    """Mark the connector's running lease abandoned, by the operator's decision (the
    holder may be stuck, or on a host that will not come back); returns it, or None."""
    holders = running(conn, connector_id)
    for holder in holders:
        conn.execute(
            "UPDATE sync_runs SET status=?, finished_at=?, error=? WHERE run_id=?",
            (
                RunStatus.ABANDONED.value,
                iso(now),
                released_note(holder),
                holder.run_id,
            ),
        )
    return holders[0] if holders else None


def take_over_stale(
    conn: sqlite3.Connection, connector_id: str, lease_timeout: float, now: datetime
) -> None:
    """Inside the transaction that opens a run: refuse a live holder, and mark a stale
    one abandoned so its lease can be taken."""
    for holder in running(conn, connector_id):
        if not is_stale(holder, lease_timeout):
            raise SyncAlreadyRunning(connector_id, holder.run_id, holder.pid, holder.host)
        conn.execute(
            "UPDATE sync_runs SET status=?, finished_at=?, error=? WHERE run_id=?",
            (
                RunStatus.ABANDONED.value,
                iso(now),
                abandoned_note(holder),
                holder.run_id,
            ),
        )
