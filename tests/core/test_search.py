"""Searching and reading the knowledge store: filters, highlighted snippets, the newest
documents without a query, document types and a connector's export - on both backends
(the ``locations`` fixture: a SQLite file, or a fresh PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from syncdeck import Document, IngestionPipeline, KnowledgeStore

DAY = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture
def filled(locations: tuple[str, str]) -> Iterator[KnowledgeStore]:
    store = KnowledgeStore(locations[0])
    pipeline = IngestionPipeline(store)
    docs = []
    for i in range(12):
        docs.append(
            Document(
                f"d{i:02d}",
                "mail" if i % 2 else "notes",
                "message" if i % 2 else "note",
                f"quarterly budget review number {i} [draft] see budget",
                title=f"Review {i}",
                author="Ada Moreau" if i % 3 else "Bilal Chen",
                timestamp=DAY + timedelta(days=i),
            )
        )
    assert pipeline.ingest(docs) == 12
    yield store
    store.close()


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return sorted(hit.doc_id for hit in hits)


def test_the_original_signature_still_works(filled: KnowledgeStore) -> None:
    hits = filled.search("budget", limit=50)
    assert len(hits) == 12
    assert ids(filled.search("budget", limit=50, source="mail")) == [
        f"d{i:02d}" for i in range(1, 12, 2)
    ]
    assert filled.search("   ") == []


def test_filters_narrow_by_type_author_and_time(filled: KnowledgeStore) -> None:
    assert ids(filled.search("budget", limit=50, doc_type="note")) == [
        f"d{i:02d}" for i in range(0, 12, 2)
    ]
    # a case-insensitive part of the author
    assert ids(filled.search("budget", limit=50, author="bilal")) == ["d00", "d03", "d06", "d09"]
    # since included, until excluded; any time zone
    since = DAY + timedelta(days=3)
    until = (DAY + timedelta(days=6)).astimezone(timezone(timedelta(hours=-5)))
    assert ids(filled.search("budget", limit=50, since=since, until=until)) == [
        "d03",
        "d04",
        "d05",
    ]
    both = filled.search("budget", limit=50, source="mail", author="ada", since=since)
    assert ids(both) == ["d05", "d07", "d11"]


def test_snippets_mark_matches_apart_from_the_documents_own_brackets(
    filled: KnowledgeStore,
) -> None:
    (hit,) = filled.search(
        "quarterly", limit=1, source="notes", author="bilal", until=DAY + timedelta(hours=1)
    )
    assert hit.doc_id == "d00"
    assert hit.snippet.startswith("[quarterly] budget review number 0 [draft]")
    matched = [text for text, marked in hit.parts if marked]
    assert matched == ["quarterly"]
    assert "".join(text for text, _ in hit.parts) == hit.snippet.replace("[quarterly]", "quarterly")


def test_recent_lists_the_newest_documents_within_the_filters(filled: KnowledgeStore) -> None:
    newest = filled.recent(limit=3)
    assert [hit.doc_id for hit in newest] == ["d11", "d10", "d09"]
    assert [hit.doc_id for hit in filled.recent(limit=2, doc_type="note")] == ["d10", "d08"]
    assert newest[0].snippet.startswith("quarterly budget")


def test_document_types_and_export(filled: KnowledgeStore) -> None:
    assert filled.doc_types() == {"message": 6, "note": 6}
    assert filled.doc_types("mail") == {"message": 6}
    exported = list(filled.export("mail", page=4))  # more than one page
    assert [doc["doc_id"] for doc in exported] == [f"d{i:02d}" for i in range(1, 12, 2)]
    assert exported[0] == filled.get("mail", "d01")
    assert list(filled.export("nobody")) == []
