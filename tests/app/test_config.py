"""Loading the TOML configuration: every error names the file, the table, the key and
what was expected."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from syncdeck.app.config import Defaults, load_config
from syncdeck.app.paths import ensure_data_dir, find_config, resolve_data_dir
from syncdeck.core.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syncdeck.toml"
    path.write_text(text)
    return path


def test_defaults_and_connectors_in_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[defaults]
batch_size = 50
max_concurrent = 2
lease_timeout = 30

[connectors.zeta]
type = "filesystem"
path = "~/notes"
include = ["**/*.md"]

[connectors.alpha]
type = "./mine.py:Mine"
nested = { url = "https://${HOST}/x", port = 8080 }
""",
    )
    config = load_config(path, {"HOST": "example.org"})
    assert config.path == path and config.base_dir == tmp_path
    assert config.defaults == Defaults(batch_size=50, max_concurrent=2, lease_timeout=30.0)
    assert list(config.specs) == ["zeta", "alpha"]
    zeta = config.specs["zeta"]
    assert (zeta.id, zeta.type) == ("zeta", "filesystem")
    assert zeta.params == {"path": "~/notes", "include": ["**/*.md"]}
    assert config.specs["alpha"].params == {
        "nested": {"url": "https://example.org/x", "port": 8080}
    }


def test_empty_file_gives_defaults_and_no_connectors(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""), {})
    assert config.defaults == Defaults() and config.specs == {}


def test_env_expansion_defaults_escapes_and_secrets(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[connectors.api]
type = "http"
url = "https://api/${REGION:-eu}/items?auth=${API_TOKEN}"
price = "$$5"
token = "${API_TOKEN}"
""",
    )
    config = load_config(path, {"API_TOKEN": "tok-SECRET-1"})
    spec = config.specs["api"]
    assert spec.params["url"] == "https://api/eu/items?auth=tok-SECRET-1"
    assert spec.params["price"] == "$5"
    assert spec.redacted_params()["token"] == "***"
    # the variable is named like a secret, so its value is masked wherever it lands
    assert "tok-SECRET-1" in spec.secret_values()
    assert "tok-SECRET-1" not in repr(spec)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[connectors.mine]\ntype = "x"\ntoken = "${MY_TOKEN}"\n',
            "[connectors.mine] token: environment variable MY_TOKEN is not set",
        ),
        (
            '[connectors.mine]\ntype = "x"\nlist = ["a", "${NOPE}"]\n',
            "[connectors.mine] list[1]: environment variable NOPE is not set",
        ),
        (
            '[connectors.mine]\ntype = "x"\nurl = "${not valid}"\n',
            "[connectors.mine] url: '${not valid}' is not a valid variable reference",
        ),
        (
            "[connectors.mine]\npath = 1\n",
            "[connectors.mine] type: missing; expected a connector type",
        ),
        (
            "[connectors.mine]\ntype = 3\n",
            "[connectors.mine] type: expected a connector type as a non-empty string",
        ),
        ("[connectors]\nmine = 3\n", "connectors.mine: expected a table [connectors.mine]"),
        ("connectors = 3\n", "connectors: expected tables [connectors.NAME]"),
        ("[default]\nbatch_size = 3\n", "[default]: unknown table; expected only [defaults]"),
        (
            "[defaults]\nbatch_size = 0\n",
            "[defaults] batch_size: expected a whole number of at least 1, got 0",
        ),
        (
            "[defaults]\nmax_concurrent = '4'\n",
            "[defaults] max_concurrent: expected a whole number of at least 1, got '4'",
        ),
        (
            "[defaults]\nlease_timeout = -1\n",
            "[defaults] lease_timeout: expected a number of seconds above 0",
        ),
        (
            "[defaults]\nbatchsize = 3\n",
            "[defaults] batchsize: unknown setting; expected batch_size, max_concurrent",
        ),
        ("[connectors.a]\ntype = 'x'\npath = [1,\n", "invalid TOML: "),
        ("x = = 1\n", "(at line 1, column 5)"),
    ],
)
def test_config_errors_name_file_table_key_and_expectation(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path, {})
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_bad_toml_reports_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[connectors.a]\ntype = "x"\npath = "unterminated\n')
    with pytest.raises(ConfigError, match=r"invalid TOML: .*line 3, column \d+"):
        load_config(path, {})


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "syncdeck.toml"
    path.write_bytes(b'[connectors.a]\ntype = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path, {})


def test_find_config_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    explicit = write(tmp_path, "")
    env_file = tmp_path / "env.toml"
    env_file.write_text("")
    assert find_config(explicit, {"SYNCDECK_CONFIG": str(env_file)}) == explicit
    assert find_config(None, {"SYNCDECK_CONFIG": str(env_file)}) == env_file
    assert find_config(None, {}) is None  # no user file: the demo configuration
    user_file = tmp_path / "xdg" / "syncdeck" / "syncdeck.toml"
    user_file.parent.mkdir(parents=True)
    user_file.write_text("")
    assert find_config(None, {}) == user_file
    with pytest.raises(
        ConfigError, match=r"missing.toml: configuration file not found \(given by --config\)"
    ):
        find_config(tmp_path / "missing.toml", {})
    with pytest.raises(
        ConfigError, match=r"configuration file not found \(given by \$SYNCDECK_CONFIG\)"
    ):
        find_config(None, {"SYNCDECK_CONFIG": str(tmp_path / "gone.toml")})


def test_data_dir_precedence_and_private_creation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert (
        resolve_data_dir(tmp_path / "opt", {"SYNCDECK_DATA_DIR": "/elsewhere"}) == tmp_path / "opt"
    )
    assert resolve_data_dir(None, {"SYNCDECK_DATA_DIR": str(tmp_path / "env")}) == tmp_path / "env"
    assert resolve_data_dir(None, {}) == tmp_path / "xdg-data" / "syncdeck"
    created = ensure_data_dir(tmp_path / "a" / "data")
    assert stat.S_IMODE(created.stat().st_mode) == 0o700 & ~_umask()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="the data directory is a file"):
        ensure_data_dir(blocker)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
