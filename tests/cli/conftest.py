"""Running ``syncdeck`` as a real subprocess against a temporary config and data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CONNECTORS = Path(__file__).with_name("cli_connectors.py")
SECRET = "tok-DO-NOT-PRINT-42"


@dataclass
class Workspace:
    root: Path
    config: Path
    data: Path
    env: dict[str, str]
    names = ("notes", "endless", "sloppy", "stuck")  # the configured connectors, in order

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "syncdeck.cli.main", *args]

    def run(
        self, *args: str, input: str | None = None, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """``syncdeck --config C --data-dir D ARGS`` (options before the command)."""
        result = subprocess.run(
            self.command("--config", str(self.config), "--data-dir", str(self.data), *args),
            capture_output=True,
            text=True,
            env=self.env,
            input=input if input is not None else "",
            timeout=60,
            **kw,
        )
        # a secret from the configuration never appears, whatever the command
        assert SECRET not in result.stdout and SECRET not in result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def run_after(self, *args: str) -> subprocess.CompletedProcess[str]:
        """``syncdeck ARGS --config C --data-dir D`` (options after the command)."""
        return subprocess.run(
            self.command(*args, "--config", str(self.config), "--data-dir", str(self.data)),
            capture_output=True,
            text=True,
            env=self.env,
            input="",
            timeout=60,
        )


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    config = tmp_path / "syncdeck.toml"
    config.write_text(
        f"""
[defaults]
batch_size = 4

[connectors.notes]
type = "{CONNECTORS}:Counter"
count = 12
fail_at = 7
fail_flag = "{tmp_path / "fail.flag"}"
api_token = "${{NOTES_TOKEN}}"

[connectors.endless]
type = "{CONNECTORS}:Endless"
marker = "{tmp_path / "endless.started"}"

[connectors.sloppy]
type = "{CONNECTORS}:Sloppy"

[connectors.stuck]
type = "{CONNECTORS}:Stuck"
marker = "{tmp_path / "stuck.blocked"}"
"""
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCDECK_")}
    env.update(
        NOTES_TOKEN=SECRET,
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        PYTHONUNBUFFERED="1",
        TERM="xterm",
    )
    return Workspace(tmp_path, config, tmp_path / "data", env)


WorkspaceRun = Callable[..., subprocess.CompletedProcess[str]]
