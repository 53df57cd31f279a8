"""Checks on connector parameters, raising ConfigError messages that name the parameter.

Connectors validate in their constructor, so a bad configuration is reported when the
connector is built (by ``syncdeck connectors``, a dry run or a sync), not halfway through.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from syncdeck.core.errors import ConfigError


def existing_path(connector: str, param: str, value: Any, *, kind: str) -> Path:
    """``value`` as an absolute path that exists and is a ``kind`` ("file", "folder", "any")."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ConfigError(f"{connector}: parameter {param!r} must be a non-empty path")
    path = Path(value).expanduser()
    if not path.exists():
        raise ConfigError(f"{connector}: parameter {param!r}: {path} does not exist")
    if kind == "file" and not path.is_file():
        raise ConfigError(f"{connector}: parameter {param!r}: {path} is not a file")
    if kind == "folder" and not path.is_dir():
        raise ConfigError(f"{connector}: parameter {param!r}: {path} is not a folder")
    return path.resolve()


def source_path(connector: str, param: str, value: Any, *, kind: str) -> Path:
    """``value`` as an absolute path to a source that mirrors: when it exists it must be a
    ``kind`` ("file", "folder", "any"), but it may be missing now. A source that is gone
    (an unmounted share, a moved export) fails each run with a SourceError, recorded
    like any failed run, instead of the connector not being built at all."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ConfigError(f"{connector}: parameter {param!r} must be a non-empty path")
    path = Path(value).expanduser().resolve()
    if path.exists():
        return existing_path(connector, param, path, kind=kind)
    return path


def choice(connector: str, param: str, value: Any, choices: Collection[str]) -> str:
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ConfigError(
            f"{connector}: parameter {param!r} is {value!r}; expected one of {options}"
        )
    return value


def number(
    connector: str,
    param: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> Any:
    """``value`` checked as a number (an int when ``integer``) within the given bounds."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        what = "an integer" if integer else "a number"
        raise ConfigError(f"{connector}: parameter {param!r} must be {what}, not {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{connector}: parameter {param!r} must be >= {minimum}, not {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{connector}: parameter {param!r} must be <= {maximum}, not {value!r}")
    return value


def text(connector: str, param: str, value: Any, *, required: bool = False) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        need = "a non-empty string" if required else "a string"
        raise ConfigError(f"{connector}: parameter {param!r} must be {need}, not {value!r}")
    return value


def string_list(connector: str, param: str, value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ConfigError(f"{connector}: parameter {param!r} must be a list of strings")
    if not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{connector}: parameter {param!r} must hold non-empty strings")
    return list(value)


def string_map(connector: str, param: str, value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, (str, int, float)) for k, v in value.items()
    ):
        raise ConfigError(f"{connector}: parameter {param!r} must be a table of string values")
    return {k: str(v) for k, v in value.items()}
