"""Variants of the commands run in-process through ``main()`` (each command also runs as a
subprocess elsewhere): usage and configuration errors, and dry-run details."""

from __future__ import annotations

import pytest

from syncdeck.cli.main import main

from .conftest import CONNECTORS, SECRET, Workspace


def run(ws: Workspace, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(ws.config), "--data-dir", str(ws.data), *args])
    out, err = capsys.readouterr()
    assert SECRET not in out + err and "Traceback" not in err
    return code, out, err


@pytest.fixture
def ws(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for name, value in workspace.env.items():
        monkeypatch.setenv(name, value)
    return workspace


def test_sync_usage_errors(ws: Workspace, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(ws, capsys, "sync")
    assert code == 2 and "name the connectors to sync, or pass --all" in err
    code, _, err = run(ws, capsys, "sync", "notes", "--all")
    assert code == 2 and "give connector names or --all, not both" in err
    code, _, err = run(ws, capsys, "sync", "nope")
    assert code == 2
    assert "no connector named 'nope'" in err and "configured: notes, endless, sloppy, stuck" in err


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('type = "nosuchtype"', "[connectors.a] type: unknown connector type 'nosuchtype'"),
        (
            f'type = "{CONNECTORS}:Counter"\ncount = "many"',
            "[connectors.a] count: expected an integer, got a string 'many'",
        ),
        (
            f'type = "{CONNECTORS}:Counter"\ncolour = "red"',
            "[connectors.a] colour: unknown parameter for Counter; expected one of: count,",
        ),
        (
            f'type = "{CONNECTORS}:Endless"',
            "[connectors.a] marker: missing required parameter of Endless; expected a string "
            "(file created after the first checkpoint)",
        ),
        (
            'type = "demo"\ntoken = "${SYNCDECK_TEST_UNSET}"',
            "[connectors.a] token: environment variable SYNCDECK_TEST_UNSET is not set",
        ),
    ],
)
def test_config_errors_name_file_table_and_key(
    ws: Workspace, capsys: pytest.CaptureFixture[str], table: str, expected: str
) -> None:
    ws.config.write_text(f"[connectors.a]\n{table}\n")
    code, out, err = run(ws, capsys, "sync", "a")  # named: a usage error (--all runs the rest)
    assert (code, out) == (2, "")
    assert err.startswith(f"syncdeck: error: {ws.config}: ")
    assert expected in err


def test_inspect_from_a_cursor_and_with_warnings(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(ws, capsys, "inspect", "notes", "--cursor", "10")
    assert code == 0 and "from cursor '10'" in out
    assert "2 documents, 1 checkpoint" in out and "the connector finished" in out

    code, out, _ = run(ws, capsys, "inspect", "sloppy")
    assert code == 0
    assert "  - item 2: a sync would reject '': doc_id must not be empty" in out
    assert "  - item 3: duplicate doc_id 'ok-1' (first at item 1)" in out
    assert "no Checkpoint in its output" in out

    code, _, err = run(ws, capsys, "inspect", "ghost")
    assert code == 2 and "no connector named 'ghost'" in err


def test_inspect_resume_uses_the_saved_checkpoint(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(ws, capsys, "cursor", "notes", "5")[0] == 0
    code, out, _ = run(ws, capsys, "inspect", "notes", "--resume", "--limit", "2")
    assert code == 0 and "from the saved cursor '5'" in out
    assert "'n5'" in out and "'n0'" not in out


def test_history_of_an_unconfigured_connector_with_state(
    ws: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(ws, capsys, "sync", "sloppy")[0] == 0
    ws.config.write_text("")  # sloppy removed from the configuration; its state remains
    code, out, _ = run(ws, capsys, "history", "sloppy")
    assert code == 0 and "succeeded" in out
    code, out, _ = run(ws, capsys, "status")
    assert code == 0 and "sloppy (not configured)" in out
