"""Small frictions a new user meets: a mistyped name gets a suggestion, ./syncdeck.toml is
found (and which file is used is said), the demo keeps its data apart, counts are
worded with the right plural, and a misconfigured connector says why before it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdeck.app.config import load_config
from syncdeck.app.context import make_registry, open_context
from syncdeck.app.paths import locate_config, resolve_data_dir
from syncdeck.app.suggest import closest
from syncdeck.app.wording import plural, size
from syncdeck.core.errors import ConfigError, UnknownConnectorError


def write(folder: Path, text: str) -> Path:
    path = folder / "syncdeck.toml"
    path.write_text(text)
    return path


@pytest.fixture
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def test_closest_ignores_case_and_separators() -> None:
    names = ["filesystem", "mailbox", "batch_size", "notes"]
    assert closest("File-System", names) == "filesystem"
    assert closest("mailbx", names) == "mailbox"
    assert closest("batchsize", names) == "batch_size"
    assert closest("zzz", names) is None
    assert closest("notes", names) is None  # the word itself is not a suggestion


def test_a_mistyped_setting_or_table_is_suggested(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"max_concurent: unknown setting.*'max_concurrent'\?"):
        load_config(write(tmp_path, "[defaults]\nmax_concurent = 2\n"), {})
    with pytest.raises(ConfigError, match=r"did you mean 'connectors'\?"):
        load_config(write(tmp_path, "[connector.a]\ntype = 'demo'\n"), {})


def test_a_mistyped_type_or_parameter_is_suggested(tmp_path: Path) -> None:
    path = write(tmp_path, "[connectors.a]\ntype = 'filesytem'\npath = '.'\n")
    registry = make_registry(load_config(path, {}))
    with pytest.raises(
        ConfigError, match=r"unknown connector type 'filesytem'; did you mean 'filesystem'\?"
    ):
        registry.create("filesytem", "a", {"path": "."})
    with pytest.raises(
        ConfigError, match=r"coutn: unknown parameter for DemoConnector; did you mean 'count'\?"
    ):
        registry.create("demo", "a", {"coutn": 3})


def test_a_mistyped_connector_name_is_suggested(tmp_path: Path) -> None:
    path = write(tmp_path, "[connectors.notes]\ntype = 'demo'\n")
    with (
        open_context(path, tmp_path / "data", environ={}) as context,
        pytest.raises(UnknownConnectorError, match=r"'ntoes'.*did you mean 'notes'\?"),
    ):
        context.spec("ntoes")


def test_the_current_folders_file_comes_after_the_named_ones(no_user_config: Path) -> None:
    assert locate_config(None, {}) is None  # nothing anywhere: the demo configuration
    user = no_user_config.parent / "xdg-config" / "syncdeck" / "syncdeck.toml"
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert locate_config(None, {}) == (user, "the per-user folder")
    here = write(no_user_config, "")
    assert locate_config(None, {}) == (here, "the current folder")
    named = write(no_user_config.parent, "")
    assert locate_config(None, {"SYNCDECK_CONFIG": str(named)}) == (named, "$SYNCDECK_CONFIG")
    assert locate_config(named, {}) == (named, "--config")


def test_the_file_in_use_is_said(no_user_config: Path) -> None:
    write(no_user_config, "[connectors.a]\ntype = 'demo'\n")
    with open_context(None, no_user_config / "data", environ={}) as context:
        assert context.config_source == (
            f"{no_user_config / 'syncdeck.toml'} (found in the current folder)"
        )
    with open_context(no_user_config / "syncdeck.toml", no_user_config / "d", environ={}) as c:
        assert c.config_source == str(no_user_config / "syncdeck.toml")  # named: nothing to add
    with open_context(
        None, no_user_config / "e", environ={"SYNCDECK_CONFIG": "syncdeck.toml"}
    ) as context:
        assert context.config_source.endswith("syncdeck.toml (from $SYNCDECK_CONFIG)")


def test_the_demo_keeps_its_data_apart(no_user_config: Path) -> None:
    root = no_user_config.parent
    assert resolve_data_dir(None, {}) == root / "xdg-data" / "syncdeck"
    assert resolve_data_dir(None, {}, demo=True) == root / "xdg-cache" / "syncdeck" / "demo"
    with open_context(None, None, environ={}) as context:
        assert context.is_demo
        assert context.data_dir == root / "xdg-cache" / "syncdeck" / "demo"
    assert not (root / "xdg-data" / "syncdeck").exists()  # the real store is untouched
    # a folder named on purpose is used as given, demo or not
    chosen = root / "mine"
    with open_context(None, None, environ={"SYNCDECK_DATA_DIR": str(chosen)}) as context:
        assert context.data_dir == chosen


def test_plurals_and_sizes() -> None:
    assert plural(1, "sync") == "1 sync"
    assert plural(0, "document") == "0 documents"
    assert plural(1234, "document") == "1,234 documents"
    assert plural(2, "entry", "entries") == "2 entries"
    assert [size(n) for n in (512, 12_345, 4_100_000)] == ["512 B", "12.3 KB", "4.1 MB"]


def test_a_misconfigured_connector_says_why_without_running(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[connectors.good]\ntype = 'demo'\n\n"
        "[connectors.typo]\ntype = 'demo'\ncoutn = 3\n\n"
        "[connectors.bad]\ntype = 'demo'\ncount = -1\n\n"
        # a folder that is missing is a failed run (an unmounted share), not a mistake
        "[connectors.gone]\ntype = 'filesystem'\npath = 'no-such-folder'\n",
    )
    with open_context(path, tmp_path / "data", environ={}) as context:
        assert context.problem("good") is None
        assert "did you mean 'count'?" in (context.problem("typo") or "")
        assert "count" in (context.problem("bad") or "")
        assert context.problem("gone") is None
        assert context.engine.runs("typo") == []  # nothing ran
