"""``syncdeck new-connector``: the files it writes pass ruff, pass ``check``, and their test
passes in a pytest of its own; the configuration snippet works as a configuration."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from syncdeck.cli.main import main
from syncdeck.devkit import check_type
from syncdeck.devkit.scaffold import Names

RUFF = Path(sys.executable).with_name("ruff")
FILES = ["my_feed.py", "my_feed.toml", "my_feed_sample.jsonl", "test_my_feed.py"]


@pytest.fixture
def generated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    folder = tmp_path / "work"
    assert main(["new-connector", "my-feed", "--dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "wrote the My feed connector (MyFeedConnector):" in out
    assert f"syncdeck check {folder}/my_feed.py:MyFeedConnector --param path=" in out
    return folder


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RUFF), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_the_files_are_written_and_pass_ruff_as_written(generated: Path) -> None:
    assert sorted(p.name for p in generated.iterdir()) == sorted(FILES)
    # ruff's defaults (what a new project has) and the stricter rule set of this project
    for args in (
        ["check", "--isolated", "."],
        ["check", "--isolated", "--select", "E,F,W,I,B,UP,SIM,RUF", "."],
        ["format", "--isolated", "--check", "."],
    ):
        result = ruff(*args, cwd=generated)
        assert result.returncode == 0, (args, result.stdout, result.stderr)


def test_the_connector_passes_check_as_written(generated: Path) -> None:
    report = check_type(
        f"{generated / 'my_feed.py'}:MyFeedConnector",
        {"path": str(generated / "my_feed_sample.jsonl"), "api_token": "tok-1234-abcd"},
    )
    assert report.ok, report.render()
    applicable = {r.id for r in report.results if r.status.value != "not_applicable"}
    # it shows every part of the contract: markers (a deletion), secrets, resumes
    assert {"markers", "secrets", "resume", "interrupt", "incremental"} <= applicable


def test_its_test_passes_in_a_pytest_of_its_own(generated: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_my_feed.py"],
        cwd=generated,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_the_snippet_is_a_working_configuration(
    generated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = generated / "syncdeck.toml"
    config.write_text((generated / "my_feed.toml").read_text())
    monkeypatch.setenv("MY_FEED_TOKEN", "tok-from-env-99")
    assert main(["--config", str(config), "check", "my_feed", "--max-resumes", "2"]) == 0
    out = capsys.readouterr().out
    assert "  ✓ secrets " in out and "tok-from-env-99" not in out


def test_existing_files_are_kept_unless_forced(
    generated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (generated / "my_feed.py").write_text("# mine\n")
    assert main(["new-connector", "my-feed", "--dir", str(generated)]) == 2
    assert "my_feed.py already exist(s); pass --force" in capsys.readouterr().err
    assert (generated / "my_feed.py").read_text() == "# mine\n"
    assert main(["new-connector", "my-feed", "--dir", str(generated), "--force"]) == 0
    assert "class MyFeedConnector(BaseConnector):" in (generated / "my_feed.py").read_text()


@pytest.mark.parametrize(
    ("name", "module", "cls"),
    [
        ("my-feed", "my_feed", "MyFeedConnector"),
        ("Zulip", "zulip", "ZulipConnector"),
        ("gitHubIssues", "git_hub_issues", "GitHubIssuesConnector"),
        ("calendar_connector", "calendar_connector", "CalendarConnector"),
    ],
)
def test_names(name: str, module: str, cls: str) -> None:
    names = Names.of(name)
    assert (names.module, names.cls) == (module, cls)


@pytest.mark.parametrize("name", ["", "9lives", "class", "_-_"])
def test_a_name_that_cannot_be_a_module_is_a_usage_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new-connector", name, "--dir", str(tmp_path)]) == 2
    assert "cannot name a Python module" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
