"""``syncdeck check`` from the command line: a configured connector or a type with
``--param``, the table and ``--json``, exit codes 0, 1 and 2, and the user's data left alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncdeck.cli.main import main
from syncdeck.devkit.params import parse_params, parse_value

CONNECTORS = Path(__file__).with_name("broken_connectors.py")
TOKEN = "tok-NEVER-PRINTED-7"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert TOKEN not in out + err and "Traceback" not in err
    return code, out, err


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MY_TOKEN", TOKEN)
    path = tmp_path / "syncdeck.toml"
    path.write_text(
        f"""
[defaults]
batch_size = 3

[connectors.good]
type = "{CONNECTORS}:Numbered"
count = 7
token = "${{MY_TOKEN}}"

[connectors.leaky]
type = "{CONNECTORS}:LeaksToken"
count = 4
token = "${{MY_TOKEN}}"
"""
    )
    return path


def test_a_configured_connector_passes_with_its_parameters_from_the_file(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--config", str(config), "check", "good")
    assert code == 0, out
    assert out.startswith("check good (")
    assert ": 7 documents in " in out.splitlines()[0]
    assert "  ✓ secrets " in out and "13 passed, 0 failed, 1 not applicable" in out


def test_params_override_the_configuration_and_a_failure_exits_1(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--config", str(config), "check", "leaky", "--param", "count=6")
    assert code == 1
    assert ": 6 documents in " in out.splitlines()[0]
    assert "  ✗ secrets " in out and "a secret value is in a checkpoint cursor" in out


def test_a_type_with_params_and_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "check", f"{CONNECTORS}:NaiveTimestamps", "--param", "count=4", "--json"
    )
    assert code == 1
    data = json.loads(out)
    assert data["schema"] == "syncdeck-check/1" and data["exit_code"] == 1
    assert data["connector"]["id"] == "numbered"  # the class's own connector_id
    assert data["settings"]["documents"] == 4
    failed = [c["id"] for c in data["checks"] if c["status"] == "failed"]
    assert failed == ["timestamps"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "nosuchtype"], "'nosuchtype' is neither a configured connector"),
        (["check", f"{CONNECTORS}:Numbered", "--param", "=3"], "expected KEY=VALUE"),
        (["check", f"{CONNECTORS}:Numbered", "--param", "nope=1"], "unknown parameter"),
        (["check", f"{CONNECTORS}:Numbered", "--param", "count=many"], "expected an integer"),
        (["check", f"{CONNECTORS}:Nothing"], "has no attribute 'Nothing'"),
    ],
)
def test_usage_and_configuration_errors_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err, err


def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["check", "demo", "--max-resumes", "-1"])
    assert exit_info.value.code == 2


def test_param_values_are_toml_literals_else_strings() -> None:
    assert parse_value("5") == 5 and parse_value("true") is True
    assert parse_value('"a b"') == "a b" and parse_value("notes") == "notes"
    assert parse_value('["*.md", "*.txt"]') == ["*.md", "*.txt"]
    assert parse_value("") == "" and parse_value("2024-01-01") is not None
    assert parse_params(["count=5", "path=x=y", "count=6"]) == {"count": 6, "path": "x=y"}


def test_as_a_process_it_never_touches_the_data_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "SYNCDECK_DATA_DIR": str(tmp_path / "data-dir"),
        "TMPDIR": str(tmp_path / "tmp"),
    }
    (tmp_path / "tmp").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "syncdeck.cli.main", "check", "demo", "--param", "count=20"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check demo (demo): 20 documents" in result.stdout
    assert not (tmp_path / "data-dir").exists() and not (home / "data").exists()
    assert list((tmp_path / "tmp").iterdir()) == []  # the scratch folder is removed
