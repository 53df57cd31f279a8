"""Cursors of the built-in connectors are small JSON objects.

JSON keeps value types (an integer key stays an integer) and stays readable when an
operator looks at, or edits, a cursor. Decoding checks the shape so a hand-edited cursor
fails with a message that shows the expected form instead of a KeyError deep in a sync.
"""

from __future__ import annotations

import json
from typing import Any

from syncdeck.connectors.errors import CursorError


def encode_cursor(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False)


def decode_cursor(
    cursor: str, *, connector: str, example: str, **fields: type | tuple[type, ...]
) -> dict[str, Any]:
    """Parse ``cursor`` and check that each named field exists with one of its types."""
    try:
        value = json.loads(cursor)
    except ValueError:
        value = None
    if isinstance(value, dict) and all(
        name in value and _matches(value[name], kinds) for name, kinds in fields.items()
    ):
        return value
    raise CursorError(
        f"{connector} cursor {cursor!r} is not valid: expected JSON like {example}; "
        "reset the checkpoint or set a cursor of that form"
    )


def _matches(value: Any, kinds: type | tuple[type, ...]) -> bool:
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if isinstance(value, bool) and bool not in kinds:
        return False  # JSON true is not a count
    return isinstance(value, kinds)


def decode_by_location(
    cursor: str, *, key: str, fields: set[str], connector: str, example: str
) -> dict[str, dict[str, str]]:
    """A cursor of the form ``{key: {location: {field: text}}}`` (what a feed or a calendar
    keeps per URL: its validators), checked; CursorError with the expected form if not."""
    try:
        value = json.loads(cursor)
    except ValueError:
        value = None
    entries = value.get(key) if isinstance(value, dict) else None
    if isinstance(entries, dict) and all(
        isinstance(v, dict) and set(v) <= fields and all(isinstance(x, str) for x in v.values())
        for v in entries.values()
    ):
        return {location: dict(v) for location, v in entries.items()}
    raise CursorError(
        f"{connector} cursor {cursor!r} is not valid: expected JSON like {example}; "
        "reset the checkpoint or set a cursor of that form"
    )
