"""``syncdeck`` with no command opens the UI with an opened context (or prints help until
there is one). In-process: the UI itself is replaced by a recording stand-in."""

from __future__ import annotations

import importlib.machinery
import sys
import types
from pathlib import Path

import pytest

from syncdeck.cli import main as cli_main


def test_no_command_runs_the_ui_with_the_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = {}

    def run_app(context: object) -> None:
        seen["specs"] = list(context.specs)  # type: ignore[attr-defined]
        seen["data_dir"] = context.data_dir  # type: ignore[attr-defined]

    fake = types.ModuleType("syncdeck.tui.fake_app")
    fake.__spec__ = importlib.machinery.ModuleSpec("syncdeck.tui.fake_app", None)
    fake.run_app = run_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "syncdeck.tui.fake_app", fake)
    monkeypatch.setattr(cli_main, "UI_MODULE", "syncdeck.tui.fake_app")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)  # as in a terminal
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    config = tmp_path / "syncdeck.toml"
    config.write_text('[connectors.one]\ntype = "demo"\n')
    assert cli_main.main(["--config", str(config), "--data-dir", str(tmp_path / "d")]) == 0
    assert seen == {"specs": ["one"], "data_dir": tmp_path / "d"}


def test_no_command_prints_help_until_the_ui_exists(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli_main, "UI_MODULE", "syncdeck.tui.not_built_yet")
    assert cli_main.main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: syncdeck") and "exit codes: 0 success" in out


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main(["sync", "--max-concurrent", "0"])
    assert exit_info.value.code == 2
    assert "expected a number of at least 1, got 0" in capsys.readouterr().err
