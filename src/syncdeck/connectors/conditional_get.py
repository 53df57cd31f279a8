"""Reading a document that is either a URL or a file, only when it changed since last time.

The feed and calendar connectors poll sources that rarely change. Over HTTP the request
carries the ETag and Last-Modified of the last read (``If-None-Match``,
``If-Modified-Since``), so an unchanged source answers 304 with no body; a file's
modification time, size and inode stand in for an ETag. Responses may be gzip or deflate
compressed and are limited to ``max_bytes`` after decompression. Redirects are followed
within http and https, except from https down to http; no other scheme is ever opened.
"""

from __future__ import annotations

import http.client
import os
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urljoin, urlsplit

from syncdeck import __version__
from syncdeck.connectors.errors import SourceError
from syncdeck.connectors.http import RedirectRefused, http_opener, redact_url
from syncdeck.core.errors import ConfigError

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Validators:
    """What the last read of a source left to compare against (None: never read)."""

    etag: str | None = None
    last_modified: str | None = None

    def as_json(self) -> dict[str, str]:
        found = {"etag": self.etag, "last_modified": self.last_modified}
        return {key: value for key, value in found.items() if value}


@dataclass(frozen=True)
class Fetched:
    """One read: the body (None when unchanged), the new validators, where it came from."""

    body: bytes | None
    validators: Validators
    url: str  # the final URL after redirects, or the file's path
    content_type: str = ""

    @property
    def unchanged(self) -> bool:
        return self.body is None


def is_url(location: str) -> bool:
    return urlsplit(location).scheme.lower() in ("http", "https")


def check_location(connector: str, param: str, location: object) -> str:
    """An http(s) URL, or a file path (``~`` expanded); other schemes are refused."""
    if not isinstance(location, str) or not location.strip():
        raise ConfigError(f"{connector}: parameter {param!r} must hold non-empty strings")
    location = location.strip()
    scheme = urlsplit(location).scheme.lower()
    if is_url(location):
        if not urlsplit(location).hostname:
            raise ConfigError(f"{connector}: parameter {param!r}: {location!r} has no host")
        return location
    if scheme == "file":
        return urlsplit(location).path
    if len(scheme) > 1:  # "C:" is a drive, "ftp:" a scheme
        raise ConfigError(
            f"{connector}: parameter {param!r}: {location!r} is neither an http(s) URL nor a "
            "file path"
        )
    return str(Path(location).expanduser().absolute())


def read(
    location: str,
    *,
    connector: str,
    validators: Validators,
    accept: str,
    timeout: float,
    max_bytes: int,
) -> Fetched:
    """The source at ``location`` if it changed since ``validators``."""
    if is_url(location):
        return _fetch(location, connector, validators, accept, timeout, max_bytes)
    return _read_file(location, connector, validators, max_bytes)


def _read_file(path: str, connector: str, validators: Validators, max_bytes: int) -> Fetched:
    try:
        stat = os.stat(path)
        signature = f"file:{stat.st_mtime_ns}:{stat.st_size}:{stat.st_ino}"
        if signature == validators.etag:
            return Fetched(None, validators, path)
        if stat.st_size > max_bytes:
            raise SourceError(
                f"{connector}: {path} is {stat.st_size:,} bytes, more than max_bytes "
                f"({max_bytes:,}); raise max_bytes to read it"
            )
        body = Path(path).read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{connector}: {path} does not exist (moved or deleted?)") from None
    except IsADirectoryError:
        raise SourceError(f"{connector}: {path} is a folder, not a file") from None
    except OSError as exc:
        raise SourceError(f"{connector}: cannot read {path}: {exc.strerror or exc}") from None
    return Fetched(body, Validators(etag=signature), path)


class _RedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows http->http, http->https and https->https redirects; refuses the rest."""

    def http_error_302(self, req, fp, code, msg, headers):  # type: ignore[no-untyped-def]
        location = headers.get("location") or headers.get("uri")
        if location:
            target = urljoin(req.full_url, location)
            old, new = urlsplit(req.full_url).scheme, urlsplit(target).scheme
            if new not in ("http", "https") or (old == "https" and new == "http"):
                fp.close()
                shown = redact_url(target) if new in ("http", "https") else f"{new}:..."
                raise RedirectRefused(
                    f"{redact_url(req.full_url)} redirected to {shown}; refusing a redirect "
                    f"from {old} to {new}: configure the final URL instead"
                )
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


_OPENER = http_opener(_RedirectHandler())


def _fetch(
    url: str,
    connector: str,
    validators: Validators,
    accept: str,
    timeout: float,
    max_bytes: int,
) -> Fetched:
    headers = {
        "User-Agent": f"syncdeck/{__version__}",
        "Accept": accept,
        "Accept-Encoding": "gzip, deflate",
    }
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    shown = redact_url(url)
    try:
        with _OPENER.open(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            body = _body(resp, connector, shown, max_bytes)
            return Fetched(
                body,
                Validators(resp.headers.get("ETag"), resp.headers.get("Last-Modified")),
                resp.geturl(),
                resp.headers.get("Content-Type", ""),
            )
    except RedirectRefused as exc:
        raise SourceError(f"{connector}: {exc}") from None
    except HTTPError as exc:
        with exc:
            if exc.code == 304:
                return Fetched(None, validators, exc.geturl() or url)
            raise SourceError(
                f"{connector}: {shown} answered HTTP {exc.code} {exc.reason}"
            ) from None
    except (URLError, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SourceError(f"{connector}: cannot fetch {shown}: {reason}") from None


def _body(resp: http.client.HTTPResponse, connector: str, shown: str, max_bytes: int) -> bytes:
    """The response body, decompressed, refusing more than ``max_bytes`` of it."""
    encoding = (resp.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
        raise SourceError(f"{connector}: {shown} sent an unsupported Content-Encoding {encoding}")
    # wbits 47: a gzip or a zlib stream, whichever the header says
    inflater = None if encoding == "identity" else zlib.decompressobj(47)
    out = bytearray()
    try:
        while chunk := resp.read(_CHUNK):
            if inflater is None:
                out += chunk
            else:
                out += inflater.decompress(chunk, max_bytes + 1 - len(out))
            if len(out) > max_bytes:
                raise SourceError(
                    f"{connector}: {shown} is larger than max_bytes ({max_bytes:,} bytes); "
                    "raise max_bytes to read it"
                )
    except zlib.error as exc:
        raise SourceError(f"{connector}: {shown} sent a corrupt {encoding} body: {exc}") from None
    return bytes(out)
