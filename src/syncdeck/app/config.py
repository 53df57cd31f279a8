"""The TOML configuration: defaults and one table per connector instance.

```toml
[defaults]
batch_size = 100
max_concurrent = 4
database_url = "postgresql://deck:${DECK_PASSWORD}@db.example:5432/deck"  # optional

[connectors.notes]
type = "filesystem"
path = "~/notes"

[connectors.mine]
type = "./my_connector.py:MyConnector"
token = "${MY_TOKEN}"
```

Only the structure is checked here (tables, ``type``, ``${VAR}`` expansion, defaults); the
parameters are checked against the connector's constructor when it is built, so commands
that do not run connectors never import them. Every error names the file, the table, the
key and what was expected.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncdeck.app.suggest import did_you_mean
from syncdeck.core.backend import is_database_url
from syncdeck.core.errors import ConfigError
from syncdeck.core.redaction import is_secret_name, redact_params, secret_values

DEFAULT_BATCH_SIZE = 100
DEFAULT_MAX_CONCURRENT = 4
DEFAULT_LEASE_TIMEOUT = 60.0
DEFAULT_DELETE_LIMIT = 0.5
# Keys of a connector table that configure how syncdeck runs it, not the connector itself.
ENGINE_KEYS = ("delete_limit",)
DEFAULT_KEYS = ("batch_size", "max_concurrent", "lease_timeout", "delete_limit", "database_url")

_VAR = re.compile(r"\$(?:\$|\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\})")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ConnectorSpec:
    """One configured connector instance: a ``[connectors.NAME]`` table."""

    id: str
    type: str
    params: dict[str, Any]
    # values that must never be shown: secret-named parameters and secret-named variables
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)
    # the share of its stored documents one run may delete (None: the [defaults] value)
    delete_limit: float | None = None

    def redacted_params(self) -> dict[str, Any]:
        """The parameters with secret-looking values replaced by ``***``."""
        return redact_params(self.params, self.secrets)

    def secret_values(self) -> list[str]:
        """Every secret string of this instance, for redacting free text."""
        return [*secret_values(self.params), *self.secrets]

    def __repr__(self) -> str:  # never leak a secret through a debug print
        return (
            f"ConnectorSpec(id={self.id!r}, type={self.type!r}, params={self.redacted_params()!r})"
        )


@dataclass(frozen=True)
class Defaults:
    batch_size: int = DEFAULT_BATCH_SIZE
    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    lease_timeout: float = DEFAULT_LEASE_TIMEOUT
    delete_limit: float = DEFAULT_DELETE_LIMIT
    # a postgresql:// URL: state and store in that database (None: the SQLite files)
    database_url: str | None = field(default=None, repr=False)
    secrets: tuple[str, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class Config:
    path: Path | None  # None for the embedded demo configuration
    defaults: Defaults
    specs: dict[str, ConnectorSpec]
    origin: str = ""  # what chose the file: "--config", "the current folder"...

    @property
    def base_dir(self) -> Path:
        """Relative connector files and paths are taken from here."""
        return self.path.parent if self.path is not None else Path.cwd()

    def secret_values(self) -> list[str]:
        found = [s for spec in self.specs.values() for s in spec.secret_values()]
        return [*found, *self.defaults.secrets]


class _Where:
    """Builds the 'file: [table] key' prefix of every message."""

    def __init__(self, path: Path | None) -> None:
        self.file = str(path) if path is not None else "<embedded demo configuration>"

    def __call__(self, table: str | None = None, key: str | None = None) -> str:
        parts = [f"{self.file}:"]
        if table:
            parts.append(f"[{table}]")
        if key:
            parts.append(key)
        return " ".join(parts)


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and check a configuration file."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"{path}: cannot read the configuration ({exc.strerror or exc})"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not UTF-8 text at byte {exc.start}; save the file as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # the message already ends with "(at line L, column C)"
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(data, path=path, environ=environ)


def parse_config(
    data: Mapping[str, Any],
    *,
    path: Path | None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    env = os.environ if environ is None else environ
    where = _Where(path)
    unknown = [key for key in data if key not in ("defaults", "connectors")]
    if unknown:
        raise ConfigError(
            f"{where(unknown[0])}: unknown table; expected only [defaults] and "
            f"[connectors.NAME] tables{did_you_mean(unknown[0], ('defaults', 'connectors'))}"
        )
    defaults = _parse_defaults(data.get("defaults", {}), where, env)
    connectors = data.get("connectors", {})
    if not isinstance(connectors, Mapping):
        raise ConfigError(
            f"{where(None, 'connectors')}: expected tables [connectors.NAME], got "
            f"{type(connectors).__name__}"
        )
    specs: dict[str, ConnectorSpec] = {}
    for connector_id, table in connectors.items():
        specs[connector_id] = _parse_connector(connector_id, table, where, env)
    return Config(path, defaults, specs)


def _parse_defaults(table: Any, where: _Where, env: Mapping[str, str]) -> Defaults:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where(None, 'defaults')}: expected a table [defaults]")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key == "database_url":
            values[key], values["secrets"] = _database_url(value, where("defaults", key), env)
            continue
        if key in ("batch_size", "max_concurrent"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(
                    f"{where('defaults', key)}: expected a whole number of at least 1, "
                    f"got {value!r}"
                )
            values[key] = value
        elif key == "lease_timeout":
            if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
                raise ConfigError(
                    f"{where('defaults', key)}: expected a number of seconds above 0, got {value!r}"
                )
            values[key] = float(value)
        elif key == "delete_limit":
            values[key] = _delete_limit(value, where("defaults", key))
        else:
            raise ConfigError(
                f"{where('defaults', key)}: unknown setting; expected batch_size, "
                "max_concurrent, lease_timeout, delete_limit or database_url"
                f"{did_you_mean(key, DEFAULT_KEYS)}"
            )
    return Defaults(**values)


def _parse_connector(
    connector_id: str, table: Any, where: _Where, env: Mapping[str, str]
) -> ConnectorSpec:
    name = f"connectors.{connector_id}"
    if not connector_id.strip():
        raise ConfigError(f"{where(name)}: a connector needs a non-empty name")
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"{where(None, name)}: expected a table [connectors.{connector_id}] with a type "
            f"and the connector's parameters, got {type(table).__name__}"
        )
    secrets: list[str] = []
    expanded = {key: _expand(value, where(name, key), env, secrets) for key, value in table.items()}
    if "type" not in expanded:
        raise ConfigError(
            f"{where(name, 'type')}: missing; expected a connector type such as "
            "'filesystem', 'package.module:Class' or './my_connector.py:MyConnector'"
        )
    type_name = expanded.pop("type")
    if not isinstance(type_name, str) or not type_name.strip():
        raise ConfigError(
            f"{where(name, 'type')}: expected a connector type as a non-empty string, "
            f"got {type_name!r}"
        )
    limit = None
    if "delete_limit" in expanded:
        limit = _delete_limit(expanded.pop("delete_limit"), where(name, "delete_limit"))
    return ConnectorSpec(connector_id, type_name.strip(), expanded, tuple(secrets), limit)


def _database_url(
    value: Any, where: str, env: Mapping[str, str]
) -> tuple[str | None, tuple[str, ...]]:
    """The expanded URL and the secrets it holds (its password, secret-named variables)."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a postgresql:// URL as a string")
    secrets: list[str] = []
    url = _expand(value, where, env, secrets).strip()
    if not url:
        return None, ()
    if not is_database_url(url):
        raise ConfigError(
            f"{where}: expected a URL starting with postgresql:// (leave it out to keep the "
            "state and the store in SQLite files in the data directory)"
        )
    return url, (*secrets, *secret_values({"url": url}))


