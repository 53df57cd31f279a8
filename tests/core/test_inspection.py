"""The dry run: what a connector yields and what would hurt a sync, writing nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from syncdeck.core.connector import BaseConnector
from syncdeck.core.documents import Checkpoint, Document
from syncdeck.core.inspection import inspect_connector

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def doc(doc_id: Any, content: str = "some text", **kw: Any) -> Document:
    return Document(
        doc_id=doc_id, source="src", doc_type="note", content=content, timestamp=T0, **kw
    )


class Scripted(BaseConnector):
    """Yields a fixed list of items; an exception in the list is raised at that point."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.calls: list[tuple[Any, Any]] = []
        self.closed = False

    def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[Any]:
        self.calls.append((since, cursor))
        try:
            for item in self.items:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.closed = True


def test_records_documents_and_checkpoints_up_to_the_limit() -> None:
    connector = Scripted(
        [doc("a", "  first\n\n line  ", title="A"), Checkpoint("1"), doc("b"), doc("c"), doc("d")]
    )
    connector.connector_id = "scripted"
    since = datetime(2024, 1, 1, tzinfo=UTC)
    report = inspect_connector(connector, limit=2, cursor="0", since=since)
    assert connector.calls == [(since, "0")]
    assert [(i.index, i.kind, i.doc_id, i.cursor) for i in report.items] == [
        (1, "document", "a", None),
        (2, "checkpoint", None, "1"),
        (3, "document", "b", None),
    ]
    first = report.items[0]
    assert first.title == "A" and first.content == "first line" and first.timestamp == T0
    assert report.documents == 2 and report.checkpoints == 1
    assert not report.exhausted and report.ok and report.warnings == []
    assert connector.closed  # the generator was closed when the limit was reached


def test_warns_about_what_would_hurt_a_sync() -> None:
    naive = doc("n")
    naive.timestamp = datetime(2024, 1, 1, 9, 0)  # set after construction: stays naive
    connector = Scripted(
        [doc("a"), doc("a"), naive, doc("e", "   "), doc("", "x"), object(), Checkpoint(42)]  # type: ignore[arg-type]
    )
    report = inspect_connector(connector, limit=10)
    text = "\n".join(report.warnings)
    assert "item 2: duplicate doc_id 'a' (first at item 1)" in text
    assert "item 3: naive timestamp 2024-01-01T09:00:00" in text
    assert "item 4: empty content for 'e'" in text
    assert "item 5: a sync would reject '': doc_id must not be empty" in text
    assert "item 6: yielded object, expected a Document or a Checkpoint" in text
    assert "item 7: checkpoint cursor is int 42, not a string" in text
    # a cursor that is not a string fails every sync: the dry run fails too
    assert report.exhausted and not report.ok
    assert report.fatal == [
        "item 7: checkpoint cursor is int 42, not a string; the engine stores cursors as text"
    ]


def test_warns_when_there_is_no_checkpoint() -> None:
    report = inspect_connector(Scripted([doc("a"), doc("b")]), limit=5)
    assert report.exhausted
    assert any("no Checkpoint in its output" in w for w in report.warnings)
    assert not inspect_connector(Scripted([]), limit=5).warnings


def test_an_exception_is_reported_with_its_item_number() -> None:
    report = inspect_connector(
        Scripted([doc("a"), Checkpoint("1"), ValueError("bad page 2")]), limit=10
    )
    assert report.error == "ValueError: bad page 2"
    assert "raise item" in (report.traceback or "")
    assert any("item 3: the connector raised ValueError: bad page 2" in w for w in report.warnings)
    assert not report.ok and [i.kind for i in report.items] == ["document", "checkpoint"]


def test_a_blocked_connector_times_out_instead_of_hanging() -> None:
    release = threading.Event()

    class Blocking(BaseConnector):
        def sync(self, *, since: datetime | None, cursor: str | None) -> Iterator[Any]:
            yield doc("a")
            release.wait(30)
            yield doc("b")

    try:
        report = inspect_connector(Blocking(), limit=5, timeout=0.2)
    finally:
        release.set()
    assert report.timed_out and not report.ok
    assert [i.doc_id for i in report.items] == ["a"]
    assert any("stopped after 0.2s waiting for item 2" in w for w in report.warnings)


def test_a_connector_with_a_timeout_that_finishes_in_time() -> None:
    report = inspect_connector(Scripted([doc("a"), Checkpoint("1")]), limit=5, timeout=10)
    assert report.ok and report.exhausted and report.documents == 1


def test_mirror_markers_are_shown_not_warned_about() -> None:
    from syncdeck.core.documents import Deleted, ListingComplete, Unchanged

    items = [doc("a"), Unchanged("b"), Deleted("c"), Checkpoint("1"), ListingComplete()]
    listing = Scripted(items)
    listing.lists_source = True
    report = inspect_connector(listing, limit=10)
    assert report.ok and report.warnings == []
    assert [(i.kind, i.doc_id) for i in report.items] == [
        ("document", "a"),
        ("unchanged", "b"),
        ("deleted", "c"),
        ("checkpoint", None),
        ("listing complete", None),
    ]
    bad = inspect_connector(Scripted([Deleted("")]), limit=10)
    assert bad.warnings == ["item 1: Deleted marker with doc_id ''; a sync would fail on it"]
    assert not bad.ok
    undeclared = inspect_connector(Scripted([doc("a"), ListingComplete()]), limit=10)
    assert not undeclared.ok and "does not declare lists_source = True" in undeclared.fatal[0]


def test_a_timestamp_given_naive_is_warned_about_though_normalised() -> None:
    given = Document("g", "src", "note", "text", timestamp=datetime(2024, 1, 1, 9, 0))
    assert given.timestamp.tzinfo is UTC  # the document took it as UTC...
    report = inspect_connector(Scripted([given, Checkpoint("1")]), limit=5)
    assert report.warnings == [
        "item 1: naive timestamp 2024-01-01T09:00:00 for 'g'; it will be taken as UTC"
    ]  # ...and the dry run still says so
    assert report.ok  # a naive timestamp does not fail a sync
