"""``syncdeck sync`` as a subprocess: success, failure and resume, a run held by another
process, Ctrl-C, and the live display on a terminal."""

from __future__ import annotations

import json
import os
import pty
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path

from .conftest import SECRET, Workspace


def wait_for(path: Path, proc: subprocess.Popen[str], deadline: float = 30.0) -> None:
    end = time.monotonic() + deadline
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path} never appeared"
        time.sleep(0.02)


def test_sync_succeeds_and_is_reported(workspace: Workspace) -> None:
    result = workspace.run("sync", "notes")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "notes: started from the beginning"
    assert lines[-1].startswith(
        "notes: done: 12 documents (12 new, 0 updated, 0 unchanged, 0 rejected) in "
    )
    assert lines[-1].endswith("; 12 items synced, cursor '12'")
    # a second run resumes at the saved cursor and finds nothing new
    again = workspace.run_after("sync", "notes")
    assert again.returncode == 0, again.stderr
    assert (
        "notes: started resuming at cursor '12' (12 items synced), changes since " in again.stdout
    )
    assert "notes: done: 0 documents" in again.stdout


def test_failed_sync_exits_1_then_resumes_from_the_checkpoint(workspace: Workspace) -> None:
    flag = workspace.root / "fail.flag"
    flag.write_text("armed")
    failed = workspace.run("sync", "notes")
    assert failed.returncode == 1
    assert "notes: FAILED after 7 documents" in failed.stdout
    assert "ConnectionError: server hung up at 7 (token ***)" in failed.stdout
    # all 7 documents are stored (and counted); the cursor covers the first 5
    assert "checkpoint kept at 7 items synced, cursor '5'" in failed.stdout
    assert "syncdeck: sync failed: notes" in failed.stderr

    history = json.loads(workspace.run("history", "notes", "--json").stdout)
    (run,) = history["runs"]
    assert run["status"] == "failed" and run["cursor_end"] == "5"
    assert "server hung up at 7 (token ***)" in run["traceback"]
    assert "cli_connectors.py" in run["traceback"]

    flag.unlink()
    resumed = workspace.run("sync", "notes")
    assert resumed.returncode == 0, resumed.stderr
    assert "notes: started resuming at cursor '5' (7 items synced)" in resumed.stdout
    assert "notes: done: 7 documents (5 new, 0 updated, 2 unchanged, 0 rejected)" in resumed.stdout
    assert resumed.stdout.rstrip().endswith("12 items synced, cursor '12'")


def test_held_run_gives_exit_3_and_ctrl_c_cancels_with_130(workspace: Workspace) -> None:
    marker = workspace.root / "endless.started"
    holder = subprocess.Popen(
        workspace.command(
            "sync", "endless", "--config", str(workspace.config), "--data-dir", str(workspace.data)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=workspace.env,
    )
    try:
        wait_for(marker, holder)
        busy = workspace.run("sync", "endless", "notes")
        assert busy.returncode == 3, busy.stdout + busy.stderr
        assert "endless: not started: connector 'endless' is already syncing" in busy.stdout
        assert f"pid {holder.pid}" in busy.stdout
        assert "notes: done: 12 documents" in busy.stdout  # the other connector still ran
        refused = workspace.run("reset", "endless", "--yes")
        assert refused.returncode == 3 and "already syncing" in refused.stderr
        status = json.loads(workspace.run("status", "--json").stdout)
        endless = next(c for c in status["connectors"] if c["id"] == "endless")
        assert endless["running"] and endless["state"] == "running"
        assert endless["active"]["pid"] == holder.pid
        holder.send_signal(signal.SIGINT)
        out, err = holder.communicate(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    assert holder.returncode == 130, err
    assert "cancelling: storing what was fetched and saving checkpoints" in out
    assert "endless: cancelled after " in out
    assert "Traceback" not in err
    status = json.loads(workspace.run("status", "--json").stdout)
    endless = next(c for c in status["connectors"] if c["id"] == "endless")
    assert not endless["running"] and endless["state"] == "cancelled"
    assert endless["last_run"]["status"] == "cancelled"
    assert int(endless["cursor"]) >= 30 and endless["items_synced"] >= int(endless["cursor"])


def test_live_progress_on_a_terminal(workspace: Workspace) -> None:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            workspace.command(
                "--config",
                str(workspace.config),
                "--data-dir",
                str(workspace.data),
                "sync",
                "--all",
                "--max-concurrent",
                "1",
            ),
            stdout=slave,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env={**workspace.env, "COLUMNS": "200"},
            text=True,
        )
        os.close(slave)
        chunks = []
        end = time.monotonic() + 30
        marker = workspace.root / "endless.started"
        interrupted = False
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
            if not interrupted and marker.exists():
                proc.send_signal(signal.SIGINT)  # endless never ends on its own
                interrupted = True
            assert time.monotonic() < end
        proc.wait(timeout=30)
    finally:
        os.close(master)
    output = b"".join(chunks).decode()
    assert proc.returncode == 130
    assert "\x1b[4F\x1b[J" in output  # the block of four lines is redrawn in place
    final = output.rsplit("\x1b[J", 1)[-1]
    rows = [line.split() for line in final.replace("\r", "").splitlines() if line.strip()]
    states = {row[0]: row[1] for row in rows if row[0] in workspace.names}
    assert states == {
        "notes": "succeeded",
        "endless": "cancelled",
        "sloppy": "skipped",
        "stuck": "skipped",
    }
    assert SECRET not in output


def test_second_ctrl_c_quits_at_once_and_the_run_is_closed(workspace: Workspace) -> None:
    proc = subprocess.Popen(
        workspace.command(
            "sync", "stuck", "--config", str(workspace.config), "--data-dir", str(workspace.data)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=workspace.env,
    )
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True)
    try:
        wait_for(workspace.root / "stuck.blocked", proc)
        reader.start()
        proc.send_signal(signal.SIGINT)
        while not lines.get(timeout=30).startswith("cancelling:"):
            pass
        proc.send_signal(signal.SIGINT)  # the connector never returns: quit without waiting
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "quit without waiting" in proc.stderr.read()
    runs = json.loads(workspace.run("history", "stuck", "--json").stdout)["runs"]
    assert runs[0]["status"] == "cancelled" and runs[0]["cursor_end"] == "1"
    assert "the process exited while the connector was still blocked" in runs[0]["error"]
