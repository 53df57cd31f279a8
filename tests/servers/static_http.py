"""An HTTP server on 127.0.0.1 serving published documents the way real web servers do:
ETag and Last-Modified with 304 answers to conditional requests, gzip when asked,
redirects, and a count of every request."""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Page:
    body: bytes
    content_type: str
    etag: bool = True  # send an ETag (else only Last-Modified)
    gzip: bool = False  # compress when the client accepts gzip
    last_modified: str = field(default_factory=lambda: formatdate(usegmt=True))
    status: int = 200
    location: str = ""  # for redirects

    @property
    def tag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class StaticServer:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: Counter[str] = Counter()  # requests per path
        self.not_modified: Counter[str] = Counter()  # 304 answers per path
        self.request_headers: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits[self.path] += 1
                server.request_headers.append(dict(self.headers))
                page = server.pages.get(self.path)
                if page is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                elif page.location:
                    self._send(page.status, b"", {"Location": page.location})
                elif self._fresh(page):
                    server.not_modified[self.path] += 1
                    self._send(304, b"", self._validators(page))
                else:
                    body = page.body
                    headers = {"Content-Type": page.content_type, **self._validators(page)}
                    if page.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                        body = gzip.compress(body)
                        headers["Content-Encoding"] = "gzip"
                    self._send(page.status, body, headers)

            def _fresh(self, page: Page) -> bool:
                tag = self.headers.get("If-None-Match")
                if tag is not None and page.etag:
                    return tag == page.tag
                return self.headers.get("If-Modified-Since") == page.last_modified

            def _validators(self, page: Page) -> dict[str, str]:
                found = {"Last-Modified": page.last_modified}
                if page.etag:
                    found["ETag"] = page.tag
                return found

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    if status != 304:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if status != 304:
                        self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def publish(self, path: str, body: bytes | str, content_type: str, **options: Any) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = Page(data, content_type, **options)
        return self.url + path

    def redirect(self, path: str, to: str, status: int = 301) -> str:
        self.pages[path] = Page(b"", "", status=status, location=to)
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
