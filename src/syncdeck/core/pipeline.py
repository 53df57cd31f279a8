"""Validation and normalisation between connectors and the store.

A bad document never stops a batch and never vanishes: it comes back as a
:class:`Rejection` with the reason, for the engine to quarantine.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from syncdeck.core.backend import BatchHook, DocumentStore
from syncdeck.core.counters import RunCounts
from syncdeck.core.documents import Document
from syncdeck.core.store import StoredRow

MAX_CONTENT_BYTES = 32 * 1024 * 1024
_SEP = "\x1f"
_sha256 = hashlib.sha256
_SURROGATE = re.compile("[\ud800-\udfff]")
_DOC_FIELDS = {f.name for f in fields(Document)}
_new_row = tuple.__new__  # builds a StoredRow without the NamedTuple's Python-level __new__


@dataclass(frozen=True)
class Rejection:
    """A document the pipeline refused, and why."""

    doc_id: str | None
    reason: str
    payload: str  # a bounded repr of what the connector yielded, for the quarantine


@dataclass
class IngestResult:
    """What one :meth:`IngestionPipeline.ingest_batch` did: the store's counts and the
    documents refused, with their reasons."""

    counts: RunCounts = field(default_factory=RunCounts)
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return self.counts.inserted

    @property
    def updated(self) -> int:
        return self.counts.updated

    @property
    def unchanged(self) -> int:
        return self.counts.unchanged

    @property
    def written(self) -> int:
        return self.counts.written

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged + len(self.rejected)


class InvalidDocument(ValueError):
    """Raised by :func:`prepare` with the reason a document cannot be stored."""


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


_METADATA = json.JSONEncoder(default=_json_default, ensure_ascii=False, sort_keys=True).encode
_PARTICIPANTS = json.JSONEncoder(ensure_ascii=False).encode


def _text(name: str, value: Any, *, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidDocument(f"{name} must be a string, got {type(value).__name__}")
    if required and not value.strip():
        raise InvalidDocument(f"{name} must not be empty")
    return value


def _optional_text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    return _text(name, value)


def _scrub(value: str) -> str:
    """Replace lone surrogates (undecodable input) so the text can be stored as UTF-8."""
    return _SURROGATE.sub("\ufffd", value)


def describe_payload(item: Any, limit: int = 2000) -> str:
    try:
        text = repr(item)
    except Exception as exc:  # a broken __repr__ must not hide the rejection
        text = f"<{type(item).__name__}: repr failed: {exc}>"
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def prepare(item: Any) -> StoredRow:
    """Check types and normalise one document into a store row (raises InvalidDocument)."""
    if isinstance(item, Document):
        doc = item
    elif isinstance(item, Mapping):
        unknown = set(item) - _DOC_FIELDS
        if unknown:
            raise InvalidDocument(f"unknown document fields: {', '.join(sorted(unknown))}")
        try:
            doc = Document(**item)
        except TypeError as exc:
            raise InvalidDocument(f"not a document: {exc}") from None
    else:
        raise InvalidDocument(f"expected a Document, got {type(item).__name__}")

    doc_id, source, doc_type = doc.doc_id, doc.source, doc.doc_type
    content, title, author = doc.content, doc.title, doc.author
    thread_id, url, participants = doc.thread_id, doc.url, doc.participants
    timestamp, version = doc.timestamp, doc.version
    # The common case costs a few identity checks; anything unusual takes the slow path,
    # which also finds the reason to give.
    if not (
        type(doc_id) is str
        and type(source) is str
        and type(doc_type) is str
        and type(content) is str
        and type(title) is str
        and type(author) is str
        and (thread_id is None or type(thread_id) is str)
        and (url is None or type(url) is str)
        and type(participants) is list
        and (version is None or type(version) is str)
        and doc_id.strip()
        and source.strip()
    ):
        doc_id = _text("doc_id", doc_id, required=True)
        source = _text("source", source, required=True)
        doc_type = _text("doc_type", doc_type)
        content = _text("content", content)
        title = _text("title", title)
        author = _text("author", author)
        thread_id = _optional_text("thread_id", thread_id)
        url = _optional_text("url", url)
        version = _optional_text("version", version)
        if not isinstance(participants, list | tuple):
            raise InvalidDocument("participants must be a list of strings")
    if version is not None and not version.isascii():
        version = _scrub(version)
    if participants and not all(isinstance(p, str) for p in participants):
        raise InvalidDocument("participants must be a list of strings")
    if type(timestamp) is datetime and timestamp.tzinfo is UTC:
        pass  # Document.__post_init__ already normalised it
    elif not isinstance(timestamp, datetime):
        raise InvalidDocument(f"timestamp must be a datetime, got {type(timestamp).__name__}")
    elif timestamp.tzinfo is None or timestamp.utcoffset() is None:
        timestamp = timestamp.replace(tzinfo=UTC)
    elif timestamp.utcoffset():
        timestamp = timestamp.astimezone(UTC)
    if type(timestamp) is not datetime:  # a subclass: keep only the instant
        timestamp = datetime(*timestamp.timetuple()[:6], timestamp.microsecond, UTC)
    metadata = doc.metadata
    if type(metadata) is not dict and not isinstance(metadata, Mapping):
        raise InvalidDocument(f"metadata must be a mapping, got {type(metadata).__name__}")
    try:
        metadata_json = _METADATA(metadata) if metadata else "{}"
    except (TypeError, ValueError) as exc:
        raise InvalidDocument(f"metadata is not JSON-serialisable: {exc}") from None
    participants_json = _PARTICIPANTS(list(participants)) if participants else "[]"
    parts = [
        source,
        doc_id,
        doc_type,
        title,
        content,
        author,
        participants_json,
        # The instant, exactly and cheaply (pickle state: year..microsecond); the text
        # form is made by the store, and only for rows it writes.
        timestamp.__reduce__()[1][0].hex(),  # type: ignore[index]
        thread_id or "",
        url or "",
        metadata_json,
    ]
    joined = _SEP.join(parts)
    try:
        encoded = joined.encode("utf-8")
    except UnicodeEncodeError:
        parts = [_scrub(p) for p in parts]
        thread_id = _scrub(thread_id) if thread_id is not None else None
        url = _scrub(url) if url is not None else None
        encoded = _SEP.join(parts).encode("utf-8")
    if len(encoded) > MAX_CONTENT_BYTES:
        raise InvalidDocument(
            f"document is {len(encoded):,} bytes, over the {MAX_CONTENT_BYTES:,}-byte limit"
        )
    digest = _sha256(encoded).hexdigest()[:32]  # SHA-256: hardware-accelerated on most CPUs
    return _new_row(
        StoredRow,
        (
            parts[0],
            parts[1],
            parts[2],
            parts[3],
            parts[4],
            parts[5],
            parts[6],
            timestamp,
            thread_id,
            url,
            parts[10],
            digest,
            version,
        ),
    )


def safe_doc_id(item: Any) -> str | None:
    value = item.get("doc_id") if isinstance(item, Mapping) else getattr(item, "doc_id", None)
    return value if isinstance(value, str) else (None if value is None else repr(value)[:200])


class IngestionPipeline:
    """Validates documents and stores them, one store transaction per batch."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def prepare(self, item: Any) -> StoredRow | Rejection:
        """A store row for a valid document, else the :class:`Rejection` saying why."""
        try:
            return prepare(item)
        except InvalidDocument as exc:
            return Rejection(safe_doc_id(item), str(exc), describe_payload(item))

    def write(
        self,
        rows: list[StoredRow],
        *,
        connector: str | None = None,
        deletions: Sequence[str] = (),
        then: BatchHook | None = None,
    ) -> IngestResult:
        """Store prepared rows (and delete ``deletions`` of ``connector``) in one batch;
        ``then`` as for :meth:`DocumentStore.write`."""
        return IngestResult(
            self.store.write(rows, connector=connector, deletions=deletions, then=then)
        )

    def ingest_batch(self, docs: Iterable[Any]) -> IngestResult:
        rows: list[StoredRow] = []
        rejected: list[Rejection] = []
        for item in docs:
            prepared = self.prepare(item)
            if isinstance(prepared, Rejection):
                rejected.append(prepared)
            else:
                rows.append(prepared)
        result = self.write(rows)
        result.rejected = rejected
        return result

    def ingest(self, docs: Iterable[Any]) -> int:
        """Store documents; returns how many were written (inserted + updated)."""
        return self.ingest_batch(docs).written
