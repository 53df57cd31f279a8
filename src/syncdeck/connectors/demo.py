"""Synthetic documents for trying syncdeck out: fast, slow or failing on purpose."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from syncdeck.connectors import checks
from syncdeck.connectors.errors import CursorError
from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document

TYPE = "demo"
FAIL_MODES = ("once", "always", "probability")
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)  # document n is dated EPOCH + n * STEP
STEP = timedelta(minutes=3)

_PEOPLE = (
    "Ada Moreau", "Bilal Chen", "Chiara Rossi", "Dmitri Volkov", "Esi Mensah", "Farah Haddad",
    "Goran Petrov", "Hana Sato", "Ines Duarte", "Jonas Berg", "Kavya Iyer", "Luca Bianchi",
)  # fmt: skip
_KINDS = ("message", "note", "ticket", "comment")
_TOPICS = (
    "the import pipeline", "the billing export", "search ranking", "the onboarding flow",
    "the nightly backup", "rate limiting", "the mobile release", "the data retention policy",
    "customer feedback", "the staging cluster", "API pagination", "the quarterly roadmap",
)  # fmt: skip
_OPENERS = (
    "Quick update on {topic}:", "Notes from today's review of {topic}.",
    "I looked into {topic} again.", "Question about {topic}:", "Heads-up regarding {topic}.",
    "Summary of the discussion on {topic}.",
)  # fmt: skip
_SENTENCES = (
    "The first run took {n} minutes, mostly waiting on the {thing}.",
    "{person} suggested we move the {thing} behind a feature flag.",
    "We saw {n} retries last night; none of them lost data.",
    "The {thing} now checkpoints every {n} items, so a restart resumes quickly.",
    "Can someone double-check the {thing} before Friday?",
    "Latency went from {n}0 ms to {m}0 ms after the change.",
    "{person} will pair with {other} on the {thing} next week.",
    "There is an open question about ownership of the {thing}.",
    "I added {n} test cases covering the edge cases we discussed.",
    "The dashboard shows {n} failed jobs, all from the same {thing}.",
    "Let's keep the old {thing} around until the migration is done.",
    "Docs for the {thing} are updated; feedback welcome.",
)  # fmt: skip
_THINGS = (
    "scheduler", "cache", "queue consumer", "schema migration", "retry policy", "webhook",
    "export job", "search index", "config loader", "status page", "CLI", "sync worker",
)  # fmt: skip


class DemoFailure(RuntimeError):
    """The failure a demo connector injects on purpose."""


class DemoConnector(BaseConnector):
    """Deterministic synthetic documents (``doc-000001`` ...), optionally slow or failing.

    The cursor is the number of documents done (``"150"``), checkpointed every
    checkpoint_every documents. The same seed always gives the same documents, so a
    re-delivered document is unchanged in the store. Without a cursor, documents dated
    before ``since`` are skipped (they are dated from 2024-01-01, 3 minutes apart).

    Failures: before raising, the connector checkpoints just before the failing document
    (``fail_at - 1``), so every document before it is kept. "once" fails only a run that
    did not start from that checkpoint: the run that resumes from it passes, while a
    reset (or any earlier cursor) fails again. "always" fails whenever document fail_at
    is reached. "probability" fails each document from fail_at on (from the first without
    fail_at) with fail_probability, drawn from the seed and the run's start, so runs
    that resume further on draw differently.

    Parameters:
        count: number of documents
        delay: seconds to wait before each document (makes a slow source)
        fail_at: 1-based number of the document at which to fail (none if unset)
        fail_mode: "once", "always" or "probability"
        fail_probability: chance of failing at each document ("probability" mode)
        checkpoint_every: documents between checkpoints
        seed: varies the generated text
    """

    connector_id = TYPE
    display_name = "Demo source"

    def __init__(
        self,
        count: int = 1000,
        delay: float = 0.0,
        fail_at: int | None = None,
        fail_mode: str = "once",
        fail_probability: float = 0.0,
        checkpoint_every: int = 50,
        seed: int = 0,
    ) -> None:
        self.count = checks.number(TYPE, "count", count, minimum=0, integer=True)
        self.delay = checks.number(TYPE, "delay", delay, minimum=0)
        if fail_at is not None:
            checks.number(TYPE, "fail_at", fail_at, minimum=1, integer=True)
        self.fail_at = fail_at
        self.fail_mode = checks.choice(TYPE, "fail_mode", fail_mode, FAIL_MODES)
        self.fail_probability = checks.number(
            TYPE, "fail_probability", fail_probability, minimum=0, maximum=1
        )
        self.checkpoint_every = checks.number(
            TYPE, "checkpoint_every", checkpoint_every, minimum=1, integer=True
        )
        self.seed = checks.number(TYPE, "seed", seed, integer=True)

    def describe(self) -> str:
        text = f"{self.count} synthetic documents"
        if self.delay:
            text += f", {self.delay:g} s each"
        if self.fail_mode == "probability" and self.fail_probability:
            text += f", failing with p={self.fail_probability:g}"
        elif self.fail_at is not None:
            text += f", failing {self.fail_mode} at document {self.fail_at}"
        return text

    def sync(
        self, *, since: datetime | None, cursor: str | None
    ) -> Iterator[Document | Checkpoint]:
        source = self.connector_id or TYPE
        start = 0 if cursor is None else _decode(cursor)
        if cursor is not None:
            since = None
        draws = random.Random(f"{self.seed}:{start}")
        for index in range(start, self.count):
            number = index + 1
            if self._fails(number, cursor, start, draws):
                yield Checkpoint(str(index))  # keeps everything before the failure
                raise DemoFailure(f"demo failure injected at document {number}")
            if self.delay:
                time.sleep(self.delay)
            if since is None or document_time(number) >= since:
                yield self.document(number, source)
            if number % self.checkpoint_every == 0 or number == self.count:
                yield Checkpoint(str(number))

    def _fails(self, number: int, cursor: str | None, start: int, draws: random.Random) -> bool:
        if self.fail_mode == "probability":
            eligible = self.fail_at is None or number >= self.fail_at
            return eligible and self.fail_probability > 0 and draws.random() < self.fail_probability
        if number != self.fail_at:
            return False
        return self.fail_mode == "always" or cursor is None or start < number - 1

    def document(self, number: int, source: str = TYPE) -> Document:
        """Document ``number`` (1-based): the same text for the same seed, every time."""
        # 64 pseudo-random bytes per document: far cheaper than seeding a Random each time.
        digest = hashlib.blake2b(f"{self.seed}:{number}".encode(), digest_size=64).digest()
        draws = iter(digest)

        def draw() -> float:
            return next(draws) / 256

        def pick(options: tuple[str, ...]) -> str:
            return options[next(draws) * len(options) >> 8]

        topic = pick(_TOPICS)
        author_at = int(draw() * len(_PEOPLE))
        author = _PEOPLE[author_at]
        # Distinct co-authors: steps of 5 through the other 11 people never repeat.
        offset = int(draw() * 11)
        others = [
            _PEOPLE[(author_at + 1 + (offset + 5 * j) % 11) % len(_PEOPLE)]
            for j in range(1 + int(draw() * 3))
        ]
        sentences = [pick(_OPENERS).format(topic=topic)]
        first = int(draw() * len(_SENTENCES))
        for j in range(2 + int(draw() * 4)):  # 5 is coprime with 12: distinct sentences
            template = _SENTENCES[(first + 5 * j) % len(_SENTENCES)]
            sentences.append(
                template.format(
                    n=2 + int(draw() * 88),
                    m=2 + int(draw() * 88),
                    thing=pick(_THINGS),
                    person=pick(tuple(others)),
                    other=author,
                )
            )
        kind = _KINDS[number % len(_KINDS)]
        thread = (number - 1) // 5 + 1  # five documents per thread
        return Document(
            doc_id=f"doc-{number:06d}",
            source=source,
            doc_type=kind,
            content=" ".join(sentences),
            title=f"{topic[0].upper()}{topic[1:]} ({kind} {number})",
            author=author,
            participants=others,
            timestamp=document_time(number),
            thread_id=f"thread-{thread:05d}",
            metadata={"index": number, "seed": self.seed},
        )


def document_time(number: int) -> datetime:
    return EPOCH + number * STEP


def _decode(cursor: str) -> int:
    if not (cursor.isascii() and cursor.isdigit()):
        raise CursorError(
            f"{TYPE} cursor {cursor!r} is not valid: expected the number of documents done, "
            'like "150"; reset the checkpoint or set a cursor of that form'
        )
    return int(cursor)
