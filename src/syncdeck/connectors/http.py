"""A paginated JSON API over HTTP(S), with retries, using only the standard library."""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from syncdeck import __version__
from syncdeck.connectors import checks
from syncdeck.connectors.cursors import decode_cursor, encode_cursor
from syncdeck.connectors.errors import CursorError, SourceError
from syncdeck.connectors.fields import FieldMap, as_text, lookup
from syncdeck.connectors.listing import digest, lookup_versions
from syncdeck.connectors.timestamps import isoformat_z
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, Deleted, ListingComplete, Progress, Unchanged
from syncdeck.core.errors import ConfigError
from syncdeck.core.redaction import MASK, is_secret_name, redact_text

TYPE = "http"
SCHEMES = ("http", "https")
PAGINATIONS = ("none", "next_token", "next_link", "page")
SINCE_FORMATS = ("iso", "epoch")
_SNIPPET = 200  # characters of an error response body quoted in the message
# Transient failures worth another attempt (HTTPError is handled on its own first).
_TRANSIENT = (URLError, TimeoutError, ConnectionError, http.client.HTTPException)


def redact_url(url: str) -> str:
    """``url`` with its password and secret-looking query values replaced by ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@" + netloc.rpartition("@")[2]
    query = urlencode(
        [
            (name, MASK if is_secret_name(name) else value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def without_query(url: str, names: Mapping[str, str]) -> str:
    """``url`` without the query parameters named in ``names``."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def with_query(url: str, extra: dict[str, str]) -> str:
    """``url`` with ``extra`` query parameters set (replacing those of the same name)."""
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in extra]
    query = urlencode([*kept, *extra.items()])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RedirectRefused(SourceError):
    """The server redirected to another scheme (e.g. https to http, or to file:)."""


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows redirects only within the scheme, and keeps credentials on the same origin.

    Credential headers are sent as "unredirected" headers, which urllib drops on every
    redirect; they are put back only when the redirect stays on the same scheme and host.
    """

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urljoin(req.full_url, location)
            if not _same_scheme(target, req.full_url):
                fp.close()
                scheme = urlsplit(target).scheme
                shown = redact_url(target) if scheme in SCHEMES else f"{scheme}:..."
                raise RedirectRefused(
                    f"{TYPE}: {redact_url(req.full_url)} redirected to {shown}; refusing to "
                    "change the scheme of a request: configure the final URL instead"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlsplit(newurl).netloc == urlsplit(req.full_url).netloc:
            for name, value in req.unredirected_hdrs.items():
                if name.lower() != "host":
                    new.add_unredirected_header(name, value)
        return new


def http_opener(redirects: urllib.request.HTTPRedirectHandler) -> urllib.request.OpenerDirector:
    """An opener that speaks only http and https (no file:, ftp: or data: handlers), with
    the given redirect policy."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        redirects,
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


