"""``connectors``, ``inspect``, configuration errors and start-up cost, as subprocesses."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import CONNECTORS, SECRET, Workspace


def test_connectors_lists_types_parameters_and_instances(workspace: Workspace) -> None:
    result = workspace.run("connectors")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("connector types:")
    assert "  filesystem  (built-in: syncdeck.connectors.filesystem.FilesystemConnector)" in out
    assert re.search(r"^      path: [\w| ]+ \(required\)  the folder to read", out, re.M)
    counter = f"  {CONNECTORS}:Counter  (configured: "
    assert counter in out
    assert "      count: int = 12  how many documents in all" in out
    assert "      api_token: str = ''  a credential that must never be printed" in out
    assert "configured connectors (" in out
    assert f"  notes: {CONNECTORS}:Counter  count=12, fail_at=7," in out
    assert "api_token='***'" in out

    one = workspace.run_after("connectors", f"{CONNECTORS}:Endless")
    assert one.returncode == 0
    assert one.stdout.splitlines()[1] == (
        "  Yields documents until cancelled; writes ``marker`` once a checkpoint is out."
    )
    assert "    marker: str (required)  file created after the first checkpoint" in one.stdout


def test_inspect_is_a_dry_run(workspace: Workspace) -> None:
    result = workspace.run("inspect", "notes", "--limit", "6")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"inspect notes ({CONNECTORS}:Counter): from the beginning, up to 6 documents; "
        "nothing is written"
    )
    assert lines[1].split()[:4] == ["1", "document", "'n0'", "'Note"]
    assert "2024-03-01T00:00:00+00:00" in lines[1]
    assert lines[2].strip() == "note number 0"
    assert "    6  checkpoint  cursor '5'" in lines
    assert "6 documents, 1 checkpoint in " in result.stdout
    assert "stopped at the limit" in result.stdout and "no warnings" in result.stdout
    assert not workspace.data.exists()  # nothing was written, not even the data folder

    (workspace.root / "fail.flag").write_text("armed")
    failing = workspace.run("inspect", "notes")
    assert failing.returncode == 1
    assert "item 9: the connector raised ConnectionError: server hung up at 7 (token ***)" in (
        failing.stdout
    )
    assert "traceback:" in failing.stdout and SECRET not in failing.stdout


def _config_error(ws: Workspace, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    ws.config.write_text(text)
    result = ws.run(*(args or ("sync", "--all")))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"syncdeck: error: {ws.config}: ")
    return result


def test_config_errors_exit_2_without_a_traceback(workspace: Workspace) -> None:
    bad_toml = _config_error(workspace, '[connectors.a]\ntype = "demo"\ncount = 3 3\n')
    assert "invalid TOML" in bad_toml.stderr and "line 3, column 11" in bad_toml.stderr

    broken = workspace.root / "broken.py"
    broken.write_text("from syncdeck import BaseConnector\n\nclass X(BaseConnector)\n    pass\n")
    loading = _config_error(workspace, '[connectors.b]\ntype = "broken.py:X"\n', "sync", "b")
    assert f"[connectors.b] type: {broken}:3" in loading.stderr and "SyntaxError" in loading.stderr


def test_status_imports_neither_textual_nor_connectors(workspace: Workspace) -> None:
    probe = (
        "import sys\n"
        "from syncdeck.cli.main import main\n"
        f"code = main(['status', '--config', {str(workspace.config)!r}, "
        f"'--data-dir', {str(workspace.data)!r}])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] == 'textual' "
        "or m.startswith(('syncdeck.tui', 'syncdeck.connectors.')))\n"
        "print('EXIT', code, 'HEAVY', heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=workspace.env,
        timeout=60,
    )
    assert result.stdout.splitlines()[-1] == "EXIT 0 HEAVY []", result.stderr


def test_python_dash_m_runs_the_command(workspace: Workspace) -> None:
    """``python -m syncdeck`` is the command, exit code included."""
    args = ["--config", str(workspace.config), "--data-dir", str(workspace.data)]
    ok = subprocess.run(
        [sys.executable, "-m", "syncdeck", "status", *args],
        capture_output=True,
        text=True,
        env=workspace.env,
        timeout=60,
    )
    assert ok.returncode == 0 and "config:" in ok.stdout, ok.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "syncdeck", "history", "no-such-connector", *args],
        capture_output=True,
        text=True,
        env=workspace.env,
        timeout=60,
    )
    assert missing.returncode == 2 and "no-such-connector" in missing.stderr
