"""What ``check`` and ``dev`` run: a configured connector (its parameters from the
configuration) or a connector type with parameters given on the command line, as a factory
of fresh instances - every run of a check gets its own, as every sync does."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from syncdeck.app.config import Config, Defaults
from syncdeck.app.context import make_registry
from syncdeck.core.connector import BaseConnector
from syncdeck.core.errors import ConfigError


@dataclass(frozen=True)
class Target:
    connector_id: str
    type_name: str
    factory: Callable[[], BaseConnector]
    delete_limit: float
    batch_size: int
    configured: bool  # a [connectors.NAME] table, rather than a type


def configured_target(
    config: Config, name: str, overrides: Mapping[str, Any] | None = None
) -> Target:
    """The connector ``[connectors.NAME]``, its parameters overridden by ``overrides``."""
    spec = config.specs[name]
    registry = make_registry(config)
    params = {**spec.params, **(overrides or {})}
    secrets = spec.secret_values()
    limit = spec.delete_limit if spec.delete_limit is not None else config.defaults.delete_limit

    def build() -> BaseConnector:
        connector = registry.create(spec.type, spec.id, params, secrets=secrets)
        connector.delete_limit = limit
        return connector

    return Target(spec.id, spec.type, build, limit, config.defaults.batch_size, True)


def type_target(
    type_name: str,
    params: Mapping[str, Any],
    *,
    connector_id: str | None = None,
    base_dir: str | Path | None = None,
    defaults: Defaults | None = None,
) -> Target:
    """A connector type with ``params``; relative paths (the connector file's included)
    are taken from ``base_dir``, by default the current folder."""
    defaults = defaults or Defaults()
    registry = make_registry(Config(path=None, defaults=defaults, specs={}))
    if base_dir is not None:
        registry.base_dir = Path(base_dir)
    cls = registry.resolve(type_name)
    name = connector_id or default_id(cls)
    values = dict(params)

    def build() -> BaseConnector:
        return registry.create(type_name, name, values)

    return Target(name, type_name, build, defaults.delete_limit, defaults.batch_size, False)


def resolve_target(
    config: Config, text: str, params: Mapping[str, Any], *, defaults: Defaults | None = None
) -> Target:
    """``text`` names a configured connector if there is one by that name, else a type."""
    if text in config.specs:
        return configured_target(config, text, params)
    try:
        return type_target(text, params, defaults=defaults or config.defaults)
    except ConfigError as exc:
        if ":" in text:
            raise
        where = str(config.path) if config.path else "the embedded demo configuration"
        names = ", ".join(config.specs) or "none"
        raise ConfigError(
            f"{text!r} is neither a configured connector (in {where}: {names}) nor a "
            f"connector type: {exc}"
        ) from None


def default_id(cls: type) -> str:
    """A connector id for a type checked without a configuration: its own
    ``connector_id`` if it sets one, else its class name in snake case."""
    own = getattr(cls, "connector_id", "")
    if isinstance(own, str) and own:
        return own
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__).lower()
