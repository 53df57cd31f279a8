"""Helpers shared by the connector tests: running a connector (alone, or against an
in-memory store that applies the mirror markers), and a scripted JSON API."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

import syncdeck
from syncdeck.core.connector import BaseConnector, StoredDocuments, SyncItem
from syncdeck.core.documents import Checkpoint, Deleted, Document, ListingComplete, Unchanged

from .stored import FakeStored

SAMPLES = Path(syncdeck.__file__).parent / "sample_data"  # the data shipped in the package


@dataclass
class Run:
    """Everything one ``sync()`` call yielded, split by kind."""

    items: list[SyncItem]

    @property
    def docs(self) -> list[Document]:
        return [item for item in self.items if isinstance(item, Document)]

    @property
    def ids(self) -> list[str]:
        return [doc.doc_id for doc in self.docs]

    @property
    def unchanged(self) -> list[str]:
        return [item.doc_id for item in self.items if isinstance(item, Unchanged)]

    @property
    def deleted(self) -> list[str]:
        return [item.doc_id for item in self.items if isinstance(item, Deleted)]

    @property
    def complete(self) -> bool:
        """Whether the run ended with a complete listing (and nothing after it)."""
        return bool(self.items) and isinstance(self.items[-1], ListingComplete)

    @property
    def listed(self) -> list[str]:
        """Ids the run announced: documents and unchanged markers, in order."""
        return [item.doc_id for item in self.items if isinstance(item, (Document, Unchanged))]

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
            if isinstance(item, (Document, Unchanged)) and item.doc_id == doc_id:
                seen = True
            elif isinstance(item, Checkpoint) and seen:
                return item.cursor
        raise AssertionError(f"no checkpoint after {doc_id}")


def run(
    connector: BaseConnector, *, since: datetime | None = None, cursor: str | None = None
) -> Run:
    return Run(list(connector.sync(since=since, cursor=cursor)))


class MemoryStore(FakeStored):
    """What a store would hold of one connector, applying the mirror contract the way
    the engine does: documents upserted with their version, ``Deleted`` removed, and after
    a complete listing everything the run did not announce removed. Lookups are counted,
    so a test can check that a connector asks in chunks."""

    def __init__(self) -> None:
        super().__init__()
        self.docs: dict[str, Document] = {}
        self.lookups = 0

    def versions(self, doc_ids: Iterable[str]) -> dict[str, str | None]:
        self.lookups += 1
        return super().versions(doc_ids)

    def hold(self, *docs: Document) -> None:
        """Store documents as an interrupted run would have."""
        for doc in docs:
            self.docs[doc.doc_id] = doc
        self.apply(docs)

    def sync(
        self,
        connector: BaseConnector,
        *,
        cursor: str | None = None,
        since: datetime | None = None,
    ) -> Run:
        """One run of ``connector`` against this store; the store is updated as the engine
        would after a successful run (there is no deletion guard here)."""
        connector.stored = self
        try:
            result = run(connector, since=since, cursor=cursor)
        finally:
            connector.stored = StoredDocuments()
        for item in result.items:
            if isinstance(item, Document):
                self.docs[item.doc_id] = item
            elif isinstance(item, Deleted):
                self.docs.pop(item.doc_id, None)
            elif isinstance(item, Unchanged):
                assert item.doc_id in self.docs, f"Unchanged({item.doc_id!r}) is not stored"
        self.apply(result.items)
        if any(isinstance(item, ListingComplete) for item in result.items):
            assert result.complete, "ListingComplete must be the last item"
            assert getattr(connector, "lists_source", False), "lists_source is not declared"
            seen = set(result.listed)
            for doc_id in [d for d in self.docs if d not in seen]:
                del self.docs[doc_id]
                del self.held[doc_id]
        return result

    def content(self) -> dict[str, str]:
        return {doc_id: doc.content for doc_id, doc in sorted(self.docs.items())}


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
