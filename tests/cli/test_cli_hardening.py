"""The CLI contract under a hostile pass: broken configurations, closed pipes, bytes that
are not UTF-8, no terminal, interrupts and signals, permissions. Each test failed on the
code before its fix."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from .conftest import CONNECTORS, Workspace
from .test_cli_sync import wait_for


def _add(workspace: Workspace, table: str) -> None:
    with workspace.config.open("a") as fh:
        fh.write("\n" + table)


def test_status_shows_a_broken_connector_as_invalid_and_exits_2(workspace: Workspace) -> None:
    _add(workspace, '[connectors.typo]\ntype = "demoo"\n')
    _add(workspace, '[connectors.wrongkey]\ntype = "demo"\ncont = 3\n')
    result = workspace.run("status")
    assert result.returncode == 2
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[3:]}
    assert "invalid" in rows["typo"] and "unknown connector type 'demoo'" in rows["typo"]
    assert "invalid" in rows["wrongkey"] and "unknown parameter" in rows["wrongkey"]
    assert "synced" in rows["notes"] or "never run" in rows["notes"]  # the rest still shown
    assert "2 connectors are misconfigured: typo, wrongkey" in result.stderr
    data = json.loads(workspace.run("status", "--json").stdout)
    typo = next(c for c in data["connectors"] if c["id"] == "typo")
    assert typo["state"] == "invalid" and "demoo" in typo["invalid"]
    notes = next(c for c in data["connectors"] if c["id"] == "notes")
    assert notes["invalid"] is None


def test_sync_all_runs_the_others_when_one_is_misconfigured(workspace: Workspace) -> None:
    workspace.config.write_text(
        f'[connectors.notes]\ntype = "{CONNECTORS}:Counter"\ncount = 3\n'
        '[connectors.typo]\ntype = "demoo"\n'
    )
    result = workspace.run("sync", "--all")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "notes: done: 3 documents" in result.stdout
    assert "typo: not started: " in result.stdout and "unknown connector type 'demoo'" in (
        result.stdout
    )
    assert "syncdeck: not started (misconfigured): typo" in result.stderr
    # named explicitly, a misconfigured connector is a usage error before anything runs
    named = workspace.run("sync", "notes", "typo")
    assert named.returncode == 2 and named.stdout == ""


def test_a_closed_pipe_is_not_a_failure(workspace: Workspace) -> None:
    proc = subprocess.Popen(
        workspace.command("--config", str(workspace.config), "status"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=workspace.env,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # the reader is gone before anything is written (like `| head -0`)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert b"BrokenPipe" not in err and b"Exception ignored" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["search", os.fsdecode(b"caf\xe9")],
        ["cursor", "notes", os.fsdecode(b"x\xff")],
    ],
)
def test_arguments_that_are_not_utf8_get_a_clear_error(
    workspace: Workspace, args: list[str]
) -> None:
    result = subprocess.run(
        [os.fsencode(a) for a in workspace.command(*args, "--config", str(workspace.config))],
        capture_output=True,
        env=workspace.env,
        timeout=60,
    )
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "is not valid UTF-8" in err and "this is a bug" not in err


def test_no_terminal_means_no_ui(workspace: Workspace) -> None:
    result = workspace.run()  # stdin is not a terminal, nor is stdout
    assert result.returncode == 2
    assert "the terminal UI needs a terminal" in result.stderr
    assert "syncdeck sync --all" in result.stderr and "syncdeck status" in result.stderr


def test_an_interrupt_raised_inside_a_connector_exits_130(workspace: Workspace) -> None:
    interrupter = workspace.root / "interrupter.py"
    interrupter.write_text(
        "from syncdeck import BaseConnector, Document\n\n"
        "class Interrupts(BaseConnector):\n"
        "    def sync(self, *, since, cursor):\n"
        "        yield Document('a', self.connector_id, 'note', 'one')\n"
        "        raise KeyboardInterrupt\n"
    )
    workspace.config.write_text(f'[connectors.int]\ntype = "{interrupter}:Interrupts"\n')
    result = workspace.run("sync", "int")
    assert result.returncode == 130, result.stdout + result.stderr
    assert "int: cancelled after 1 document " in result.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_cancel_store_and_close_like_ctrl_c(
    workspace: Workspace, signum: int
) -> None:
    marker = workspace.root / "endless.started"
    proc = subprocess.Popen(
        workspace.command(
            "sync", "endless", "--config", str(workspace.config), "--data-dir", str(workspace.data)
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=workspace.env,
    )
    try:
        wait_for(marker, proc)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + signum, err
    assert "cancelling: storing what was fetched and saving checkpoints" in out
    status = json.loads(workspace.run("status", "--json").stdout)
    endless = next(c for c in status["connectors"] if c["id"] == "endless")
    assert endless["last_run"]["status"] == "cancelled" and not endless["running"]
    assert endless["items_synced"] >= int(endless["cursor"]) >= 30


def test_nested_data_dir_parents_are_private_whatever_the_umask(workspace: Workspace) -> None:
    nested = workspace.root / "a" / "b" / "data"
    old = os.umask(0o002)
    try:
        result = subprocess.run(
            workspace.command(
                "--config", str(workspace.config), "--data-dir", str(nested), "status"
            ),
            capture_output=True,
            text=True,
            env=workspace.env,
            timeout=60,
        )
    finally:
        os.umask(old)
    assert result.returncode == 0, result.stderr
    for folder in (workspace.root / "a", workspace.root / "a" / "b", nested):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_data_dir_open_to_others_gets_a_warning(workspace: Workspace) -> None:
    workspace.data.mkdir()
    workspace.data.chmod(0o755)
    result = workspace.run("status")
    assert result.returncode == 0
    assert f"syncdeck: warning: {workspace.data} is readable by other users" in result.stderr


def test_a_config_that_loads_code_and_others_can_write_is_refused(workspace: Workspace) -> None:
    workspace.config.chmod(0o666)
    result = workspace.run("status")
    assert result.returncode == 2
    assert "can be written by other users" in result.stderr and "chmod go-w" in result.stderr
    workspace.config.chmod(0o644)
    copy = workspace.root / "mine.py"
    copy.write_text(Path(CONNECTORS).read_text())
    copy.chmod(0o666)
    workspace.config.write_text(f'[connectors.mine]\ntype = "{copy}:Counter"\n')
    refused = workspace.run("sync", "mine")
    assert refused.returncode == 2 and f"{copy}: can be written by other users" in (refused.stderr)


def test_a_cursor_the_connector_cannot_read_is_refused_before_it_is_saved(
    workspace: Workspace,
) -> None:
    workspace.config.write_text('[connectors.d]\ntype = "demo"\ncount = 5\n')
    refused = workspace.run("cursor", "d", "not-a-number")
    assert refused.returncode == 2
    assert "demo cursor 'not-a-number' is not valid" in refused.stderr
    status = json.loads(workspace.run("status", "--json").stdout)
    assert status["connectors"][0]["cursor"] is None  # nothing was saved
    assert workspace.run("cursor", "d", "3").returncode == 0


def test_status_json_masks_secret_looking_query_parameters(workspace: Workspace) -> None:
    _add(
        workspace,
        '[connectors.api]\ntype = "http"\n'
        'url = "http://127.0.0.1:9/items?page=1&api_key=k3y-NOT-TO-SHOW&sig=ok"\n',
    )
    result = workspace.run("status", "--json")
    api = next(c for c in json.loads(result.stdout)["connectors"] if c["id"] == "api")
    assert api["params"]["url"] == "http://127.0.0.1:9/items?page=1&api_key=***&sig=ok"
    assert "k3y-NOT-TO-SHOW" not in result.stdout + result.stderr
