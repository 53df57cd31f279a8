"""Synthetic documents for trying syncdeck out: fast, slow, failing, or changing between
runs (deletions and renames) on purpose."""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from syncdeck.connectors import checks
from syncdeck.connectors.errors import CursorError
from syncdeck.connectors.listing import with_stored_versions
from syncdeck.core.connector import BaseConnector, SyncItem
from syncdeck.core.documents import Checkpoint, Document, ListingComplete, Progress, Unchanged

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

    Changes: with delete_every or rename_every the source changes between runs, the way a
    real folder does, and is mirrored. Each completed pass is a generation (0, 1, 2 ...);
    generation 0 holds every document, and in generation g >= 1 document n is missing
    when (n + g) is a multiple of delete_every, and renamed (its id gets ``-r<g>``) when
    (n + g) is a multiple of rename_every. Every run lists its whole generation, reporting
    what the store already holds as unchanged, and ends with a complete listing, so the
    store drops the deleted and the old names. The cursor is then ``"<generation>:<done>"``:
    an interrupted pass resumes in the same generation, and the last checkpoint of a pass
    moves to the next one. The same generation always gives the same source.

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
        delete_every: from the second pass on, one document in this many is deleted at the
            source, a different set each pass (0: never)
        rename_every: from the second pass on, one document in this many is renamed, a
            different set each pass (0: never)
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
        delete_every: int = 0,
        rename_every: int = 0,
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
        self.delete_every = checks.number(
            TYPE, "delete_every", delete_every, minimum=0, integer=True
        )
        self.lists_source = bool(delete_every or rename_every)  # a changing source is listed
        self.rename_every = checks.number(
            TYPE, "rename_every", rename_every, minimum=0, integer=True
        )

    def describe(self) -> str:
        text = f"{self.count} synthetic documents"
        if self.delay:
            text += f", {self.delay:g} s each"
        if self.fail_mode == "probability" and self.fail_probability:
            text += f", failing with p={self.fail_probability:g}"
        elif self.fail_at is not None:
            text += f", failing {self.fail_mode} at document {self.fail_at}"
        if self.delete_every:
            text += f", 1 in {self.delete_every} deleted each pass"
        if self.rename_every:
            text += f", 1 in {self.rename_every} renamed each pass"
        return text

    @property
    def changing(self) -> bool:
        """Whether the source changes between passes (and so is mirrored)."""
        return bool(self.delete_every or self.rename_every)

    def check_cursor(self, cursor: str) -> None:
        _decode(cursor)

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[SyncItem]:
        source = self.connector_id or TYPE
        generation, start = (0, 0) if cursor is None else _decode(cursor)
        if self.changing:
            yield from self._mirror_pass(source, generation, start, cursor)
            return
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
                yield Progress(number, self.count, "documents")
                yield Checkpoint(str(number))

    def _mirror_pass(
        self, source: str, generation: int, start: int, cursor: str | None
    ) -> Iterator[SyncItem]:
        """All of ``generation``: what the store holds as markers, the rest as documents.
        Documents up to ``start`` were done by the interrupted run: no delay, no failure."""
        draws = random.Random(f"{self.seed}:{start}")
        listing = ((n, self.doc_id(n, generation) or "") for n in range(1, self.count + 1))
        for (number, doc_id), stored in with_stored_versions(self.stored, listing, _second):
            if number > start and self._fails(number, cursor, start, draws):
                yield Checkpoint(f"{generation}:{number - 1}")
                raise DemoFailure(f"demo failure injected at document {number}")
            if self.delay and number > start:
                time.sleep(self.delay)
            if not doc_id:
                pass  # deleted at the source in this generation
            elif stored == self._version:
                yield Unchanged(doc_id)
            else:
                yield self.document(number, source, generation)
            if number % self.checkpoint_every == 0 and start < number < self.count:
                yield Progress(number, self.count, "documents")
                yield Checkpoint(f"{generation}:{number}")
        yield Checkpoint(f"{generation + 1}:0")  # this pass is complete: the next one
        yield ListingComplete()

    @property
    def _version(self) -> str:
        return f"seed-{self.seed}"

    def doc_id(self, number: int, generation: int = 0) -> str | None:
        """The id of document ``number`` in ``generation``; None when it is deleted."""
        if generation and self.delete_every and (number + generation) % self.delete_every == 0:
            return None
        if generation and self.rename_every and (number + generation) % self.rename_every == 0:
            return f"doc-{number:06d}-r{generation}"
        return f"doc-{number:06d}"

    def _fails(self, number: int, cursor: str | None, start: int, draws: random.Random) -> bool:
        if self.fail_mode == "probability":
            eligible = self.fail_at is None or number >= self.fail_at
            return eligible and self.fail_probability > 0 and draws.random() < self.fail_probability
        if number != self.fail_at:
            return False
        return self.fail_mode == "always" or cursor is None or start < number - 1

    def document(self, number: int, source: str = TYPE, generation: int = 0) -> Document:
        """Document ``number`` (1-based): the same text for the same seed, every time
        (in a changing source, under the id it has in ``generation``)."""
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
            doc_id=self.doc_id(number, generation) or f"doc-{number:06d}",
            source=source,
            doc_type=kind,
            content=" ".join(sentences),
            title=f"{topic[0].upper()}{topic[1:]} ({kind} {number})",
            author=author,
            participants=others,
            timestamp=document_time(number),
            thread_id=f"thread-{thread:05d}",
            metadata={"index": number, "seed": self.seed},
            version=self._version,
        )


def _second(pair: tuple[int, str]) -> str:
    return pair[1]


def document_time(number: int) -> datetime:
    return EPOCH + number * STEP


def _decode(cursor: str) -> tuple[int, int]:
    """``(generation, documents done)`` from ``"150"`` or ``"3:150"``."""
    generation, _, done = cursor.rpartition(":")
    if not (done.isascii() and done.isdigit()) or not (
        generation == "" or (generation.isascii() and generation.isdigit())
    ):
        raise CursorError(
            f"{TYPE} cursor {cursor!r} is not valid: expected the number of documents done, "
            'like "150" (or "3:150" in pass 3 of a changing source); reset the checkpoint '
            "or set a cursor of that form"
        )
    return int(generation or 0), int(done)