class HttpConnector(BaseConnector):
    """Records from a JSON API, page by page.

    Each page's records are yielded, then a checkpoint whose cursor is the next page to
    fetch (``{"next": <token, link or page number>}``). When the last page is done the
    cursor is ``{"next": null}``: the next run starts a new pass from the first page, with
    ``since`` sent as since_param when configured (and records older than ``since`` by
    timestamp_field skipped). A record's version is a digest of its JSON, so a record
    read again unchanged costs no document and no store work.

    Deletions: with ``deleted_field`` a record so marked (``"deleted"``: the field is true;
    ``"status == deleted"``: the field has that value) is removed from the store. With
    ``full_refresh = true`` every run reads all pages from the first (no since) and ends
    with a complete listing, so records the API no longer returns are removed too, subject
    to the deletion guard. An interrupted full refresh starts again from the first page:
    a complete listing must be read in one run.

    Requests retry on 429, 5xx, timeouts and connection errors with exponential backoff
    (backoff * 2^attempt seconds), honouring Retry-After; every wait is capped at
    max_wait. Only http and https URLs are used, and a redirect to another scheme is
    refused. Header values and secret-looking query values never appear in messages.

    Parameters:
        url: the first page's URL (http or https)
        items_path: dotted path to the list of records in the response ("" if it is the list)
        id_field: field holding each record's unique id (dotted paths reach nested fields)
        content_field: field holding the text to index
        title_field: field holding the title ("" for none)
        author_field: field holding the author ("" for none)
        timestamp_field: field holding the time (ISO 8601 text or epoch seconds/ms)
        participants_field: field holding a list of participants ("" for none)
        thread_field: field grouping records into threads ("" for none)
        url_field: field holding a link to the record ("" for none)
        doc_type: the document type stored for each record
        pagination: "none", "next_token", "next_link" or "page"
        token_field: (next_token) dotted path of the next-page token in the response
        token_param: (next_token) query parameter that sends the token back
        link_field: (next_link) dotted path of the next page's URL ("" to use the Link header)
        page_param: (page) query parameter holding the page number
        start_page: (page) number of the first page
        params: extra query parameters sent with every request
        headers: extra request headers, e.g. Authorization (never shown)
        since_param: query parameter that receives the last successful sync time ("" for none)
        since_format: how since_param is written: "iso" (2024-05-01T12:00:00Z) or "epoch"
        deleted_field: marks deleted records: "deleted" (true when deleted) or
            "status == deleted" (a field and the value meaning deleted); "" for none
        full_refresh: read every page each run and remove what the API no longer returns
        timeout: seconds to wait for each response
        max_retries: further attempts after a failed request
        backoff: seconds before the first retry, doubled at each further one
        max_wait: cap in seconds on any wait, including a server's Retry-After
        total_field: dotted path of the total number of records in a response, when the
            API gives one ("" for none): shown as the sync's progress
    """

    connector_id = TYPE
    display_name = "HTTP JSON API"

    def __init__(
        self,
        url: str,
        items_path: str = "",
        id_field: str = "id",
        content_field: str = "content",
        title_field: str = "title",
        author_field: str = "",
        timestamp_field: str = "",
        participants_field: str = "",
        thread_field: str = "",
        url_field: str = "",
        doc_type: str = "record",
        pagination: str = "none",
        token_field: str = "next_token",
        token_param: str = "page_token",
        link_field: str = "next",
        page_param: str = "page",
        start_page: int = 1,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        since_param: str = "",
        since_format: str = "iso",
        deleted_field: str = "",
        full_refresh: bool = False,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        total_field: str = "",
    ) -> None:
        self.url = _check_url(checks.text(TYPE, "url", url, required=True))
        self.items_path = checks.text(TYPE, "items_path", items_path)
        self.fields = FieldMap.from_params(
            TYPE,
            id_field=id_field,
            content_field=content_field,
            title_field=title_field,
            author_field=author_field,
            timestamp_field=timestamp_field,
            participants_field=participants_field,
            thread_field=thread_field,
            url_field=url_field,
            doc_type=doc_type,
        )
        self.pagination = checks.choice(TYPE, "pagination", pagination, PAGINATIONS)
        self.token_field = checks.text(TYPE, "token_field", token_field, required=True)
        self.token_param = checks.text(TYPE, "token_param", token_param, required=True)
        self.link_field = checks.text(TYPE, "link_field", link_field)
        self.page_param = checks.text(TYPE, "page_param", page_param, required=True)
        self.start_page = checks.number(TYPE, "start_page", start_page, integer=True)
        self.params = checks.string_map(TYPE, "params", params or {})
        self.headers = checks.string_map(TYPE, "headers", headers or {})
        self.since_param = checks.text(TYPE, "since_param", since_param)
        self.since_format = checks.choice(TYPE, "since_format", since_format, SINCE_FORMATS)
        self.deleted_field = checks.text(TYPE, "deleted_field", deleted_field).strip()
        self._deleted = _deletion_test(self.deleted_field)
        if not isinstance(full_refresh, bool):
            raise ConfigError(
                f"{TYPE}: parameter 'full_refresh' must be true or false, not {full_refresh!r}"
            )
        if full_refresh and self.since_param:
            raise ConfigError(
                f"{TYPE}: parameters 'full_refresh' and 'since_param' exclude each other: a "
                "listing filtered by time is not complete, and would delete what it left out"
            )
        self.full_refresh = full_refresh
        self.lists_source = full_refresh  # a full refresh lists every record
        self.timeout = checks.number(TYPE, "timeout", timeout, minimum=0.001)
        self.max_retries = checks.number(TYPE, "max_retries", max_retries, minimum=0, integer=True)
        self.backoff = checks.number(TYPE, "backoff", backoff, minimum=0)
        self.max_wait = checks.number(TYPE, "max_wait", max_wait, minimum=0)
        self.total_field = checks.text(TYPE, "total_field", total_field).strip()
        self._secrets = _credentials(self.url, self.params, self.headers)
        # secret-named query parameters of the URL and params, never written into a cursor
        self._secret_query = {
            name: value
            for name, value in [*parse_qsl(urlsplit(self.url).query), *self.params.items()]
            if is_secret_name(name)
        }
        # What shapes a document besides the record: a new mapping makes versions stale.
        self._variant = digest(repr(self.fields))[:8]
        self._opener = http_opener(_RedirectHandler())
        self.sleep: Callable[[float], None] = time.sleep  # how retries wait (replaceable)

    def describe(self) -> str:
        refresh = ", full refresh" if self.full_refresh else ""
        return f"GET {redact_url(self.url)} ({self.pagination} pagination{refresh})"

    def check_cursor(self, cursor: str) -> None:
        self._decode(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        position = self._decode(cursor) if cursor is not None else None
        if self.full_refresh:
            position, since = None, None  # a complete listing, from the first page
        query = dict(self.params)
        if since is not None and self.since_param:
            query[self.since_param] = (
                isoformat_z(since) if self.since_format == "iso" else str(int(since.timestamp()))
            )
        seen: set[Any] = set()
        listed: set[str] = set()  # ids of this run: a repeated id is always read
        read = 0
        while True:
            url = self._page_url(position, query)
            data, headers = self._fetch(url)
            items = self._items(data, url)
            kept = [item for item in items if since is None or not self._older(item, since)]
            yield from self._page_items(kept, listed, source)
            read += len(items)
            total = self._total(data)
            if total is not None:
                yield Progress(read, total, "records")
            position = self._next(data, headers, url, position, bool(items))
            if self.pagination == "next_link" and position is not None:
                position = without_query(position, self._secret_query)  # kept out of cursors
            if position is None:
                yield Checkpoint(encode_cursor(next=None))
                if self.full_refresh:
                    yield ListingComplete()
                return
            if position in seen:
                raise SourceError(
                    f"{TYPE}: {redact_url(url)} pointed again to a page already read "
                    f"({self.pagination}); stopping instead of looping"
                )
            seen.add(position)
            yield Checkpoint(encode_cursor(next=position))

    def _total(self, data: Any) -> int | None:
        """The total number of records the response announces, if configured and sane."""
        if not self.total_field:
            return None
        value = lookup(data, self.total_field)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            return None
        return int(value)

    def _page_items(self, items: list[Any], listed: set[str], source: str) -> Iterator[SyncItem]:
        """A page's records: deletions, unchanged markers by version, documents."""
        ids = [self.fields.record_id(item) for item in items]
        known = lookup_versions(self.stored, [doc_id for doc_id in ids if doc_id])
        for item, doc_id in zip(items, ids, strict=True):
            if doc_id and self._deleted(item):
                listed.discard(doc_id)
                yield Deleted(doc_id)
                continue
            version = self._variant + ":" + digest(_canonical(item))
            if doc_id and doc_id not in listed and known.get(doc_id) == version:
                yield Unchanged(doc_id)
            else:
                document = self.fields.document(item, source=source)
                document.version = version
                yield document
            listed.add(doc_id)

    def _older(self, item: Any, since: datetime) -> bool:
        timestamp = self.fields.timestamp(item) if self.fields.timestamp_field else None
        return timestamp is not None and timestamp < since

    def _decode(self, cursor: str) -> Any:
        kind, example = {
            "next_link": (str, '"https://..."'),
            "next_token": (str, '"abc"'),
            "page": (int, "3"),
        }.get(self.pagination, (type(None), "null"))
        position = decode_cursor(
            cursor, connector=TYPE, example=f'{{"next": {example}}}', next=(kind, type(None))
        )["next"]
        if (
            self.pagination == "next_link"
            and position is not None
            and not _same_scheme(position, self.url)
        ):
            raise CursorError(
                f"{TYPE}: cursor link {redact_url(position)!r} does not use the scheme of "
                f"{redact_url(self.url)!r}; reset the checkpoint or set an http(s) link"
            )
        return position

    def _page_url(self, position: Any, query: dict[str, str]) -> str:
        if self.pagination == "next_link" and position is not None:
            # a saved link lacks the configured secret parameters: they are added back
            return with_query(position, self._secret_query) if self._secret_query else position
        extra = dict(query)
        if self.pagination == "next_token" and position is not None:
            extra[self.token_param] = str(position)
        elif self.pagination == "page":
            extra[self.page_param] = str(self.start_page if position is None else position)
        return with_query(self.url, extra) if extra else self.url

    def _items(self, data: Any, url: str) -> list[Any]:
        items = lookup(data, self.items_path) if self.items_path else data
        if not isinstance(items, list):
            where = f"at items_path {self.items_path!r}" if self.items_path else "(top level)"
            keys = (
                f" (keys: {', '.join(map(str, list(data)[:10]))})" if isinstance(data, dict) else ""
            )
            raise SourceError(
                f"{TYPE}: the response of {redact_url(url)} has no list of records "
                f"{where}{keys}; check items_path"
            )
        return items

    def _next(self, data: Any, headers: Message, url: str, position: Any, had_items: bool) -> Any:
        """The next page's token, link or number; None after the last page."""
        if self.pagination == "next_token":
            token = lookup(data, self.token_field)
            return str(token) if token not in (None, "") else None
        if self.pagination == "next_link":
            link = lookup(data, self.link_field) if self.link_field else None
            link = link or _link_header_next(headers)
            if not link:
                return None
            target = urljoin(url, str(link))
            if not _same_scheme(target, self.url):
                raise SourceError(
                    f"{TYPE}: the next link of {redact_url(url)} changes the scheme "
                    f"({redact_url(target)}); refusing to follow it"
                )
            return target
        if self.pagination == "page" and had_items:
            return (self.start_page if position is None else position) + 1
        return None

    def _fetch(self, url: str) -> tuple[Any, Message]:
        """GET ``url`` as JSON, retrying transient failures."""
        last_error = ""
        for attempt in range(self.max_retries + 1):
            retry_after: str | None = None
            try:
                with self._opener.open(self._request(url), timeout=self.timeout) as response:
                    body = response.read()
                    headers = response.headers
                return self._json(body, headers, url), headers
            except HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise SourceError(self._http_error(url, exc)) from None
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                last_error = f"HTTP {exc.code} {exc.reason}"
                exc.close()
            except _TRANSIENT as exc:
                last_error = _describe_failure(exc, self.timeout)
            if attempt < self.max_retries:
                self.sleep(self._wait(attempt, retry_after))
        raise SourceError(
            f"{TYPE}: GET {redact_url(url)} failed after {self.max_retries + 1} "
            f"attempt(s): {last_error}"
        )

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        delay = retry_after_seconds(retry_after)
        if delay is None:
            delay = self.backoff * 2**attempt
        return min(delay, self.max_wait)

    def _request(self, url: str) -> urllib.request.Request:
        request = urllib.request.Request(
            url,
            headers={"Accept": "application/json", "User-Agent": f"syncdeck/{__version__}"},
        )
        for name, value in self.headers.items():
            if is_secret_name(name):
                request.add_unredirected_header(name, value)
            else:
                request.add_header(name, value)
        return request

    def _json(self, body: bytes, headers: Message, url: str) -> Any:
        charset = headers.get_content_charset() or "utf-8"
        try:
            return json.loads(body.decode(charset, errors="replace"))
        except (ValueError, LookupError) as exc:
            raise SourceError(
                f"{TYPE}: the response of {redact_url(url)} is not JSON ({exc}): "
                f"{self._scrub(body[:_SNIPPET].decode('utf-8', errors='replace'))!r}"
            ) from None

    def _http_error(self, url: str, exc: HTTPError) -> str:
        try:
            body = exc.read(_SNIPPET).decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            body = ""
        snippet = " ".join(self._scrub(body).split())
        hint = " (check the credentials in headers)" if exc.code in (401, 403) else ""
        return f"{TYPE}: GET {redact_url(url)} returned HTTP {exc.code} {exc.reason}{hint}" + (
            f": {snippet}" if snippet else ""
        )

    def _scrub(self, text: str) -> str:
        """``text`` (a server's error body) with anything that may be a credential masked."""
        return redact_text(text, self._secrets)


def _deletion_test(spec: str) -> Callable[[Any], bool]:
    """What ``deleted_field`` means: ``field`` (truthy) or ``field == value``."""
    if not spec:
        return lambda item: False
    field, equals, expected = spec.partition("==")
    field, expected = field.strip(), expected.strip().strip("'\"")
    if not field or (equals and not expected):
        raise ConfigError(
            f"{TYPE}: parameter 'deleted_field' is {spec!r}; expected a field name, like "
            '"deleted", or a field and a value, like "status == deleted"'
        )
    if equals:
        return lambda item: as_text(lookup(item, field)).strip() == expected
    return lambda item: _truthy(lookup(item, field))


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "deleted")
    return bool(value)


