"""Entries of RSS and Atom feeds, read from URLs or files, re-read only when they change."""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from syncdeck.connectors import checks, conditional_get
from syncdeck.connectors.conditional_get import Validators
from syncdeck.connectors.cursors import decode_by_location, encode_cursor
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.fields import UNKNOWN_TIME
from syncdeck.connectors.html_text import html_to_text
from syncdeck.connectors.http import redact_url
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, Document, Unchanged
from syncdeck.core.errors import ConfigError

TYPE = "feed"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
_CURSOR_EXAMPLE = '{"feeds": {"https://example.org/feed.xml": {"etag": "\\"abc\\""}}}'
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S")


class FeedConnector(BaseConnector):
    """Entries of RSS 0.9x, RSS 1.0 (RDF), RSS 2.0 and Atom feeds, one document per entry.

    Feeds are parsed by feedparser, which copes with broken ones: a feed with errors
    yields every entry that could still be read; a source where nothing parses (an HTML
    page, a truncated download) is an error that names it. HTML in titles and content is
    reduced to text. doc_id is the entry's id (Atom id, RSS guid), else its link, else a
    hash of its title and date; an id that is not a URI (a bare "42") is prefixed with the
    feed's location, since only URIs are unique beyond one feed. An edited entry (new
    content or updated date) is stored again; an unchanged one costs nothing.

    A feed is a window on recent entries, not a listing: entries that drop out of it are
    kept in the store. The cursor keeps each feed's ETag and Last-Modified (a file's
    modification time, size and inode), so a feed that did not change is answered 304
    and nothing is parsed. A feed that fails does not stop the others: the run goes on,
    then ends with an error naming each failed feed (the next run fetches it again).

    Parameters:
        urls: the feeds: http(s) URLs or file paths (absolute, or relative to the working
            folder)
        timeout: seconds to wait for each response
        max_bytes: the largest feed read, after decompression
    """

    connector_id = TYPE
    display_name = "RSS/Atom feeds"

    def __init__(self, urls: list[str], timeout: float = 30.0, max_bytes: int = 20_000_000) -> None:
        listed = checks.string_list(TYPE, "urls", urls)
        if not listed:
            raise ConfigError(f"{TYPE}: parameter 'urls' must name at least one feed")
        self.urls = list(
            dict.fromkeys(conditional_get.check_location(TYPE, "urls", u) for u in listed)
        )
        self.timeout = checks.number(TYPE, "timeout", timeout, minimum=0.001)
        self.max_bytes = checks.number(TYPE, "max_bytes", max_bytes, minimum=1, integer=True)

    def describe(self) -> str:
        shown = ", ".join(redact_url(u) for u in self.urls[:3])
        more = f" and {len(self.urls) - 3} more" if len(self.urls) > 3 else ""
        return f"{len(self.urls)} feed{'s' if len(self.urls) != 1 else ''}: {shown}{more}"

    def check_cursor(self, cursor: str) -> None:
        _decode_cursor(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        feeds = _decode_cursor(cursor) if cursor is not None else {}
        failures: list[str] = []
        seen: set[str] = set()
        for location in self.urls:
            try:
                fetched = conditional_get.read(
                    location,
                    connector=TYPE,
                    validators=Validators(**feeds.get(location, {})),
                    accept=ACCEPT,
                    timeout=self.timeout,
                    max_bytes=self.max_bytes,
                )
                if fetched.unchanged:
                    continue
                documents = parse_feed(fetched, location=location, source=source)
            except SourceError as exc:
                failures.append(str(exc))
                continue
            documents = [doc for doc in documents if doc.doc_id not in seen]
            seen.update(doc.doc_id for doc in documents)
            known = self.stored.versions([doc.doc_id for doc in documents])
            for document in documents:
                if document.doc_id in known and known[document.doc_id] == document.version:
                    yield Unchanged(document.doc_id)
                else:
                    yield document
            feeds[location] = fetched.validators.as_json()
            yield Checkpoint(encode_cursor(feeds=feeds))
        if len(failures) == 1 and len(self.urls) == 1:
            raise SourceError(failures[0])
        if failures:
            reasons = "; ".join(f.removeprefix(f"{TYPE}: ") for f in failures)
            raise SourceError(
                f"{TYPE}: {len(failures)} of {len(self.urls)} feeds could not be read "
                f"(the others were synced): {reasons}"
            )


def parse_feed(fetched: conditional_get.Fetched, *, location: str, source: str) -> list[Document]:
    """The entries of one feed as documents; an error when nothing in it parses."""
    from_web = conditional_get.is_url(location)
    headers = {
        "content-location": fetched.url if from_web else "",
        # a file has no Content-Type: let the XML declaration decide its encoding
        "content-type": fetched.content_type or ("" if from_web else "application/xml"),
    }
    parsed = feedparser.parse(fetched.body or b"", response_headers=headers)
    entries = [entry for entry in parsed.entries if _has_substance(entry)]
    if not entries and (parsed.bozo or not parsed.get("version")):
        problem = parsed.get("bozo_exception")
        detail = f"{type(problem).__name__}: {problem}" if problem else "no RSS or Atom elements"
        raise SourceError(f"{TYPE}: {redact_url(location)} is not a readable feed ({detail})")
    feed = parsed.feed
    context = _FeedContext(
        location=location,
        source=source,
        title=_text(feed.get("title", ""), feed.get("title_detail")),
        base=fetched.url if from_web else feed.get("link", ""),
        author=_author(feed),
    )
    documents: dict[str, Document] = {}
    for entry in entries:
        document = _document(entry, context)
        documents.setdefault(document.doc_id, document)  # a repeated id: the first (newest)
    return list(documents.values())


def _has_substance(entry: Any) -> bool:
    return any(entry.get(key) for key in ("id", "link", "title", "summary", "content"))


@dataclass(frozen=True)
class _FeedContext:
    location: str  # as configured: part of ids that are not URIs
    source: str
    title: str
    base: str  # what relative links are resolved against
    author: str  # the feed's author, which its entries inherit (Atom)


def _author(item: Any) -> str:
    """``Name <email>`` (as mail shows it), or whichever of the two the feed gives."""
    detail = item.get("author_detail") or {}
    name, email = detail.get("name", "").strip(), detail.get("email", "").strip()
    if name and email:
        return f"{name} <{email}>"
    return name or email or (item.get("author") or "").strip()


def _document(entry: Any, context: _FeedContext) -> Document:
    location = context.location
    title = _text(entry.get("title", ""), entry.get("title_detail"))
    content = _content(entry)
    published = _time(entry, "published") or _time(entry, "created")
    updated = _time(entry, "updated")
    link = (entry.get("link") or "").strip()
    if link and context.base:
        link = urljoin(context.base, link)
    entry_id = (entry.get("id") or "").strip() or link
    if not entry_id:
        dated = dict.get(entry, "published") or dict.get(entry, "updated") or ""
        entry_id = "sha256:" + hashlib.sha256(f"{title}\n{dated}".encode()).hexdigest()[:32]
    doc_id = (
        entry_id
        if _SCHEME.match(entry_id) and not entry_id.startswith("sha256:")
        else (f"{location}#{entry_id}")
    )
    metadata: dict[str, Any] = {"feed": context.title, "feed_url": location}
    if published:
        metadata["published"] = published.isoformat()
    if updated and updated != published:
        metadata["updated"] = updated.isoformat()
    tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
    if tags:
        metadata["tags"] = tags
    enclosures = [
        {"url": e.get("href", ""), "type": e.get("type", ""), "length": e.get("length", "")}
        for e in entry.get("enclosures", [])
        if e.get("href")
    ]
    if enclosures:
        metadata["enclosures"] = enclosures
    if entry.get("comments"):
        metadata["comments"] = entry["comments"]
    author = _author(entry) or context.author
    version = hashlib.sha256(
        json.dumps([title, content, link, metadata, author], sort_keys=True).encode()
    ).hexdigest()[:24]
    return Document(
        doc_id=doc_id,
        source=context.source,
        doc_type="feed_entry",
        content=content,
        title=title,
        author=author,
        timestamp=published or updated or UNKNOWN_TIME,
        url=link or None,
        metadata=metadata,
        version=version,
    )


def _content(entry: Any) -> str:
    """The fullest body: Atom content / content:encoded, else the summary, as text."""
    for part in entry.get("content", []):
        if part.get("value"):
            return _text(part["value"], part)
    return _text(entry.get("summary", ""), entry.get("summary_detail"))


def _text(value: str, detail: Any) -> str:
    kind = (detail or {}).get("type", "")
    if "html" in kind:
        return html_to_text(value).text
    return " ".join(value.split()) if "\n" not in value else value.strip()


def _time(entry: Any, name: str) -> datetime | None:
    # dict.get, not entry.get: FeedParserDict would alias updated to published (deprecated)
    parsed = dict.get(entry, f"{name}_parsed")
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _decode_cursor(cursor: str) -> dict[str, dict[str, str]]:
    return decode_by_location(
        cursor,
        key="feeds",
        fields={"etag", "last_modified"},
        connector=TYPE,
        example=_CURSOR_EXAMPLE,
    )
