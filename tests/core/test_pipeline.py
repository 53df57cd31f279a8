"""IngestionPipeline: validation, normalisation, and rejections with a reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo

import pytest

from syncdeck import Document, IngestionPipeline, KnowledgeStore

from .conftest import make_doc


@pytest.fixture
def pipeline() -> IngestionPipeline:
    return IngestionPipeline(KnowledgeStore(":memory:"))


def test_naive_timestamp_is_taken_as_utc(pipeline: IngestionPipeline) -> None:
    doc = Document("n", "s", "note", "x", timestamp=datetime(2024, 5, 1, 12, 0))
    assert doc.timestamp.tzinfo is UTC
    pipeline.ingest([doc])
    assert pipeline.store.get("s", "n")["timestamp"] == "2024-05-01T12:00:00+00:00"


def test_a_document_remembers_it_was_given_a_naive_timestamp() -> None:
    from syncdeck.core.documents import given_naive

    given = datetime(2024, 5, 1, 12, 0)
    naive = Document("n", "s", "note", "x", timestamp=given)
    aware = Document("a", "s", "note", "x", timestamp=given.replace(tzinfo=UTC))
    assert given_naive(naive) and not given_naive(aware)
    # outside the fields: equality and the stored form are those of the UTC time
    assert naive == Document("n", "s", "note", "x", timestamp=given.replace(tzinfo=UTC))


def test_aware_timestamp_is_converted_to_utc(pipeline: IngestionPipeline) -> None:
    paris = timezone(timedelta(hours=2))
    pipeline.ingest(
        [Document("a", "s", "note", "x", timestamp=datetime(2024, 5, 1, 14, tzinfo=paris))]
    )
    assert pipeline.store.get("s", "a")["timestamp"] == "2024-05-01T12:00:00+00:00"


def test_default_timestamp_is_aware_utc() -> None:
    assert Document("a", "s", "note", "x").timestamp.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (Document("", "s", "note", "x"), "doc_id must not be empty"),
        (Document(7, "s", "note", "x"), "doc_id must be a string, got int"),  # type: ignore[arg-type]
        (Document("a", "s", "note", None), "content must be a string, got NoneType"),  # type: ignore[arg-type]
        (Document("a", "s", "note", "x", participants="bob"), "participants must be a list"),  # type: ignore[arg-type]
        (Document("a", "s", "note", "x", timestamp="2024"), "timestamp must be a datetime"),  # type: ignore[arg-type]
        (Document("a", "s", "note", "x", metadata={"f": object()}), "not JSON-serialisable"),
        ("just a string", "expected a Document, got str"),
        ({"doc_id": "a", "bogus": 1}, "unknown document fields: bogus"),
    ],
)
def test_bad_documents_are_rejected_with_reason(
    pipeline: IngestionPipeline, item: object, reason: str
) -> None:
    result = pipeline.ingest_batch([item, make_doc("s", 1)])
    assert result.inserted == 1
    assert len(result.rejected) == 1
    assert reason in result.rejected[0].reason
    assert result.rejected[0].payload


def test_mapping_documents_are_accepted(pipeline: IngestionPipeline) -> None:
    written = pipeline.ingest([{"doc_id": "m", "source": "s", "doc_type": "note", "content": "hi"}])
    assert written == 1


def test_odd_unicode_nul_and_surrogates_are_stored(pipeline: IngestionPipeline) -> None:
    docs = [
        Document("nul", "s", "note", "before\x00after"),
        Document("sur", "s", "note", "broken \udcff byte"),
        Document("emoji", "s", "note", "zebra 🦓 ünïcödé ﷽"),
    ]
    assert pipeline.ingest(docs) == 3
    assert pipeline.store.get("s", "nul")["content"] == "before\x00after"
    assert pipeline.store.get("s", "sur")["content"] == "broken \ufffd byte"
    assert [h.doc_id for h in pipeline.store.search("zebra")] == ["emoji"]


def test_metadata_datetimes_are_serialised(pipeline: IngestionPipeline) -> None:
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    pipeline.ingest([Document("a", "s", "note", "x", metadata={"seen": stamp, "tags": {"a"}})])
    assert pipeline.store.get("s", "a")["metadata"] == {
        "seen": "2024-01-01T00:00:00+00:00",
        "tags": ["a"],
    }


class _Stamp(datetime):
    """A datetime subclass, as date libraries hand out."""


def test_timestamp_edits_are_changes_and_equal_instants_are_not(
    pipeline: IngestionPipeline,
) -> None:
    at = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)
    pipeline.ingest([Document("t", "s", "note", "x", timestamp=at)])

    def again(stamp: datetime) -> tuple[int, int]:
        result = pipeline.ingest_batch([Document("t", "s", "note", "x", timestamp=stamp)])
        return result.unchanged, result.updated

    paris = timezone(timedelta(hours=2))
    assert again(at.astimezone(paris)) == (1, 0)
    assert again(_Stamp(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)) == (1, 0)
    assert again(at + timedelta(microseconds=1)) == (0, 1)
    assert pipeline.store.get("s", "t")["timestamp"] == "2024-05-01T12:00:00.250001+00:00"
    assert again(_Stamp(2025, 1, 2, 3, 4, 5, tzinfo=paris)) == (0, 1)
    assert pipeline.store.get("s", "t")["timestamp"] == "2025-01-02T01:04:05+00:00"


# -- hostile input never fails a run (hardening) -----------------------------------------


class _RaisingZone(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta:
        raise ValueError("this zone cannot say its offset")

    def dst(self, dt: datetime | None) -> timedelta:
        raise ValueError("nor its DST")

    def tzname(self, dt: datetime | None) -> str:
        return "Broken/Zone"


def _deep(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth):
        value = {"k": value}
    return value


def _late_timestamp() -> Document:
    doc = Document("late", "s", "note", "x")
    doc.timestamp = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))
    return doc


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda: Document(
                "far",
                "s",
                "note",
                "x",
                timestamp=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
            ),
            "timestamp cannot be represented in UTC",
        ),
        (
            lambda: Document(
                "early",
                "s",
                "note",
                "x",
                timestamp=datetime(1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))),
            ),
            "timestamp cannot be represented in UTC",
        ),
        (
            lambda: Document(
                "zone", "s", "note", "x", timestamp=datetime(2024, 1, 1, tzinfo=_RaisingZone())
            ),
            "timestamp's time zone failed",
        ),
        (lambda: Document("deep", "s", "note", "x", metadata=_deep(100_000)), "nested too deep"),
        (_late_timestamp, "timestamp cannot be represented in UTC"),
    ],
)
def test_documents_that_cannot_be_stored_are_quarantined_not_fatal(
    pipeline: IngestionPipeline, make: Callable[[], Document], reason: str
) -> None:
    doc = make()  # building the document never raises, whatever its timestamp
    result = pipeline.ingest_batch([doc, make_doc("s", 1)])
    assert result.inserted == 1
    assert [r.reason for r in result.rejected] and reason in result.rejected[0].reason
    assert result.rejected[0].doc_id == doc.doc_id


def test_ids_differing_only_in_undecodable_bytes_are_distinct(
    pipeline: IngestionPipeline,
) -> None:
    a = b"caf\xe9.md".decode("utf-8", "surrogateescape")
    b = b"caf\xe8.md".decode("utf-8", "surrogateescape")
    lone = "x\ud800y"
    docs = [Document(i, "s", "note", f"text of {i!r}") for i in (a, b, lone, "x\ufffdy")]
    assert pipeline.ingest(docs) == 4
    assert pipeline.store.count("s") == 4
    assert pipeline.ingest_batch(docs).unchanged == 4  # the same ids again: recognised


def test_the_content_hash_has_no_ambiguous_boundaries(pipeline: IngestionPipeline) -> None:
    pipeline.ingest([Document("h", "s", "note", "body", title="a\x1fb", author="c")])
    moved = pipeline.ingest_batch([Document("h", "s", "note", "body", title="a", author="b\x1fc")])
    assert moved.updated == 1  # a separator moved between two fields is an edit
    pipeline.ingest([Document("u", "s", "note", "x", url=None, thread_id="")])
    swapped = pipeline.ingest_batch([Document("u", "s", "note", "x", url="", thread_id=None)])
    assert swapped.updated == 1  # None and "" are different values
    assert (
        pipeline.store.get("s", "u")["url"] == ""
        and pipeline.store.get("s", "u")["thread_id"] is None
    )
