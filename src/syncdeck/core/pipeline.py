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
from syncdeck.core.text import storable

MAX_CONTENT_BYTES = 32 * 1024 * 1024
_SEP = "\x1f"
_FLAGS = "0123"
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
    # what identifies the item across runs, so re-delivery updates one quarantine entry
    fingerprint: str = ""


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
    if type(timestamp) is not datetime or timestamp.tzinfo is not UTC:
        timestamp = _utc_instant(timestamp)
    metadata = doc.metadata
    if type(metadata) is not dict and not isinstance(metadata, Mapping):
        raise InvalidDocument(f"metadata must be a mapping, got {type(metadata).__name__}")
    try:
        metadata_json = _METADATA(metadata) if metadata else "{}"
    except RecursionError:
        raise InvalidDocument(
            "metadata is nested too deep to store (over the JSON encoder's recursion limit)"
        ) from None
    except (TypeError, ValueError) as exc:
        raise InvalidDocument(f"metadata is not JSON-serialisable: {exc}") from None
    participants_json = _PARTICIPANTS(list(participants)) if participants else "[]"
    # Keys keep every distinct id distinct, even one with undecodable bytes (core.text).
    key_source = source if source.isascii() else storable(source)
    key_id = doc_id if doc_id.isascii() else storable(doc_id)
    # The content last and the other fields joined before it: with the content last, only
    # the short fields must be free of the separator for the join to be unambiguous, and
    # the digit in front says which of thread_id and url are None (None is not "").
    head = [
        key_source,
        key_id,
        doc_type,
        title,
        author,
        participants_json,
        # The instant, exactly and cheaply (pickle state: year..microsecond); the text
        # form is made by the store, and only for rows it writes.
        timestamp.__reduce__()[1][0].hex(),  # type: ignore[index]
        thread_id or "",
        url or "",
        metadata_json,
    ]
    flags = _FLAGS[(thread_id is None) + 2 * (url is None)]
    try:
        digest, size = _digest(flags, head, content)
    except UnicodeEncodeError:  # lone surrogates in the text: stored as U+FFFD
        head = [p if i < 2 else _scrub(p) for i, p in enumerate(head)]
        content = _scrub(content)
        if thread_id is not None:
            thread_id = head[7]
        if url is not None:
            url = head[8]
        digest, size = _digest(flags, head, content)
    if size > MAX_CONTENT_BYTES:
        raise InvalidDocument(
            f"document is {size:,} bytes, over the {MAX_CONTENT_BYTES:,}-byte limit"
        )
    return _new_row(
        StoredRow,
        (
            head[0],
            head[1],
            head[2],
            head[3],
            content,
            head[4],
            head[5],
            timestamp,
            thread_id,
            url,
            head[9],
            digest,
            version,
        ),
    )


def _digest(flags: str, head: list[str], content: str) -> tuple[str, int]:
    """The content hash of a document (SHA-256, hardware-accelerated on most CPUs) and
    its size in bytes.

    The hashed form is unambiguous: no character moved between two fields, and no None
    turned into "", hashes the same. Nearly always it is ``flags`` (a digit saying which
    of thread_id and url are None), the fields but the content joined by a separator, and
    the content; a count confirms that no short field holds the separator. Otherwise
    (rare) the fields' lengths come first, behind the separator itself, which the usual
    form never starts with."""
    joined = _SEP.join(head)
    if joined.count(_SEP) == len(head) - 1:
        start = (flags + joined + _SEP).encode("utf-8")
    else:
        lengths = ",".join([str(len(p)) for p in head])
        start = (_SEP + flags + lengths + _SEP + "".join(head)).encode("utf-8")
    body = content.encode("utf-8")
    hashed = _sha256(start)
    hashed.update(body)
    return hashed.hexdigest()[:32], len(start) + len(body)


def _utc_instant(timestamp: Any) -> datetime:
    """``timestamp`` as a plain aware-UTC datetime, or InvalidDocument saying why not."""
    if not isinstance(timestamp, datetime):
        raise InvalidDocument(f"timestamp must be a datetime, got {type(timestamp).__name__}")
    try:
        offset = timestamp.utcoffset()
        if offset is None:
            timestamp = timestamp.replace(tzinfo=UTC)
        elif offset or timestamp.tzinfo is not UTC:
            timestamp = timestamp.astimezone(UTC)
    except OverflowError:
        raise InvalidDocument(
            f"timestamp cannot be represented in UTC ({_show_time(timestamp)} is outside "
            "years 1-9999 once converted)"
        ) from None
    except Exception as exc:
        raise InvalidDocument(
            f"timestamp's time zone failed: {type(exc).__name__}: {exc}"
        ) from None
    if type(timestamp) is not datetime:  # a subclass: keep only the instant
        timestamp = datetime(*timestamp.timetuple()[:6], timestamp.microsecond, UTC)
    return timestamp


def _show_time(value: datetime) -> str:
    try:
        return value.isoformat()
    except Exception:
        return repr(value)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_STABLE_FIELDS = ("source", "doc_type", "title", "content", "author", "thread_id", "url")


def fingerprint(item: Any, doc_id: str | None) -> str:
    """What identifies a rejected item from one run to the next: its id when it has one,
    else a digest of what does not change on re-delivery (not the timestamp a document
    without one gets at creation, not the memory address in a repr)."""
    if doc_id is not None:
        return doc_id  # as earlier releases keyed it
    if isinstance(item, Document | Mapping):
        get = item.get if isinstance(item, Mapping) else lambda name: getattr(item, name, None)
        text = "\x1f".join(describe_payload(get(name), 500) for name in _STABLE_FIELDS)
    else:
        text = _ADDRESS.sub("", describe_payload(item))
    return "sha256:" + _sha256(text.encode("utf-8", "replace")).hexdigest()[:32]


def safe_doc_id(item: Any) -> str | None:
    value = item.get("doc_id") if isinstance(item, Mapping) else getattr(item, "doc_id", None)
    return value if isinstance(value, str) else (None if value is None else repr(value)[:200])


class IngestionPipeline:
    """Validates documents and stores them, one store transaction per batch."""

    def __init__(self, store: DocumentStore) -> None:
        self.store = store

    def prepare(self, item: Any) -> StoredRow | Rejection:
        """A store row for a valid document, else the :class:`Rejection` saying why.

        Whatever a document holds, this never raises: a value that breaks validation
        itself (a ``__eq__`` or ``__str__`` that raises...) is a rejection too."""
        try:
            return prepare(item)
        except InvalidDocument as exc:
            reason = str(exc)
        except Exception as exc:
            reason = f"cannot be stored: {type(exc).__name__}: {exc}"
        doc_id = safe_doc_id(item)
        return Rejection(doc_id, reason, describe_payload(item), fingerprint(item, doc_id))

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
