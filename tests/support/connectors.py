"""Small deterministic connectors shared by the tests of the front ends and the app layer:
held by events, endless, sloppy, secretive; and the documents they yield."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from syncdeck import BaseConnector, Checkpoint, Document

BASE_TIME = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SAFETY_TIMEOUT = 30.0  # a held connector never outlives a test run by more than this


def make_doc(source: str, n: int) -> Document:
    return Document(
        doc_id=f"{source}-{n:05d}",
        source=source,
        doc_type="note",
        content=f"body of document {n} of {source}",
        title=f"Document {n}",
        timestamp=BASE_TIME + timedelta(minutes=n),
    )


class Held(BaseConnector):
    """Yields ``before`` documents (checkpoint every ``every``), sets ``held``, waits for
    ``release``, then yields ``after`` more. Makes a mid-sync moment deterministic."""

    display_name = "Held"

    def __init__(
        self,
        connector_id: str,
        held: threading.Event,
        release: threading.Event,
        *,
        before: int = 250,
        after: int = 50,
        every: int = 50,
    ) -> None:
        self.connector_id = connector_id
        self.held = held
        self.release = release
        self.before = before
        self.after = after
        self.every = every

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        start = int(cursor) if cursor else 0
        total = self.before + self.after
        for n in range(start + 1, total + 1):
            if n == self.before + 1:
                self.held.set()
                self.release.wait(SAFETY_TIMEOUT)
            yield make_doc(self.connector_id, n)
            if n % self.every == 0:
                yield Checkpoint(str(n))
        yield Checkpoint(str(total))


class Endless(BaseConnector):
    """Documents forever with a short sleep each: a run to cancel."""

    display_name = "Endless"

    def __init__(self, connector_id: str, *, delay: float = 0.01) -> None:
        self.connector_id = connector_id
        self.delay = delay

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        n = int(cursor) if cursor else 0
        deadline = time.monotonic() + SAFETY_TIMEOUT
        while time.monotonic() < deadline:
            n += 1
            yield make_doc(self.connector_id, n)
            if n % 10 == 0:
                yield Checkpoint(str(n))
            time.sleep(self.delay)


class Sloppy(BaseConnector):
    """What inspect should warn about: a duplicate id, a naive timestamp, empty content
    and no checkpoint at all."""

    display_name = "Sloppy"

    def __init__(self, connector_id: str) -> None:
        self.connector_id = connector_id

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        yield make_doc(self.connector_id, 1)
        yield make_doc(self.connector_id, 2)
        yield make_doc(self.connector_id, 2)
        empty = make_doc(self.connector_id, 3)
        empty.content = ""
        yield empty
        naive = make_doc(self.connector_id, 4)
        object.__setattr__(naive, "timestamp", datetime(2024, 3, 1, 10, 0))
        yield naive


class Secretive(BaseConnector):
    """Fails with its own token in the message, as careless connectors do."""

    display_name = "Secretive"

    def __init__(self, connector_id: str, api_token: str) -> None:
        self.connector_id = connector_id
        self.api_token = api_token

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        yield make_doc(self.connector_id, 1)
        raise PermissionError(f"the server refused token {self.api_token}")
