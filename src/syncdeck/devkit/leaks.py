"""Looking for a connector's secrets where they must never be: in what it yields, in its
cursors (which the state database keeps in clear) and in its errors.

A secret is searched for as it is and in the forms it takes when a connector builds a URL
or formats a value: URL-quoted, ``repr``-escaped, JSON-escaped. Values shorter than the
redaction minimum are not searched (a one-character "secret" is in every text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from syncdeck.core.documents import Document
from syncdeck.core.redaction import MIN_SECRET_LENGTH

DOCUMENT_FIELDS = (
    "doc_id",
    "source",
    "doc_type",
    "title",
    "content",
    "author",
    "participants",
    "thread_id",
    "url",
    "metadata",
    "version",
)


class SecretScanner:
    """Finds any form of any of ``secrets`` in text and in the fields of a document."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
        forms: set[str] = set()
        for value in values:
            forms.update(
                {
                    value,
                    quote(value, safe=""),
                    quote_plus(value),
                    repr(value)[1:-1],
                    json.dumps(value)[1:-1],
                }
            )
        self.forms = tuple(sorted(forms, key=len, reverse=True))

    def __bool__(self) -> bool:
        return bool(self.forms)

    def found_in(self, text: Any) -> bool:
        return isinstance(text, str) and any(form in text for form in self.forms)

    def document_fields(self, doc: Document) -> list[str]:
        """The names of the fields of ``doc`` that hold a secret."""
        return [
            name
            for name in DOCUMENT_FIELDS
            if any(self.found_in(text) for text in _strings(getattr(doc, name, None)))
        ]


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string in ``value``: itself, or the keys and values of nested containers."""
    if depth > 50:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key, depth + 1)
            yield from _strings(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item, depth + 1)
    elif value is not None and not isinstance(value, int | float | bool):
        try:
            text = str(value)
        except Exception:  # a broken __str__ holds no secret we could find
            return
        yield text