def _delete_limit(value: Any, where: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise ConfigError(
            f"{where}: expected the share of a connector's stored documents one run may "
            f"delete, from 0 to 1 (0.5 is half), got {value!r}"
        )
    return float(value)


def _expand(value: Any, where: str, env: Mapping[str, str], secrets: list[str]) -> Any:
    """``${VAR}`` (or ``${VAR:-default}``) from the environment in every string; ``$$`` is a
    literal ``$``. Values of secret-named variables are remembered for redaction."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            var = match.group("name")
            if not _NAME.fullmatch(var or ""):
                raise ConfigError(
                    f"{where}: {match.group(0)!r} is not a valid variable reference; expected "
                    "${NAME} with letters, digits and underscores (write $$ for a literal $)"
                )
            result = env.get(var)
            if result is None:
                if match.group("default") is None:
                    raise ConfigError(
                        f"{where}: environment variable {var} is not set; set it, or give a "
                        f"default with ${{{var}:-value}}"
                    )
                result = match.group("default")
            if is_secret_name(var) and result:
                secrets.append(result)
            return result

        return _VAR.sub(substitute, value)
    if isinstance(value, list):
        return [_expand(item, f"{where}[{i}]", env, secrets) for i, item in enumerate(value)]
    if isinstance(value, Mapping):
        return {key: _expand(item, f"{where}.{key}", env, secrets) for key, item in value.items()}
    return value
