"""Shared pieces of the benchmarks: a deterministic ~1 KB corpus, connectors over it,
interleaved repetitions and the result rows."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncdeck import BaseConnector, Checkpoint, Document

BASE = datetime(2024, 1, 1, tzinfo=UTC)
WORDS = [
    "sync",
    "cursor",
    "batch",
    "resume",
    "store",
    "index",
    "query",
    "connector",
    "checkpoint",
    "durable",
    "stream",
    "mailbox",
    "notes",
    "export",
    "thread",
    "author",
    "title",
    "content",
    "engine",
    "lease",
    "heartbeat",
]


def document(i: int, source: str = "bench") -> Document:
    """About 1 KB of text, different for every i, stable across runs."""
    words = [WORDS[(i * 7 + k * 13) % len(WORDS)] for k in range(140)]
    return Document(
        doc_id=f"doc-{i:08d}",
        source=source,
        doc_type="note",
        content=f"document {i} " + " ".join(words),
        title=f"Note number {i}",
        author=f"user{i % 97}",
        timestamp=BASE + timedelta(seconds=i),
    )


def corpus(n: int, source: str = "bench") -> list[Document]:
    return [document(i, source) for i in range(n)]


class ListConnector(BaseConnector):
    """Yields prepared documents with a checkpoint every ``every``: generation cost is
    paid before the timer starts, identically for every arm."""

    def __init__(self, docs: list[Document], every: int = 100, connector_id: str = "bench"):
        self.docs = docs
        self.every = every
        self.connector_id = connector_id

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        every = self.every
        for i, doc in enumerate(self.docs, 1):
            yield doc
            if i % every == 0:
                yield Checkpoint(str(i))
        yield Checkpoint(str(len(self.docs)))


class GeneratedConnector(BaseConnector):
    """Generates documents on the fly, so memory is not held by the source."""

    def __init__(self, n: int, connector_id: str = "bench"):
        self.n = n
        self.connector_id = connector_id

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        start = int(cursor) if cursor else 0
        for i in range(start, self.n):
            yield document(i, self.connector_id)
            if (i + 1) % 100 == 0:
                yield Checkpoint(str(i + 1))
        yield Checkpoint(str(self.n))


@dataclass
class Row:
    benchmark: str
    measured: str
    reference: str
    ratio: float | None
    target: str
    ok: bool | None

    def cells(self) -> list[str]:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}"
        verdict = {True: "yes", False: "NO", None: "-"}[self.ok]
        return [self.benchmark, self.measured, self.reference, ratio, self.target, verdict]


def interleaved(arms: dict[str, Callable[[Path], float]], reps: int) -> dict[str, list[float]]:
    """Run every arm once per repetition, alternating the order, each in a fresh folder;
    returns the seconds of every run by arm."""
    times: dict[str, list[float]] = {name: [] for name in arms}
    names = list(arms)
    for rep in range(reps):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            with tempfile.TemporaryDirectory(prefix="syncdeck-bench-") as tmp:
                times[name].append(arms[name](Path(tmp)))
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} docs/s"


def installed_env() -> dict[str, str]:
    """The environment for a child process measured as a user's program would run: with
    its modules' bytecode cached (a shell may set PYTHONDONTWRITEBYTECODE, which makes
    every start compile the package again, a cost no installed program pays twice)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
