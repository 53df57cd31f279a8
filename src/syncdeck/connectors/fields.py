"""Mapping a record (a JSON object, a table row) onto a Document by configured field names.

Shared by the jsonl, sqlite and http connectors so that the same parameter names mean the
same thing everywhere. A record without an id still becomes a Document (with an empty id):
the pipeline then quarantines it with the reason, instead of it vanishing here. A record
without a readable timestamp is dated ``UNKNOWN_TIME`` (the Unix epoch).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncdeck.connectors import checks
from syncdeck.connectors.timestamps import parse_timestamp
from syncdeck.core.documents import Document

_MISSING = object()
# The time given to a record without a (readable) timestamp. A fixed value, not "now",
# so that reading the same record again leaves it unchanged in the store.
UNKNOWN_TIME = datetime(1970, 1, 1, tzinfo=UTC)

FIELD_PARAMETERS = (
    "id_field",
    "content_field",
    "title_field",
    "author_field",
    "timestamp_field",
    "participants_field",
    "thread_field",
    "url_field",
)


def lookup(record: Any, path: str) -> Any:
    """``record[path]``, or the dotted ``a.b.0.c`` path into nested objects; None if absent."""
    if not path:
        return None
    if isinstance(record, dict) and path in record:
        return record[path]
    value = record
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            value = _MISSING
        if value is _MISSING:
            return None
    return value


def as_text(value: Any) -> str:
    """Strings as they are, absent values as "", anything else as compact JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def as_list(value: Any) -> list[str]:
    """A list field, or a comma-separated string, as a list of non-empty strings."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        items = [items]
    return [text for text in (as_text(item).strip() for item in items) if text]


@dataclass(frozen=True)
class FieldMap:
    """Which record field feeds which Document field ("" = not mapped)."""

    id_field: str
    content_field: str
    title_field: str = ""
    author_field: str = ""
    timestamp_field: str = ""
    participants_field: str = ""
    thread_field: str = ""
    url_field: str = ""
    doc_type: str = "record"

    @classmethod
    def from_params(cls, connector: str, *, doc_type: str, **mapping: Any) -> FieldMap:
        """Build from connector parameters named ``<field>_field`` or ``<field>_column``.

        Checks each value, naming the parameter; the id and content fields are required.
        """
        fields: dict[str, str] = {}
        for param, value in mapping.items():
            name = param.rsplit("_", 1)[0] + "_field"
            if name not in FIELD_PARAMETERS:
                raise TypeError(f"unknown field parameter {param!r}")
            required = name in ("id_field", "content_field")
            fields[name] = checks.text(connector, param, value, required=required)
        return cls(doc_type=checks.text(connector, "doc_type", doc_type, required=True), **fields)

    def record_id(self, record: Any) -> str:
        """The document id ``document(record)`` would have ("" for none)."""
        return as_text(lookup(record, self.id_field)).strip() if isinstance(record, dict) else ""

    def timestamp(self, record: Any) -> datetime | None:
        return parse_timestamp(lookup(record, self.timestamp_field))

    def document(self, record: Any, *, source: str) -> Document:
        """The Document for ``record``; unmapped top-level fields go to metadata."""
        if not isinstance(record, dict):
            return Document(
                doc_id="",
                source=source,
                doc_type=self.doc_type,
                content=as_text(record),
                metadata={"error": f"record is a {type(record).__name__}, not an object"},
            )
        mapped = {getattr(self, name) for name in FIELD_PARAMETERS}
        metadata = {
            key: value
            for key, value in record.items()
            if key not in mapped and _is_json_value(value)
        }
        raw_time = lookup(record, self.timestamp_field)
        timestamp = parse_timestamp(raw_time)
        if raw_time is not None and timestamp is None:
            metadata["unparsed_timestamp"] = as_text(raw_time)
        thread = as_text(lookup(record, self.thread_field))
        url = as_text(lookup(record, self.url_field))
        return Document(
            doc_id=self.record_id(record),
            source=source,
            doc_type=self.doc_type,
            content=as_text(lookup(record, self.content_field)),
            title=as_text(lookup(record, self.title_field)),
            author=as_text(lookup(record, self.author_field)),
            participants=as_list(lookup(record, self.participants_field)),
            thread_id=thread or None,
            url=url or None,
            timestamp=timestamp or UNKNOWN_TIME,
            metadata=metadata,
        )


def _is_json_value(value: Any) -> bool:
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, list):
        return all(_is_json_value(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json_value(v) for k, v in value.items())
    return False
