"""open_context(): configuration + data directory -> databases, engine and connectors."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncdeck.app.context import open_context
from syncdeck.core.errors import ConfigError, UnknownConnectorError

CONNECTOR = '''
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document


class Numbers(BaseConnector):
    """Numbered notes.

    Parameters:
        count: how many
        password: unused credential
    """

    def __init__(self, count: int, password: str = "") -> None:
        self.count = count

    def sync(self, *, since, cursor):
        for i in range(int(cursor or 0), self.count):
            yield Document(doc_id=str(i), source=self.connector_id, doc_type="note",
                           content=f"number {i} apple")
            yield Checkpoint(str(i + 1))
'''


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "numbers.py").write_text(CONNECTOR)
    path = tmp_path / "syncdeck.toml"
    path.write_text(
        """
[defaults]
batch_size = 2

[connectors.nums]
type = "numbers.py:Numbers"
count = 5
password = "${DB_PASSWORD}"

[connectors.bad]
type = "numbers.py:Numbers"
count = "five"
"""
    )
    return path


def test_open_context_wires_engine_store_and_connectors(config: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    with open_context(config, data, environ={"DB_PASSWORD": "pw-verysecret"}) as context:
        assert context.config_path == config and context.data_dir == data
        assert context.batch_size == 2 and context.engine.batch_size == 2
        assert context.max_concurrent == 4
        assert list(context.specs) == ["nums", "bad"]
        connector = context.build("nums")
        assert connector.connector_id == "nums"
        assert connector.secret_values == ("pw-verysecret",)
        assert context.engine.sync(connector) == 5
        assert context.build("nums") is not connector  # a fresh instance per run
        assert context.store.count("nums") == 5
        assert context.engine.get_checkpoint("nums")["cursor"] == "5"
        assert context.redact("login failed for pw-verysecret") == "login failed for ***"
        with pytest.raises(ConfigError, match=r"\[connectors.bad\] count: expected an integer"):
            context.build("bad")
        with pytest.raises(UnknownConnectorError, match="configured: nums, bad"):
            context.build("nope")
    assert (data / "sync_state.db").is_file() and (data / "knowledge.db").is_file()


def test_environment_variables_choose_config_and_data_dir(config: Path, tmp_path: Path) -> None:
    env = {
        "SYNCDECK_CONFIG": str(config),
        "SYNCDECK_DATA_DIR": str(tmp_path / "envdata"),
        "DB_PASSWORD": "x",
    }
    with open_context(environ=env) as context:
        assert context.config_path == config
        assert context.data_dir == tmp_path / "envdata"


def test_unset_variable_is_a_config_error(config: Path, tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"\[connectors.nums\] password: environment variable DB_PASSWORD is not set",
    ):
        open_context(config, tmp_path / "data", environ={})


def test_demo_configuration_when_no_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty-config"))
    with open_context(None, tmp_path / "data", environ={}) as context:
        assert context.config_path is None and context.is_demo
        assert list(context.specs) == [
            *("notes", "mail", "chat", "blog", "calendar"),
            *("firehose", "slow", "flaky", "tickets"),
        ]
        assert context.specs["notes"].type == "filesystem"
        notes_path = Path(context.specs["notes"].params["path"])
        assert notes_path.parts[-2:] == ("sample_data", "notes")


def test_every_demo_connector_builds_and_yields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from syncdeck.core.inspection import inspect_connector

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty-config"))
    with open_context(None, tmp_path / "data", environ={}) as context:
        for name in context.specs:
            connector = context.build(name)
            report = inspect_connector(connector, limit=2, timeout=10)
            connector.close()
            assert report.ok and report.documents == 2, (name, report.warnings)
