"""Keeping any Python string through a database that stores only valid UTF-8.

Ids and cursors come from sources: a file name decoded with ``surrogateescape`` or a broken
API can hand over strings with lone surrogates, which SQLite (and PostgreSQL) cannot store.
Replacing them would merge two ids that differ only there, or change a cursor the connector
must get back exactly. So such a string is stored in an escaped form that decodes to the
very same string: ``ESCAPE`` followed by its JSON text. ``ESCAPE`` is U+FFFF, a Unicode
noncharacter that does not occur in text; a string that starts with it is escaped too, so
the mapping is one-to-one. Everything else - nearly every string - is stored as it is.
"""

from __future__ import annotations

import json

ESCAPE = "\uffff"


def storable(text: str) -> str:
    """``text`` as it can be stored: unchanged unless it cannot be encoded as UTF-8."""
    if text.isascii():
        return text
    if not text.startswith(ESCAPE):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            pass
        else:
            return text
    return ESCAPE + json.dumps(text)


def restored(text: str) -> str:
    """The string :func:`storable` was given."""
    if text.startswith(ESCAPE):
        return json.loads(text[1:])
    return text


def storable_or_none(text: str | None) -> str | None:
    return None if text is None else storable(text)


def restored_or_none(text: str | None) -> str | None:
    return None if text is None else restored(text)
