"""Choosing the backend: option, environment, configuration; the password never shown;
the driver needed only when a URL asks for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from core.conftest import CountingConnector
from pg_cluster import PASSWORD, Cluster

from syncdeck import DatabaseUnavailableError, IngestionPipeline, KnowledgeStore, SyncEngine
from syncdeck.app.config import parse_config
from syncdeck.app.context import open_context
from syncdeck.app.paths import DATABASE_URL_ENV, resolve_database_url
from syncdeck.core.errors import ConfigError

CONFIG = """
[defaults]
database_url = "postgresql://deck:${{DECK_PASSWORD}}@127.0.0.1:{port}/{db}"

[connectors.notes]
type = "demo"
"""


def test_precedence_option_then_environment_then_configuration() -> None:
    env = {DATABASE_URL_ENV: "postgresql://env/db"}
    assert resolve_database_url("postgresql://opt/db", env, "postgresql://cfg/db") == (
        "postgresql://opt/db"
    )
    assert resolve_database_url(None, env, "postgresql://cfg/db") == "postgresql://env/db"
    assert resolve_database_url(None, {}, "postgresql://cfg/db") == "postgresql://cfg/db"
    assert resolve_database_url(None, {}, None) is None
    with pytest.raises(ConfigError, match="not shown") as info:
        resolve_database_url("mysql://u:hunter22@h/db", {}, None)
    assert "hunter22" not in str(info.value)


def test_the_configured_url_expands_variables_and_hides_its_password() -> None:
    config = parse_config(
        {"defaults": {"database_url": "postgresql://deck:${DECK_PASSWORD}@h:5/db"}},
        path=None,
        environ={"DECK_PASSWORD": "s3cr3t-pw"},
    )
    assert config.defaults.database_url == "postgresql://deck:s3cr3t-pw@h:5/db"
    assert "s3cr3t-pw" not in repr(config) and "s3cr3t-pw" in config.secret_values()
    with pytest.raises(ConfigError, match="postgresql://"):
        parse_config({"defaults": {"database_url": "/tmp/x.db"}}, path=None)


def test_status_over_postgresql_shows_every_connector_and_never_the_password(
    pg_cluster: Cluster, tmp_path: Path
) -> None:
    db = pg_cluster.new_database()
    config = tmp_path / "syncdeck.toml"
    config.write_text(CONFIG.format(port=pg_cluster.port, db=db))
    env = {"DECK_PASSWORD": PASSWORD, "SYNCDECK_DATA_DIR": str(tmp_path / "data")}
    with open_context(config, environ=env) as context:
        assert context.engine.joint and context.store.path == f"127.0.0.1:{pg_cluster.port}/{db}"
        context.engine.sync(CountingConnector("notes", total=30))
    result = subprocess.run(
        [sys.executable, "-m", "syncdeck.cli.main", "--config", str(config), "status", "--json"],
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["database"] == f"postgresql://deck:***@127.0.0.1:{pg_cluster.port}/{db}"
    (notes,) = report["connectors"]
    assert (notes["items_synced"], notes["state"]) == (30, "synced")
    assert PASSWORD not in result.stdout + result.stderr
    text = subprocess.run(
        [sys.executable, "-m", "syncdeck.cli.main", "--config", str(config), "status"],
        capture_output=True,
        text=True,
        env={**env, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert "deck:***@" in text.stdout and PASSWORD not in text.stdout + text.stderr


def test_an_unreachable_server_is_named_without_the_password(pg_cluster: Cluster) -> None:
    url = f"postgresql://deck:{PASSWORD}@127.0.0.1:1/nowhere"
    with pytest.raises(DatabaseUnavailableError) as info:
        KnowledgeStore(url, retry_for=0.2)
    message = str(info.value)
    assert message.startswith("127.0.0.1:1/nowhere: cannot reach the knowledge store")
    assert PASSWORD not in message and PASSWORD not in repr(info.value)
    bad_password = pg_cluster.url(pg_cluster.new_database(), password="wrong-pw-123")
    with pytest.raises(DatabaseUnavailableError) as info:
        SyncEngine(IngestionPipeline(KnowledgeStore(":memory:")), state_db=bad_password)
    assert "password authentication failed" in str(info.value)
    assert "wrong-pw-123" not in str(info.value)


def test_the_cli_error_for_a_wrong_password_masks_it(pg_cluster: Cluster, tmp_path: Path) -> None:
    url = pg_cluster.url(pg_cluster.new_database(), password="wrong-pw-456")
    result = subprocess.run(
        [sys.executable, "-m", "syncdeck.cli.main", "--data-dir", str(tmp_path), "status"],
        capture_output=True,
        text=True,
        env={DATABASE_URL_ENV: url, "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 2
    assert f"127.0.0.1:{pg_cluster.port}/" in result.stderr
    assert "wrong-pw-456" not in result.stderr + result.stdout


HIDE_PSYCOPG = """
import sys
sys.modules["psycopg"] = None  # as if the extra were not installed
import syncdeck
from syncdeck import IngestionPipeline, KnowledgeStore, SyncEngine
store = KnowledgeStore(":memory:")  # SQLite needs no driver
engine = SyncEngine(IngestionPipeline(store), state_db=sys.argv[1])
engine.close()
try:
    KnowledgeStore("postgresql://u:pw@127.0.0.1/db")
except syncdeck.SyncdeckError as exc:
    print(exc)
"""


def test_without_the_driver_sqlite_works_and_a_url_names_the_extra(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", HIDE_PSYCOPG, str(tmp_path / "s.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'syncdeck[postgres]'" in result.stdout
