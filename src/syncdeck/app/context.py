"""Wiring: configuration + data directory -> store, pipeline, engine and connector instances.

The CLI and the TUI both start from :func:`open_context`, so they see the same connectors,
the same state database and the same knowledge store.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from syncdeck.app.config import Config, ConnectorSpec, load_config
from syncdeck.app.paths import (
    STATE_DB_NAME,
    STORE_DB_NAME,
    ensure_data_dir,
    locate_config,
    open_to_others,
    resolve_data_dir,
    resolve_database_url,
)
from syncdeck.app.suggest import did_you_mean
from syncdeck.core.errors import SyncdeckError, UnknownConnectorError
from syncdeck.core.redaction import redact_text

if TYPE_CHECKING:
    from syncdeck.app.registry import ConnectorRegistry
    from syncdeck.core.connector import BaseConnector
    from syncdeck.core.engine import SyncEngine
    from syncdeck.core.store import KnowledgeStore

__all__ = [
    "AppContext",
    "ConnectorSpec",
    "builtin_types",
    "load_app_config",
    "make_registry",
    "open_context",
]


def builtin_types() -> dict[str, str]:
    """The built-in connector types (name -> "module:Class"), without importing them."""
    from syncdeck import connectors

    return dict(getattr(connectors, "BUILTINS", {}))


def load_app_config(
    config: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The configuration file chosen by option / $SYNCDECK_CONFIG / ./syncdeck.toml /
    the per-user file, or the demo."""
    found = locate_config(config, environ)
    if found is None:
        from syncdeck.app.demo import demo_config

        return demo_config()
    path, origin = found
    return replace(load_config(path, environ), origin=origin)


def make_registry(config: Config) -> ConnectorRegistry:
    from syncdeck.app.registry import ConnectorRegistry

    return ConnectorRegistry(builtin_types(), config_path=config.path, base_dir=config.base_dir)


class AppContext:
    """Everything a front end needs: the configured connectors and the open databases.

    With ``database_url`` the state and the store both live in that PostgreSQL database
    (shared by every host); without it, in the two SQLite files of ``data_dir``."""

    def __init__(self, config: Config, data_dir: Path, database_url: str | None = None) -> None:
        from syncdeck.core.engine import SyncEngine
        from syncdeck.core.pipeline import IngestionPipeline
        from syncdeck.core.store import KnowledgeStore

        self.config = config
        self.config_path: Path | None = config.path
        self.data_dir = data_dir
        self.batch_size = config.defaults.batch_size
        self.max_concurrent = config.defaults.max_concurrent
        self.lease_timeout = config.defaults.lease_timeout
        self.specs: dict[str, ConnectorSpec] = dict(config.specs)
        self._registry: ConnectorRegistry | None = None
        self._problems: dict[str, str | None] = {}
        # what a front end should tell the operator once (a data folder open to others)
        self.warnings: list[str] = []
        self._secrets: list[str] | None = None
        self.database_url = database_url
        self.store: KnowledgeStore = KnowledgeStore(database_url or data_dir / STORE_DB_NAME)
        try:
            self.pipeline = IngestionPipeline(self.store)
            self.engine: SyncEngine = SyncEngine(
                self.pipeline,
                state_db=database_url or data_dir / STATE_DB_NAME,
                batch_size=self.batch_size,
                lease_timeout=self.lease_timeout,
                delete_limit=config.defaults.delete_limit,
            )
        except BaseException:
            self.store.close()
            raise

    @property
    def registry(self) -> ConnectorRegistry:
        if self._registry is None:
            self._registry = make_registry(self.config)
        return self._registry

    @property
    def database_label(self) -> str | None:
        """The PostgreSQL URL with its password masked, or None on the SQLite files."""
        if self.database_url is None:
            return None
        return redact_text(self.database_url, self.secret_values())

    @property
    def is_demo(self) -> bool:
        return self.config_path is None

    def spec(self, connector_id: str) -> ConnectorSpec:
        try:
            return self.specs[connector_id]
        except KeyError:
            known = ", ".join(self.specs) or "none"
            hint = did_you_mean(connector_id, self.specs)
            raise UnknownConnectorError(
                f"no connector named {connector_id!r} in {self.config_label}{hint}; "
                f"configured: {known}"
            ) from None

    @property
    def config_label(self) -> str:
        return str(self.config_path) if self.config_path else "the embedded demo configuration"

    @property
    def config_source(self) -> str:
        """Which configuration is in use and what chose it, as front ends show it."""
        origin = self.config.origin
        if self.config_path is None or not origin or origin == "--config":
            return self.config_label  # named on the command line: no need to say by whom
        if origin.startswith("$"):
            return f"{self.config_path} (from {origin})"
        return f"{self.config_path} (found in {origin})"

    def build(self, connector_id: str) -> BaseConnector:
        """A fresh, configured instance for one run (parameters checked on the way)."""
        spec = self.spec(connector_id)
        connector = self.registry.create(
            spec.type, spec.id, spec.params, secrets=spec.secret_values()
        )
        if spec.delete_limit is not None:
            connector.delete_limit = spec.delete_limit
        return connector

    def problem(self, connector_id: str) -> str | None:
        """Why a configured connector cannot be built (an unknown type or parameter, a
        connector file that does not load...), or None when it can: what a sync of it
        would fail on before it started. Built once per context."""
        if connector_id not in self._problems:
            try:
                connector = self.build(connector_id)
            except SyncdeckError as exc:
                self._problems[connector_id] = str(exc)
            else:
                self._problems[connector_id] = None
                with contextlib.suppress(Exception):
                    connector.close()
        return self._problems[connector_id]

    def check_cursor(self, connector_id: str, cursor: str | None) -> None:
        """Raise the connector's own error when it could not resume from ``cursor``
        (``BaseConnector.check_cursor``): a cursor typed by hand is checked before it is
        saved."""
        if cursor is None:
            return
        connector = self.build(connector_id)
        try:
            connector.check_cursor(cursor)
        finally:
            with contextlib.suppress(Exception):
                connector.close()

    def secret_values(self) -> list[str]:
        if self._secrets is None:
            from syncdeck.core.redaction import secret_values

            url = {"url": self.database_url} if self.database_url else {}
            self._secrets = [*self.config.secret_values(), *secret_values(url)]
        return self._secrets

    def redact(self, text: str) -> str:
        """``text`` with every configured secret masked (for errors and tracebacks)."""
        return redact_text(text, self.secret_values())

    def close(self) -> None:
        try:
            self.engine.close()
        finally:
            self.store.close()

    def __enter__(self) -> AppContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def open_context(
    config: str | Path | None = None,
    data_dir: str | Path | None = None,
    *,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> AppContext:
    """Load the configuration, create the data directory (0700) and open the databases:
    the PostgreSQL database of ``--database-url`` / ``$SYNCDECK_DATABASE_URL`` /
    ``[defaults] database_url`` if one is given, else the SQLite files."""
    loaded = load_app_config(config, environ=environ)
    directory = ensure_data_dir(resolve_data_dir(data_dir, environ, demo=loaded.path is None))
    url = resolve_database_url(database_url, environ, loaded.defaults.database_url)
    context = AppContext(loaded, directory, url)
    warning = open_to_others(directory)
    if warning is not None:
        context.warnings.append(warning)
    return context