def _canonical(item: Any) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.netloc:
        shown = redact_url(url) if parts.netloc else url
        raise ConfigError(
            f"{TYPE}: parameter 'url': {shown!r} is not an http(s) URL; only http:// and "
            "https:// are supported"
        )
    return url


def _credentials(url: str, params: dict[str, str], headers: dict[str, str]) -> list[str]:
    """Values a server might echo back that must not reach a message."""
    found = list(headers.values())
    found += [value.split()[-1] for value in headers.values() if value.split()]  # "Bearer x"
    query = [*parse_qsl(urlsplit(url).query), *params.items()]
    found += [value for name, value in query if is_secret_name(name)]
    password = urlsplit(url).password
    return [*found, password] if password else found


def _same_scheme(url: str, reference: str) -> bool:
    return urlsplit(url).scheme.lower() == urlsplit(reference).scheme.lower()


def _link_header_next(headers: Message) -> str | None:
    """The rel="next" target of an RFC 8288 Link header."""
    for value in headers.get_all("Link") or []:
        for link in str(value).split(","):
            target, _, attributes = link.partition(";")
            rels = [a.strip() for a in attributes.split(";")]
            if any(r.replace(" ", "") in ('rel="next"', "rel=next") for r in rels):
                return target.strip().strip("<>")
    return None


def _describe_failure(exc: BaseException, timeout: float) -> str:
    reason = exc.reason if isinstance(exc, URLError) else exc
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"timed out after {timeout:g} s"
    return str(reason) or type(reason).__name__
