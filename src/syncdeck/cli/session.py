"""Opening the application context from command-line options, and the secrets it holds.

The configured secrets are remembered here so that the top-level error handler can mask
them in any message, whichever command was running.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from syncdeck.app.suggest import did_you_mean
from syncdeck.core.errors import UnknownConnectorError
from syncdeck.core.redaction import redact_text

if TYPE_CHECKING:
    from syncdeck.app.config import Config
    from syncdeck.app.context import AppContext

_secrets: list[str] = []


def remember_secrets(values: list[str]) -> None:
    _secrets.extend(values)


def redact(text: str) -> str:
    """``text`` with every secret of the loaded configuration masked."""
    return redact_text(text, _secrets)


def load_config(args: argparse.Namespace) -> Config:
    """The configuration only (no databases): for commands that never touch the state."""
    from syncdeck.app.context import load_app_config

    config = load_app_config(getattr(args, "config", None))
    remember_secrets(config.secret_values())
    return config


def open_from_args(args: argparse.Namespace) -> AppContext:
    from syncdeck.app.context import open_context

    url = getattr(args, "database_url", None)
    if url:
        from syncdeck.core.redaction import secret_values

        remember_secrets(secret_values({"url": url}))
    context = open_context(
        getattr(args, "config", None), getattr(args, "data_dir", None), database_url=url
    )
    remember_secrets(context.secret_values())
    for warning in context.warnings:
        print(f"syncdeck: warning: {warning}", file=sys.stderr)
    return context


def known_name(context: AppContext, name: str) -> str:
    """``name`` if it is configured or has state; commands like ``history`` also work on a
    connector that was removed from the configuration but still has a checkpoint."""
    states = context.engine.states()
    if name in context.specs or name in states:
        return name
    known = ", ".join(context.specs) or "none"
    hint = did_you_mean(name, [*context.specs, *states])
    raise UnknownConnectorError(
        f"no connector named {name!r} in {context.config_label} or in the state database"
        f"{hint}; configured: {known}"
    )
