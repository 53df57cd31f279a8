"""Text PostgreSQL cannot store: a NUL character (SQLite keeps it, a PostgreSQL ``text``
refuses it). Such a string is stored in core.text's escaped form (``ESCAPE`` + its JSON,
which has no NUL) and read back as the very string that was handed over, so an id, a
cursor or a document with a NUL in it round-trips exactly, as on SQLite.

Two kinds of values: **keys** (source, doc_id, cursors) arrive already in core.text's
form, where a leading ``ESCAPE`` marks its escape of undecodable text and no NUL occurs;
a stored key escape is ours exactly when re-escaping what it decodes to does not give it
back. **Text** (title, content, metadata...) is escaped when it has a NUL or itself starts
with ``ESCAPE``, so every stored text starting with ``ESCAPE`` is an escape.
"""

from __future__ import annotations

import json

from syncdeck.core.text import ESCAPE, restored, storable


def _escape(text: str) -> str:
    return ESCAPE + json.dumps(text)


def key_to_pg(key: str) -> str:
    return _escape(key) if "\x00" in key else key


def key_from_pg(stored: str) -> str:
    if not stored.startswith(ESCAPE):
        return stored
    original = restored(stored)
    return original if storable(original) != stored else stored


def text_to_pg(text: str) -> str:
    return _escape(text) if "\x00" in text or text.startswith(ESCAPE) else text


def text_from_pg(stored: str) -> str:
    return json.loads(stored[1:]) if stored.startswith(ESCAPE) else stored


def text_to_pg_or_none(text: str | None) -> str | None:
    return None if text is None else text_to_pg(text)


def text_from_pg_or_none(text: str | None) -> str | None:
    return None if text is None else text_from_pg(text)


def key_to_pg_or_none(key: str | None) -> str | None:
    return None if key is None else key_to_pg(key)
