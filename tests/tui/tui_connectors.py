"""The UI tests' counting connector. It stays in this file: a failing run's traceback
names it, and the UI tests (and a snapshot) show that frame."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from support.connectors import make_doc

from syncdeck import BaseConnector, Checkpoint, Document


class Counted(BaseConnector):
    """Documents 1..total, a Checkpoint(str(n)) after every ``every``; resumes after the
    cursor. Raises at document ``fail_at`` when given; sleeps ``delay`` per document."""

    display_name = "Counted"

    def __init__(
        self,
        connector_id: str,
        *,
        total: int = 40,
        every: int = 10,
        fail_at: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.connector_id = connector_id
        self.total = total
        self.every = every
        self.fail_at = fail_at
        self.delay = delay
        self.closed = False

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        start = int(cursor) if cursor else 0
        for n in range(start + 1, self.total + 1):
            if n == self.fail_at:
                raise ConnectionError(f"source went away before document {n}")
            yield make_doc(self.connector_id, n)
            if self.delay:
                time.sleep(self.delay)
            if n % self.every == 0:
                yield Checkpoint(str(n))
        yield Checkpoint(str(self.total))

    def close(self) -> None:
        self.closed = True
