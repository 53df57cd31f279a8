"""``--param KEY=VALUE`` on the command line: the value is read as a TOML literal where it
is one (``count=5``, ``fast=true``, ``include=["*.md"]``, ``path="a b"``), else taken as a
string (``path=notes``), so parameters mean what they would in the configuration file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from typing import Any

from syncdeck.core.errors import ConfigError

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_value(text: str) -> Any:
    """``text`` as a TOML value, else the string itself."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_params(pairs: Iterable[str]) -> dict[str, Any]:
    """``["count=5", "path=notes"]`` -> ``{"count": 5, "path": "notes"}``; a key given
    twice keeps the last value."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            raise ConfigError(
                f"--param {pair!r}: expected KEY=VALUE with KEY a parameter name "
                "(letters, digits, underscores), e.g. --param count=5 or --param path=notes"
            )
        params[key] = parse_value(value.strip())
    return params
