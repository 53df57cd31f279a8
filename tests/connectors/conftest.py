"""Helpers shared by the connector tests: running a connector, and a scripted JSON API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import syncdeck
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document

SAMPLES = Path(syncdeck.__file__).parent / "sample_data"  # the data shipped in the package


@dataclass
class Run:
    """Everything one ``sync()`` call yielded, split by kind."""

    items: list[Document | Checkpoint]

    @property
    def docs(self) -> list[Document]:
        return [item for item in self.items if isinstance(item, Document)]

    @property
    def ids(self) -> list[str]:
        return [doc.doc_id for doc in self.docs]

    @property
    def cursors(self) -> list[str | None]:
        return [item.cursor for item in self.items if isinstance(item, Checkpoint)]

    @property
    def cursor(self) -> str | None:
        """The last checkpoint's cursor: what the engine would store."""
        assert self.cursors, "the connector yielded no checkpoint"
        return self.cursors[-1]

    def cursor_after(self, doc_id: str) -> str | None:
        """The first checkpoint yielded after ``doc_id``: covers it and everything before."""
        seen = False
        for item in self.items:
            if isinstance(item, Document) and item.doc_id == doc_id:
                seen = True
            elif isinstance(item, Checkpoint) and seen:
                return item.cursor
        raise AssertionError(f"no checkpoint after {doc_id}")


def run(
    connector: BaseConnector, *, since: datetime | None = None, cursor: str | None = None
) -> Run:
    return Run(list(connector.sync(since=since, cursor=cursor)))


def assert_aware_utc(docs: list[Document]) -> None:
    for doc in docs:
        assert doc.timestamp.tzinfo is not None, doc.doc_id
        assert doc.timestamp.utcoffset().total_seconds() == 0, doc.doc_id
        assert doc.timestamp.tzinfo == UTC, doc.doc_id


# --- a scripted JSON API on 127.0.0.1 -------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (cut short at teardown)


@dataclass
class Seen:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


Handler = Callable[[Seen], Reply]


class ApiServer:
    """Routes map a path to a handler, a fixed reply, or a list of replies used in turn."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler | Reply | list[Reply]] = {}
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(parts.path, dict(parse_qsl(parts.query)), dict(self.headers))
                server.requests.append(seen)
                reply = server.reply_for(seen)
                if reply.delay:
                    server.stopping.wait(reply.delay)
                body = reply.body
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (a timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def reply_for(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path)
        if route is None:
            return Reply(404, {"error": "not found"})
        if isinstance(route, Reply):
            return route
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route(seen)

    def hits(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiServer]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    server = ApiServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.httpd.shutdown()
        server.httpd.server_close()
        server.thread.join(timeout=5)
