"""What only the PostgreSQL store has to prove: one transaction for a batch and its
checkpoint, the query language translated, long documents, concurrent writers."""

from __future__ import annotations

import threading

import pytest
from core.conftest import BASE_TIME as BASE
from core.conftest import CountingConnector, make_doc

from syncdeck import (
    BaseConnector,
    Checkpoint,
    Document,
    IngestionPipeline,
    KnowledgeStore,
    ListingComplete,
    SyncEngine,
)
from syncdeck.core.postgres.search import tsquery


def test_a_batch_and_its_checkpoint_commit_together_or_not_at_all(pg_url: str) -> None:
    store = KnowledgeStore(pg_url)
    engine = SyncEngine(IngestionPipeline(store), state_db=pg_url)
    assert engine.joint
    engine.sync(CountingConnector(total=100, every=10))
    original = engine.state.commit_batch
    calls = 0

    def fail_from_the_second(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls >= 2:
            raise RuntimeError("state commit failed")
        return original(*args, **kwargs)

    engine.state.commit_batch = fail_from_the_second  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="state commit failed"):
        engine.sync(CountingConnector(total=400, every=10))
    # the first batch (100..199) committed with its checkpoint; every later batch rolled
    # back with its failed checkpoint: the store is never ahead of the state
    assert store.count() == 200
    assert engine.get_checkpoint("counting")["cursor"] == "200"
    engine.state.commit_batch = original  # type: ignore[method-assign]
    engine.sync(CountingConnector(total=400, every=10))
    assert store.count() == 400 == engine.get_checkpoint("counting")["items_synced"]
    engine.close()
    store.close()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kiwi", ["k1", "k2", "k3"]),
        ("kiwi mango", ["k2"]),
        ("kiwi AND mango", ["k2"]),
        ("mango OR papaya", ["k2", "k3", "p"]),
        ("kiwi NOT mango", ["k1", "k3"]),
        ('"ripe kiwi"', ["k3"]),
        ("kiw*", ["k1", "k2", "k3"]),
        ("(papaya OR mango) AND kiwi", ["k2", "k3"]),
        # not the query language: searched as plain words, which then match nothing
        ("(papaya OR mango) kiwi", []),
        ("kiwi OR", []),
        ("NOT kiwi", []),
        ("re: kiwi", []),
        ('ripe-"kiwi', ["k3"]),
        ('kiwi-"unbalanced', []),
    ],
)
def test_the_query_language_means_the_same_on_both_backends(
    pg_url: str, tmp_path, query: str, expected: list[str]
) -> None:
    texts = {
        "k1": "a kiwi alone",
        "k2": "kiwi with mango",
        "k3": "one ripe kiwi and papaya",
        "p": "papaya only",
    }
    docs = [Document(i, "s", "note", t, title=i) for i, t in texts.items()]
    found = []
    for location in (pg_url, tmp_path / "k.db"):
        with KnowledgeStore(location) as store:
            IngestionPipeline(store).ingest(docs)
            found.append(sorted(h.doc_id for h in store.search(query)))
    assert found[0] == found[1] == expected


def test_query_translation_keeps_words_as_parameters() -> None:
    sql, params = tsquery("x'); DROP TABLE documents; --")
    assert "DROP" not in sql and any("DROP" in p for p in params)


def test_a_huge_document_is_stored_whole_and_found_by_its_beginning(pg_url: str) -> None:
    content = "needle " + " ".join(f"w{i}" for i in range(400_000))  # ~3 MB
    with KnowledgeStore(pg_url) as store:
        IngestionPipeline(store).ingest([Document("big", "s", "note", content)])
        assert store.get("s", "big")["content"] == content
        assert [h.doc_id for h in store.search("needle")] == ["big"]


def test_four_writers_at_once_keep_exact_counts(pg_url: str) -> None:
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            with (
                KnowledgeStore(pg_url) as store,
                SyncEngine(IngestionPipeline(store), state_db=pg_url, batch_size=50) as engine,
            ):
                engine.sync(CountingConnector(name, total=600, every=7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(f"c{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with KnowledgeStore(pg_url) as store:
        assert [store.documents_of(f"c{i}") for i in range(4)] == [600] * 4
        store.check_index()


def test_search_filters_by_source_and_marks_the_snippet(pg_url: str) -> None:
    with KnowledgeStore(pg_url) as store:
        IngestionPipeline(store).ingest(
            [make_doc("a", 1, text="the walrus swims"), make_doc("b", 1, text="walrus")]
        )
        hits = store.search("walrus", source="a")
        assert [(h.source, h.snippet) for h in hits] == [("a", "the [walrus] swims")]


class Awkward(BaseConnector):
    """Ids, texts and a cursor that a database refuses as they are: a NUL (PostgreSQL), a
    lone surrogate (any UTF-8 database), a leading U+FFFF (core.text's escape mark)."""

    lists_source = True
    connector_id = "awk"
    IDS = ["nul\x00id", "surrogate-\udc80", "\uffffmarked", "plain"]

    def sync(self, *, since, cursor):  # type: ignore[no-untyped-def]
        for doc_id in self.IDS:
            yield Document(
                doc_id, "awk", "note", f"text\x00of {doc_id!r}", title="\uffffT\x00", timestamp=BASE
            )
        yield Checkpoint("cursor\x00\udc80")
        yield ListingComplete()


def test_text_a_database_refuses_round_trips_on_both_backends(locations: tuple[str, str]) -> None:
    with (
        KnowledgeStore(locations[0]) as store,
        SyncEngine(IngestionPipeline(store), state_db=locations[1]) as engine,
    ):
        engine.sync(Awkward())
        engine.sync(Awkward())  # a second complete listing deletes nothing: the ids match
        assert sorted(store.ids("awk")) == sorted(Awkward.IDS)
        assert engine.runs("awk")[0].deleted == 0 and engine.runs("awk")[0].unchanged == 4
        doc = store.get("awk", "nul\x00id")
        assert (doc["doc_id"], doc["content"], doc["title"]) == (
            "nul\x00id",
            "text\x00of 'nul\\x00id'",
            "\uffffT\x00",
        )
        assert engine.get_checkpoint("awk")["cursor"] == "cursor\x00\udc80"
        assert store.versions("awk", ["surrogate-\udc80", "missing"]) == {"surrogate-\udc80": None}
