"""Commands that read or edit state, as subprocesses: status, history, reset, cursor, undo,
rejected and search."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import subprocess
from contextlib import closing

import pytest

from .conftest import SECRET, Workspace


@pytest.fixture
def synced(workspace: Workspace) -> Workspace:
    result = workspace.run("sync", "notes", "sloppy")
    assert result.returncode == 0, result.stdout + result.stderr
    return workspace


def test_status_and_history(synced: Workspace) -> None:
    text = synced.run_after("status")
    assert text.returncode == 0
    lines = text.stdout.splitlines()
    assert lines[0] == f"config: {synced.config}"
    assert lines[1] == f"data:   {synced.data}"
    assert lines[2].split() == ["NAME", "TYPE", "STATE", "ITEMS", "LAST", "SYNC", "CURSOR"]
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert rows["notes"][2:4] == ["synced", "12"] and rows["notes"][-1] == "'12'"
    assert rows["endless"][2:5] == ["never", "run", "0"]

    data = json.loads(synced.run("status", "--json").stdout)
    assert data["config"] == str(synced.config) and data["data_dir"] == str(synced.data)
    assert [c["id"] for c in data["connectors"]] == list(synced.names)
    notes = data["connectors"][0]
    assert set(notes) == {
        "id", "type", "configured", "params", "state", "invalid", "items_synced", "cursor",
        "last_sync", "error", "running", "active", "last_run",
    }  # fmt: skip
    assert notes["type"].endswith("cli_connectors.py:Counter") and notes["configured"]
    assert notes["params"]["api_token"] == "***" and notes["params"]["count"] == 12
    assert (notes["state"], notes["items_synced"], notes["cursor"]) == ("synced", 12, "12")
    assert notes["last_sync"] and notes["error"] is None and not notes["running"]
    assert notes["active"] is None
    last = notes["last_run"]
    assert last["status"] == "succeeded" and last["documents"] == 12 and last["inserted"] == 12
    assert last["cursor_start"] is None and last["cursor_end"] == "12"
    sloppy = data["connectors"][2]
    # one stored document: "ok-1" twice is one document; two were rejected
    assert sloppy["items_synced"] == 1 and sloppy["last_run"]["rejected"] == 2

    result = synced.run("history", "notes")
    assert result.returncode == 0
    header, row = result.stdout.splitlines()[:2]
    assert header.split() == [
        "RUN", "STATUS", "STARTED", "TOOK", "DOCS", "NEW", "UPD", "SAME", "DEL", "REJ",
        "CURSOR",
    ]  # fmt: skip
    cells = row.split()
    assert cells[1] == "succeeded" and cells[5:11] == ["12", "12", "0", "0", "0", "0"]
    assert cells[-3:] == ["none", "->", "'12'"]
    empty = synced.run("history", "endless")
    assert empty.returncode == 0 and empty.stdout.strip() == "endless: no runs yet"


def test_reset_undo_and_cursor(synced: Workspace) -> None:
    refused = synced.run("reset", "notes")  # stdin is not a terminal and no --yes
    assert refused.returncode == 2
    assert "refusing to reset 'notes' without confirmation" in refused.stderr

    reset = synced.run("reset", "notes", "--yes")
    assert reset.returncode == 0
    assert "notes: reset (was 12 items synced, cursor '12')" in reset.stdout
    # the cursor is cleared; the 12 stored documents are kept, and still counted
    assert _checkpoint(synced) == {"items_synced": 12, "cursor": None}

    undo = synced.run("undo", "notes")
    assert undo.returncode == 0 and "notes: restored 12 items synced, cursor '12'" in undo.stdout
    assert _checkpoint(synced)["cursor"] == "12"

    cursor = synced.run_after("cursor", "notes", "5")
    assert cursor.returncode == 0
    assert "notes: cursor set to '5' (was '12')" in cursor.stdout
    resumed = synced.run("sync", "notes")
    assert "notes: started resuming at cursor '5'" in resumed.stdout
    assert "notes: done: 7 documents (0 new, 0 updated, 7 unchanged" in resumed.stdout

    assert synced.run("undo", "notes").returncode == 0  # back to before the cursor edit
    nothing = synced.run("undo", "notes")
    assert nothing.returncode == 2
    assert "has no reset or cursor edit to undo" in nothing.stderr


def _checkpoint(ws: Workspace) -> dict[str, object]:
    """The stored checkpoint of ``notes``, read straight from the state database."""
    with closing(sqlite3.connect(ws.data / "sync_state.db")) as db:
        row = db.execute(
            "SELECT items_synced, cursor FROM sync_state WHERE connector_id='notes'"
        ).fetchone()
    return {"items_synced": row[0], "cursor": row[1]}


def _reset_on_a_terminal(ws: Workspace, answer: str) -> str:
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            ws.command("reset", "notes", "--config", str(ws.config), "--data-dir", str(ws.data)),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=ws.env,
            text=True,
        )
        os.close(slave)
        os.write(master, answer.encode())
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
    assert proc.returncode == 0, err
    question = (
        "Reset 'notes' (12 items synced, cursor '12')? Its next sync starts from the beginning"
    )
    assert question in out
    return out


def test_reset_asks_on_a_terminal(synced: Workspace) -> None:
    declined = _reset_on_a_terminal(synced, "n\n")
    assert "not reset" in declined and "notes: reset" not in declined
    accepted = _reset_on_a_terminal(synced, "yes\n")
    assert "notes: reset (was 12 items synced" in accepted
    assert _checkpoint(synced) == {"items_synced": 12, "cursor": None}


def test_rejected_and_search(synced: Workspace) -> None:
    result = synced.run("rejected", "sloppy")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "sloppy: 2 rejected documents, newest first"
    assert "item 4 'bad-2'" in lines[1] and "content must be a string, got bytes" in lines[1]
    assert "item 2 '' at " in lines[3] and "doc_id must not be empty" in lines[3]
    data = json.loads(synced.run("rejected", "sloppy", "--json").stdout)
    assert [r["item"] for r in data] == [4, 2] and "b'bytes'" in data[0]["payload"]
    none = synced.run("rejected", "notes")
    assert none.stdout.strip() == "notes: no rejected documents"
    unknown = synced.run("rejected", "ghost")
    assert unknown.returncode == 2 and "no connector named 'ghost'" in unknown.stderr

    result = synced.run("search", "zebras", "--limit", "3")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert len([line for line in lines if line[0].isdigit()]) == 3
    assert lines[0].startswith("1. [notes] Note ")
    assert "[zebras]" in lines[1]
    hits = json.loads(synced.run_after("search", "zebras", "--source", "notes", "--json").stdout)
    assert len(hits) == 6 and {h["source"] for h in hits} == {"notes"}
    assert set(hits[0]) >= {"source", "doc_id", "title", "snippet", "score", "timestamp"}
    none = synced.run("search", "giraffes", "--source", "sloppy")
    assert none.stdout.strip() == "no documents match 'giraffes' in 'sloppy'"
    assert SECRET not in result.stdout


def test_release_frees_a_stuck_lease_after_asking(synced: Workspace) -> None:
    conn = sqlite3.connect(synced.data / "sync_state.db")
    conn.execute(
        "INSERT INTO sync_runs (connector_id, status, started_at, heartbeat, pid, host) "
        "VALUES ('notes', 'running', '2030-01-01T00:00:00+00:00', '2030-01-01T00:00:00+00:00', "
        "4242, 'gone-host')"
    )
    conn.commit()
    conn.close()
    busy = synced.run("sync", "notes")
    assert busy.returncode == 3 and "pid 4242 on gone-host" in busy.stdout
    refused = synced.run("release", "notes")
    assert refused.returncode == 2 and "pass --yes" in refused.stderr
    released = synced.run("release", "notes", "--yes")
    assert released.returncode == 0
    assert "lease of run" in released.stdout and "(pid 4242 on gone-host) released" in (
        released.stdout
    )
    history = synced.run("history", "notes").stdout
    assert "lease released by hand" in history
    assert synced.run("release", "notes", "--yes").stdout.strip().endswith("nothing to release")
    assert synced.run("sync", "notes").returncode == 0
